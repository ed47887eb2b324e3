//! [`Agent`]: the cloneable handle over every supervised connector — query status and log
//! tails; start, stop, restart, signal (each returning a [`Ticket`]); shut down. Reloading,
//! versions, installing and metrics are the child modules' parts of the same handle.

mod error;
mod iggy_ids;
mod install;
mod metrics;
mod reload;
mod versions;

use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub use error::AgentError;
pub use metrics::{ConnectorMetrics, Totals};
pub use reload::ReloadReport;
pub use versions::RecordSummary;

use super::changes::Changes;
use super::child::ChildEnv;
use super::registry::Registry;
use super::slot::{Command, Slot};
use super::status::ConnectorStatus;
use super::task::Supervision;
use super::ticket::Ticket;
use super::{channel, status_file};
use crate::config::AgentConfig;
use crate::lock::unpoisoned;
use crate::logs::{CaptureLimits, LogLine, Stream, Streams};
use crate::runtimes::RuntimeRegistry;
use crate::store::{ConnectorRecord, Desired, Store};

/// Threads that fork runtimes; a few let spawns overlap while children exec. One per core was
/// measured on two cores (docs/PERFORMANCE.md): 1,000 connectors came up 3 – 9 % later.
const SPAWNER_THREADS: usize = 4;

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
    /// The agent channel and the status file writer; told to stop by `stop_background`.
    background: Mutex<JoinSet<()>>,
    stop_background: CancellationToken,
    started: Instant,
    /// The runtime the connector tasks, the agent channel and the watchdogs run on (never the API's).
    supervision: tokio::runtime::Handle,
}

