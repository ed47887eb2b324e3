//! A message on its way through a pipeline: payload bytes plus headers, key, timestamp and origin.

use std::collections::BTreeMap;

use bytes::Bytes;

/// Where a message came from, so its position can be confirmed after delivery.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Origin {
    /// Made by a source; the batch's cursor covers it.
    #[default]
    Source,
    /// Read from Iggy.
    Iggy { partition: u32, offset: u64 },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Message {
    pub payload: Bytes,
    pub headers: BTreeMap<String, String>,
    pub key: Option<Bytes>,
    /// Microseconds since the Unix epoch.
    pub timestamp_us: u64,
    pub origin: Origin,
}

impl Message {
    /// A message with this payload, stamped now.
    pub fn new(payload: impl Into<Bytes>) -> Self {
        Self {
            payload: payload.into(),
            timestamp_us: now_us(),
            ..Self::default()
        }
    }

    pub fn with_key(mut self, key: impl Into<Bytes>) -> Self {
        self.key = Some(key.into());
        self
    }

    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.insert(name.into(), value.into());
        self
    }
}

/// Microseconds since the Unix epoch.
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// What a source hands the pipeline: messages plus the cursor that is durable once they are delivered.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub messages: Vec<Message>,
    /// Saved (or, for Iggy, committed) only after the sink or producer confirmed every message.
    pub cursor: Option<serde_json::Value>,
}
