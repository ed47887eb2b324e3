//! The one JSON error body of the API, `{"code", "message", "details"}`: a stable code for
//! programs, a message that says what to do for people, never a stack trace or a secret.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use connect_model::validation::FieldErrors;
use serde::Serialize;
use serde_json::Value;

use crate::supervisor::AgentError;

/// Longest id (or other word from the request) echoed in a message.
pub(crate) const ECHO_MAX: usize = 64;

/// Cuts every run of characters between spaces, backticks and slashes longer than
/// [`ECHO_MAX`], so an id of any length sent in a path comes back short.
fn truncate_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(1024));
    let mut run = 0usize;
    for c in text.chars() {
        if c.is_whitespace() || c == '`' || c == '/' {
            run = 0;
        } else {
            run += 1;
            if run == ECHO_MAX + 1 {
                out.push('…');
            }
            if run > ECHO_MAX {
                continue;
            }
        }
        out.push(c);
    }
    out
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub(crate) struct ApiError {
    #[serde(skip)]
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: Value::Null,
        }
    }

    pub(crate) fn with_details(mut self, details: Value) -> Self {
        self.details = details;
        self
    }

    /// The message echoes what was asked for, each word cut to [`ECHO_MAX`] characters.
    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            truncate_words(&what.into()),
        )
    }

    pub(crate) fn connector_not_found(id: &str) -> Self {
        Self::not_found(format!(
            "connector `{id}` does not exist; list connectors with GET /connectors"
        ))
    }

    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// Every field problem, with its path, in `details`.
    pub(crate) fn invalid_config(errors: &FieldErrors) -> Self {
        let details = errors
            .iter()
            .map(|e| serde_json::json!({ "path": e.path, "reason": e.reason }))
            .collect();
        Self::new(
            StatusCode::BAD_REQUEST,
            "invalid_config",
            "the connector config is invalid; fix the fields listed in details",
        )
        .with_details(Value::Array(details))
    }

    pub(crate) fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "missing or wrong API key; send it as `api-key: KEY` or `Authorization: Bearer KEY`",
        )
    }

    pub(crate) fn internal(message: impl std::fmt::Display) -> Self {
        tracing::error!(error = %message, "API request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            format!("{message}"),
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(&self)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static(
                    "Bearer realm=\"connect-agent\", charset=\"UTF-8\"",
                ),
            );
        }
        response
    }
}

/// Every status an error answers is written per route (`openapi::ops`).
impl aide::OperationOutput for ApiError {
    type Inner = Self;
}

impl From<AgentError> for ApiError {
    fn from(e: AgentError) -> Self {
        match &e {
            AgentError::NotFound(id) => Self::connector_not_found(id),
            AgentError::NotRunnable { .. } => {
                Self::new(StatusCode::CONFLICT, "not_runnable", e.to_string())
            }
            AgentError::PlacedElsewhere { .. } => {
                Self::new(StatusCode::CONFLICT, "placed_elsewhere", e.to_string())
            }
            AgentError::Exists(id) => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                format!(
                    "connector `{id}` already exists; add a config version with POST /connectors/{id}/configs or delete it first"
                ),
            ),
            AgentError::Invalid(errors) => Self::invalid_config(errors),
            _ => Self::internal(e),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_words_are_cut() {
        let id = "a".repeat(500);
        let m = super::truncate_words(&format!(
            "connector `{id}` does not exist; see /connectors/{id}/x"
        ));
        assert!(m.len() < 200, "{m}");
        assert!(m.contains(&format!("`{}…`", "a".repeat(64))), "{m}");
        assert_eq!(
            super::truncate_words("no such endpoint"),
            "no such endpoint"
        );
    }
}
