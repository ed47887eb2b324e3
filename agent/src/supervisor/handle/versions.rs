//! Connectors and their config versions: create, validate, add a version, activate one,
//! delete; and the one-lock summaries of the durable records that listings need.

use std::collections::BTreeMap;

use connect_model::ConnectorConfig;
use connect_model::document::Direction;
use connect_model::validation::{FieldError, FieldErrors};

use super::install::Install;
use super::{Agent, AgentError};
use crate::store::{ConnectorRecord, Desired, Origin};
use crate::supervisor::launch::prepare;
use crate::supervisor::slot::Command;
use crate::supervisor::status::ConnectorStatus;
use crate::supervisor::ticket::Ticket;

/// The durable facts of a connector that its status does not carry.
#[derive(Debug, Clone)]
pub struct RecordSummary {
    pub origin: Origin,
    pub direction: Direction,
    pub description: String,
    pub versions: usize,
}

impl Agent {
    /// Makes `version` the active config of `id` and restarts it with that version.
    pub async fn activate_version(&self, id: &str, version: u32) -> Result<(), AgentError> {
        let mut store = self.inner.store.lock().await;
        let record = store
            .doc
            .connectors
            .get_mut(id)
            .ok_or_else(|| AgentError::NotFound(id.to_string()))?;
        let config = record
            .version(version)
            .ok_or_else(|| AgentError::NotRunnable {
                id: id.to_string(),
                reason: format!("it has no version {version}"),
            })?
            .config
            .clone();
        let spec = prepare(&config, version, &self.runtimes()).map_err(|reason| {
            AgentError::NotRunnable {
                id: id.to_string(),
                reason,
            }
        })?;
        record.active = version;
        let run = record.desired == Desired::Running;
        let file = record.file.clone();
        store.save()?;
        drop(store);
        self.install(Install {
            config: &config,
            file,
            run,
            version,
            spec: Ok(spec),
            changed: true,
        });
        Ok(())
    }

    /// Checks a config as a start would: the document's own rules, its runtime, and its
    /// components against the runtime's definitions; every problem with its path.
    pub fn validate(&self, config: &ConnectorConfig) -> Result<(), FieldErrors> {
        let mut errors = config.validate();
        errors
            .0
            .extend(crate::document_check::runtime_errors(config, &self.runtimes()).0);
        let members = self.inner.config.cluster.members;
        if let Some(connect_model::document::Placement::Agent(k)) = config.placement
            && members > 1
            && k >= members
        {
            errors.push(
                "placement.agent",
                crate::placement::out_of_range(k, members),
            );
        }
        errors.into_result(())
    }

    /// Creates a connector that lives in the state only (version 1, origin api) and starts it
    /// when `enabled`.
    pub async fn create_connector(
        &self,
        config: ConnectorConfig,
    ) -> Result<ConnectorStatus, AgentError> {
        self.validate(&config).map_err(AgentError::Invalid)?;
        let id = config.id.to_string();
        let mut store = self.inner.store.lock().await;
        if self.inner.registry.get(&id).is_some()
            || store.doc.connectors.get(&id).is_some_and(|r| !r.deleted)
        {
            return Err(AgentError::Exists(id));
        }
        let spec =
            prepare(&config, 1, &self.runtimes()).map_err(|reason| AgentError::NotRunnable {
                id: id.clone(),
                reason,
            })?;
        let desired = if config.enabled {
            Desired::Running
        } else {
            Desired::Stopped
        };
        let mut record = ConnectorRecord {
            origin: Origin::Api,
            file: None,
            desired,
            active: 0,
            versions: Vec::new(),
            deleted: false,
        };
        record.active = record.push_version(Origin::Api, config.clone());
        store.doc.connectors.insert(id.clone(), record);
        store.save()?;
        drop(store);
        self.install(Install {
            config: &config,
            file: None,
            run: desired == Desired::Running,
            version: 1,
            spec: Ok(spec),
            changed: false,
        });
        self.get(&id).ok_or(AgentError::NotFound(id))
    }

