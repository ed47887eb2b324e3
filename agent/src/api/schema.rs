//! `/runtimes/{name}/sources/{c}/schema` and `/sinks/{c}/schema`: the JSON Schema of a
//! component's `config`, generated from its `.connect` field definitions.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use connect_model::document::ComponentKind;
use connect_model::metadata::component_schema;

use super::error::ApiError;
use super::runtimes::component_spec;
use crate::supervisor::Agent;

pub(crate) async fn source(
    State(agent): State<Agent>,
    Path((name, component)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    schema_of(&agent, &name, ComponentKind::Source, &component)
}

pub(crate) async fn sink(
    State(agent): State<Agent>,
    Path((name, component)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    schema_of(&agent, &name, ComponentKind::Sink, &component)
}

fn schema_of(
    agent: &Agent,
    name: &str,
    kind: ComponentKind,
    component: &str,
) -> Result<Response, ApiError> {
    let spec = component_spec(agent, name, kind, component)?;
    Ok((
        [(header::CONTENT_TYPE, "application/schema+json")],
        Json(component_schema(&spec)),
    )
        .into_response())
}
