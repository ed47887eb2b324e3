//! What the Iggy-shaped routes (`/sinks/...`, `/sources/...`) answer, for the generated document.

use axum::extract::Query;
use serde_json::{Value, json};

use super::{Op, also, err, ok};
use crate::api::iggy::IggyKind;
use crate::api::iggy::types::{ConfigResponse, DetailsResponse, InfoResponse, TransformResponse};
use crate::api::openapi::bodies::{Activate, PluginQuery};
use crate::api::openapi::inputs::{IggyConfig, JsonOrYaml};

fn tagged<'t>(op: Op<'t>, kind: IggyKind, summary: &str) -> Op<'t> {
    let text = format!("Iggy-compatible: {summary}");
    let _ = kind;
    op.summary(&text).tag("iggy")
}

fn missing(op: Op<'_>, kind: IggyKind) -> Op<'_> {
    let when = format!("No {} with this key", kind.name());
    err::<404>(op, &when)
}

pub(crate) fn list(op: Op<'_>, kind: IggyKind) -> Op<'_> {
    let what = match kind {
        IggyKind::Sink => "connectors that consume from Iggy",
        IggyKind::Source => "connectors that produce to Iggy",
    };
    ok::<200, Vec<InfoResponse>>(tagged(op, kind, what), "In id order")
}

pub(crate) fn details(op: Op<'_>, kind: IggyKind) -> Op<'_> {
    missing(
        ok::<200, DetailsResponse>(tagged(op, kind, "details"), "The connector and its streams"),
        kind,
    )
}

pub(crate) fn configs(op: Op<'_>, kind: IggyKind) -> Op<'_> {
    missing(
        ok::<200, Vec<ConfigResponse>>(tagged(op, kind, "config versions"), "Oldest first"),
        kind,
    )
}

pub(crate) fn add_config(op: Op<'_>, kind: IggyKind) -> Op<'_> {
    let op = ok::<200, ConfigResponse>(
        tagged(
            op,
            kind,
            "add a config version from an Iggy connector config (translated)",
        )
        .input::<IggyConfig>(),
        "The stored version",
    );
    missing(op, kind)
}

pub(crate) fn active(op: Op<'_>, kind: IggyKind) -> Op<'_> {
    missing(
        ok::<200, ConfigResponse>(tagged(op, kind, "active config"), "The active version"),
        kind,
    )
}

pub(crate) fn activate(op: Op<'_>, kind: IggyKind) -> Op<'_> {
    let op = tagged(op, kind, "activate a version").input::<JsonOrYaml<Activate>>();
    let op = op.response_with::<204, (), _>(|r| r.description("Active"));
    err::<404>(op, "No such connector or version")
}

pub(crate) fn plugin(op: Op<'_>, kind: IggyKind) -> Op<'_> {
    let op = ok::<200, serde_json::Map<String, Value>>(
        tagged(op, kind, "plugin config; format=json|yaml|toml|text").input::<Query<PluginQuery>>(),
        "The component config alone, in the format asked for",
    );
    let text = json!({ "type": "string" });
    let map = json!({ "type": "object", "additionalProperties": true });
    let op = also(op, 200, "application/yaml", map);
    let op = also(op, 200, "application/toml", text.clone());
    let op = also(op, 200, "text/plain; charset=utf-8", text);
    let op = err::<400>(op, "An unknown format");
    err::<404>(
        op,
        "No such connector, or it has no component on this side (an empty 404)",
    )
}

pub(crate) fn version(op: Op<'_>, kind: IggyKind) -> Op<'_> {
    let op = ok::<200, ConfigResponse>(tagged(op, kind, "one config version"), "The version");
    err::<404>(
        err::<400>(op, "The version is not a number"),
        "No such connector or version",
    )
}

pub(crate) fn transforms(op: Op<'_>, kind: IggyKind) -> Op<'_> {
    missing(
        ok::<200, Vec<TransformResponse>>(tagged(op, kind, "transforms"), "In pipeline order"),
        kind,
    )
}

pub(crate) fn restart(op: Op<'_>, kind: IggyKind) -> Op<'_> {
    let op = tagged(op, kind, "restart; 204 once the new process is up");
    let op = op.response_with::<204, (), _>(|r| r.description("Restarted"));
    err::<409>(missing(op, kind), "The connector cannot run")
}
