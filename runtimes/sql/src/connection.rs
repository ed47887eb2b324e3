//! Connections to PostgreSQL and MySQL/MariaDB from a component's `url` and optional `password`,
//! with TLS through rustls (ring), and the classification of database errors into what the
//! pipeline does with them (retry, reject the row, refuse the config).

use std::sync::Arc;

use connect_runtime_sdk::ComponentError;
use tokio_postgres::error::SqlState;

/// The `url` and `password` every component has.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) url: String,
    pub(crate) password: Option<String>,
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    Postgres,
    Mysql,
}

impl Target {
    pub(crate) fn dialect(&self) -> Result<Dialect, ComponentError> {
        let scheme = self.url.split("://").next().unwrap_or_default();
        match scheme {
            "postgres" | "postgresql" => Ok(Dialect::Postgres),
            "mysql" | "mariadb" => Ok(Dialect::Mysql),
            _ => Err(ComponentError::invalid_config(format!(
                "url: `{scheme}://` is not a database this runtime speaks; use postgres://user@host:port/db or mysql://user@host:port/db"
            ))),
        }
    }

    /// The PostgreSQL connection settings, the password field overriding the URL's.
    pub(crate) fn pg_config(&self) -> Result<tokio_postgres::Config, ComponentError> {
        let url = self.url.replacen("postgresql://", "postgres://", 1);
        let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
            ComponentError::invalid_config(format!(
                "url: not a PostgreSQL connection string ({e}); write postgres://user@host:port/db"
            ))
        })?;
        if let Some(p) = &self.password {
            config.password(p.as_bytes());
        }
        if config.get_dbname().is_none() {
            return Err(ComponentError::invalid_config(
                "url: name the database, e.g. postgres://user@host:5432/db",
            ));
        }
        Ok(config)
    }

    /// Connects to PostgreSQL; the connection task runs until the client is dropped.
    pub(crate) async fn pg_connect(&self) -> Result<tokio_postgres::Client, ComponentError> {
        let config = self.pg_config()?;
        let (client, connection) = config
            .connect(tls())
            .await
            .map_err(|e| pg_error("cannot connect to PostgreSQL", &e))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "PostgreSQL connection closed");
            }
        });
        Ok(client)
    }

    /// The MySQL connection options, the password field overriding the URL's.
    pub(crate) fn mysql_opts(&self) -> Result<mysql_async::Opts, ComponentError> {
        let url = self.url.replacen("mariadb://", "mysql://", 1);
        let opts = mysql_async::Opts::from_url(&url).map_err(|e| {
            ComponentError::invalid_config(format!(
                "url: not a MySQL connection string ({e}); write mysql://user@host:port/db (add ?socket=/path for a Unix socket)"
            ))
        })?;
        let mut builder = mysql_async::OptsBuilder::from_opts(opts);
        if let Some(p) = &self.password {
            builder = builder.pass(Some(p.clone()));
        }
        Ok(builder.into())
    }

    pub(crate) async fn mysql_connect(&self) -> Result<mysql_async::Conn, ComponentError> {
        mysql_async::Conn::new(self.mysql_opts()?)
            .await
            .map_err(|e| mysql_error("cannot connect to MySQL", &e))
    }
}

/// rustls with the ring provider and the Mozilla roots; used when the URL asks for TLS
/// (`sslmode=require`) or the server offers it (`prefer`, the default).
fn tls() -> tokio_postgres_rustls::MakeRustlsConnect {
    let roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    tokio_postgres_rustls::MakeRustlsConnect::new(config)
}

/// The SQLSTATE of a PostgreSQL error, when the server sent one.
pub(crate) fn pg_state(e: &tokio_postgres::Error) -> Option<&str> {
    e.code().map(SqlState::code)
}

/// True when PostgreSQL refused the data itself: class 22 (data exception) or 23 (integrity
/// constraint violation). Retrying the same row cannot help.
pub(crate) fn pg_is_content_error(e: &tokio_postgres::Error) -> bool {
    pg_state(e).is_some_and(|s| s.starts_with("22") || s.starts_with("23"))
}

