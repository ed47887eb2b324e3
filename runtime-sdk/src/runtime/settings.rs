//! The runtime's settings, read from `CONNECT_*` and `OTEL_*` variables through the contract's
//! `Env` trait so tests pass a map; every bad variable is reported at once.

use std::path::PathBuf;
use std::time::Duration;

use crate::contract::env::{Env, vars};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// The Iggy connection every `consumer`/`producer` step starts from.
#[derive(Clone, PartialEq, Eq)]
pub struct IggyDefaults {
    pub address: String,
    pub username: String,
    pub password: String,
    pub token: Option<String>,
    pub tls_enabled: bool,
    pub tls_ca_file: Option<PathBuf>,
    pub tls_domain: Option<String>,
}

impl std::fmt::Debug for IggyDefaults {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IggyDefaults")
            .field("address", &self.address)
            .field("username", &self.username)
            .field("password", &crate::metadata::MASK)
            .field("token", &self.token.as_ref().map(|_| crate::metadata::MASK))
            .field("tls_enabled", &self.tls_enabled)
            .finish_non_exhaustive()
    }
}

/// Everything a runtime reads from its environment.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    pub connector_id: Option<String>,
    pub instance_id: String,
    /// `None`: `./connect-state/<connector-id>` (direct invocation).
    pub state_dir: Option<PathBuf>,
    pub log_level: String,
    pub log_format: LogFormat,
    pub iggy: IggyDefaults,
    pub agent_socket: Option<PathBuf>,
    pub shutdown_timeout: Duration,
    pub heartbeat_interval: Duration,
    pub otel_endpoint: Option<String>,
    pub otel_service_name: Option<String>,
    /// `CONNECT_*` names that are not part of the contract (warned about, not fatal).
    pub unknown_vars: Vec<String>,
}

/// Every invalid variable, with the reason.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid runtime environment:\n{}", .0.iter().map(|(k, r)| format!("  {k}: {r}")).collect::<Vec<_>>().join("\n"))]
pub struct EnvError(pub Vec<(String, String)>);

// `main` returning `Result<_, EnvError>` prints Debug; make it the readable message.
impl std::fmt::Debug for EnvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self, f)
    }
}

