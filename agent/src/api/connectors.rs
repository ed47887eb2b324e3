//! `/connectors`: list with filters, create, show, delete, start/stop/restart and dry-run validation.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::body;
use super::error::ApiError;
use super::views::{self, ConnectorSummary};
use crate::store::Origin;
use crate::supervisor::Agent;

/// `?state=running&runtime=testrt&direction=outlet` (all optional, combined with AND).
pub(crate) async fn list(
    State(agent): State<Agent>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    for key in q.keys() {
        if !matches!(key.as_str(), "state" | "runtime" | "direction") {
            return Err(ApiError::bad_request(format!(
                "unknown filter `{key}`; use state, runtime or direction"
            )));
        }
    }
    const STATES: [&str; 7] = [
        "starting",
        "running",
        "backoff",
        "stopping",
        "stopped",
        "completed",
        "failed",
    ];
    const DIRECTIONS: [&str; 4] = ["inlet", "outlet", "bridge", "pipe"];
    for (key, allowed) in [("state", &STATES[..]), ("direction", &DIRECTIONS[..])] {
        if let Some(v) = q.get(key)
            && !allowed.contains(&v.as_str())
        {
            return Err(ApiError::bad_request(format!(
                "`{v}` is not a {key}; use one of {}",
                allowed.join(", ")
            )));
        }
    }
    let records = agent.record_summaries().await;
    let list: Vec<ConnectorSummary> = agent
        .list()
        .into_iter()
        .filter(|s| q.get("state").is_none_or(|v| s.state.name() == v))
        .filter(|s| {
            q.get("runtime")
                .is_none_or(|v| s.runtime == *v || s.runtime.split(':').next() == Some(v))
        })
        .map(|s| {
            let r = records.get(&s.id);
            ConnectorSummary::new(s, r)
        })
        .filter(|c| {
            q.get("direction")
                .is_none_or(|v| c.direction.is_some_and(|d| direction_name(d) == v))
        })
        .collect();
    Ok(Json(list).into_response())
}

pub(crate) fn direction_name(d: connect_model::document::Direction) -> &'static str {
    use connect_model::document::Direction::*;
    match d {
        Inlet => "inlet",
        Outlet => "outlet",
        Bridge => "bridge",
        Pipe => "pipe",
    }
}

/// Body: a connector document (JSON or YAML). 201 with the connector; 409 when the id exists.
pub(crate) async fn create(State(agent): State<Agent>, body: Body) -> Result<Response, ApiError> {
    let text = body::text(body).await?;
    let config = body::connector(&agent, &text)?;
    let id = config.id.to_string();
    agent
        .validate_config(&config)
        .map_err(|e| ApiError::invalid_config(&e))?;
    agent.create_connector(config).await?;
    let details = views::details(&agent, &id)
        .await
        .ok_or_else(|| ApiError::connector_not_found(&id))?;
    Ok((StatusCode::CREATED, Json(details)).into_response())
}

pub(crate) async fn show(
    State(agent): State<Agent>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let details = views::details(&agent, &id)
        .await
        .ok_or_else(|| ApiError::connector_not_found(&id))?;
    Ok(Json(details).into_response())
}

pub(crate) async fn delete(
    State(agent): State<Agent>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let from_file = views::live_record(&agent, &id)
        .await
        .is_some_and(|r| r.origin == Origin::File);
    agent.delete_connector(&id).await?;
    let (rule, message) = if from_file {
        (
            "hidden_until_file_changes",
            format!(
                "connector `{id}` is stopped and hidden; its file in the config dir stays hidden across restarts until the file changes or is removed"
            ),
        )
    } else {
        (
            "removed",
            format!("connector `{id}` is stopped and removed"),
        )
    };
    Ok(
        Json(json!({ "id": id, "deleted": true, "rule": rule, "message": message }))
            .into_response(),
    )
}

pub(crate) async fn start(
    State(agent): State<Agent>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    agent.start_connector(&id).await?;
    action(&agent, &id, "start")
}

pub(crate) async fn stop(
    State(agent): State<Agent>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    agent.stop_connector(&id).await?;
    action(&agent, &id, "stop")
}

pub(crate) async fn restart(
    State(agent): State<Agent>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    agent.restart_connector(&id).await?;
    action(&agent, &id, "restart")
}

/// 202: the command is queued; the state field shows where the connector is now.
fn action(agent: &Agent, id: &str, action: &str) -> Result<Response, ApiError> {
    let status = agent
        .get(id)
        .ok_or_else(|| ApiError::connector_not_found(id))?;
    let body =
        json!({ "id": id, "action": action, "desired": status.desired, "state": status.state });
    Ok((StatusCode::ACCEPTED, Json(body)).into_response())
}

/// Dry run: decode, then check against the runtime's definitions; nothing is stored or started.
pub(crate) async fn validate(State(agent): State<Agent>, body: Body) -> Result<Response, ApiError> {
    let text = body::text(body).await?;
    let config = body::connector(&agent, &text)?;
    agent
        .validate_config(&config)
        .map_err(|e| ApiError::invalid_config(&e))?;
    Ok(Json(json!({ "valid": true, "config": views::masked(&agent, &config) })).into_response())
}
