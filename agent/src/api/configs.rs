//! Config versions of a connector: list, add, show one, the active one and activation, the
//! component ("plugin") config in several formats, and the transforms. Shared by the
//! `/connectors/...` routes and the Iggy-compatible `/sinks|sources/...` views.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::body;
use super::error::ApiError;
use super::views::{VersionView, live_record, masked};
use crate::store::ConnectorRecord;
use crate::supervisor::Agent;

async fn record(agent: &Agent, id: &str) -> Result<ConnectorRecord, ApiError> {
    live_record(agent, id)
        .await
        .ok_or_else(|| ApiError::connector_not_found(id))
}

pub(crate) async fn list(agent: &Agent, id: &str) -> Result<Response, ApiError> {
    let r = record(agent, id).await?;
    let list: Vec<VersionView> = r
        .versions
        .iter()
        .map(|v| VersionView::new(agent, v, r.active))
        .collect();
    Ok(Json(list).into_response())
}

/// Adds a version (JSON or YAML body with the same id); it is not activated.
pub(crate) async fn add(
    agent: &Agent,
    id: &str,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let mut config = body::connector(agent, body).await?;
    agent
        .restore_masked(&mut config)
        .await
        .map_err(|e| ApiError::invalid_config(&e))?;
    agent
        .validate_config(&config)
        .map_err(|e| ApiError::invalid_config(&e))?;
    let warnings = agent.secret_warnings(&config);
    let version = agent.add_version(id, config, false).await?;
    let body = json!({
        "id": id,
        "version": version,
        "active": false,
        "warnings": warnings,
        "message": format!("version {version} stored; activate it with PUT /connectors/{id}/configs/active {{\"version\": {version}}}"),
    });
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

pub(crate) async fn show(agent: &Agent, id: &str, version: &str) -> Result<Response, ApiError> {
    let n: u32 = version
        .parse()
        .map_err(|_| ApiError::bad_request(format!("`{version}` is not a version number; use a number from GET /connectors/{id}/configs, or `active`")))?;
    let r = record(agent, id).await?;
    let v = r.version(n).ok_or_else(|| ApiError::not_found(format!("connector `{id}` has no config version {n}; list them with GET /connectors/{id}/configs")))?;
    Ok(Json(VersionView::new(agent, v, r.active)).into_response())
}

pub(crate) async fn active(agent: &Agent, id: &str) -> Result<Response, ApiError> {
    let r = record(agent, id).await?;
    let v = r
        .version(r.active)
        .ok_or_else(|| ApiError::not_found(format!("connector `{id}` has no active version")))?;
    Ok(Json(VersionView::new(agent, v, r.active)).into_response())
}

/// Body `{"version": N}`; restarts this connector only (when it should run) and says so.
pub(crate) async fn activate(
    agent: &Agent,
    id: &str,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    let v = body::json_value(body).await?;
    let n = v
        .get("version")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| {
            ApiError::bad_request(
                "send {\"version\": N} with N a version number from GET /connectors/{id}/configs",
            )
        })?;
    let r = record(agent, id).await?;
    if r.version(n).is_none() {
        return Err(ApiError::not_found(format!(
            "connector `{id}` has no config version {n}; list them with GET /connectors/{id}/configs"
        )));
    }
    let restarted = r.desired == crate::store::Desired::Running;
    agent.activate_version(id, n).await?;
    let message = if restarted {
        format!(
            "version {n} is active; connector `{id}` restarts with it (no other connector is touched)"
        )
    } else {
        format!("version {n} is active; connector `{id}` is stopped and will use it when started")
    };
    Ok(
        Json(json!({ "id": id, "active": n, "restarted": restarted, "message": message }))
            .into_response(),
    )
}

/// The external components' configs of the active version (secrets masked).
pub(crate) async fn plugin(
    agent: &Agent,
    id: &str,
    q: &BTreeMap<String, String>,
) -> Result<Response, ApiError> {
    let format = q.get("format").map(String::as_str).unwrap_or("json");
    let r = record(agent, id).await?;
    let config = masked(agent, r.active_config());
    let mut doc = Map::new();
    for (kind, step) in config.steps.components() {
        doc.insert(
            kind.step_name().to_string(),
            json!({ "type": step.kind, "config": step.config }),
        );
    }
    let doc = Value::Object(doc);
    let (content_type, text) = match format {
        "json" => (
            "application/json",
            serde_json::to_string_pretty(&doc).map_err(ApiError::internal)?,
        ),
        "yaml" => (
            "application/yaml",
            connect_model::yaml::to_string(&doc).map_err(ApiError::internal)?,
        ),
        "toml" => (
            "application/toml",
            toml::to_string(&doc).map_err(ApiError::internal)?,
        ),
        "text" => ("text/plain; charset=utf-8", flatten(&doc)),
        other => {
            return Err(ApiError::bad_request(format!(
                "format `{other}` is not supported; use json, yaml, toml or text"
            )));
        }
    };
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

/// `path = value` lines, one per leaf.
fn flatten(v: &Value) -> String {
    fn walk(prefix: &str, v: &Value, out: &mut String) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, v) in m {
                    let p = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&p, v, out);
                }
            }
            Value::Array(a) if !a.is_empty() => {
                for (i, v) in a.iter().enumerate() {
                    walk(&format!("{prefix}[{i}]"), v, out);
                }
            }
            other => {
                out.push_str(prefix);
                out.push_str(" = ");
                out.push_str(&other.to_string());
                out.push('\n');
            }
        }
    }
    let mut out = String::new();
    walk("", v, &mut out);
    out
}

pub(crate) async fn transforms(agent: &Agent, id: &str) -> Result<Response, ApiError> {
    let r = record(agent, id).await?;
    Ok(Json(&r.active_config().steps.transformer).into_response())
}
