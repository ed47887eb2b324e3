//! The `consumer` and `producer` steps the SDK drives itself against Iggy, and their connection override.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::validation::FieldErrors;

/// Per-step Iggy connection; anything left out comes from the agent's `[iggy]` section
/// (`CONNECT_IGGY_*` in the runtime's environment).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IggyConnection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// A personal access token, used instead of username and password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<IggyTls>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IggyTls {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
}

impl IggyConnection {
    /// Keys whose values are credentials and are masked wherever a config is shown.
    pub const SECRET_KEYS: &'static [&'static str] = &["password", "token"];

    fn validate(&self, path: &str, errors: &mut FieldErrors) {
        if let Some(a) = &self.address
            && !is_host_port(a)
        {
            errors.push(format!("{path}.address"), format!("`{a}` is not host:port"));
        }
        if self.token.is_some() && (self.username.is_some() || self.password.is_some()) {
            errors.push(
                path.to_string(),
                "give either token or username/password, not both",
            );
        }
    }
}

fn is_host_port(a: &str) -> bool {
    matches!(a.rsplit_once(':'), Some((h, p)) if !h.is_empty() && p.parse::<u16>().is_ok())
}

/// Where a new consumer group starts reading.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum StartFrom {
    /// The oldest retained message.
    First,
    /// Only messages produced from now on.
    Last,
    /// After the group's stored offset (the oldest message for a new group).
    #[default]
    Next,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsumerStep {
    pub stream: String,
    pub topic: String,
    pub consumer_group: String,
    #[serde(default)]
    pub start: StartFrom,
    #[serde(default = "default_batch_length")]
    pub batch_length: u32,
    /// Wait between polls that return nothing.
    #[serde(default = "default_poll_interval", with = "super::duration")]
    #[schemars(schema_with = "super::duration::schema")]
    pub poll_interval: Duration,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iggy: Option<IggyConnection>,
}

/// How the producer picks a partition.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Partitioning {
    #[default]
    Balanced,
    /// By the message key (messages without a key are balanced).
    Key,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProducerStep {
    pub stream: String,
    pub topic: String,
    /// Create the stream and topic when they do not exist.
    #[serde(default)]
    pub create_topic: bool,
    /// Partitions of a topic this step creates.
    #[serde(default = "default_partitions")]
    pub partitions: u32,
    #[serde(default = "default_batch_length")]
    pub batch_length: u32,
    /// How long a partial batch may wait for more messages.
    #[serde(default = "default_linger", with = "super::duration")]
    #[schemars(schema_with = "super::duration::schema")]
    pub linger: Duration,
    #[serde(default)]
    pub partitioning: Partitioning,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iggy: Option<IggyConnection>,
}

pub(crate) const MAX_BATCH_LENGTH: u32 = 100_000;
const MAX_PARTITIONS: u32 = 1_000;

fn default_batch_length() -> u32 {
    1000
}
fn default_poll_interval() -> Duration {
    Duration::from_millis(10)
}
fn default_partitions() -> u32 {
    1
}
fn default_linger() -> Duration {
    Duration::from_millis(5)
}

fn check_name(value: &str, path: String, errors: &mut FieldErrors) {
    if value.trim().is_empty() {
        errors.push(path, "must not be empty");
    } else if value.len() > 255 {
        errors.push(path, "must be at most 255 characters");
    }
}

pub(crate) fn check_batch_length(value: u32, path: String, errors: &mut FieldErrors) {
    if value == 0 || value > MAX_BATCH_LENGTH {
        errors.push(
            path,
            format!("must be between 1 and {MAX_BATCH_LENGTH}, got {value}"),
        );
    }
}

impl ConsumerStep {
    /// A step reading `topic` of `stream` as `consumer_group`, every other setting at its default.
    pub fn new(
        stream: impl Into<String>,
        topic: impl Into<String>,
        consumer_group: impl Into<String>,
    ) -> Self {
        Self {
            stream: stream.into(),
            topic: topic.into(),
            consumer_group: consumer_group.into(),
            start: StartFrom::default(),
            batch_length: default_batch_length(),
            poll_interval: default_poll_interval(),
            iggy: None,
        }
    }

    pub(crate) fn validate(&self, path: &str, errors: &mut FieldErrors) {
        check_name(&self.stream, format!("{path}.stream"), errors);
        check_name(&self.topic, format!("{path}.topic"), errors);
        check_name(
            &self.consumer_group,
            format!("{path}.consumer_group"),
            errors,
        );
        check_batch_length(self.batch_length, format!("{path}.batch_length"), errors);
        if let Some(c) = &self.iggy {
            c.validate(&format!("{path}.iggy"), errors);
        }
    }
}

impl ProducerStep {
    /// A step writing to `topic` of `stream`, every other setting at its default.
    pub fn new(stream: impl Into<String>, topic: impl Into<String>) -> Self {
        Self {
            stream: stream.into(),
            topic: topic.into(),
            create_topic: false,
            partitions: default_partitions(),
            batch_length: default_batch_length(),
            linger: default_linger(),
            partitioning: Partitioning::default(),
            iggy: None,
        }
    }

    pub(crate) fn validate(&self, path: &str, errors: &mut FieldErrors) {
        check_name(&self.stream, format!("{path}.stream"), errors);
        check_name(&self.topic, format!("{path}.topic"), errors);
        check_batch_length(self.batch_length, format!("{path}.batch_length"), errors);
        if self.partitions == 0 || self.partitions > MAX_PARTITIONS {
            errors.push(
                format!("{path}.partitions"),
                format!(
                    "must be between 1 and {MAX_PARTITIONS}, got {}",
                    self.partitions
                ),
            );
        }
        if let Some(c) = &self.iggy {
            c.validate(&format!("{path}.iggy"), errors);
        }
    }
}

#[cfg(test)]
mod constructor_tests {
    use super::*;

    #[test]
    fn constructors_match_the_documented_defaults() {
        let decoded: ConsumerStep = serde_json::from_value(
            serde_json::json!({"stream": "s", "topic": "t", "consumer_group": "g"}),
        )
        .unwrap();
        assert_eq!(ConsumerStep::new("s", "t", "g"), decoded);
        let decoded: ProducerStep =
            serde_json::from_value(serde_json::json!({"stream": "s", "topic": "t"})).unwrap();
        assert_eq!(ProducerStep::new("s", "t"), decoded);
    }
}
