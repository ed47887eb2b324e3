//! `/runtimes`: the runtimes the agent found, their manifests and component field definitions.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use connect_model::document::{ComponentKind, RuntimeRef};
use connect_model::metadata::ComponentSpec;
use serde_json::json;

use super::error::ApiError;
use crate::runtimes::RuntimeEntry;
use crate::supervisor::Agent;

pub(crate) async fn list(State(agent): State<Agent>) -> Response {
    let runtimes = agent.runtimes();
    let list: Vec<_> = runtimes
        .all()
        .map(|e| {
            let m = &e.metadata;
            json!({
                "name": m.runtime.name,
                "version": m.runtime.version,
                "label": m.runtime.label,
                "description": m.runtime.description,
                "dir": e.dir,
                "binary": e.binary,
                "sources": m.sources.keys().collect::<Vec<_>>(),
                "sinks": m.sinks.keys().collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(json!({ "runtimes": list, "problems": runtimes.problems })).into_response()
}

pub(super) fn find(agent: &Agent, name: &str) -> Result<RuntimeEntry, ApiError> {
    let r = RuntimeRef::try_from(name.to_string())
        .map_err(|e| ApiError::bad_request(format!("`{name}` is not a runtime name: {e}")))?;
    agent
        .runtimes()
        .resolve(&r)
        .cloned()
        .map_err(|e| ApiError::not_found(e.to_string()))
}

pub(crate) async fn show(
    State(agent): State<Agent>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let e = find(&agent, &name)?;
    Ok(Json(json!({ "dir": e.dir, "binary": e.binary, "runtime": e.metadata.runtime, "sources": e.metadata.sources, "sinks": e.metadata.sinks })).into_response())
}

pub(crate) async fn source(
    State(agent): State<Agent>,
    Path((name, component)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    component_of(&agent, &name, ComponentKind::Source, &component)
}

pub(crate) async fn sink(
    State(agent): State<Agent>,
    Path((name, component)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    component_of(&agent, &name, ComponentKind::Sink, &component)
}

fn component_of(
    agent: &Agent,
    name: &str,
    kind: ComponentKind,
    component: &str,
) -> Result<Response, ApiError> {
    Ok(Json(component_spec(agent, name, kind, component)?).into_response())
}

/// One component's definition, or a 404 naming the components the runtime offers.
pub(super) fn component_spec(
    agent: &Agent,
    name: &str,
    kind: ComponentKind,
    component: &str,
) -> Result<ComponentSpec, ApiError> {
    let e = find(agent, name)?;
    e.metadata
        .component(kind, component)
        .cloned()
        .ok_or_else(|| {
            let known: Vec<_> = e
                .metadata
                .components(kind)
                .keys()
                .map(String::as_str)
                .collect();
            ApiError::not_found(format!(
                "runtime `{name}` has no {} `{component}`; it offers: {}",
                kind.step_name(),
                known.join(", ")
            ))
        })
}
