//! The agent's configuration: TOML in the Iggy connectors runtime's shape plus `[runtimes]`,
//! `[logs]` and `[supervisor]`, overridable by `CONNECT_<SECTION>_<KEY>`; no file at all works.

mod base_dir;
mod byte_size;
mod cluster;
mod cors_rules;
mod env_overrides;
mod iggy_keys;
mod sections;

use std::path::{Path, PathBuf};

pub use byte_size::ByteSize;
pub use cluster::{ClusterSection, Ordinal};
pub use sections::{
    AgentConfig, ConnectorsSection, CorsSection, HttpSection, HttpTlsSection, IggySection,
    IggyTlsSection, LogsSection, RuntimesSection, StateSection, SupervisorSection,
    TelemetrySection,
};

/// Names the config file explicitly (beside `--config`).
pub const CONFIG_PATH_VAR: &str = "CONNECT_CONFIG_PATH";

pub(crate) use env_overrides::unknown_variables;

/// `CONNECT_*` variables that are not agent settings, in one place so none is mistaken for a
/// typo: the agent's own switches, the CLI's, the runtime contract's and the tests'.
pub(crate) fn belongs_to_others(name: &str) -> bool {
    const AGENT: [&str; 2] = [CONFIG_PATH_VAR, "CONNECT_AGENT_LOG"];
    const CLI: [&str; 3] = [
        "CONNECT_AGENT_URL",
        "CONNECT_API_KEY",
        "CONNECT_AGENT_CA_FILE",
    ];
    AGENT.contains(&name)
        || CLI.contains(&name)
        || connect_model::contract::env::vars::ALL.contains(&name)
        || name.starts_with("CONNECT_TEST_")
}
/// The repository's own setup, used when started from the repo root without flags.
pub const DEFAULT_CONFIG_FILE: &str = ".connect/agent.toml";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "cannot read config file {path}: {source}; pass an existing file with --config or {CONFIG_PATH_VAR}"
    )]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("config file {path} is not valid TOML: {message}")]
    Syntax { path: String, message: String },
    #[error("config {path}: field `{field}`: {reason}")]
    Field {
        path: String,
        field: String,
        reason: String,
    },
    #[error("invalid environment overrides:\n{}", .0.join("\n"))]
    Env(Vec<String>),
}

/// Where the config came from, for the startup log line.
#[derive(Debug, Clone)]
pub enum ConfigSource {
    File(PathBuf),
    Defaults,
}

impl std::fmt::Display for ConfigSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::File(p) => write!(f, "{}", p.display()),
            Self::Defaults => f.write_str("built-in defaults"),
        }
    }
}

/// Picks the file: `--config`, then `CONNECT_CONFIG_PATH`, then `.connect/agent.toml` if present.
pub fn locate(flag: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> ConfigSource {
    if let Some(p) = flag {
        return ConfigSource::File(p.to_path_buf());
    }
    let named = env(CONFIG_PATH_VAR).or_else(|| env("IGGY_CONNECTORS_CONFIG_PATH"));
    if let Some(p) = named.filter(|p| !p.trim().is_empty()) {
        return ConfigSource::File(PathBuf::from(p));
    }
    let default = Path::new(DEFAULT_CONFIG_FILE);
    if default.is_file() {
        return ConfigSource::File(default.to_path_buf());
    }
    ConfigSource::Defaults
}

/// Reads the file (if any), applies the environment overrides and decodes, reporting the field at fault.
pub fn load(
    source: &ConfigSource,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<AgentConfig, ConfigError> {
    let (name, mut table) = match source {
        ConfigSource::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: path.clone(),
                source,
            })?;
            let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::Syntax {
                path: path.display().to_string(),
                message: e.to_string(),
            })?;
            (path.display().to_string(), table)
        }
        ConfigSource::Defaults => ("(defaults)".to_string(), toml::Table::new()),
    };
    let warnings = iggy_keys::strip(&mut table);
    env_overrides::apply(&mut table, env).map_err(ConfigError::Env)?;
    let mut config: AgentConfig = serde_path_to_error::deserialize(toml::Value::Table(table))
        .map_err(|e| ConfigError::Field {
            path: name.clone(),
            field: e.path().to_string(),
            reason: e.inner().to_string(),
        })?;
    config.warnings = warnings;
    cluster::resolve(&mut config.cluster, env).map_err(|(field, reason)| ConfigError::Field {
        path: name.clone(),
        field,
        reason,
    })?;
    base_dir::resolve(&mut config, &base_dir::of(source));
    config
        .validate()
        .map_err(|(field, reason)| ConfigError::Field {
            path: name,
            field,
            reason,
        })?;
    Ok(config)
}

#[cfg(test)]
mod tests;
