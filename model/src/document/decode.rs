//! The single decode path of a connector document: text (YAML or JSON) or base64 → validated config.

use base64::Engine;
use serde_json::Value;

use super::connector::ConnectorConfig;
use super::every_error::{deserialize_collecting, is_within};
use crate::validation::{FieldError, FieldErrors};

#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error(
        "the config argument is not valid base64 (standard alphabet): {0}; encode it with `base64 -w0 FILE`"
    )]
    Base64(#[from] base64::DecodeError),
    #[error("the decoded config is not UTF-8 text; encode a YAML or JSON document")]
    Utf8,
    #[error("the document is empty; write a connector document with id, runtime and steps")]
    Empty,
    #[error("the document is not valid {format}: {message}")]
    Syntax {
        format: &'static str,
        message: String,
    },
    #[error("invalid connector config:\n{0}")]
    Invalid(FieldErrors),
}

impl DecodeError {
    /// The problems as field errors, for APIs that report them as a list.
    pub fn field_errors(&self) -> FieldErrors {
        match self {
            Self::Invalid(e) => e.clone(),
            other => FieldErrors(vec![FieldError::new("", other.to_string())]),
        }
    }
}

/// Decodes standard-alphabet base64 of a YAML or JSON document.
pub fn from_base64(text: &str) -> Result<ConnectorConfig, DecodeError> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(text.trim())?;
    let text = String::from_utf8(bytes).map_err(|_| DecodeError::Utf8)?;
    from_str(&text)
}

/// Decodes a YAML or JSON document (JSON when it starts with `{`).
pub fn from_str(text: &str) -> Result<ConnectorConfig, DecodeError> {
    from_value(parse_text(text)?)
}

/// The one place that tells JSON from YAML: JSON when the text starts with `{`, else YAML.
pub fn parse_text(text: &str) -> Result<Value, DecodeError> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(DecodeError::Empty);
    }
    let value: Value = if trimmed.starts_with('{') {
        serde_json::from_str(text).map_err(|e| DecodeError::Syntax {
            format: "JSON",
            message: e.to_string(),
        })?
    } else {
        crate::yaml::from_str(text).map_err(|e| DecodeError::Syntax {
            format: "YAML",
            message: e.to_string(),
        })?
    };
    if value.is_null() {
        return Err(DecodeError::Empty);
    }
    Ok(value)
}

/// Decodes an already-parsed document; every other path ends here.
pub fn from_value(value: Value) -> Result<ConnectorConfig, DecodeError> {
    collect(value).map_err(|(errors, _)| DecodeError::Invalid(errors))
}

/// Decodes a document reporting every problem at once (unknown keys, missing fields, wrong
/// types, the document's own rules), each with its path. On errors, also the config decoded from
/// the repaired document when there is one, so callers can check it further (against its
/// runtime) and report those problems in the same answer.
#[allow(clippy::result_large_err)]
pub fn collect(value: Value) -> Result<ConnectorConfig, (FieldErrors, Option<ConnectorConfig>)> {
    if value.is_null() {
        return Err((DecodeError::Empty.field_errors(), None));
    }
    let found = deserialize_collecting::<ConnectorConfig>(value);
    let mut errors = found.errors;
    let Some(config) = found.value else {
        return Err((errors, None));
    };
    let consequence = |path: &str| found.repaired.iter().any(|r| is_within(path, r));
    for e in config.validate().0 {
        if !consequence(&e.path) {
            errors.0.push(e);
        }
    }
    if errors.is_empty() {
        Ok(config)
    } else {
        Err((errors, Some(config)))
    }
}

/// Top-level keys only the agent acts on; they never reach a runtime, so adding one is not a
/// change of the runtime contract.
pub const AGENT_ONLY_KEYS: &[&str] = &["enabled", "restart", "env", "placement"];

/// The runtime's argument: base64 of the compact JSON document without [`AGENT_ONLY_KEYS`].
pub fn to_runtime_argument(config: &ConnectorConfig) -> String {
    let mut value = serde_json::to_value(config).expect("a connector config always serializes");
    if let Some(doc) = value.as_object_mut() {
        for key in AGENT_ONLY_KEYS {
            doc.remove(*key);
        }
    }
    base64::engine::general_purpose::STANDARD.encode(value.to_string())
}

/// Encodes a whole config as base64 of compact JSON (a hand run; the agent uses
/// [`to_runtime_argument`]).
pub fn to_base64(config: &ConnectorConfig) -> String {
    let json = serde_json::to_vec(config).expect("a connector config always serializes");
    base64::engine::general_purpose::STANDARD.encode(json)
}
