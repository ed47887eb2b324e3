//! The Iggy connectors runtime's response types, written here from its published field names
//! and types (its crate is not published): required fields are required, unknown fields are
//! allowed, as a client built on that runtime would read connect's answers.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::PathBuf;

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorStatus {
    Starting,
    Running,
    Stopping,
    Stopped,
    Error,
}

#[derive(Debug, Deserialize)]
pub struct ConnectorError {
    pub message: String,
    pub timestamp: u64,
}

#[derive(Debug, Deserialize)]
pub struct SinkInfoResponse {
    pub id: u32,
    pub key: String,
    pub name: String,
    pub path: String,
    pub enabled: bool,
    pub status: ConnectorStatus,
    pub last_error: Option<ConnectorError>,
    pub plugin_config_format: Option<String>,
}

/// The same fields as a sink's.
pub type SourceInfoResponse = SinkInfoResponse;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schema {
    Json,
    Raw,
    Text,
    Proto,
    FlatBuffer,
    Avro,
}

#[derive(Debug, Deserialize)]
pub struct StreamConsumerConfig {
    pub stream: String,
    pub topics: Vec<String>,
    pub schema: Schema,
    pub avro_schema_json: Option<String>,
    pub avro_schema_path: Option<PathBuf>,
    pub batch_length: Option<u32>,
    pub poll_interval: Option<String>,
    pub consumer_group: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct StreamProducerConfig {
    pub stream: String,
    pub topic: String,
    pub schema: Schema,
    pub avro_schema_json: Option<String>,
    pub avro_schema_path: Option<PathBuf>,
    pub batch_length: Option<u32>,
    pub linger_time: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct SinkDetailsResponse {
    #[serde(flatten)]
    pub info: SinkInfoResponse,
    pub streams: Vec<StreamConsumerConfig>,
}

#[derive(Debug, Deserialize)]
pub struct SourceDetailsResponse {
    #[serde(flatten)]
    pub info: SourceInfoResponse,
    pub streams: Vec<StreamProducerConfig>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransformType {
    AddFields,
    DeleteFields,
    FilterFields,
    UpdateFields,
    ProtoConvert,
    FlatBufferConvert,
    AvroConvert,
    UnwrapEnvelope,
}

#[derive(Debug, Deserialize)]
pub struct TransformsConfig {
    #[serde(flatten)]
    pub transforms: HashMap<TransformType, Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ConfigFormat {
    Json,
    Yaml,
    Toml,
    Text,
}

#[derive(Debug, Deserialize)]
pub struct SinkConfig {
    pub key: String,
    pub enabled: bool,
    pub version: u64,
    pub name: String,
    pub path: String,
    pub transforms: Option<TransformsConfig>,
    pub streams: Vec<StreamConsumerConfig>,
    pub plugin_config_format: Option<ConfigFormat>,
    pub plugin_config: Option<Value>,
    #[serde(default)]
    pub verbose: bool,
    #[serde(default)]
    pub benchmark: bool,
}

#[derive(Debug, Deserialize)]
pub struct SourceConfig {
    pub key: String,
    pub enabled: bool,
    pub version: u64,
    pub name: String,
    pub path: String,
    pub transforms: Option<TransformsConfig>,
    pub streams: Vec<StreamProducerConfig>,
    pub plugin_config_format: Option<ConfigFormat>,
    pub plugin_config: Option<Value>,
    #[serde(default)]
    pub verbose: bool,
    #[serde(default)]
    pub benchmark: bool,
}

#[derive(Debug, Deserialize)]
pub struct SinkConfigResponse {
    #[serde(flatten)]
    pub config: SinkConfig,
    pub active: bool,
}

#[derive(Debug, Deserialize)]
pub struct SourceConfigResponse {
    #[serde(flatten)]
    pub config: SourceConfig,
    pub active: bool,
}

#[derive(Debug, Deserialize)]
pub struct TransformResponse {
    pub r#type: TransformType,
    pub config: Value,
}

#[derive(Debug, Deserialize)]
pub struct ConnectorRuntimeStats {
    pub connectors_runtime_version: String,
    pub connectors_runtime_version_semver: Option<u32>,
    pub process_id: u32,
    pub cpu_usage: f32,
    pub total_cpu_usage: f32,
    pub memory_usage: u64,
    pub total_memory: u64,
    pub available_memory: u64,
    pub run_time: u64,
    pub start_time: u64,
    pub sources_total: u32,
    pub sources_running: u32,
    pub sinks_total: u32,
    pub sinks_running: u32,
    pub connectors: Vec<ConnectorStats>,
}

#[derive(Debug, Deserialize)]
pub struct ConnectorStats {
    pub key: String,
    pub name: String,
    pub connector_type: String,
    pub version: String,
    pub version_semver: Option<u32>,
    pub status: ConnectorStatus,
    pub enabled: bool,
    pub messages_produced: Option<u64>,
    pub messages_sent: Option<u64>,
    pub messages_consumed: Option<u64>,
    pub messages_processed: Option<u64>,
    pub messages_filtered: Option<u64>,
    #[serde(default)]
    pub errors: u64,
}

/// Parses `text` as `T`, failing with the route and the body.
pub fn parse<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> T {
    serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{what} does not read as the Iggy runtime's type: {e}\n{text}"))
}

/// Fails unless `got` has exactly `golden`'s fields, recursively, with the same JSON types
/// (integer and float told apart; the first item of each array compared). A
/// `plugin_config` is the plugin's own document: only its type is compared.
pub fn same_shape(what: &str, path: &str, golden: &Value, got: &Value) {
    let kind = |v: &Value| match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "integer",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    assert_eq!(
        kind(golden),
        kind(got),
        "{what}: `{path}` is {} in the Iggy runtime's body but {} here: {got}",
        kind(golden),
        kind(got)
    );
    match (golden, got) {
        _ if path.ends_with(".plugin_config") => {}
        (Value::Object(g), Value::Object(o)) => {
            let gk: Vec<&String> = g.keys().collect();
            let ok: Vec<&String> = o.keys().collect();
            assert_eq!(gk, ok, "{what}: the fields of `{path}` differ");
            for (k, v) in g {
                same_shape(what, &format!("{path}.{k}"), v, &o[k]);
            }
        }
        (Value::Array(g), Value::Array(o)) => {
            if let (Some(g), Some(o)) = (g.first(), o.first()) {
                same_shape(what, &format!("{path}[0]"), g, o);
            }
        }
        _ => {}
    }
}
