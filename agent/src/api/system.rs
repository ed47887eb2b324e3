//! Agent-wide endpoints: welcome, liveness, readiness, connect's own statistics
//! (`/system/stats`) and reload.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::error::ApiError;
use crate::supervisor::Agent;

pub(crate) const VERSION: &str = env!("CARGO_PKG_VERSION");

/// connect's JSON, or the Iggy runtime's text with `[http] iggy_compat_root = true`.
pub(crate) async fn welcome(State(agent): State<Agent>) -> Response {
    if agent.config().http.iggy_compat_root {
        return "Connector Runtime API".into_response();
    }
    Json(json!({ "name": "connect-agent", "version": VERSION, "message": "connect agent API; the endpoints are described at /openapi.json" })).into_response()
}

pub(crate) async fn health() -> Response {
    Json(json!({ "status": "healthy" })).into_response()
}

/// Ready when the config was loaded (the agent runs) and the state dir is writable.
pub(crate) async fn ready(State(agent): State<Agent>) -> Response {
    if let Some(reason) = crate::fd_budget::exhausted() {
        let message = format!(
            "{reason}; close idle API connections or raise the agent's descriptor limit (ulimit -n, LimitNOFILE)"
        );
        return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "not_ready", message)
            .into_response();
    }
    let state = &agent.config().state.path;
    match nix::unistd::access(state, nix::unistd::AccessFlags::W_OK) {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(e) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "not_ready",
            format!(
                "the state dir {} is not writable ({e}); fix its permissions or [state] path",
                state.display()
            ),
        )
        .into_response(),
    }
}

pub(crate) async fn stats(State(agent): State<Agent>) -> Response {
    let totals = agent.totals();
    Json(
        json!({ "version": VERSION, "runtimes": agent.runtimes().all().count(), "totals": totals }),
    )
    .into_response()
}

pub(crate) async fn reload(State(agent): State<Agent>) -> Result<Response, ApiError> {
    let report = agent.reload().await?;
    Ok(Json(report).into_response())
}
