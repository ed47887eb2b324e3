//! The Iggy connectors runtime's API on connect: `/sinks/...`, `/sources/...` and `/stats`
//! with the Iggy bodies field for field. A *sink* is a connector whose input is an Iggy
//! consumer, a *source* one whose output is an Iggy producer (an Iggy-to-Iggy pipe is both);
//! `key` is the connector id. connect's richer views stay under `/connectors/...`.

mod host;
pub(crate) mod plugins;
mod postgres;
mod read;
mod render;
mod state;
mod stats;
mod streams;
pub(crate) mod transforms;
pub(crate) mod translate;
mod types;
mod write;

use std::collections::BTreeMap;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use connect_model::ConnectorConfig;
use connect_model::document::Direction;

pub(crate) use stats::stats;
pub(crate) use translate::IggyKind;

use super::error::ApiError;
use crate::store::ConnectorRecord;
use crate::supervisor::Agent;

/// Whether a connector of this direction shows under this kind.
fn matches(kind: IggyKind, d: Direction) -> bool {
    match kind {
        IggyKind::Sink => matches!(d, Direction::Outlet | Direction::Pipe),
        IggyKind::Source => matches!(d, Direction::Inlet | Direction::Pipe),
    }
}

/// The kinds a connector shows as (none for a bridge, both for a pipe).
pub(crate) fn kinds_of(config: &ConnectorConfig) -> Vec<IggyKind> {
    [IggyKind::Sink, IggyKind::Source]
        .into_iter()
        .filter(|k| matches(*k, config.steps.direction()))
        .collect()
}

/// The record of `key` when it is a connector of this kind; 404 otherwise.
async fn guard(agent: &Agent, kind: IggyKind, key: &str) -> Result<ConnectorRecord, ApiError> {
    match super::views::live_record(agent, key).await {
        Some(r) if matches(kind, r.active_config().steps.direction()) => Ok(r),
        Some(_) => Err(ApiError::not_found(format!(
            "connector `{key}` is not a {} (it does not {} Iggy); see GET /connectors/{key}",
            kind.name(),
            match kind {
                IggyKind::Sink => "consume from",
                IggyKind::Source => "produce to",
            }
        ))),
        None => Err(ApiError::not_found(format!(
            "{} `{key}` does not exist; list them with GET /{}s",
            kind.name(),
            kind.name()
        ))),
    }
}

/// The stable number of `key` (kept in the agent's state).
async fn numeric_id(agent: &Agent, key: &str) -> Result<u32, ApiError> {
    let ids = agent.numeric_ids().await?;
    Ok(ids.get(key).copied().unwrap_or_default())
}

type Q = Query<BTreeMap<String, String>>;

/// The routes under `/sinks` or `/sources`.
pub(crate) fn routes(kind: IggyKind) -> Router<Agent> {
    Router::new()
        .route("/", get(move |State(a): State<Agent>| read::list(a, kind)))
        .route(
            "/{key}",
            get(move |State(a): State<Agent>, Path(k): Path<String>| read::details(a, kind, k)),
        )
        .route(
            "/{key}/configs",
            get(move |State(a): State<Agent>, Path(k): Path<String>| read::configs(a, kind, k))
                .post(
                    move |State(a): State<Agent>, Path(k): Path<String>, body: Body| {
                        write::add_config(a, kind, k, body)
                    },
                ),
        )
        .route(
            "/{key}/configs/active",
            get(move |State(a): State<Agent>, Path(k): Path<String>| read::active(a, kind, k)).put(
                move |State(a): State<Agent>, Path(k): Path<String>, body: Body| {
                    write::activate(a, kind, k, body)
                },
            ),
        )
        .route(
            "/{key}/configs/plugin",
            get(
                move |State(a): State<Agent>, Path(k): Path<String>, Query(q): Q| {
                    read::plugin(a, kind, k, q)
                },
            ),
        )
        .route(
            "/{key}/configs/{version}",
            get(
                move |State(a): State<Agent>, Path((k, v)): Path<(String, String)>| {
                    read::version(a, kind, k, v)
                },
            ),
        )
        .route(
            "/{key}/transforms",
            get(move |State(a): State<Agent>, Path(k): Path<String>| read::transforms(a, kind, k)),
        )
        .route(
            "/{key}/restart",
            post(move |State(a): State<Agent>, Path(k): Path<String>| write::restart(a, kind, k)),
        )
}
