//! What each route answers, for the generated document: summary, query parameters, request
//! body, and every status code with its body. The router names one of these per handler.

pub(crate) mod iggy;

use aide::transform::TransformOperation;
use axum::Json;
use axum::extract::Query;
use serde_json::{Value, json};

use super::bodies::*;
use super::inputs::{ConnectorDocument, JsonOrYaml};
use crate::api::error::ApiError;
use crate::api::views::{ConnectorDetails, ConnectorSummary, VersionView};
use crate::supervisor::ReloadReport;

pub(crate) type Op<'t> = TransformOperation<'t>;

/// A JSON body of `T` answered with status `N`.
pub(crate) fn ok<'t, const N: u16, T: schemars::JsonSchema>(op: Op<'t>, what: &str) -> Op<'t> {
    op.response_with::<N, Json<T>, _>(|r| r.description(what))
}

/// An error body (`{"code", "message", "details"}`) answered with status `N`.
pub(crate) fn err<'t, const N: u16>(op: Op<'t>, when: &str) -> Op<'t> {
    op.response_with::<N, Json<ApiError>, _>(|r| r.description(when))
}

/// Another media type for the response with status `code` (text formats of the same data).
pub(crate) fn also<'t>(mut op: Op<'t>, code: u16, media: &str, schema: Value) -> Op<'t> {
    use aide::openapi::{MediaType, ReferenceOr, SchemaObject, StatusCode};
    let responses = op
        .inner_mut()
        .responses
        .get_or_insert_with(Default::default);
    let entry = responses
        .responses
        .entry(StatusCode::Code(code))
        .or_insert_with(|| ReferenceOr::Item(Default::default()));
    if let ReferenceOr::Item(response) = entry {
        let json_schema = schemars::Schema::try_from(schema).expect("a schema is an object");
        response.content.insert(
            media.to_string(),
            MediaType {
                schema: Some(SchemaObject {
                    json_schema,
                    example: None,
                    external_docs: None,
                }),
                ..Default::default()
            },
        );
    }
    op
}

fn text() -> Value {
    json!({ "type": "string" })
}

