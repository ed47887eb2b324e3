//! [`Agent`]: the cloneable handle over every supervised connector — query status, metrics
//! and log tails; start, stop, restart, signal; reload the config dir; shut down.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use connect_runtime_sdk::ConnectorConfig;
use connect_runtime_sdk::FieldErrors;
use connect_runtime_sdk::contract::Counters;
use connect_runtime_sdk::contract::env::vars;
use nix::sys::signal::Signal;
use serde::Serialize;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::Registry;
use super::changes::Changes;
use super::child::{ChildEnv, LaunchSpec};
use super::launch::prepare;
use super::slot::{Command, Slot};
use super::status::{ConnectorStatus, State};
use super::task::{Supervision, Task};
use crate::catalog::{self, CatalogEntry, RestartDefaults};
use crate::config::AgentConfig;
use crate::logs::{CaptureLimits, Stream, StreamCapture};
use crate::proc_stats::{self, ProcessStats};
use crate::runtimes::RuntimeRegistry;
use crate::store::{ConnectorRecord, Desired, Origin, Store, StoreError};

#[path = "api_ops.rs"]
pub(super) mod api_ops;

/// Threads that fork runtimes; a few let spawns overlap while children exec.
const SPAWNER_THREADS: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("connector `{0}` does not exist")]
    NotFound(String),
    #[error("connector `{id}` cannot run: {reason}")]
    NotRunnable { id: String, reason: String },
    #[error("connector `{0}` already exists; change it by adding a config version")]
    Exists(String),
    #[error("invalid connector config:\n{0}")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Channel(#[from] crate::channel::ChannelError),
    #[error("cannot create the state directory {path}: {source}")]
    StateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// What a reload changed.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ReloadReport {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub removed: Vec<String>,
    pub unchanged: Vec<String>,
    /// `file: reason` of every file that could not be used.
    pub invalid: Vec<String>,
}

/// A connector's numbers: heartbeat counters, its process from /proc, restarts, uptime.
#[derive(Debug, Clone, Serialize)]
pub struct ConnectorMetrics {
    pub id: String,
    pub state: State,
    pub restarts: u32,
    pub heartbeats: u64,
    /// Time since the current process started; 0 when none runs.
    pub uptime_ms: u64,
    pub counters: Counters,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessStats>,
}

/// Agent-wide numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Totals {
    pub agent_pid: u32,
    pub agent_uptime_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent_process: Option<ProcessStats>,
    pub connectors: usize,
    pub by_state: BTreeMap<&'static str, usize>,
    pub restarts: u64,
    pub counters: Counters,
}

#[derive(Clone)]
pub struct Agent {
    inner: Arc<Inner>,
}

struct Inner {
    config: AgentConfig,
    registry: Arc<Registry>,
    sup: Arc<Supervision>,
    limits: CaptureLimits,
    changed: Arc<Changes>,
    store: tokio::sync::Mutex<Store>,
    runtimes: RwLock<Arc<RuntimeRegistry>>,
    tasks: Mutex<JoinSet<()>>,
    background: Mutex<JoinSet<()>>,
    started: Instant,
}

