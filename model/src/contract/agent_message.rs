//! The agent channel's messages: newline-delimited JSON a runtime writes to `CONNECT_AGENT_SOCKET`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Version of the runtime contract; sent in `ready`, printed by `--version`, declared by runtimes
/// as `contract_version` in `runtime.yml`. 2 added the connector document's `errors` block and
/// the `messages_dead_lettered` counter.
pub const CONTRACT_VERSION: u32 = 2;

/// One line on the agent channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AgentMessage {
    /// The runtime is connected to its peers and moving data; the agent reports Running.
    Ready {
        contract: u32,
        connector_id: String,
        instance_id: String,
        pid: u32,
        runtime: String,
        runtime_version: String,
    },
    /// Sent every heartbeat interval; a missing heartbeat means the runtime hangs.
    Heartbeat {
        connector_id: String,
        instance_id: String,
        seq: u64,
        uptime_ms: u64,
        counters: Counters,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_error: Option<String>,
    },
    /// Something worth recording (reconnects, retries, a finished source).
    Event {
        connector_id: String,
        instance_id: String,
        level: EventLevel,
        name: String,
        message: String,
        #[serde(default, skip_serializing_if = "Map::is_empty")]
        fields: Map<String, Value>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventLevel {
    Info,
    Warn,
    Error,
}

/// Totals since the runtime process started.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(default)]
pub struct Counters {
    pub messages_in: u64,
    pub messages_out: u64,
    pub messages_filtered: u64,
    pub messages_failed: u64,
    /// Messages set aside by the error policy (`errors.tolerance: all`), written to the
    /// dead-letter destination or, without one, dropped.
    pub messages_dead_lettered: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub batches: u64,
    /// Mean time from a batch's first message to its confirmation, in microseconds.
    pub batch_latency_avg_us: u64,
    pub batch_latency_max_us: u64,
}

impl AgentMessage {
    /// One line of the channel, newline included.
    pub fn to_line(&self) -> String {
        let mut s = serde_json::to_string(self).expect("agent messages always serialize");
        s.push('\n');
        s
    }

    pub fn from_line(line: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_round_trip_with_a_type_tag() {
        let m = AgentMessage::Heartbeat {
            connector_id: "c".into(),
            instance_id: "i".into(),
            seq: 3,
            uptime_ms: 10,
            counters: Counters {
                messages_in: 5,
                ..Default::default()
            },
            last_error: None,
        };
        let line = m.to_line();
        assert!(line.starts_with("{\"type\":\"heartbeat\"") && line.ends_with('\n'));
        assert_eq!(AgentMessage::from_line(line.trim_end()).unwrap(), m);
    }
}
