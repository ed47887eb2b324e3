//! Request bodies: read with a size limit, then a connector document decoded from JSON or YAML
//! through the SDK's single decode path, with the agent's restart defaults filled in.

use axum::body::Body;
use axum::http::StatusCode;
use connect_model::ConnectorConfig;
use connect_model::document::decode;
use serde_json::Value;

use super::error::ApiError;
use crate::catalog::{RestartDefaults, fill_restart_defaults};
use crate::supervisor::Agent;

/// Largest body accepted; a connector document is far smaller (the runtime argument limit is 128 KiB).
const MAX_BODY: usize = 1024 * 1024;

pub(crate) async fn text(body: Body) -> Result<String, ApiError> {
    let bytes = axum::body::to_bytes(body, MAX_BODY).await.map_err(|_| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("the body is larger than {MAX_BODY} bytes; send a smaller document"),
        )
    })?;
    String::from_utf8(bytes.to_vec()).map_err(|_| {
        ApiError::bad_request("the body is not UTF-8 text; send a JSON or YAML document")
    })
}

/// Parses JSON (a body starting with `{`) or YAML into a value, as the config dir does.
pub(crate) fn value(text: &str) -> Result<Value, ApiError> {
    let trimmed = text.trim_start();
    if trimmed.is_empty() {
        return Err(ApiError::bad_request(
            "the body is empty; send a connector document (JSON or YAML)",
        ));
    }
    if trimmed.starts_with('{') {
        serde_json::from_str(text)
            .map_err(|e| ApiError::bad_request(format!("the body is not valid JSON: {e}")))
    } else {
        connect_model::yaml::from_str(text)
            .map_err(|e| ApiError::bad_request(format!("the body is not valid YAML: {e}")))
    }
}

/// A connector document, decoded and validated on its own (not yet against a runtime).
pub(crate) fn connector(agent: &Agent, text: &str) -> Result<ConnectorConfig, ApiError> {
    let mut v = value(text)?;
    let s = &agent.config().supervisor;
    fill_restart_defaults(
        &mut v,
        RestartDefaults {
            initial_backoff: s.initial_backoff,
            max_backoff: s.max_backoff,
        },
    );
    decode::from_value(v).map_err(|e| ApiError::invalid_config(&e.field_errors()))
}
