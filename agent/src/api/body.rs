//! Request bodies: read with a size limit, then a connector document decoded from JSON or YAML
//! through the SDK's single decode path, with the agent's restart defaults filled in.

use axum::body::Body;
use axum::http::StatusCode;
use connect_model::ConnectorConfig;
use connect_model::document::decode::{self, DecodeError};
use serde_json::Value;

use super::error::ApiError;
use crate::catalog::RestartDefaults;
use crate::document_check::DocumentCheck;
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

/// Parses JSON or YAML into a value, the way every other path does.
pub(crate) fn value(text: &str) -> Result<Value, ApiError> {
    decode::parse_text(text).map_err(|e| match e {
        DecodeError::Empty => {
            ApiError::bad_request("the body is empty; send a connector document (JSON or YAML)")
        }
        other => ApiError::bad_request(format!("the body: {other}")),
    })
}

/// A connector document, checked the way every path checks it: every problem of the
/// document and of its components against its runtime, at once.
pub(crate) fn connector(agent: &Agent, text: &str) -> Result<ConnectorConfig, ApiError> {
    let v = value(text)?;
    let s = &agent.config().supervisor;
    let runtimes = agent.runtimes();
    let check = DocumentCheck {
        defaults: RestartDefaults {
            initial_backoff: s.initial_backoff,
            max_backoff: s.max_backoff,
        },
        runtimes: &runtimes,
    };
    check.value(v).map_err(|e| ApiError::invalid_config(&e))
}
