//! The Iggy connectors runtime's `/sinks/...` and `/sources/...` endpoints (same paths and
//! meaning) as views by direction: a *sink* is a connector whose input is an Iggy consumer, a
//! *source* one whose output is an Iggy producer (an Iggy-to-Iggy pipe is both).

use std::collections::BTreeMap;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use connect_model::document::Direction;
use serde_json::{Value, json};

use super::configs;
use super::error::ApiError;
use super::views::masked;
use crate::store::{ConnectorRecord, Desired};
use crate::supervisor::Agent;

#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Sink,
    Source,
}

impl Kind {
    fn matches(self, d: Direction) -> bool {
        match self {
            Self::Sink => matches!(d, Direction::Outlet | Direction::Pipe),
            Self::Source => matches!(d, Direction::Inlet | Direction::Pipe),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Sink => "sink",
            Self::Source => "source",
        }
    }
}

/// The record of `key` when it is a connector of this kind; 404 otherwise.
async fn guard(agent: &Agent, kind: Kind, key: &str) -> Result<ConnectorRecord, ApiError> {
    match super::views::live_record(agent, key).await {
        Some(r) if kind.matches(r.active_config().steps.direction()) => Ok(r),
        Some(_) => Err(ApiError::not_found(format!(
            "connector `{key}` is not a {} (it does not {} Iggy); see GET /connectors/{key}",
            kind.name(),
            match kind {
                Kind::Sink => "consume from",
                Kind::Source => "produce to",
            }
        ))),
        None => Err(ApiError::not_found(format!(
            "{} `{key}` does not exist; list them with GET /{}s",
            kind.name(),
            kind.name()
        ))),
    }
}

fn info(agent: &Agent, key: &str, r: &ConnectorRecord) -> Value {
    let status = agent.get(key);
    let c = r.active_config();
    let component = match c.steps.components().next() {
        Some((_, step)) => step.kind.clone(),
        None => String::new(),
    };
    json!({
        "key": key,
        "name": if c.description.is_empty() { key.to_string() } else { c.description.clone() },
        "runtime": c.runtime.to_string(),
        "component": component,
        "version": r.active,
        "enabled": r.desired == Desired::Running,
        "running": status.as_ref().is_some_and(|s| s.state.name() == "running"),
        "status": status.as_ref().map(|s| s.state.name()),
        "last_error": status.as_ref().and_then(|s| s.error.clone()),
        "plugin_config_format": "json",
    })
}

async fn list(agent: Agent, kind: Kind) -> Response {
    let mut out = Vec::new();
    for s in agent.list() {
        if let Some(r) = super::views::live_record(&agent, &s.id).await
            && kind.matches(r.active_config().steps.direction())
        {
            out.push(info(&agent, &s.id, &r));
        }
    }
    Json(out).into_response()
}

async fn details(agent: Agent, kind: Kind, key: String) -> Result<Response, ApiError> {
    let r = guard(&agent, kind, &key).await?;
    let mut v = info(&agent, &key, &r);
    let config = masked(&agent, r.active_config());
    let streams = match kind {
        Kind::Sink => serde_json::to_value(&config.steps.consumer),
        Kind::Source => serde_json::to_value(&config.steps.producer),
    }
    .map_err(ApiError::internal)?;
    let plugin: Value = config
        .steps
        .components()
        .map(|(k, s)| {
            (
                k.step_name().to_string(),
                json!({ "type": s.kind, "config": s.config }),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    v["streams"] = Value::Array(vec![streams]);
    v["plugin_config"] = plugin;
    v["transforms"] =
        serde_json::to_value(&config.steps.transformer).map_err(ApiError::internal)?;
    Ok(Json(v).into_response())
}

/// The routes under `/sinks` or `/sources`.
pub(crate) fn routes(kind: Kind) -> Router<Agent> {
    Router::new()
        .route("/", get(move |State(a): State<Agent>| list(a, kind)))
        .route(
            "/{key}",
            get(move |State(a): State<Agent>, Path(k): Path<String>| details(a, kind, k)),
        )
        .route(
            "/{key}/configs",
            get(
                move |State(a): State<Agent>, Path(k): Path<String>| async move {
                    guard(&a, kind, &k).await?;
                    configs::list(&a, &k).await
                },
            )
            .post(
                move |State(a): State<Agent>, Path(k): Path<String>, body: Body| async move {
                    guard(&a, kind, &k).await?;
                    configs::add(&a, &k, body).await
                },
            ),
        )
        .route(
            "/{key}/configs/active",
            get(
                move |State(a): State<Agent>, Path(k): Path<String>| async move {
                    guard(&a, kind, &k).await?;
                    configs::active(&a, &k).await
                },
            )
            .put(
                move |State(a): State<Agent>, Path(k): Path<String>, body: Body| async move {
                    guard(&a, kind, &k).await?;
                    configs::activate(&a, &k, body).await
                },
            ),
        )
        .route(
            "/{key}/configs/plugin",
            get(
                move |State(a): State<Agent>,
                      Path(k): Path<String>,
                      Query(q): Query<BTreeMap<String, String>>| async move {
                    guard(&a, kind, &k).await?;
                    configs::plugin(&a, &k, &q).await
                },
            ),
        )
        .route(
            "/{key}/configs/{version}",
            get(
                move |State(a): State<Agent>, Path((k, v)): Path<(String, String)>| async move {
                    guard(&a, kind, &k).await?;
                    configs::show(&a, &k, &v).await
                },
            ),
        )
        .route(
            "/{key}/transforms",
            get(
                move |State(a): State<Agent>, Path(k): Path<String>| async move {
                    guard(&a, kind, &k).await?;
                    configs::transforms(&a, &k).await
                },
            ),
        )
}
