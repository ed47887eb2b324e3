//! The one argument every workload receives; new fields can be added without breaking runtimes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio_util::sync::CancellationToken;

use super::RuntimeSettings;
use super::agent_channel::AgentHandle;
use super::metrics::Metrics;
use crate::contract::EventLevel;
use crate::document::ConnectorConfig;
use crate::metadata::RuntimeMetadata;

/// What a workload may use: its validated connector config (secrets resolved, defaults
/// filled), the runtime's settings, cancellation, counters and the agent channel.
#[derive(Debug, Clone)]
pub struct Context {
    pub(crate) settings: Arc<RuntimeSettings>,
    pub(crate) connector: Arc<ConnectorConfig>,
    pub(crate) metadata: Option<Arc<RuntimeMetadata>>,
    pub(crate) cancel: CancellationToken,
    pub(crate) metrics: Metrics,
    pub(crate) state_dir: PathBuf,
    pub(crate) agent: AgentHandle,
}

impl Context {
    pub fn connector(&self) -> &ConnectorConfig {
        &self.connector
    }

    pub fn settings(&self) -> &RuntimeSettings {
        &self.settings
    }

    pub fn metadata(&self) -> Option<&RuntimeMetadata> {
        self.metadata.as_deref()
    }

    /// Fires on SIGTERM/SIGINT: stop taking new work, finish or abandon the current batch, return.
    pub fn cancellation(&self) -> &CancellationToken {
        &self.cancel
    }

    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// This connector's private directory for durable state (created before the workload starts).
    pub fn state_dir(&self) -> &Path {
        &self.state_dir
    }

    /// Tells the agent the runtime is up (peers connected); call it once, when data can flow.
    pub fn ready(&self) {
        self.agent.ready();
    }

    /// Records an event on the agent channel (or in the log without an agent).
    pub fn event(&self, level: EventLevel, name: &str, message: &str) {
        self.agent
            .event(level, name, message, serde_json::Map::new());
    }

    /// Says the connector cannot do its work right now (a peer unreachable, an input missing):
    /// logged and sent as a `warn` event named `name`, and the message becomes the heartbeat's `last_error` until
    /// [`Self::recovered`]; the agent shows the connector `degraded` meanwhile.
    pub fn problem(&self, name: &str, message: &str) {
        tracing::warn!(event = name, "{message}");
        self.metrics.record_error(message);
        self.event(EventLevel::Warn, name, message);
    }

    /// The work goes on again: clears the heartbeat's `last_error` (the agent shows `ok`).
    pub fn recovered(&self) {
        if self.metrics.clear_error() {
            tracing::info!("working again");
            self.event(EventLevel::Info, "recovered", "working again");
        }
    }
}

#[cfg(test)]
impl Context {
    /// A context for unit tests (inside a Tokio runtime): these settings and connector, no
    /// agent, durable state in `state_dir`.
    pub(crate) fn for_tests(
        settings: RuntimeSettings,
        connector: ConnectorConfig,
        state_dir: PathBuf,
    ) -> Self {
        let metrics = Metrics::default();
        let identity = super::agent_channel::Identity {
            connector_id: connector.id.to_string(),
            instance_id: settings.instance_id.clone(),
            runtime: "test".into(),
            runtime_version: "0.0.0".into(),
        };
        let (agent, _) = super::agent_channel::spawn(
            None,
            identity,
            metrics.clone(),
            std::time::Duration::from_secs(3600),
            CancellationToken::new(),
        );
        Self {
            settings: Arc::new(settings),
            connector: Arc::new(connector),
            metadata: None,
            cancel: CancellationToken::new(),
            metrics,
            state_dir,
            agent,
        }
    }
}
