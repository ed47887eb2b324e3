//! Reconciling the connectors directory with the durable records and the running tasks: new
//! files start, changed files become a new version and restart, removed files stop, invalid
//! files show as failed; connectors created through the API come back from the state.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Serialize;

use super::install::Install;
use super::{Agent, AgentError};
use crate::catalog::{self, CatalogEntry, RestartDefaults};
use crate::lock::unpoisoned;
use crate::runtimes::RuntimeRegistry;
use crate::store::{ConnectorRecord, Desired, Origin};
use crate::supervisor::launch::prepare;
use crate::supervisor::slot::Command;

/// What a reload changed.
#[derive(Debug, Default, Clone, Serialize, schemars::JsonSchema)]
pub struct ReloadReport {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: Vec<String>,
    /// `file: reason` of every file that could not be used.
    pub invalid: Vec<String>,
}

impl Agent {
    /// Re-reads the runtimes and the config dir: new connectors start, removed ones stop,
    /// changed ones become a new version and restart; invalid files are marked failed.
    #[tracing::instrument(target = "connect.trace", name = "agent.reload", skip_all)]
    pub async fn reload(&self) -> Result<ReloadReport, AgentError> {
        let cfg = &self.inner.config;
        let runtimes = Arc::new(RuntimeRegistry::scan(&cfg.runtimes).with_file_access(cfg));
        for problem in &runtimes.problems {
            tracing::warn!("{problem}");
        }
        *unpoisoned(self.inner.runtimes.write()) = runtimes.clone();
        let defaults = RestartDefaults {
            initial_backoff: cfg.supervisor.initial_backoff,
            max_backoff: cfg.supervisor.max_backoff,
        };
        if !cfg.connectors.config_dir.is_dir() {
            tracing::warn!(
                config_dir = %cfg.connectors.config_dir.display(),
                "the connectors config dir does not exist; no connector comes from files (set [connectors] config_dir)"
            );
        }
        let check = crate::document_check::DocumentCheck {
            defaults,
            runtimes: &runtimes,
        };
        let entries = catalog::load_dir(&cfg.connectors.config_dir, check);
        let mut report = ReloadReport::default();
        let mut store = self.inner.store.lock().await;
        let mut dirty = false;
        let mut seen = BTreeSet::new();
        for CatalogEntry { file, id, result } in entries {
            seen.insert(id.clone());
            let config = match result {
                Ok(c) => c,
                Err(reason) => {
                    let message = format!("{}: {reason}", file.display());
                    tracing::error!(
                        "invalid connector file {message}; fix the file and reload (SIGHUP)"
                    );
                    report.invalid.push(message.clone());
                    self.install_failed(&id, "", Some(file), 0, message);
                    continue;
                }
            };
            let (record, kind) = match store.doc.connectors.get_mut(&id) {
                None => {
                    let mut r = ConnectorRecord {
                        origin: Origin::File,
                        file: Some(file.clone()),
                        desired: if config.enabled {
                            Desired::Running
                        } else {
                            Desired::Stopped
                        },
                        active: 0,
                        versions: Vec::new(),
                        deleted: false,
                    };
                    r.active = r.push_version(Origin::File, config.clone());
                    store.doc.connectors.insert(id.clone(), r);
                    dirty = true;
                    (
                        store.doc.connectors.get_mut(&id).expect("inserted above"),
                        Change::Added,
                    )
                }
                Some(r) => {
                    let kind = if r.latest_file_version().map(|v| &v.config) != Some(&config) {
                        r.active = r.push_version(Origin::File, config.clone());
                        // A changed file speaks for itself again, `enabled` included.
                        r.desired = if config.enabled {
                            Desired::Running
                        } else {
                            Desired::Stopped
                        };
                        r.deleted = false;
                        dirty = true;
                        Change::Changed
                    } else if r.deleted {
                        continue;
                    } else {
                        Change::Same
                    };
                    if r.file.as_ref() != Some(&file) {
                        r.file = Some(file.clone());
                        dirty = true;
                    }
                    (r, kind)
                }
            };
            let active = record.active;
            let active_config = record.active_config().clone();
            let run = record.desired == Desired::Running;
            let spec = prepare(&active_config, active, &runtimes)
                .map_err(|reason| format!("{}: {reason}", file.display()));
            if let Err(message) = &spec {
                tracing::error!("connector `{id}` cannot run: {message}");
                report.invalid.push(message.clone());
            }
            match kind {
                Change::Added => report.added.push(id.clone()),
                Change::Changed => report.changed.push(id.clone()),
                Change::Same => report.unchanged.push(id.clone()),
            }
            self.install(Install {
                config: &active_config,
                file: Some(file),
                run,
                version: active,
                spec,
                changed: kind == Change::Changed,
            });
        }
        // Connectors whose file is gone.
        let gone: Vec<String> = self
            .inner
            .registry
            .all()
            .iter()
            .filter(|(id, _)| !seen.contains(*id))
            .filter(|(id, _)| {
                store
                    .doc
                    .connectors
                    .get(*id)
                    .is_none_or(|r| r.origin == Origin::File)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in gone {
            if store.doc.connectors.remove(&id).is_some() {
                dirty = true;
            }
            if let Some(slot) = self.inner.registry.remove(&id) {
                slot.send(Command::Remove);
            }
            report.removed.push(id);
        }
        let before = store.doc.connectors.len();
        store
            .doc
            .connectors
            .retain(|id, r| r.origin != Origin::File || seen.contains(id));
        dirty |= store.doc.connectors.len() != before;
        if dirty {
            store.save()?;
        }
        self.inner.changed.bump();
        drop(store);
        // The parse of every file is freed now: give its pages back.
        crate::heap::release_free_pages();
        Ok(report)
    }

    /// Connectors created through the API live only in the state; bring them back too.
    pub(super) async fn restore_api_connectors(&self) {
        let store = self.inner.store.lock().await;
        let runtimes = self.runtimes();
        for (id, record) in &store.doc.connectors {
            if record.origin != Origin::Api || self.inner.registry.get(id).is_some() {
                continue;
            }
            let config = record.active_config().clone();
            let spec = prepare(&config, record.active, &runtimes);
            self.install(Install {
                config: &config,
                file: None,
                run: record.desired == Desired::Running,
                version: record.active,
                spec,
                changed: false,
            });
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Added,
    Changed,
    Same,
}