fn no_connector(op: Op<'_>) -> Op<'_> {
    err::<404>(op, "No connector with this id")
}

pub(crate) fn welcome(op: Op<'_>) -> Op<'_> {
    let op = ok::<200, Welcome>(
        op.summary("Welcome message with the agent's version (no key needed)")
            .tag("agent"),
        "connect's welcome; plain text `Connector Runtime API` with [http] iggy_compat_root",
    );
    also(op, 200, "text/plain; charset=utf-8", text())
}

pub(crate) fn health(op: Op<'_>) -> Op<'_> {
    ok::<200, Liveness>(
        op.summary("Liveness (no key needed)").tag("agent"),
        "`{\"status\": \"healthy\"}`",
    )
}

pub(crate) fn ready(op: Op<'_>) -> Op<'_> {
    let op = ok::<200, Liveness>(
        op.summary("Readiness: config loaded and state dir writable (no key needed)")
            .tag("agent"),
        "`{\"status\": \"ready\"}`",
    );
    err::<503>(
        op,
        "Not ready: the state dir is not writable or descriptors ran out",
    )
}

pub(crate) fn iggy_stats(op: Op<'_>) -> Op<'_> {
    ok::<200, crate::api::iggy::types::RuntimeStats>(
        op.summary("Iggy-compatible runtime stats: process, CPU, memory, per-connector counters")
            .tag("iggy"),
        "The Iggy connectors runtime's stats body",
    )
}

pub(crate) fn system_stats(op: Op<'_>) -> Op<'_> {
    ok::<200, SystemStats>(
        op.summary("Agent pid, version, uptime, CPU, memory and connector counts by state")
            .tag("agent"),
        "connect's own statistics",
    )
}

pub(crate) fn metrics(op: Op<'_>) -> Op<'_> {
    let op = op
        .summary("Prometheus text format, `connect_` prefix")
        .tag("agent");
    also(op, 200, "text/plain; version=0.0.4; charset=utf-8", text())
}

pub(crate) fn reload(op: Op<'_>) -> Op<'_> {
    ok::<200, ReloadReport>(
        op.summary("Re-read the runtimes and the config dir")
            .tag("agent"),
        "What the reload added, changed, removed and could not load",
    )
}

pub(crate) fn openapi(op: Op<'_>) -> Op<'_> {
    ok::<200, OpenApiDocument>(
        op.summary("This document (no key needed)").tag("agent"),
        "The OpenAPI 3.1 document of the API",
    )
}

pub(crate) fn list(op: Op<'_>) -> Op<'_> {
    let op = ok::<200, Vec<ConnectorSummary>>(
        op.summary("List connectors; filters: state, runtime, direction")
            .tag("connectors")
            .input::<Query<ListQuery>>(),
        "The connectors that pass every filter",
    );
    err::<400>(op, "An unknown filter or value")
}

pub(crate) fn create(op: Op<'_>) -> Op<'_> {
    let op = ok::<201, Created>(
        op.summary("Create a connector from a JSON or YAML document (409 if the id exists)")
            .tag("connectors")
            .input::<ConnectorDocument>(),
        "Created; `warnings` names literal secrets",
    );
    err::<409>(op, "A connector with this id exists")
}

pub(crate) fn validate(op: Op<'_>) -> Op<'_> {
    ok::<200, Validated>(
        op.summary("Dry run: every problem of a document, with paths")
            .tag("connectors")
            .input::<ConnectorDocument>(),
        "The document is valid; nothing was stored or started",
    )
}

pub(crate) fn show(op: Op<'_>) -> Op<'_> {
    no_connector(ok::<200, ConnectorDetails>(
        op.summary("Status, masked config and metrics of a connector")
            .tag("connectors"),
        "The connector",
    ))
}

pub(crate) fn delete(op: Op<'_>) -> Op<'_> {
    let op = ok::<200, Deleted>(
        op.summary("Stop and delete; cursors and logs go too unless keep_state=true; a config-dir connector stays hidden until its file changes or is removed")
            .tag("connectors")
            .input::<Query<DeleteQuery>>(),
        "Stopped and deleted",
    );
    err::<400>(
        no_connector(op),
        "keep_state is not true or false, or an unknown parameter",
    )
}

pub(crate) fn action<'t>(op: Op<'t>, name: &str) -> Op<'t> {
    let summary = match name {
        "start" => "Desired running, durably; start it",
        "stop" => "Desired stopped, durably; stop it",
        _ => "Restart it",
    };
    let op = ok::<202, Accepted>(
        op.summary(summary).tag("connectors"),
        "Queued; `state` is where the connector is now",
    );
    err::<409>(
        no_connector(op),
        "The connector cannot run (its runtime is missing or its config invalid)",
    )
}

pub(crate) fn configs(op: Op<'_>) -> Op<'_> {
    no_connector(ok::<200, Vec<VersionView>>(
        op.summary("Every config version (secrets masked)")
            .tag("configs"),
        "Oldest first",
    ))
}

pub(crate) fn add_config(op: Op<'_>) -> Op<'_> {
    no_connector(ok::<201, VersionAdded>(
        op.summary("Add a config version (not activated)")
            .tag("configs")
            .input::<ConnectorDocument>(),
        "Stored, not active",
    ))
}

pub(crate) fn active(op: Op<'_>) -> Op<'_> {
    no_connector(ok::<200, VersionView>(
        op.summary("The active config version").tag("configs"),
        "The active version",
    ))
}

pub(crate) fn activate(op: Op<'_>) -> Op<'_> {
    let op = ok::<200, Activated>(
        op.summary("Activate a version ({\"version\": N}); restarts this connector only")
            .tag("configs")
            .input::<JsonOrYaml<Activate>>(),
        "Active",
    );
    err::<404>(op, "No such connector or version")
}

pub(crate) fn plugin(op: Op<'_>) -> Op<'_> {
    let op = ok::<200, ComponentConfigs>(
        op.summary("Component configs of the active version; format=json|yaml|toml|text")
            .tag("configs")
            .input::<Query<PluginQuery>>(),
        "`{\"source\"|\"sink\": {\"type\", \"config\"}}` in the format asked for",
    );
    let same = json!({ "$ref": "#/components/schemas/ComponentConfigs" });
    let op = also(op, 200, "application/yaml", same);
    let op = also(op, 200, "application/toml", text());
    let op = also(op, 200, "text/plain; charset=utf-8", text());
    err::<400>(no_connector(op), "An unknown format")
}

pub(crate) fn version(op: Op<'_>) -> Op<'_> {
    let op = ok::<200, VersionView>(
        op.summary("One config version").tag("configs"),
        "The version",
    );
    err::<404>(
        err::<400>(op, "The version is not a number"),
        "No such connector or version",
    )
}

pub(crate) fn transforms(op: Op<'_>) -> Op<'_> {
    no_connector(ok::<200, Vec<connect_model::document::TransformStep>>(
        op.summary("The transforms of the active version")
            .tag("configs"),
        "In pipeline order",
    ))
}

pub(crate) fn logs(op: Op<'_>) -> Op<'_> {
    let op = ok::<200, Logs>(
        op.summary(
            "Last lines (tail=N, stream=stdout|stderr); follow=true streams new lines as SSE",
        )
        .tag("logs")
        .input::<Query<LogsQuery>>(),
        "The last lines in capture order; with follow=true an event stream (events `stdout`, `stderr`)",
    );
    let op = also(op, 200, "text/event-stream", text());
    err::<400>(no_connector(op), "A bad tail, stream or follow value")
}

fn no_runtime(op: Op<'_>) -> Op<'_> {
    err::<404>(
        err::<400>(op, "Not a runtime name"),
        "No such runtime or component",
    )
}

pub(crate) fn runtimes(op: Op<'_>) -> Op<'_> {
    ok::<200, Runtimes>(
        op.summary("Runtimes the agent found").tag("runtimes"),
        "Runtimes and load problems",
    )
}

pub(crate) fn runtime(op: Op<'_>) -> Op<'_> {
    no_runtime(ok::<200, RuntimeDetails>(
        op.summary("A runtime's manifest and components")
            .tag("runtimes"),
        "The runtime",
    ))
}

pub(crate) fn component(op: Op<'_>) -> Op<'_> {
    no_runtime(ok::<200, connect_model::metadata::ComponentSpec>(
        op.summary("Field definitions of a component")
            .tag("runtimes"),
        "The component's .connect definition",
    ))
}

pub(crate) fn component_schema(op: Op<'_>) -> Op<'_> {
    let op = op
        .summary("JSON Schema of a component's config, from its field definitions")
        .tag("runtimes");
    let schema = serde_json::to_value(schemars::schema_for!(JsonSchemaDocument))
        .expect("a schema serializes");
    no_runtime(also(op, 200, "application/schema+json", schema))
}

pub(crate) fn ui(op: Op<'_>) -> Op<'_> {
    also(
        op.summary("The dashboard (no key needed)").tag("ui"),
        200,
        "text/html; charset=utf-8",
        text(),
    )
}

pub(crate) fn ui_asset(op: Op<'_>) -> Op<'_> {
    let mut op = op.summary("A dashboard file (no key needed)").tag("ui");
    for media in crate::api::ui::MEDIA_TYPES {
        op = also(op, 200, media, text());
    }
    err::<404>(op, "No such file")
}
