//! The read routes under `/sinks` and `/sources`: list, details, config versions (each the
//! connector config flattened, plus `active`), the plugin config in a format, the transforms.

use std::collections::BTreeMap;

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::render::{self, PLUGIN_CONFIG_FORMAT};
use super::translate::IggyKind;
use super::types::DetailsResponse;
use super::{guard, matches, numeric_id};
use crate::api::error::ApiError;
use crate::api::views::{live_record, masked};
use crate::supervisor::Agent;

pub(super) async fn list(agent: Agent, kind: IggyKind) -> Result<Response, ApiError> {
    let ids = agent.numeric_ids().await?;
    let mut out = Vec::new();
    for s in agent.list() {
        if let Some(r) = live_record(&agent, &s.id).await
            && matches(kind, r.active_config().steps.direction())
        {
            let id = ids.get(&s.id).copied().unwrap_or_default();
            out.push(render::info(&agent, kind, &s.id, id, &r));
        }
    }
    Ok(Json(out).into_response())
}

pub(super) async fn details(
    agent: Agent,
    kind: IggyKind,
    key: String,
) -> Result<Response, ApiError> {
    let r = guard(&agent, kind, &key).await?;
    let id = numeric_id(&agent, &key).await?;
    let body = DetailsResponse {
        info: render::info(&agent, kind, &key, id, &r),
        streams: render::streams(r.active_config(), kind),
    };
    Ok(Json(body).into_response())
}

pub(super) async fn configs(
    agent: Agent,
    kind: IggyKind,
    key: String,
) -> Result<Response, ApiError> {
    let r = guard(&agent, kind, &key).await?;
    let list: Vec<_> = r
        .versions
        .iter()
        .map(|v| render::config_version(&agent, kind, &key, v, r.active))
        .collect();
    Ok(Json(list).into_response())
}

pub(super) async fn version(
    agent: Agent,
    kind: IggyKind,
    key: String,
    version: String,
) -> Result<Response, ApiError> {
    let r = guard(&agent, kind, &key).await?;
    let n: u32 = version.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "`{version}` is not a version number; use one from GET /{}s/{key}/configs, or `active`",
            kind.name()
        ))
    })?;
    let v = r.version(n).ok_or_else(|| {
        ApiError::not_found(format!(
            "{} `{key}` has no config version {n}; list them with GET /{}s/{key}/configs",
            kind.name(),
            kind.name()
        ))
    })?;
    Ok(Json(render::config_version(&agent, kind, &key, v, r.active)).into_response())
}

pub(super) async fn active(
    agent: Agent,
    kind: IggyKind,
    key: String,
) -> Result<Response, ApiError> {
    let r = guard(&agent, kind, &key).await?;
    let v = r
        .version(r.active)
        .ok_or_else(|| ApiError::not_found(format!("connector `{key}` has no active version")))?;
    Ok(Json(render::config_version(&agent, kind, &key, v, r.active)).into_response())
}

/// The component's config alone, in `format` (json by default; toml, yaml, text); 404 for a
/// connector without a component on this side (an Iggy-to-Iggy pipe), as the Iggy runtime
/// answers a connector without a plugin config.
pub(super) async fn plugin(
    agent: Agent,
    kind: IggyKind,
    key: String,
    q: BTreeMap<String, String>,
) -> Result<Response, ApiError> {
    let r = guard(&agent, kind, &key).await?;
    let config = masked(&agent, r.active_config());
    let Some(plugin) = render::plugin_config(&config, kind) else {
        return Ok(StatusCode::NOT_FOUND.into_response());
    };
    let format = q
        .get("format")
        .map(String::as_str)
        .unwrap_or(PLUGIN_CONFIG_FORMAT);
    let (content_type, text) = match format {
        "json" => (
            "application/json",
            serde_json::to_string(&plugin).map_err(ApiError::internal)?,
        ),
        "yaml" => (
            "application/yaml",
            connect_model::yaml::to_string(&plugin).map_err(ApiError::internal)?,
        ),
        "toml" => (
            "application/toml",
            toml::to_string(&plugin).map_err(ApiError::internal)?,
        ),
        "text" => ("text/plain; charset=utf-8", text_lines(&plugin)),
        other => {
            return Err(ApiError::bad_request(format!(
                "format `{other}` is not supported; use json, toml, yaml or text"
            )));
        }
    };
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

/// `key = value` lines, one per top-level key.
fn text_lines(v: &Value) -> String {
    let mut out = String::new();
    for (k, v) in v.as_object().into_iter().flatten() {
        out.push_str(k);
        out.push_str(" = ");
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out
}

pub(super) async fn transforms(
    agent: Agent,
    kind: IggyKind,
    key: String,
) -> Result<Response, ApiError> {
    let r = guard(&agent, kind, &key).await?;
    Ok(Json(render::transforms(r.active_config())).into_response())
}
