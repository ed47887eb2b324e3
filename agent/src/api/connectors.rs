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
    const STATES: [&str; 8] = [
        "starting",
        "running",
        "backoff",
        "stopping",
        "stopped",
        "completed",
        "failed",
        "placed_elsewhere",
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

/// Ids a connector cannot take: they are routes under `/connectors/`.
pub(crate) const RESERVED_IDS: [&str; 1] = ["validate"];

/// Body: a connector document (JSON or YAML). 201 with the connector and `warnings`; 409 when
/// the id exists; 400 for a reserved id.
pub(crate) async fn create(State(agent): State<Agent>, body: Body) -> Result<Response, ApiError> {
    let mut config = body::connector(&agent, body).await?;
    let id = config.id.to_string();
    if RESERVED_IDS.contains(&id.as_str()) {
        let mut errors = connect_model::validation::FieldErrors::default();
        errors.push(
            "id",
            format!(
                "`{id}` is reserved: it is a route (/connectors/{id}); the reserved ids are {}; choose another id",
                RESERVED_IDS.join(", ")
            ),
        );
        return Err(ApiError::invalid_config(&errors));
    }
    agent
        .restore_masked(&mut config)
        .await
        .map_err(|e| ApiError::invalid_config(&e))?;
    agent
        .validate_config(&config)
        .map_err(|e| ApiError::invalid_config(&e))?;
    let warnings = agent.secret_warnings(&config);
    agent.create_connector(config).await?;
    let details = views::details(&agent, &id)
        .await
        .ok_or_else(|| ApiError::connector_not_found(&id))?;
    let mut body = serde_json::to_value(details).map_err(ApiError::internal)?;
    body["warnings"] = json!(warnings);
    Ok((StatusCode::CREATED, Json(body)).into_response())
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

/// `GET /connectors/validate`: a connector stored under a reserved id (state of an older
/// agent, or a config file) can still be read.
pub(crate) async fn show_reserved(state: State<Agent>) -> Result<Response, ApiError> {
    show(state, Path(RESERVED_IDS[0].to_string())).await
}

/// `DELETE /connectors/validate`: and deleted.
pub(crate) async fn delete_reserved(
    state: State<Agent>,
    query: Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    delete(state, Path(RESERVED_IDS[0].to_string()), query).await
}

/// Stops and removes the connector, then its state directory (cursors) and log files, unless
/// `?keep_state=true`.
pub(crate) async fn delete(
    State(agent): State<Agent>,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let keep_state = match q.get("keep_state").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(v) => {
            return Err(ApiError::bad_request(format!(
                "keep_state must be true or false, not `{v}`"
            )));
        }
    };
    if let Some(key) = q.keys().find(|k| *k != "keep_state") {
        return Err(ApiError::bad_request(format!(
            "unknown parameter `{key}`; DELETE takes keep_state=true|false"
        )));
    }
    let from_file = views::live_record(&agent, &id)
        .await
        .is_some_and(|r| r.origin == Origin::File);
    if let Some(ticket) = agent.delete_connector(&id).await? {
        // Files go once the runtime is gone, so it cannot write its cursor again after them.
        let limit = agent.config().supervisor.grace_period + std::time::Duration::from_secs(2);
        let _ = tokio::time::timeout(limit, ticket.done()).await;
    }
    let state = if keep_state {
        "its state (cursors) and log files are kept; a new connector with this id resumes from them"
            .to_string()
    } else {
        let removed = agent.remove_connector_files(&id).map_err(|e| {
            ApiError::internal(format!(
                "connector `{id}` is deleted, but removing its state and logs failed: {e}"
            ))
        })?;
        format!(
            "its state (cursors) and log files are removed ({} paths)",
            removed.len()
        )
    };
    let (rule, message) = if from_file {
        (
            "hidden_until_file_changes",
            format!(
                "connector `{id}` is stopped and hidden; its file in the config dir stays hidden across restarts until the file changes or is removed; {state}"
            ),
        )
    } else {
        (
            "removed",
            format!("connector `{id}` is stopped and removed; {state}"),
        )
    };
    Ok(Json(json!({
        "id": id,
        "deleted": true,
        "rule": rule,
        "state_kept": keep_state,
        "message": message
    }))
    .into_response())
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
    let mut config = body::connector(&agent, body).await?;
    agent
        .restore_masked(&mut config)
        .await
        .map_err(|e| ApiError::invalid_config(&e))?;
    agent
        .validate_config(&config)
        .map_err(|e| ApiError::invalid_config(&e))?;
    let warnings = agent.secret_warnings(&config);
    Ok(Json(json!({
        "valid": true,
        "config": views::masked(&agent, &config),
        "warnings": warnings
    }))
    .into_response())
}
