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
pub(crate) mod types;
mod write;

use std::collections::BTreeMap;

use aide::axum::ApiRouter;
use aide::axum::routing::{get_with, post_with};
use axum::body::Body;
use axum::extract::{Path, Query, State};
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

/// The routes under `/sinks` or `/sources`, documented by `openapi::ops::iggy`.
pub(crate) fn routes(kind: IggyKind) -> ApiRouter<Agent> {
    use crate::api::openapi::ops::iggy as doc;
    let at = |tail: &str| format!("/{}s{tail}", kind.name());
    ApiRouter::new()
        .api_route(
            &at(""),
            get_with(
                move |State(a): State<Agent>| read::list(a, kind),
                move |o| doc::list(o, kind),
            ),
        )
        .api_route(
            &at("/{key}"),
            get_with(
                move |State(a): State<Agent>, Path(k): Path<String>| read::details(a, kind, k),
                move |o| doc::details(o, kind),
            ),
        )
        .api_route(
            &at("/{key}/configs"),
            get_with(
                move |State(a): State<Agent>, Path(k): Path<String>| read::configs(a, kind, k),
                move |o| doc::configs(o, kind),
            )
            .post_with(
                move |State(a): State<Agent>, Path(k): Path<String>, body: Body| {
                    write::add_config(a, kind, k, body)
                },
                move |o| doc::add_config(o, kind),
            ),
        )
        .api_route(
            &at("/{key}/configs/active"),
            get_with(
                move |State(a): State<Agent>, Path(k): Path<String>| read::active(a, kind, k),
                move |o| doc::active(o, kind),
            )
            .put_with(
                move |State(a): State<Agent>, Path(k): Path<String>, body: Body| {
                    write::activate(a, kind, k, body)
                },
                move |o| doc::activate(o, kind),
            ),
        )
        .api_route(
            &at("/{key}/configs/plugin"),
            get_with(
                move |State(a): State<Agent>, Path(k): Path<String>, Query(q): Q| {
                    read::plugin(a, kind, k, q)
                },
                move |o| doc::plugin(o, kind),
            ),
        )
        .api_route(
            &at("/{key}/configs/{version}"),
            get_with(
                move |State(a): State<Agent>, Path((k, v)): Path<(String, String)>| {
                    read::version(a, kind, k, v)
                },
                move |o| doc::version(o, kind),
            ),
        )
        .api_route(
            &at("/{key}/transforms"),
            get_with(
                move |State(a): State<Agent>, Path(k): Path<String>| read::transforms(a, kind, k),
                move |o| doc::transforms(o, kind),
            ),
        )
        .api_route(
            &at("/{key}/restart"),
            post_with(
                move |State(a): State<Agent>, Path(k): Path<String>| write::restart(a, kind, k),
                move |o| doc::restart(o, kind),
            ),
        )
}