impl RuntimeSettings {
    pub fn from_env(env: &impl Env) -> Result<Self, EnvError> {
        let mut errors = Vec::new();
        let text = |name: &str| env.var(name).filter(|v| !v.trim().is_empty());
        let duration =
            |name: &str, default: Duration, errors: &mut Vec<(String, String)>| match text(name) {
                None => default,
                Some(v) => match crate::document::duration::parse(&v) {
                    Ok(d) if !d.is_zero() => d,
                    Ok(_) => {
                        errors.push((name.to_string(), "must be greater than zero".to_string()));
                        default
                    }
                    Err(e) => {
                        errors.push((name.to_string(), e));
                        default
                    }
                },
            };
        let shutdown_timeout =
            duration(vars::SHUTDOWN_TIMEOUT, Duration::from_secs(10), &mut errors);
        let heartbeat_interval = duration(
            vars::HEARTBEAT_INTERVAL,
            Duration::from_secs(5),
            &mut errors,
        );

        if let Some(id) = text(vars::CONNECTOR_ID)
            && let Err(e) = crate::document::ConnectorId::parse(&id)
        {
            errors.push((vars::CONNECTOR_ID.into(), e));
        }
        let log_level = text(vars::LOG_LEVEL).unwrap_or_else(|| "info".into());
        if tracing_subscriber::EnvFilter::try_new(&log_level).is_err() {
            errors.push((vars::LOG_LEVEL.into(), format!("`{log_level}` is not a level (error, warn, info, debug, trace) or filter directive")));
        }
        let log_format = match text(vars::LOG_FORMAT)
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                errors.push((
                    vars::LOG_FORMAT.into(),
                    format!("`{other}` is not text or json"),
                ));
                LogFormat::Text
            }
        };
        let tls_enabled = match text(vars::IGGY_TLS_ENABLED).as_deref() {
            None | Some("false" | "0") => false,
            Some("true" | "1") => true,
            Some(other) => {
                errors.push((
                    vars::IGGY_TLS_ENABLED.into(),
                    format!("`{other}` is not true or false"),
                ));
                false
            }
        };
        let address = text(vars::IGGY_ADDRESS).unwrap_or_else(|| "127.0.0.1:8090".into());
        if !matches!(address.rsplit_once(':'), Some((h, p)) if !h.is_empty() && p.parse::<u16>().is_ok())
        {
            errors.push((
                vars::IGGY_ADDRESS.into(),
                format!("`{address}` is not host:port"),
            ));
        }
        let otel_endpoint = text(vars::OTEL_ENDPOINT);
        if let Some(e) = &otel_endpoint
            && !(e.starts_with("http://") || e.starts_with("https://"))
        {
            errors.push((
                vars::OTEL_ENDPOINT.into(),
                format!("`{e}` is not an http:// or https:// URL"),
            ));
        }
        let mut unknown_vars: Vec<String> = env
            .names()
            .into_iter()
            .filter(|n| {
                n.starts_with(crate::document::connector::RESERVED_ENV_PREFIX)
                    && !vars::ALL.contains(&n.as_str())
                    && !n.starts_with(vars::SECRET_PREFIX)
            })
            .collect();
        unknown_vars.sort();

        if !errors.is_empty() {
            errors.sort();
            return Err(EnvError(errors));
        }
        Ok(Self {
            connector_id: text(vars::CONNECTOR_ID),
            instance_id: text(vars::INSTANCE_ID)
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            state_dir: text(vars::STATE_DIR).map(PathBuf::from),
            log_level,
            log_format,
            iggy: IggyDefaults {
                address,
                username: text(vars::IGGY_USERNAME).unwrap_or_else(|| "iggy".into()),
                password: text(vars::IGGY_PASSWORD).unwrap_or_else(|| "iggy".into()),
                token: text(vars::IGGY_TOKEN),
                tls_enabled,
                tls_ca_file: text(vars::IGGY_TLS_CA_FILE).map(PathBuf::from),
                tls_domain: text(vars::IGGY_TLS_DOMAIN),
            },
            agent_socket: text(vars::AGENT_SOCKET).map(PathBuf::from),
            shutdown_timeout,
            heartbeat_interval,
            otel_endpoint,
            otel_service_name: text(vars::OTEL_SERVICE_NAME),
            unknown_vars,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn works_with_nothing_set() {
        let s = RuntimeSettings::from_env(&env(&[])).unwrap();
        assert_eq!(s.log_level, "info");
        assert_eq!(s.iggy.address, "127.0.0.1:8090");
        assert_eq!(s.shutdown_timeout, Duration::from_secs(10));
        assert!(s.agent_socket.is_none() && s.state_dir.is_none());
        assert!(!s.instance_id.is_empty());
    }

    #[test]
    fn reads_every_variable() {
        let s = RuntimeSettings::from_env(&env(&[
            ("CONNECT_CONNECTOR_ID", "cats"),
            ("CONNECT_INSTANCE_ID", "i-1"),
            ("CONNECT_STATE_DIR", "/tmp/s"),
            ("CONNECT_LOG_LEVEL", "debug"),
            ("CONNECT_LOG_FORMAT", "json"),
            ("CONNECT_IGGY_ADDRESS", "iggy:8090"),
            ("CONNECT_IGGY_TOKEN", "pat"),
            ("CONNECT_IGGY_TLS_ENABLED", "true"),
            ("CONNECT_AGENT_SOCKET", "/tmp/a.sock"),
            ("CONNECT_SHUTDOWN_TIMEOUT", "3s"),
            ("CONNECT_HEARTBEAT_INTERVAL", "200ms"),
            ("CONNECT_SOMETHING_ELSE", "x"),
        ]))
        .unwrap();
        assert_eq!(s.connector_id.as_deref(), Some("cats"));
        assert_eq!(s.log_format, LogFormat::Json);
        assert!(s.iggy.tls_enabled);
        assert_eq!(s.iggy.token.as_deref(), Some("pat"));
        assert_eq!(s.heartbeat_interval, Duration::from_millis(200));
        assert_eq!(s.unknown_vars, ["CONNECT_SOMETHING_ELSE"]);
    }

    #[test]
    fn reports_every_bad_variable_at_once() {
        let err = RuntimeSettings::from_env(&env(&[
            ("CONNECT_LOG_FORMAT", "xml"),
            ("CONNECT_SHUTDOWN_TIMEOUT", "soon"),
            ("CONNECT_HEARTBEAT_INTERVAL", "0"),
            ("CONNECT_IGGY_ADDRESS", "nohost"),
            ("CONNECT_IGGY_TLS_ENABLED", "maybe"),
            ("CONNECT_CONNECTOR_ID", "Bad/Id"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"),
        ]))
        .unwrap_err();
        let names: Vec<_> = err.0.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "CONNECT_CONNECTOR_ID",
                "CONNECT_HEARTBEAT_INTERVAL",
                "CONNECT_IGGY_ADDRESS",
                "CONNECT_IGGY_TLS_ENABLED",
                "CONNECT_LOG_FORMAT",
                "CONNECT_SHUTDOWN_TIMEOUT",
                "OTEL_EXPORTER_OTLP_ENDPOINT"
            ]
        );
        assert!(format!("{err:?}").contains("CONNECT_LOG_FORMAT: `xml` is not text or json"));
    }
}
