//! The one check of a connector document, whichever way it reaches the agent (a file of the
//! connectors directory, an API body, offline `connect-agent validate`): JSON told from YAML in
//! one place, the agent's restart defaults filled in, then every problem at once — the
//! document's own and its components' against the runtime's definitions — and the runtime
//! argument's size. The same document gets the same verdict on every path.

use connect_model::ConnectorConfig;
use connect_model::document::decode::{self, DecodeError};
use connect_model::metadata::validate_connector;
use connect_model::validation::FieldErrors;
use serde_json::Value;

use crate::catalog::{RestartDefaults, fill_restart_defaults};
use crate::runtimes::RuntimeRegistry;
use crate::supervisor::check_argument_size;

/// What the agent checks a document with.
#[derive(Clone, Copy)]
pub(crate) struct DocumentCheck<'a> {
    pub defaults: RestartDefaults,
    pub runtimes: &'a RuntimeRegistry,
}

impl DocumentCheck<'_> {
    /// Text as written (JSON or YAML).
    pub(crate) fn text(&self, text: &str) -> Result<ConnectorConfig, DecodeError> {
        let value = decode::parse_text(text)?;
        self.value(value).map_err(DecodeError::Invalid)
    }

    /// An already-parsed document.
    pub(crate) fn value(&self, mut value: Value) -> Result<ConnectorConfig, FieldErrors> {
        fill_restart_defaults(&mut value, self.defaults);
        let (mut errors, config) = match decode::collect(value) {
            Ok(config) => (FieldErrors::default(), config),
            Err((errors, Some(config))) => (errors, config),
            Err((errors, None)) => return Err(errors),
        };
        errors.0.extend(runtime_errors(&config, self.runtimes).0);
        errors.into_result(config)
    }
}

/// The problems of a decoded config that depend on its runtime: the runtime is known, the
/// components fit its definitions, its path fields lie inside `[runtimes] allowed_paths`, and
/// the encoded config fits in one argument.
pub(crate) fn runtime_errors(config: &ConnectorConfig, runtimes: &RuntimeRegistry) -> FieldErrors {
    let mut errors = FieldErrors::default();
    match runtimes.resolve(&config.runtime) {
        Err(e) => errors.push("runtime", e.to_string()),
        Ok(entry) => {
            if let Err(e) = validate_connector(config, &entry.metadata) {
                errors.0.extend(e.0);
            }
            if let Some(access) = &runtimes.file_access {
                errors.0.extend(access.check(config, &entry.metadata).0);
            }
        }
    }
    if let Err(e) = check_argument_size(decode::to_runtime_argument(config).len()) {
        errors.push("", e.to_string());
    }
    errors
}
