//! What only the HTTP API asks of the [`Agent`]: create a connector, add a config version,
//! delete one (hiding a config-dir file durably), dry-run validation and record summaries.
//! A child module of `handle`, so it reaches the handle's internals without widening them.

use std::collections::BTreeMap;

use connect_runtime_sdk::ConnectorConfig;
use connect_runtime_sdk::metadata::validate_connector;
use connect_runtime_sdk::model::Direction;
use connect_runtime_sdk::validation::FieldErrors;

use super::super::launch::prepare;
use super::super::slot::Command;
use super::super::tombstones::{self, Tombstone, Tombstones};
use super::{Agent, AgentError};
use crate::catalog::CatalogEntry;
use crate::store::{ConnectorRecord, Desired, Origin, StoreError};
use crate::supervisor::ConnectorStatus;

#[derive(Debug, thiserror::Error)]
pub enum ApiOpError {
    #[error(
        "connector `{0}` already exists; add a config version with POST /connectors/{0}/configs or delete it first"
    )]
    Exists(String),
    #[error("connector `{0}` does not exist")]
    NotFound(String),
    #[error("the connector config is invalid; fix the fields listed in details")]
    Invalid(FieldErrors),
    #[error(
        "the document's id `{found}` is not `{expected}`; a config version keeps its connector's id"
    )]
    IdMismatch { expected: String, found: String },
    #[error(transparent)]
    Agent(#[from] AgentError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "cannot record the deletion in the state dir: {0}; check that [state] path is writable"
    )]
    Tombstone(std::io::Error),
}

/// The durable facts of a connector that its status does not carry.
#[derive(Debug, Clone)]
pub struct RecordSummary {
    pub origin: Origin,
    pub direction: Direction,
    pub description: String,
    pub versions: usize,
}

/// What a delete did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// Created through the API: gone from the state.
    Api,
    /// From a config-dir file: hidden until the file changes or is removed.
    FileHidden,
}

impl Agent {
    /// Every problem of `config` against the runtimes: unknown runtime, component fields, size.
    pub fn validate_config(
        &self,
        config: &ConnectorConfig,
    ) -> Result<ConnectorConfig, FieldErrors> {
        let runtimes = self.runtimes();
        let entry = runtimes.resolve(&config.runtime).map_err(|e| {
            FieldErrors(vec![connect_runtime_sdk::FieldError::new(
                "runtime",
                e.to_string(),
            )])
        })?;
        let filled = validate_connector(config, &entry.metadata)?;
        prepare(config, 0, &runtimes).map_err(|reason| {
            FieldErrors(vec![connect_runtime_sdk::FieldError::new("", reason)])
        })?;
        Ok(filled)
    }

    /// Adds a connector that lives only in the agent's state; starts it when enabled.
    pub async fn create_connector(
        &self,
        config: ConnectorConfig,
    ) -> Result<ConnectorStatus, ApiOpError> {
        self.validate_config(&config).map_err(ApiOpError::Invalid)?;
        let id = config.id.to_string();
        let mut store = self.inner.store.lock().await;
        if store.doc.connectors.contains_key(&id) || self.slot(&id).is_some() {
            return Err(ApiOpError::Exists(id));
        }
        let run = config.enabled;
        let mut record = ConnectorRecord {
            origin: Origin::Api,
            file: None,
            desired: if run {
                Desired::Running
            } else {
                Desired::Stopped
            },
            active: 0,
            versions: Vec::new(),
        };
        record.active = record.push_version(Origin::Api, config.clone());
        let version = record.active;
        store.doc.connectors.insert(id.clone(), record);
        if let Err(e) = store.save() {
            store.doc.connectors.remove(&id);
            return Err(e.into());
        }
        let spec = prepare(&config, version, &self.runtimes());
        self.install(&config, None, Origin::Api, run, version, spec, false);
        drop(store);
        self.inner.changed.notify_one();
        self.get(&id).ok_or(ApiOpError::NotFound(id))
    }

    /// Appends `config` as a new version of `id` without activating it; returns its number.
    pub async fn add_version(&self, id: &str, config: ConnectorConfig) -> Result<u32, ApiOpError> {
        if config.id.as_str() != id {
            return Err(ApiOpError::IdMismatch {
                expected: id.to_string(),
                found: config.id.to_string(),
            });
        }
        self.validate_config(&config).map_err(ApiOpError::Invalid)?;
        let mut store = self.inner.store.lock().await;
        let record = store
            .doc
            .connectors
            .get_mut(id)
            .ok_or_else(|| ApiOpError::NotFound(id.to_string()))?;
        let version = record.push_version(Origin::Api, config);
        if let Err(e) = store.save() {
            if let Some(r) = store.doc.connectors.get_mut(id) {
                r.versions.retain(|v| v.version != version);
            }
            return Err(e.into());
        }
        Ok(version)
    }

    /// Stops and forgets `id`. A connector from a config-dir file is hidden by a durable
    /// tombstone until its file changes or is removed (the config dir is never written).
    pub async fn delete_connector(&self, id: &str) -> Result<Deleted, ApiOpError> {
        let mut store = self.inner.store.lock().await;
        let record = store.doc.connectors.get(id).cloned();
        let slot = self.slot(id);
        if record.is_none() && slot.is_none() {
            return Err(ApiOpError::NotFound(id.to_string()));
        }
        let file = match &record {
            Some(r) if r.origin == Origin::Api => None,
            Some(r) => r.file.clone(),
            None => slot.as_ref().and_then(|s| s.status().file),
        };
        let outcome = match file {
            Some(file) => {
                let state = &self.inner.config.state.path;
                let mut t = Tombstones::load(state);
                let fingerprint = tombstones::fingerprint(&file).unwrap_or_default();
                t.deleted
                    .insert(id.to_string(), Tombstone { file, fingerprint });
                t.save(state).map_err(ApiOpError::Tombstone)?;
                Deleted::FileHidden
            }
            None => Deleted::Api,
        };
        if store.doc.connectors.remove(id).is_some() {
            store.save()?;
        }
        if let Some(slot) = self
            .inner
            .registry
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id)
        {
            slot.send(Command::Remove);
        }
        drop(store);
        self.inner.changed.notify_one();
        Ok(outcome)
    }

    /// The config-dir entries minus the files deleted through the API; tombstones of files
    /// that changed or disappeared are dropped (the connector comes back with the new file).
    pub(super) fn without_deleted(&self, entries: Vec<CatalogEntry>) -> Vec<CatalogEntry> {
        let state = &self.inner.config.state.path;
        let mut t = Tombstones::load(state);
        if t.deleted.is_empty() {
            return entries;
        }
        let before = t.deleted.len();
        t.deleted.retain(|_, stone| {
            tombstones::fingerprint(&stone.file).is_some_and(|f| f == stone.fingerprint)
        });
        if t.deleted.len() != before
            && let Err(e) = t.save(state)
        {
            tracing::warn!(error = %e, "cannot update the deleted-connectors file");
        }
        entries
            .into_iter()
            .filter(|e| !t.deleted.values().any(|stone| stone.file == e.file))
            .collect()
    }

    /// Origin, direction and description of every connector with a durable record.
    pub async fn record_summaries(&self) -> BTreeMap<String, RecordSummary> {
        let store = self.inner.store.lock().await;
        store
            .doc
            .connectors
            .iter()
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
