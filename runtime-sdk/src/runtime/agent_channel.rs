//! The runtime's side of the agent channel: `ready`, periodic `heartbeat`s and `event`s as
//! newline-delimited JSON on `CONNECT_AGENT_SOCKET`, or counters in the log when there is no agent.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use tokio::io::AsyncWriteExt;
use tokio::net::UnixStream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::metrics::Metrics;
use crate::contract::{AgentMessage, CONTRACT_VERSION, EventLevel};

/// Identity stamped on every message.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    pub connector_id: String,
    pub instance_id: String,
    pub runtime: String,
    pub runtime_version: String,
}

/// Sends `ready` and `event`s to the channel task; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct AgentHandle {
    tx: mpsc::UnboundedSender<AgentMessage>,
    identity: Identity,
}

/// How often counters are logged when no agent listens.
const LOG_COUNTERS_EVERY: Duration = Duration::from_secs(30);

impl AgentHandle {
    pub(crate) fn ready(&self) {
        let i = &self.identity;
        let _ = self.tx.send(AgentMessage::Ready {
            contract: CONTRACT_VERSION,
            connector_id: i.connector_id.clone(),
            instance_id: i.instance_id.clone(),
            pid: std::process::id(),
            runtime: i.runtime.clone(),
            runtime_version: i.runtime_version.clone(),
        });
    }

    pub(crate) fn event(
        &self,
        level: EventLevel,
        name: &str,
        message: &str,
        fields: serde_json::Map<String, serde_json::Value>,
    ) {
        let _ = self.tx.send(AgentMessage::Event {
            connector_id: self.identity.connector_id.clone(),
            instance_id: self.identity.instance_id.clone(),
            level,
            name: name.to_string(),
            message: message.to_string(),
            fields,
        });
    }
}

/// Starts the channel task. It runs until `stop` fires, then sends a last heartbeat.
pub(crate) fn spawn(
    socket: Option<PathBuf>,
    identity: Identity,
    metrics: Metrics,
    interval: Duration,
    stop: CancellationToken,
) -> (AgentHandle, tokio::task::JoinHandle<()>) {
    let (tx, rx) = mpsc::unbounded_channel();
    let handle = AgentHandle {
        tx,
        identity: identity.clone(),
    };
    let task = tokio::spawn(run(socket, identity, metrics, interval, rx, stop));
    (handle, task)
}

async fn run(
    socket: Option<PathBuf>,
    identity: Identity,
    metrics: Metrics,
    interval: Duration,
    mut rx: mpsc::UnboundedReceiver<AgentMessage>,
    stop: CancellationToken,
) {
    let started = Instant::now();
    let mut seq = 0u64;
    let mut sink = Sink::new(socket);
    let tick_every = if sink.socket.is_some() {
        interval
    } else {
        LOG_COUNTERS_EVERY
    };
    let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + tick_every, tick_every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let heartbeat = |seq: u64| AgentMessage::Heartbeat {
        connector_id: identity.connector_id.clone(),
        instance_id: identity.instance_id.clone(),
        seq,
        uptime_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        counters: metrics.snapshot(),
        last_error: metrics.last_error(),
    };
    // The first heartbeat goes out at once so the agent sees the process alive early.
    sink.send(&heartbeat(seq)).await;
    loop {
        tokio::select! {
            biased;
            msg = rx.recv() => match msg {
                Some(m) => sink.send(&m).await,
                None => break,
            },
            _ = ticker.tick() => {
                seq += 1;
                sink.send(&heartbeat(seq)).await;
            }
            _ = stop.cancelled() => break,
        }
    }
    while let Ok(m) = rx.try_recv() {
        sink.send(&m).await;
    }
    seq += 1;
    sink.send(&heartbeat(seq)).await;
}

/// The socket, connected lazily and reconnected after a failed write; or the log.
struct Sink {
    socket: Option<PathBuf>,
    stream: Option<UnixStream>,
    warned: bool,
}

impl Sink {
    fn new(socket: Option<PathBuf>) -> Self {
        Self {
            socket,
            stream: None,
            warned: false,
        }
    }

    async fn send(&mut self, msg: &AgentMessage) {
        let Some(path) = &self.socket else {
            log_message(msg);
            return;
        };
        let line = msg.to_line();
        for _attempt in 0..2 {
            if self.stream.is_none() {
                match UnixStream::connect(path).await {
                    Ok(s) => self.stream = Some(s),
                    Err(e) => {
                        if !self.warned {
                            tracing::warn!(socket = %path.display(), error = %e, "cannot reach the agent channel; will retry with the next message");
                            self.warned = true;
                        }
                        return;
                    }
                }
            }
            let stream = self.stream.as_mut().expect("connected above");
            match stream.write_all(line.as_bytes()).await {
                Ok(()) => {
                    self.warned = false;
                    return;
                }
                Err(_) => self.stream = None,
            }
        }
    }
}

fn log_message(msg: &AgentMessage) {
    match msg {
        AgentMessage::Ready { .. } => tracing::info!("ready"),
        AgentMessage::Heartbeat {
            counters: c,
            last_error,
            ..
        } => tracing::info!(
            messages_in = c.messages_in,
            messages_out = c.messages_out,
            messages_filtered = c.messages_filtered,
            messages_failed = c.messages_failed,
            messages_dead_lettered = c.messages_dead_lettered,
            batches = c.batches,
            last_error = last_error.as_deref().unwrap_or(""),
            "counters"
        ),
        AgentMessage::Event {
            level,
            name,
            message,
            ..
        } => match level {
            EventLevel::Info => tracing::info!(event = %name, "{message}"),
            EventLevel::Warn => tracing::warn!(event = %name, "{message}"),
            EventLevel::Error => tracing::error!(event = %name, "{message}"),
        },
    }
}
