//! The shapes of the bodies the handlers build with `json!` and of the query strings they read
//! from a map, as schema types for the generated document (the handlers' own types, such as
//! the connector views, derive their schemas where they are defined).

use std::collections::BTreeMap;
use std::path::PathBuf;

use connect_model::ConnectorConfig;
use connect_model::document::Direction;
use connect_model::metadata::{ComponentSpec, RuntimeManifest};
use schemars::JsonSchema;

use crate::api::views::ConnectorDetails;
use crate::logs::LogLine;
use crate::store::Desired;
use crate::supervisor::{State, Totals};

/// `GET /`.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct Welcome {
    name: String,
    version: String,
    message: String,
}

/// `GET /health` and `GET /ready`.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct Liveness {
    /// `healthy` or `ready`.
    status: String,
}

/// `GET /system/stats`.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct SystemStats {
    version: String,
    runtimes: usize,
    totals: Totals,
}

/// `GET /connectors?state=&runtime=&direction=` (all optional, combined with AND; any other
/// parameter is refused).
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct ListQuery {
    state: Option<State>,
    /// A runtime name, or `name:version`.
    runtime: Option<String>,
    direction: Option<Direction>,
}

/// `DELETE /connectors/{id}?keep_state=true` keeps the connector's cursors and log files.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct DeleteQuery {
    keep_state: Option<bool>,
}

/// `POST /connectors`: the connector, with the literal secrets found in it.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct Created {
    #[serde(flatten)]
    details: ConnectorDetails,
    warnings: Vec<String>,
}

/// What `DELETE /connectors/{id}` did.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
pub(crate) enum DeleteRule {
    /// An API connector is gone.
    Removed,
    /// A config-dir connector stays hidden until its file changes or is removed.
    HiddenUntilFileChanges,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct Deleted {
    id: String,
    deleted: bool,
    rule: DeleteRule,
    state_kept: bool,
    message: String,
}

#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum ActionName {
    Start,
    Stop,
    Restart,
}

/// 202 of start, stop and restart: the command is queued; `state` is where the connector is now.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct Accepted {
    id: String,
    action: ActionName,
    desired: Desired,
    state: State,
}

/// `POST /connectors/validate`: the document as it would be stored, secrets masked.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct Validated {
    valid: bool,
    config: ConnectorConfig,
    warnings: Vec<String>,
}

/// `POST /connectors/{id}/configs`: the new version, not active.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct VersionAdded {
    id: String,
    version: u32,
    active: bool,
    warnings: Vec<String>,
    message: String,
}

/// `PUT .../configs/active`.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct Activate {
    #[schemars(range(min = 1))]
    version: u32,
}

/// `PUT /connectors/{id}/configs/active`: the version is active.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct Activated {
    id: String,
    active: u32,
    restarted: bool,
    message: String,
}

#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum PluginFormat {
    Json,
    Yaml,
    Toml,
    Text,
}

/// One component of `GET /connectors/{id}/configs/plugin`.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct ComponentConfig {
    #[serde(rename = "type")]
    kind: String,
    /// Secrets masked; its schema is the component's (`/runtimes/{name}/.../schema`).
    config: serde_json::Map<String, serde_json::Value>,
}

/// `GET /connectors/{id}/configs/plugin`: the components of the active version.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct ComponentConfigs {
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<ComponentConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sink: Option<ComponentConfig>,
}

/// `GET .../configs/plugin?format=`: json (default), yaml, toml or text.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct PluginQuery {
    format: Option<PluginFormat>,
}

#[derive(JsonSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum LogStream {
    Stdout,
    Stderr,
}

/// `GET /connectors/{id}/logs`.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct LogsQuery {
    /// Last lines to return (default 100, at most 10000).
    #[schemars(range(min = 0))]
    tail: Option<u64>,
    /// One stream; both when absent.
    stream: Option<LogStream>,
    /// `true`: a Server-Sent Events stream of new lines, each event named after its stream.
    follow: Option<bool>,
}

#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct Logs {
    id: String,
    lines: Vec<LogLine>,
}

/// An item of `GET /runtimes`.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct RuntimeSummary {
    name: String,
    version: String,
    label: String,
    description: String,
    dir: PathBuf,
    binary: PathBuf,
    sources: Vec<String>,
    sinks: Vec<String>,
}

/// `GET /runtimes`: what was found, and the directories that could not be loaded.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct Runtimes {
    runtimes: Vec<RuntimeSummary>,
    problems: Vec<String>,
}

/// `GET /runtimes/{name}`.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct RuntimeDetails {
    dir: PathBuf,
    binary: PathBuf,
    runtime: RuntimeManifest,
    sources: BTreeMap<String, ComponentSpec>,
    sinks: BTreeMap<String, ComponentSpec>,
}

/// A JSON Schema (draft 2020-12) document.
#[derive(JsonSchema)]
#[schemars(extend("additionalProperties" = true))]
#[allow(dead_code)]
pub(crate) struct JsonSchemaDocument {
    #[serde(rename = "$schema")]
    schema: String,
    #[serde(rename = "type")]
    kind: String,
}

/// An OpenAPI 3.1 document.
#[derive(JsonSchema)]
#[allow(dead_code)]
pub(crate) struct OpenApiDocument {
    openapi: String,
    info: serde_json::Map<String, serde_json::Value>,
    paths: serde_json::Map<String, serde_json::Value>,
}