/// The database's own words for an error, with its SQLSTATE and detail.
pub(crate) fn pg_message(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => {
            let mut m = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(d) = db.detail() {
                m.push_str(&format!("; {d}"));
            }
            m
        }
        None => e.to_string(),
    }
}

/// A PostgreSQL failure that is not about the data: a wrong object or privilege is a config
/// error (exit 78), anything else is retried (connection, timeout, serialization).
pub(crate) fn pg_error(what: &str, e: &tokio_postgres::Error) -> ComponentError {
    let message = format!("{what}: {}", pg_message(e));
    match pg_state(e) {
        // 28: authentication, 3D: no such database, 42: syntax, undefined table/column, privilege.
        Some(s) if s.starts_with("28") || s.starts_with("3D") || s.starts_with("42") => {
            ComponentError::invalid_config(format!("{message}; check the url, table and query"))
        }
        _ => ComponentError::retry(message),
    }
}

/// MySQL server error codes that mean the row itself was refused: duplicate key, NULL in a NOT
/// NULL column, out of range, incorrect value, too long, foreign key, CHECK constraint.
const MYSQL_CONTENT_ERRORS: &[u16] = &[
    1048, 1062, 1169, 1216, 1264, 1265, 1292, 1366, 1406, 1451, 1452, 1586, 3819, 4025,
];

pub(crate) fn mysql_is_content_error(e: &mysql_async::Error) -> bool {
    matches!(e, mysql_async::Error::Server(s) if MYSQL_CONTENT_ERRORS.contains(&s.code))
}

/// The class of a refused row for the rejection report: `sql.<SQLSTATE>` or `sql.mysql<code>`.
pub(crate) fn mysql_class(e: &mysql_async::Error) -> String {
    match e {
        mysql_async::Error::Server(s) => format!("sql.{}", s.state),
        _ => "sql".into(),
    }
}

pub(crate) fn mysql_message(e: &mysql_async::Error) -> String {
    match e {
        mysql_async::Error::Server(s) => {
            format!("{} (error {}, SQLSTATE {})", s.message, s.code, s.state)
        }
        other => other.to_string(),
    }
}

/// A MySQL failure that is not about the data; see [`pg_error`].
pub(crate) fn mysql_error(what: &str, e: &mysql_async::Error) -> ComponentError {
    let message = format!("{what}: {}", mysql_message(e));
    match e {
        // Access denied, unknown database, syntax, unknown table or column.
        mysql_async::Error::Server(s)
            if [1044, 1045, 1049, 1064, 1054, 1146, 1142].contains(&s.code) =>
        {
            ComponentError::invalid_config(format!("{message}; check the url, table and query"))
        }
        _ => ComponentError::retry(message),
    }
}

/// Quotes an identifier, `schema.table` split at the dot, for PostgreSQL (`"`) or MySQL (`` ` ``).
pub(crate) fn quote_ident(name: &str, dialect: Dialect) -> String {
    let q = match dialect {
        Dialect::Postgres => '"',
        Dialect::Mysql => '`',
    };
    name.split('.')
        .map(|part| {
            let doubled = part.replace(q, &format!("{q}{q}"));
            format!("{q}{doubled}{q}")
        })
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_field_overrides_the_url() {
        let t = Target {
            url: "postgres://app:old@127.0.0.1:5432/shop?host=/run/pg".into(),
            password: Some("new".into()),
        };
        let c = t.pg_config().unwrap();
        assert_eq!(c.get_password(), Some(&b"new"[..]));
        assert_eq!(c.get_dbname(), Some("shop"));
        assert_eq!(t.dialect().unwrap(), Dialect::Postgres);
    }

    #[test]
    fn identifiers_are_quoted_per_part() {
        assert_eq!(
            quote_ident("public.orders", Dialect::Postgres),
            "\"public\".\"orders\""
        );
        assert_eq!(quote_ident("a`b", Dialect::Mysql), "`a``b`");
    }

    #[test]
    fn unknown_schemes_are_config_errors() {
        let t = Target {
            url: "redis://x".into(),
            password: None,
        };
        assert!(matches!(t.dialect(), Err(ComponentError::InvalidConfig(_))));
    }
}
