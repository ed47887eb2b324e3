//! The one JSON error body of the API, `{"code", "message", "details"}`: a stable code for
//! programs, a message that says what to do for people, never a stack trace or a secret.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use connect_model::validation::FieldErrors;
use serde::Serialize;
use serde_json::Value;

use crate::supervisor::AgentError;

#[derive(Debug, Serialize)]
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

    pub(crate) fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", what)
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
        (self.status, axum::Json(&self)).into_response()
    }
}

impl From<AgentError> for ApiError {
    fn from(e: AgentError) -> Self {
        match &e {
            AgentError::NotFound(id) => Self::connector_not_found(id),
            AgentError::NotRunnable { .. } => {
                Self::new(StatusCode::CONFLICT, "not_runnable", e.to_string())
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
