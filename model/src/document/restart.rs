//! How the agent restarts a connector's runtime when it exits.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::validation::FieldErrors;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// Restart after every exit, including exit 0.
    Always,
    /// Restart after a non-zero exit or a signal (the default).
    #[default]
    OnFailure,
    /// Never restart.
    Never,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RestartConfig {
    #[serde(default)]
    pub policy: RestartPolicy,
    /// First delay after a failure; doubles (with jitter) on every consecutive failure.
    #[serde(default = "default_initial_backoff", with = "super::duration")]
    #[schemars(schema_with = "super::duration::schema")]
    pub initial_backoff: Duration,
    /// Ceiling of the delay.
    #[serde(default = "default_max_backoff", with = "super::duration")]
    #[schemars(schema_with = "super::duration::schema")]
    pub max_backoff: Duration,
    /// A run at least this long counts as stable and resets the backoff and failure count.
    #[serde(default = "default_stable_after", with = "super::duration")]
    #[schemars(schema_with = "super::duration::schema")]
    pub stable_after: Duration,
    /// Consecutive failed runs after which the connector is marked `failed`; 0 = never give up.
    #[serde(default = "default_max_failures")]
    pub max_consecutive_failures: u32,
}

fn default_initial_backoff() -> Duration {
    Duration::from_secs(1)
}
fn default_max_backoff() -> Duration {
    Duration::from_secs(60)
}
fn default_stable_after() -> Duration {
    Duration::from_secs(30)
}
fn default_max_failures() -> u32 {
    10
}

impl Default for RestartConfig {
    fn default() -> Self {
        Self {
            policy: RestartPolicy::default(),
            initial_backoff: default_initial_backoff(),
            max_backoff: default_max_backoff(),
            stable_after: default_stable_after(),
            max_consecutive_failures: default_max_failures(),
        }
    }
}

impl RestartConfig {
    pub(crate) fn validate(&self, errors: &mut FieldErrors) {
        if self.max_backoff < self.initial_backoff {
            errors.push(
                "restart.max_backoff",
                format!(
                    "must be at least initial_backoff ({})",
                    super::duration::format(self.initial_backoff)
                ),
            );
        }
    }
}