impl Agent {
    /// Opens the state, listens on the agent socket, loads the config dir and starts every
    /// connector whose desired state is running.
    pub async fn start(config: AgentConfig) -> Result<(Self, ReloadReport), AgentError> {
        let state = config.state.path.clone();
        std::fs::create_dir_all(&state).map_err(|source| AgentError::StateDir {
            path: state.clone(),
            source,
        })?;
        let store = Store::open(&state)?;
        let socket = config.socket_path();
        let listener = crate::channel::bind(&socket)?;
        let changed = Arc::new(Changes::new());
        let registry: Arc<Registry> = Arc::default();
        let sup = Arc::new(Supervision {
            env: Arc::new(child_env(&config, &socket)),
            spawner: super::spawner::Spawner::start(SPAWNER_THREADS),
            grace: config.supervisor.grace_period,
            heartbeat_timeout: config.supervisor.heartbeat_timeout,
            start_timeout: config.supervisor.start_timeout,
        });
        let limits = CaptureLimits {
            max_file_size: config.logs.max_file_size.0,
            files_kept: config.logs.files_kept,
            max_line: usize::try_from(config.logs.max_line_length.0).unwrap_or(usize::MAX),
            tail_lines: config.logs.tail_lines,
        };
        let mut background = JoinSet::new();
        background.spawn(crate::channel::serve(listener, registry.clone()));
        background.spawn(crate::status_file::run(
            state.join(crate::status_file::FILE),
            registry.clone(),
            changed.clone(),
        ));
        let agent = Self {
            inner: Arc::new(Inner {
                config,
                registry,
                sup,
                limits,
                changed,
                store: tokio::sync::Mutex::new(store),
                runtimes: RwLock::default(),
                tasks: Mutex::new(JoinSet::new()),
                background: Mutex::new(background),
                started: Instant::now(),
            }),
        };
        let report = agent.reload().await?;
        agent.restore_api_connectors().await;
        Ok((agent, report))
    }

