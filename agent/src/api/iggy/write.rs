//! The write routes under `/sinks` and `/sources`: a new config version from Iggy's config
//! body (translated; 400 naming every field that cannot be), activation (204) and restart
//! (204 once the new process is up or the attempt ended), as the Iggy runtime answers.

use std::time::Duration;

use axum::Json;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use connect_model::document::decode;
use serde_json::{Value, json};

use super::translate::{Finding, IggyKind, translate};
use super::{guard, render};
use crate::api::body;
use crate::api::error::ApiError;
use crate::supervisor::Agent;

/// Iggy's `CreateSinkConfig`/`CreateSourceConfig` (JSON or YAML) → a new version, not active.
/// A connect document (with `steps`) is taken as it is, as on `/connectors/{id}/configs`.
pub(super) async fn add_config(
    agent: Agent,
    kind: IggyKind,
    key: String,
    body: Body,
) -> Result<Response, ApiError> {
    let record = guard(&agent, kind, &key).await?;
    let value = body::json_value(body).await?;
    if value.get("steps").is_some() {
        return crate::api::configs::add(&agent, &key, Body::from(value.to_string())).await;
    }
    let Some(map) = value.as_object() else {
        return Err(ApiError::bad_request(
            "send the Iggy connector config as a JSON object",
        ));
    };
    let current = record.active_config();
    let rendered = render::path(&agent, current, kind);
    let t = translate(kind, &key, map, Some((current, rendered.as_str())));
    if !t.findings.clean() {
        let details: Vec<Value> = t
            .findings
            .invalid
            .iter()
            .map(|f| detail(f, "invalid"))
            .chain(
                t.findings
                    .missing
                    .iter()
                    .map(|f| detail(f, "no_counterpart")),
            )
            .collect();
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "untranslatable",
            "the Iggy config cannot be translated into a connect config; details names every field and why",
        )
        .with_details(Value::Array(details)));
    }
    let [doc] = <[Value; 1]>::try_from(t.documents).map_err(|docs| {
        ApiError::bad_request(format!(
            "this config makes {} connectors (connect runs one topic per connector); send one topic here and create the others with POST /connectors",
            docs.len()
        ))
    })?;
    let mut doc = doc;
    // What Iggy's body cannot say is kept from the active version.
    doc["id"] = json!(key);
    doc["restart"] = serde_json::to_value(&current.restart).map_err(ApiError::internal)?;
    if !current.env.is_empty() {
        doc["env"] = json!(current.env);
    }
    if let Some(placement) = current.placement {
        doc["placement"] = serde_json::to_value(placement).map_err(ApiError::internal)?;
    }
    let config =
        decode::from_value(doc).map_err(|e| ApiError::invalid_config(&e.field_errors()))?;
    agent
        .validate_config(&config)
        .map_err(|e| ApiError::invalid_config(&e))?;
    let version = agent.add_version(&key, config, false).await?;
    let record = guard(&agent, kind, &key).await?;
    let v = record
        .version(version)
        .ok_or_else(|| ApiError::internal(format!("version {version} of `{key}` vanished")))?;
    Ok(Json(render::config_version(&agent, kind, &key, v, record.active)).into_response())
}

fn detail(f: &Finding, kind: &str) -> Value {
    json!({ "path": f.field, "reason": f.reason, "kind": kind })
}

/// `{"version": N}` → 204; the connector restarts with it when it runs.
pub(super) async fn activate(
    agent: Agent,
    kind: IggyKind,
    key: String,
    body: Body,
) -> Result<Response, ApiError> {
    let record = guard(&agent, kind, &key).await?;
    let n = body::json_value(body)
        .await?
        .get("version")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            ApiError::bad_request(format!(
                "send {{\"version\": N}} with N from GET /{}s/{key}/configs",
                kind.name()
            ))
        })?;
    if record.version(n).is_none() {
        return Err(ApiError::not_found(format!(
            "{} `{key}` has no config version {n}; list them with GET /{}s/{key}/configs",
            kind.name(),
            kind.name()
        )));
    }
    agent.activate_version(&key, n).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Restarts the connector and answers 204 once the new process is up (or the attempt ended);
/// a runtime that does not come up within the agent's start timeout still gets 204 and shows
/// its state in the views.
pub(super) async fn restart(
    agent: Agent,
    kind: IggyKind,
    key: String,
) -> Result<Response, ApiError> {
    guard(&agent, kind, &key).await?;
    let ticket = agent.restart_connector(&key).await?;
    let limit = agent.config().supervisor.start_timeout + Duration::from_secs(1);
    let _ = tokio::time::timeout(limit, ticket.done()).await;
    Ok(StatusCode::NO_CONTENT.into_response())
}