    /// Adds `config` as the next version of `id`; with `activate` it becomes active and the
    /// connector restarts with it. Returns the new version number.
    pub async fn add_version(
        &self,
        id: &str,
        config: ConnectorConfig,
        activate: bool,
    ) -> Result<u32, AgentError> {
        if config.id.as_str() != id {
            let mut e = FieldErrors::default();
            e.push(
                "id",
                format!("the document is for `{}`, not `{id}`", config.id),
            );
            return Err(AgentError::Invalid(e));
        }
        self.validate(&config).map_err(AgentError::Invalid)?;
        let version = {
            let mut store = self.inner.store.lock().await;
            let record = store
                .doc
                .connectors
                .get_mut(id)
                .filter(|r| !r.deleted)
                .ok_or_else(|| AgentError::NotFound(id.to_string()))?;
            let v = record.push_version(Origin::Api, config);
            store.save()?;
            v
        };
        if activate {
            self.activate_version(id, version).await?;
        }
        Ok(version)
    }

    /// Stops the connector and forgets it. A connector created through the API is removed
    /// from the state; one from a config file (read-only) is hidden, durably, until its file
    /// changes.
    /// The returned ticket resolves once its runtime has exited.
    pub async fn delete_connector(&self, id: &str) -> Result<Option<Ticket>, AgentError> {
        let mut store = self.inner.store.lock().await;
        let slot = self.inner.registry.remove(id);
        let known = match store.doc.connectors.get_mut(id) {
            Some(r) if r.origin == Origin::File => {
                r.deleted = true;
                r.desired = Desired::Stopped;
                true
            }
            Some(_) => store.doc.connectors.remove(id).is_some(),
            None => false,
        };
        if !known && slot.is_none() {
            return Err(AgentError::NotFound(id.to_string()));
        }
        if known {
            store.save()?;
        }
        let ticket = slot.map(|slot| {
            let ticket = Ticket::stop(slot.clone(), self.subscribe());
            slot.send(Command::Remove);
            ticket
        });
        self.inner.changed.bump();
        Ok(ticket)
    }

    /// Removes what a deleted connector leaves on disk: its state directory (cursors, durable
    /// positions) and its log files, rotated ones included. Returns what was removed.
    pub fn remove_connector_files(&self, id: &str) -> std::io::Result<Vec<std::path::PathBuf>> {
        let mut removed = Vec::new();
        let state = self.inner.sup.env.state_root.join(id);
        if state.exists() {
            std::fs::remove_dir_all(&state)?;
            removed.push(state);
        }
        let logs = self.inner.config.logs_dir();
        let Ok(entries) = std::fs::read_dir(&logs) else {
            return Ok(removed);
        };
        let names = [format!("{id}.stdout.log"), format!("{id}.stderr.log")];
        for entry in entries {
            let path = entry?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            let ours = names.iter().any(|base| {
                name.strip_prefix(base.as_str()).is_some_and(|rest| {
                    rest.is_empty()
                        || rest
                            .strip_prefix('.')
                            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                })
            });
            if ours {
                std::fs::remove_file(&path)?;
                removed.push(path);
            }
        }
        Ok(removed)
    }

    /// Masked secrets sent back (`******`, as the API shows them) become the values stored in
    /// the connector's active config; a masked field with nothing stored is an error naming it.
    pub async fn restore_masked(&self, config: &mut ConnectorConfig) -> Result<(), FieldErrors> {
        let stored = {
            let store = self.inner.store.lock().await;
            store
                .doc
                .connectors
                .get(config.id.as_str())
                .filter(|r| !r.deleted)
                .map(|r| r.active_config().clone())
        };
        let runtimes = self.runtimes();
        let metadata = runtimes.resolve(&config.runtime).ok().map(|e| &*e.metadata);
        connect_model::metadata::restore_masked(config, stored.as_ref(), metadata)
    }

    /// One warning per secret field holding a literal value instead of a reference.
    pub fn secret_warnings(&self, config: &ConnectorConfig) -> Vec<String> {
        let runtimes = self.runtimes();
        let metadata = runtimes.resolve(&config.runtime).ok().map(|e| &*e.metadata);
        connect_model::metadata::literal_secrets(config, metadata)
            .iter()
            .map(|path| crate::supervisor::launch::literal_warning(path))
            .collect()
    }

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
