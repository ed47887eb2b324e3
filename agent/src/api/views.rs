//! What the API returns for a connector: its status plus durable facts, and its config only
//! ever through [`masked`] (the SDK's one masking helper).

use connect_model::ConnectorConfig;
use connect_model::document::Direction;
use connect_model::metadata::mask_connector;
use serde::Serialize;

use crate::store::{ConfigVersion, ConnectorRecord, Origin};
use crate::supervisor::{Agent, ConnectorMetrics, ConnectorStatus, RecordSummary};

/// `config` with every secret masked, using the runtime's field definitions when it is known.
pub(crate) fn masked(agent: &Agent, config: &ConnectorConfig) -> ConnectorConfig {
    let runtimes = agent.runtimes();
    let metadata = runtimes
        .resolve(&config.runtime)
        .ok()
        .map(|e| e.metadata.clone());
    mask_connector(config, metadata.as_deref())
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ConnectorSummary {
    #[serde(flatten)]
    pub status: ConnectorStatus,
    /// `file` (config dir) or `api`; absent for a file that could not be loaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub origin: Option<Origin>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
}

impl ConnectorSummary {
    pub(crate) fn new(status: ConnectorStatus, record: Option<&RecordSummary>) -> Self {
        Self {
            status,
            origin: record.map(|r| r.origin),
            direction: record.map(|r| r.direction),
            description: record.map(|r| r.description.clone()).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ConnectorDetails {
    #[serde(flatten)]
    pub summary: ConnectorSummary,
    /// The active config, secrets masked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config: Option<ConnectorConfig>,
    pub versions: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics: Option<ConnectorMetrics>,
}

/// The full view of one connector, or `None` when it does not exist.
pub(crate) async fn details(agent: &Agent, id: &str) -> Option<ConnectorDetails> {
    let status = agent.get(id)?;
    let record = live_record(agent, id).await;
    let summary = record.as_ref().map(|r| RecordSummary {
        origin: r.origin,
        direction: r.active_config().steps.direction(),
        description: r.active_config().description.clone(),
        versions: r.versions.len(),
    });
    Some(ConnectorDetails {
        summary: ConnectorSummary::new(status, summary.as_ref()),
        config: record.as_ref().map(|r| masked(agent, r.active_config())),
        versions: record.as_ref().map_or(0, |r| r.versions.len()),
        metrics: agent.metrics(id),
    })
}

/// One config version as returned by the API.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct VersionView {
    pub version: u32,
    pub active: bool,
    pub origin: Origin,
    pub created_at_ms: u64,
    pub config: ConnectorConfig,
}

impl VersionView {
    pub(crate) fn new(agent: &Agent, v: &ConfigVersion, active: u32) -> Self {
        Self {
            version: v.version,
            active: v.version == active,
            origin: v.origin,
            created_at_ms: v.created_at_ms,
            config: masked(agent, &v.config),
        }
    }
}

/// The durable record of a connector that exists (a deleted config-dir connector's record is
/// kept by the agent to hide its file, but is not shown).
pub(crate) async fn live_record(agent: &Agent, id: &str) -> Option<ConnectorRecord> {
    agent.record(id).await.filter(|r| !r.deleted)
}
