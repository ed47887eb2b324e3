//! The connector document: one YAML or JSON file per connector, the unit the agent supervises.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::errors::ErrorPolicy;
use super::id::{ConnectorId, RuntimeRef};
use super::placement::Placement;
use super::restart::RestartConfig;
use super::steps::Steps;
use crate::validation::FieldErrors;

/// Environment variables a connector may not set: the runtime contract owns them.
pub const RESERVED_ENV_PREFIX: &str = "CONNECT_";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorConfig {
    pub id: ConnectorId,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub runtime: RuntimeRef,
    #[serde(default = "default_enabled")]
    pub enabled: bool,
    pub steps: Steps,
    #[serde(default)]
    pub restart: RestartConfig,
    /// Extra environment for the runtime process.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// What happens to messages refused for their content (contract version 2).
    // Boxed: few connectors set it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<Box<ErrorPolicy>>,
    /// Which agents of a cluster run it; agent-only (see [`Placement::default_for`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placement: Option<Placement>,
}

fn default_enabled() -> bool {
    true
}

impl ConnectorConfig {
    /// `placement` as written, else its default for this document's input.
    pub fn effective_placement(&self) -> Placement {
        self.placement
            .unwrap_or_else(|| Placement::default_for(&self.steps))
    }

    /// Checks every rule serde cannot express; returns all problems at once.
    pub fn validate(&self) -> FieldErrors {
        let mut errors = FieldErrors::default();
        self.steps.validate(&mut errors);
        self.restart.validate(&mut errors);
        if let Some(e) = &self.errors {
            e.validate(&mut errors);
        }
        for key in self.env.keys() {
            let path = format!("env.{key}");
            if key.starts_with(RESERVED_ENV_PREFIX) {
                errors.push(path, format!("the {RESERVED_ENV_PREFIX} prefix is reserved for the runtime contract; rename the variable"));
            } else if !is_env_name(key) {
                errors.push(path, "not a valid environment variable name (letters, digits and `_`, not starting with a digit)");
            }
        }
        errors
    }
}

fn is_env_name(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}