impl Agent {
    /// Opens the state, listens on the agent socket, loads the config dir and starts every
    /// connector whose desired state is running.
    pub async fn start(config: AgentConfig) -> Result<(Self, ReloadReport), AgentError> {
        let state = config.state.path.clone();
        let tightened =
            crate::private_state::secure(&state).map_err(|source| AgentError::StateDir {
                path: state.clone(),
                source,
            })?;
        if tightened > 0 {
            tracing::info!(state = %state.display(), tightened, "state made owner-only (directories 0700, files 0600)");
        }
        let store = Store::open(&state)?;
        let socket = config.socket_path();
        let listener = channel::bind(&socket)?;
        let changed = Arc::new(Changes::new());
        let registry: Arc<Registry> = Arc::default();
        let sup = Arc::new(Supervision {
            env: Arc::new(ChildEnv::from_config(&config, &socket)),
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
        let stop_background = CancellationToken::new();
        let mut background = JoinSet::new();
        background.spawn(channel::serve(
            listener,
            registry.clone(),
            stop_background.clone(),
        ));
        background.spawn(status_file::run(
            state.join(status_file::FILE),
            registry.clone(),
            changed.clone(),
            stop_background.clone(),
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
                stop_background,
                started: Instant::now(),
                supervision: tokio::runtime::Handle::current(),
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
        self.inner.registry.statuses()
    }

    pub fn get(&self, id: &str) -> Option<ConnectorStatus> {
        self.inner.registry.get(id).map(|s| s.status())
    }

    /// The runtimes found at the last (re)load.
    pub fn runtimes(&self) -> Arc<RuntimeRegistry> {
        unpoisoned(self.inner.runtimes.read()).clone()
    }

    /// The durable record (versions, active version, desired state).
    pub async fn record(&self, id: &str) -> Option<ConnectorRecord> {
        let store = self.inner.store.lock().await;
        store.doc.connectors.get(id).cloned()
    }

    /// The last `n` lines of a stream kept in memory.
    pub fn logs(&self, id: &str, stream: Stream, n: usize) -> Option<Vec<String>> {
        let slot = self.inner.registry.get(id)?;
        Some(slot.capture(stream).tail.last(n))
    }

    /// The last `n` lines of the chosen streams in capture order: from memory when it holds
    /// enough, else from the log files. `None` when the connector does not exist.
    pub fn log_lines(&self, id: &str, streams: Streams, n: usize) -> Option<Vec<LogLine>> {
        let slot = self.inner.registry.get(id)?;
        let parts = streams
            .list()
            .iter()
            .map(|&stream| {
                let mut stamped = slot.capture(stream).tail.last_stamped(n);
                if stamped.len() < n
                    && let Ok(from_files) = crate::logs::reader::last_lines(
                        &self.log_file(id, stream),
                        self.inner.config.logs.files_kept,
                        n,
                    )
                {
                    stamped = from_files;
                }
                stamped
                    .into_iter()
                    .map(|(ts_ms, line)| LogLine {
                        stream,
                        ts_ms,
                        line,
                    })
                    .collect()
            })
            .collect();
        Some(crate::logs::merge(parts, n))
    }

    /// The current log file of a stream (rotated ones carry `.1`, `.2`, … after it).
    pub fn log_file(&self, id: &str, stream: Stream) -> PathBuf {
        self.inner
            .config
            .logs_dir()
            .join(format!("{id}.{}.log", stream.name()))
    }

    /// Desired running, durably; starts it now. The ticket resolves once it runs (or its
    /// start ended otherwise).
    pub async fn start_connector(&self, id: &str) -> Result<Ticket, AgentError> {
        self.command(id, Desired::Running, Command::Start).await
    }

    /// Desired stopped, durably; SIGTERM, grace, SIGKILL. The ticket resolves once the
    /// runtime has exited.
    pub async fn stop_connector(&self, id: &str) -> Result<Ticket, AgentError> {
        self.command(id, Desired::Stopped, Command::Stop).await
    }

    /// Stops and starts it again (desired running). The ticket resolves once a new runtime
    /// runs (or its start ended otherwise).
    pub async fn restart_connector(&self, id: &str) -> Result<Ticket, AgentError> {
        self.command(id, Desired::Running, Command::Restart).await
    }

    /// Sends a signal to the connector's process group.
    pub fn signal_connector(&self, id: &str, signal: Signal) -> Result<(), AgentError> {
        let slot = self.runnable(id)?;
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
    ) -> Result<Ticket, AgentError> {
        let slot = self.runnable(id)?;
        let mut store = self.inner.store.lock().await;
        if let Some(record) = store.doc.connectors.get_mut(id)
            && record.desired != desired
        {
            record.desired = desired;
            store.save()?;
        }
        let changes = self.subscribe();
        let ticket = match command {
            Command::Stop => Ticket::stop(slot.clone(), changes),
            Command::Restart => Ticket::start(slot.clone(), changes, true),
            _ => Ticket::start(slot.clone(), changes, false),
        };
        slot.update(|s| s.desired = desired);
        slot.send(command);
        Ok(ticket)
    }

    /// The slot of a connector that has a task to command.
    fn runnable(&self, id: &str) -> Result<Arc<Slot>, AgentError> {
        let slot = self
            .inner
            .registry
            .get(id)
            .ok_or_else(|| AgentError::NotFound(id.to_string()))?;
        if let Some(owner) = slot.status().placed_on {
            return Err(AgentError::PlacedElsewhere {
                id: id.to_string(),
                owner,
                here: self.inner.config.cluster.ordinal(),
            });
        }
        if slot.mailbox.is_none() {
            return Err(not_runnable(id, &slot));
        }
        Ok(slot)
    }

    /// Stops every child (SIGTERM, grace, SIGKILL) and waits for them; the desired states stay.
    /// Then tells the background tasks to stop and writes the final status file.
    pub async fn shutdown(&self) {
        for slot in self.inner.registry.all().values() {
            slot.send(Command::Shutdown);
        }
        let mut tasks = std::mem::take(&mut *unpoisoned(self.inner.tasks.lock()));
        let limit = self.inner.sup.grace + Duration::from_secs(2);
        if tokio::time::timeout(limit, async { while tasks.join_next().await.is_some() {} })
            .await
            .is_err()
        {
            tracing::error!("some connectors did not stop within the grace period");
        }
        self.inner.stop_background.cancel();
        let mut background = std::mem::take(&mut *unpoisoned(self.inner.background.lock()));
        while background.join_next().await.is_some() {}
        status_file::write(
            &self.inner.config.state.path.join(status_file::FILE),
            &self.inner.registry,
        );
        let _ = std::fs::remove_file(self.inner.config.socket_path());
    }
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