    /// A counter that moves whenever any connector's status changes: wait on it with
    /// `changed()` instead of polling (long polls, server-sent events).
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.changed.subscribe()
    }

    pub fn config(&self) -> &AgentConfig {
        &self.inner.config
    }

    /// Every connector's status, by id.
    pub fn list(&self) -> Vec<ConnectorStatus> {
        self.slots().values().map(|s| s.status()).collect()
    }

    pub fn get(&self, id: &str) -> Option<ConnectorStatus> {
        self.slot(id).map(|s| s.status())
    }

    /// The runtimes found at the last (re)load.
    pub fn runtimes(&self) -> Arc<RuntimeRegistry> {
        self.inner
            .runtimes
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The durable record (versions, active version, desired state).
    pub async fn record(&self, id: &str) -> Option<ConnectorRecord> {
        self.inner
            .store
            .lock()
            .await
            .doc
            .connectors
            .get(id)
            .cloned()
    }

    /// The last `n` lines of a stream kept in memory.
    pub fn logs(&self, id: &str, stream: Stream, n: usize) -> Option<Vec<String>> {
        self.slot(id).map(|s| s.capture(stream).tail.last(n))
    }

    /// The last `n` lines of a stream from its log files (any `n`, slower than [`Self::logs`]).
    pub fn read_log(&self, id: &str, stream: Stream, n: usize) -> std::io::Result<Vec<String>> {
        crate::logs::reader::last_lines(
            &self.log_file(id, stream),
            self.inner.config.logs.files_kept,
            n,
        )
    }

    /// The current log file of a stream (rotated ones carry `.1`, `.2`, … after it).
    pub fn log_file(&self, id: &str, stream: Stream) -> PathBuf {
        self.inner
            .config
            .logs_dir()
            .join(format!("{id}.{}.log", stream.name()))
    }

    pub fn metrics(&self, id: &str) -> Option<ConnectorMetrics> {
        let s = self.get(id)?;
        Some(metrics_of(&s))
    }

    pub fn totals(&self) -> Totals {
        let statuses = self.list();
        let mut by_state = BTreeMap::new();
        let mut counters = Counters::default();
        let mut restarts = 0u64;
        for s in &statuses {
            *by_state.entry(s.state.name()).or_insert(0) += 1;
            restarts += u64::from(s.restarts);
            if let Some(h) = &s.heartbeat {
                counters.messages_in += h.counters.messages_in;
                counters.messages_out += h.counters.messages_out;
                counters.messages_filtered += h.counters.messages_filtered;
                counters.messages_failed += h.counters.messages_failed;
                counters.bytes_in += h.counters.bytes_in;
                counters.bytes_out += h.counters.bytes_out;
                counters.batches += h.counters.batches;
            }
        }
        Totals {
            agent_pid: std::process::id(),
            agent_uptime_ms: u64::try_from(self.inner.started.elapsed().as_millis())
                .unwrap_or(u64::MAX),
            agent_process: proc_stats::own(),
            connectors: statuses.len(),
            by_state,
            restarts,
            counters,
        }
    }

    /// Desired running, durably; starts it now.
    pub async fn start_connector(&self, id: &str) -> Result<(), AgentError> {
        self.command(id, Desired::Running, Command::Start).await
    }

    /// Desired stopped, durably; SIGTERM, grace, SIGKILL.
    pub async fn stop_connector(&self, id: &str) -> Result<(), AgentError> {
        self.command(id, Desired::Stopped, Command::Stop).await
    }

    /// Stops and starts it again (desired running).
    pub async fn restart_connector(&self, id: &str) -> Result<(), AgentError> {
        self.command(id, Desired::Running, Command::Restart).await
    }

    /// Sends a signal to the connector's process group.
    pub fn signal_connector(&self, id: &str, signal: Signal) -> Result<(), AgentError> {
        let slot = self
            .slot(id)
            .ok_or_else(|| AgentError::NotFound(id.to_string()))?;
        if slot.send(Command::Signal(signal)) {
            Ok(())
        } else {
            Err(not_runnable(id, &slot))
        }
    }

    async fn command(
        &self,
        id: &str,
        desired: Desired,
        command: Command,
    ) -> Result<(), AgentError> {
        let slot = self
            .slot(id)
            .ok_or_else(|| AgentError::NotFound(id.to_string()))?;
        if slot.commands.is_none() {
            return Err(not_runnable(id, &slot));
        }
        let mut store = self.inner.store.lock().await;
        if let Some(record) = store.doc.connectors.get_mut(id)
            && record.desired != desired
        {
            record.desired = desired;
            store.save()?;
        }
        slot.update(|s| s.desired = desired);
        slot.send(command);
        Ok(())
    }

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
        let (file, origin) = (record.file.clone(), record.origin);
        store.save()?;
        drop(store);
        self.install(&config, file, origin, run, version, Ok(spec), true);
        Ok(())
    }

    /// Checks a config as a start would: the document's own rules, its runtime, and its
    /// components against the runtime's definitions; every problem with its path.
    pub fn validate(&self, config: &ConnectorConfig) -> Result<(), FieldErrors> {
        let mut errors = config.validate();
        let runtimes = self.runtimes();
        match runtimes.resolve(&config.runtime) {
            Err(e) => errors.push("runtime", e.to_string()),
            Ok(entry) => {
                if let Err(e) =
                    connect_runtime_sdk::metadata::validate_connector(config, &entry.metadata)
                {
                    errors.0.extend(e.0);
                }
            }
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
        if self.slot(&id).is_some() || store.doc.connectors.get(&id).is_some_and(|r| !r.deleted) {
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
        self.install(
            &config,
            None,
            Origin::Api,
            desired == Desired::Running,
            1,
            Ok(spec),
            false,
        );
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
    pub async fn delete_connector(&self, id: &str) -> Result<(), AgentError> {
        let mut store = self.inner.store.lock().await;
        let slot = self
            .inner
            .registry
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
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
        if let Some(slot) = slot {
            slot.send(Command::Remove);
        }
        self.inner.changed.bump();
        Ok(())
    }

    /// Re-reads the runtimes and the config dir: new connectors start, removed ones stop,
    /// changed ones become a new version and restart; invalid files are marked failed.
    pub async fn reload(&self) -> Result<ReloadReport, AgentError> {
        let cfg = &self.inner.config;
        let runtimes = Arc::new(RuntimeRegistry::scan(&cfg.runtimes));
        for problem in &runtimes.problems {
            tracing::warn!("{problem}");
        }
        *self
            .inner
            .runtimes
            .write()
            .unwrap_or_else(|p| p.into_inner()) = runtimes.clone();
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
        let entries = catalog::load_dir(&cfg.connectors.config_dir, defaults);
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
            self.install(
                &active_config,
                Some(file),
                Origin::File,
                run,
                active,
                spec,
                kind == Change::Changed,
            );
        }
        // Connectors whose file is gone.
        let gone: Vec<String> = self
            .slots()
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
            if let Some(slot) = self
                .inner
                .registry
                .write()
                .unwrap_or_else(|p| p.into_inner())
                .remove(&id)
            {
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
        Ok(report)
    }

    /// Connectors created through the API live only in the state; bring them back too.
    async fn restore_api_connectors(&self) {
        let store = self.inner.store.lock().await;
        let runtimes = self.runtimes();
        for (id, record) in &store.doc.connectors {
            if record.origin != Origin::Api || self.slot(id).is_some() {
                continue;
            }
            let config = record.active_config().clone();
            let spec = prepare(&config, record.active, &runtimes);
            self.install(
                &config,
                None,
                Origin::Api,
                record.desired == Desired::Running,
                record.active,
                spec,
                false,
            );
        }
    }

    /// Puts a connector in place: a new task, or the new version handed to the existing task.
    #[allow(clippy::too_many_arguments)]
    fn install(
        &self,
        config: &ConnectorConfig,
        file: Option<PathBuf>,
        _origin: Origin,
        run: bool,
        version: u32,
        spec: Result<LaunchSpec, String>,
        changed: bool,
    ) {
        let id = config.id.as_str();
        let existing = self.slot(id);
        let spec = match spec {
            Ok(s) => s,
            Err(message) => {
                self.install_failed(id, &config.runtime.to_string(), file, version, message);
                return;
            }
        };
        if let Some(slot) = &existing
            && slot.commands.is_some()
        {
            if changed {
                slot.update(|s| s.runtime = config.runtime.to_string());
                slot.send(Command::Reconfigure(Box::new(spec), run));
            }
            return;
        }
        let desired = if run {
            Desired::Running
        } else {
            Desired::Stopped
        };
        let status = ConnectorStatus::new(id, &config.runtime.to_string(), file, desired, version);
        let (ctx, crx) = mpsc::unbounded_channel();
        let (etx, erx) = mpsc::channel(16);
        let slot = Arc::new(self.new_slot(status, Some(ctx), Some(etx)));
        let task = Task {
            id: id.to_string(),
            slot: slot.clone(),
            sup: self.inner.sup.clone(),
            spec,
            commands: crx,
            events: erx,
        };
        self.inner
            .registry
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_string(), slot);
        self.inner
            .tasks
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .spawn(task.run(run));
    }

    /// A connector that cannot run: shown as failed with the reason; a running task for the id stops.
    fn install_failed(
        &self,
        id: &str,
        runtime: &str,
        file: Option<PathBuf>,
        version: u32,
        message: String,
    ) {
        let mut status = ConnectorStatus::new(id, runtime, file, Desired::Running, version);
        status.state = State::Failed;
        status.error = Some(message);
        let slot = Arc::new(self.new_slot(status, None, None));
        let old = self
            .inner
            .registry
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id.to_string(), slot);
        if let Some(old) = old {
            old.send(Command::Remove);
        }
        self.inner.changed.bump();
    }

    fn new_slot(
        &self,
        status: ConnectorStatus,
        commands: Option<mpsc::UnboundedSender<Command>>,
        events: Option<mpsc::Sender<super::slot::ChannelEvent>>,
    ) -> Slot {
        let dir = self.inner.config.logs_dir();
        let capture = |stream: Stream| {
            StreamCapture::new(
                dir.join(format!("{}.{}.log", status.id, stream.name())),
                &self.inner.limits,
            )
        };
        let (out, err) = (capture(Stream::Stdout), capture(Stream::Stderr));
        Slot::new(
            status,
            out,
            err,
            commands,
            events,
            self.inner.changed.clone(),
        )
    }

    /// Stops every child (SIGTERM, grace, SIGKILL) and waits for them; the desired states stay.
    pub async fn shutdown(&self) {
        for slot in self.slots().values() {
            slot.send(Command::Shutdown);
        }
        let mut tasks =
            std::mem::take(&mut *self.inner.tasks.lock().unwrap_or_else(|p| p.into_inner()));
        let limit = self.inner.sup.grace + Duration::from_secs(2);
        if tokio::time::timeout(limit, async { while tasks.join_next().await.is_some() {} })
            .await
            .is_err()
        {
            tracing::error!("some connectors did not stop within the grace period");
        }
        self.inner
            .background
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .abort_all();
        crate::status_file::write(
            &self.inner.config.state.path.join(crate::status_file::FILE),
            &self.inner.registry,
        );
        let _ = std::fs::remove_file(self.inner.config.socket_path());
    }

    fn slots(&self) -> BTreeMap<String, Arc<Slot>> {
        self.inner
            .registry
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    fn slot(&self, id: &str) -> Option<Arc<Slot>> {
        self.inner
            .registry
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .cloned()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Added,
    Changed,
    Same,
}

fn not_runnable(id: &str, slot: &Slot) -> AgentError {
    AgentError::NotRunnable {
        id: id.to_string(),
        reason: slot
            .status()
            .error
            .unwrap_or_else(|| "it has no supervisor".into()),
    }
}

fn metrics_of(s: &ConnectorStatus) -> ConnectorMetrics {
    let uptime_ms = match (s.pid, s.started_at_ms) {
        (Some(_), Some(t)) => crate::clock::now_ms().saturating_sub(t),
        _ => 0,
    };
    ConnectorMetrics {
        id: s.id.clone(),
        state: s.state,
        restarts: s.restarts,
        heartbeats: s.heartbeats,
        uptime_ms,
        counters: s.heartbeat.as_ref().map(|h| h.counters).unwrap_or_default(),
        process: s.pid.and_then(proc_stats::read),
    }
}

/// The contract's environment shared by every child, from the agent's config.
fn child_env(config: &AgentConfig, socket: &std::path::Path) -> ChildEnv {
    let prefix = connect_runtime_sdk::model::connector::RESERVED_ENV_PREFIX.as_bytes();
    let inherited = std::env::vars_os()
        .filter(|(k, _)| !std::os::unix::ffi::OsStrExt::as_bytes(k.as_os_str()).starts_with(prefix))
        .collect();
    let fmt = connect_runtime_sdk::model::duration::format;
    let iggy = &config.iggy;
    let mut common = vec![
        (vars::LOG_LEVEL.to_string(), config.logs.level.clone()),
        (vars::LOG_FORMAT.to_string(), config.logs.format.clone()),
        (vars::IGGY_ADDRESS.to_string(), iggy.address.clone()),
        (vars::IGGY_USERNAME.to_string(), iggy.username.clone()),
        (vars::IGGY_PASSWORD.to_string(), iggy.password.clone()),
        (
            vars::IGGY_TLS_ENABLED.to_string(),
            iggy.tls.enabled.to_string(),
        ),
        (
            vars::AGENT_SOCKET.to_string(),
            absolute(socket).display().to_string(),
        ),
        (
            vars::HEARTBEAT_INTERVAL.to_string(),
            fmt(config.supervisor.heartbeat_interval),
        ),
        // The runtime drains within 80 % of the grace period, before SIGKILL could hit it.
        (
            vars::SHUTDOWN_TIMEOUT.to_string(),
            fmt(config
                .supervisor
                .grace_period
                .mul_f64(0.8)
                .max(Duration::from_millis(1))),
        ),
    ];
    for (name, value) in [
        (vars::IGGY_TOKEN, &iggy.token),
        (vars::IGGY_TLS_CA_FILE, &iggy.tls.ca_file),
        (vars::IGGY_TLS_DOMAIN, &iggy.tls.domain),
    ] {
        if !value.is_empty() {
            common.push((name.to_string(), value.clone()));
        }
    }
    let telemetry = config.telemetry.enabled && !config.telemetry.endpoint.is_empty();
    if telemetry {
        common.push((
            vars::OTEL_ENDPOINT.to_string(),
            config.telemetry.endpoint.clone(),
        ));
    }
    ChildEnv {
        inherited,
        common,
        state_root: absolute(&config.state.path.join("connectors")),
        otel_service_prefix: telemetry.then(|| config.telemetry.service_name.clone()),
    }
}

fn absolute(p: &std::path::Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
