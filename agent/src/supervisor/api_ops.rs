//! What only the HTTP API asks of the [`Agent`] beyond the handle's own operations: the full
//! pre-flight check of a document (including the runtime argument's size) and one-lock
//! summaries of the durable records for listings. A child module of `handle`, so it reads the
//! handle's internals without widening them.

use std::collections::BTreeMap;

use connect_runtime_sdk::ConnectorConfig;
use connect_runtime_sdk::model::Direction;
use connect_runtime_sdk::validation::{FieldError, FieldErrors};

use super::super::launch::prepare;
use super::Agent;
use crate::store::Origin;

/// The durable facts of a connector that its status does not carry.
#[derive(Debug, Clone)]
pub struct RecordSummary {
    pub origin: Origin,
    pub direction: Direction,
    pub description: String,
    pub versions: usize,
}

impl Agent {
    /// Every problem a start would hit: [`Agent::validate`] plus the encoded size limit.
    pub fn validate_config(&self, config: &ConnectorConfig) -> Result<(), FieldErrors> {
        self.validate(config)?;
        prepare(config, 0, &self.runtimes())
            .map(|_| ())
            .map_err(|reason| FieldErrors(vec![FieldError::new("", reason)]))
    }

    /// Origin, direction and description of every live (not deleted) connector, under one lock.
    pub async fn record_summaries(&self) -> BTreeMap<String, RecordSummary> {
        let store = self.inner.store.lock().await;
        store
            .doc
            .connectors
            .iter()
            .filter(|(_, r)| !r.deleted)
            .map(|(id, r)| {
                let c = r.active_config();
                let summary = RecordSummary {
                    origin: r.origin,
                    direction: c.steps.direction(),
                    description: c.description.clone(),
                    versions: r.versions.len(),
                };
                (id.clone(), summary)
            })
            .collect()
    }
}
