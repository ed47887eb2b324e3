//! The bodies of the Iggy connectors runtime's API, field for field and type for type, so a
//! client written against that runtime reads connect's answers unchanged.

use serde::Serialize;
use serde_json::{Map, Value};

/// `last_error`: what went wrong and when (microseconds since the Unix epoch).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct ConnectorError {
    pub message: String,
    pub timestamp: u64,
}

/// An item of `GET /sinks` and `GET /sources`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct InfoResponse {
    pub id: u32,
    pub key: String,
    pub name: String,
    pub path: String,
    pub enabled: bool,
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<ConnectorError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plugin_config_format: Option<String>,
}

/// A sink's `streams` item: what it consumes.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct ConsumerStream {
    pub stream: String,
    pub topics: Vec<String>,
    pub schema: &'static str,
    pub avro_schema_json: Option<String>,
    pub avro_schema_path: Option<String>,
    pub batch_length: Option<u32>,
    pub poll_interval: Option<String>,
    pub consumer_group: Option<String>,
}

/// A source's `streams` item: where it produces.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct ProducerStream {
    pub stream: String,
    pub topic: String,
    pub schema: &'static str,
    pub avro_schema_json: Option<String>,
    pub avro_schema_path: Option<String>,
    pub batch_length: Option<u32>,
    pub linger_time: Option<String>,
}

/// `streams` of either kind (a sink's consumers or a source's producers).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub(crate) enum Streams {
    Consumer(Vec<ConsumerStream>),
    Producer(Vec<ProducerStream>),
}

/// `GET /sinks/{key}`, `GET /sources/{key}`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct DetailsResponse {
    #[serde(flatten)]
    pub info: InfoResponse,
    pub streams: Streams,
}

/// A config version as the Iggy runtime shows it: the connector config flattened, plus `active`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct ConfigResponse {
    pub key: String,
    pub enabled: bool,
    pub version: u64,
    pub name: String,
    pub path: String,
    /// By transform name; null when there are none.
    pub transforms: Option<Map<String, Value>>,
    pub streams: Streams,
    pub plugin_config_format: Option<String>,
    pub plugin_config: Option<Value>,
    pub verbose: bool,
    pub benchmark: bool,
    pub active: bool,
}

/// An item of `GET /sinks/{key}/transforms`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct TransformResponse {
    #[serde(rename = "type")]
    pub kind: String,
    pub config: Value,
}

/// `GET /stats`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct RuntimeStats {
    pub connectors_runtime_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
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

/// One connector in `GET /stats`; sources fill `messages_produced`/`messages_sent`, sinks
/// `messages_consumed`/`messages_processed`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct ConnectorStats {
    pub key: String,
    pub name: String,
    pub connector_type: &'static str,
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_semver: Option<u32>,
    pub status: &'static str,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_produced: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_sent: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_consumed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_processed: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub messages_filtered: Option<u64>,
    pub errors: u64,
}

/// `1.2.3` → 1002003 (major, then minor and patch on three digits each), as the Iggy runtime
/// numbers versions; `None` for anything that is not `major.minor.patch`.
pub(crate) fn semver_number(version: &str) -> Option<u32> {
    let core = version.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u32>().ok());
    let (major, minor, patch) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() || minor > 999 || patch > 999 {
        return None;
    }
    major
        .checked_mul(1_000_000)?
        .checked_add(minor * 1000 + patch)
}

#[cfg(test)]
mod tests {
    #[test]
    fn versions_are_numbered_like_the_iggy_runtime() {
        assert_eq!(super::semver_number("1.2.3"), Some(1_002_003));
        assert_eq!(super::semver_number("0.1.0-edge.4"), Some(1000));
        assert_eq!(super::semver_number("1.2"), None);
        assert_eq!(super::semver_number("x"), None);
    }
}
