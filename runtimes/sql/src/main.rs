//! The `sql` runtime: PostgreSQL change data capture and SQL query polling as sources,
//! PostgreSQL and MySQL/MariaDB tables as sinks, launched under the runtime contract.

mod cdc;
#[cfg(test)]
mod config_drift;
mod connection;
mod metadata;
mod pg_values;
mod sinks;
mod sources;

use connect_runtime_sdk::{Components, ExitCode, Runtime};

/// Every component of the runtime, by the type name connector documents use.
fn components() -> Components {
    Components::new(metadata::load())
        .source("postgres_cdc", cdc::PostgresCdc::from_context)
        .source("sql_query", sources::query::SqlQuery::from_context)
        .sink("postgres", sinks::postgres::PostgresSink::from_context)
        .sink("mysql", sinks::mysql::MysqlSink::from_context)
}

fn main() {
    // The MySQL driver builds its TLS config from the process-wide provider; make it ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    match Runtime::from_env() {
        Ok(runtime) => runtime.launch(components()),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(ExitCode::BadEnvironment.code());
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn registered_components_match_the_definitions() {
        assert_eq!(super::components().mismatches(), Vec::<String>::new());
    }

    #[test]
    fn the_manifest_version_is_the_crate_version() {
        let manifest = super::metadata::load().runtime;
        assert_eq!(
            (manifest.name.as_str(), manifest.version.as_str()),
            ("sql", env!("CARGO_PKG_VERSION"))
        );
    }
}
