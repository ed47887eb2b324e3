//! The shared part of one connector: its status, its log captures and the way to reach its
//! task. The task writes, the handle and the agent channel read.

use std::sync::{Arc, Mutex, MutexGuard};

use super::changes::Changes;
use super::child::LaunchSpec;
use super::mailbox::Mailbox;
use super::status::{ConnectorStatus, HeartbeatInfo, Problem};
use crate::lock::unpoisoned;
use crate::logs::{Stream, StreamCapture};
use connect_model::contract::AgentMessage;
use nix::sys::signal::Signal;

/// What the handle asks of a connector's task.
#[derive(Debug)]
pub(crate) enum Command {
    Start,
    Stop,
    Restart,
    Signal(Signal),
    /// A new active version; `run` says whether it should run.
    Reconfigure(Box<LaunchSpec>, bool),
    /// The agent exits: stop the child, keep the desired state.
    Shutdown,
    /// The connector is gone: stop the child and end.
    Remove,
}

/// What the agent channel tells a task about its current process.
#[derive(Debug)]
pub(crate) enum ChannelEvent {
    Ready { instance: String },
    Heartbeat { instance: String },
}

pub(crate) struct Slot {
    status: Mutex<ConnectorStatus>,
    pub(crate) stdout: Mutex<StreamCapture>,
    pub(crate) stderr: Mutex<StreamCapture>,
    /// How the task is reached; none for a connector that cannot run (it has no task).
    pub(crate) mailbox: Option<Mailbox>,
    changed: Arc<Changes>,
}

impl Slot {
    pub(crate) fn new(
        status: ConnectorStatus,
        stdout: StreamCapture,
        stderr: StreamCapture,
        mailbox: Option<Mailbox>,
        changed: Arc<Changes>,
    ) -> Self {
        Self {
            status: Mutex::new(status),
            stdout: Mutex::new(stdout),
            stderr: Mutex::new(stderr),
            mailbox,
            changed,
        }
    }

    pub(crate) fn status(&self) -> ConnectorStatus {
        self.lock().clone()
    }

    pub(crate) fn lock(&self) -> MutexGuard<'_, ConnectorStatus> {
        unpoisoned(self.status.lock())
    }

    /// Changes the status and tells the status file writer.
    pub(crate) fn update(&self, f: impl FnOnce(&mut ConnectorStatus)) {
        {
            let mut status = self.lock();
            f(&mut status);
            status.refresh_health();
        }
        self.changed.bump();
    }

    pub(crate) fn capture(&self, stream: Stream) -> MutexGuard<'_, StreamCapture> {
        let m = match stream {
            Stream::Stdout => &self.stdout,
            Stream::Stderr => &self.stderr,
        };
        unpoisoned(m.lock())
    }

    pub(crate) fn send(&self, command: Command) -> bool {
        self.mailbox.as_ref().map(|m| m.send(command)).is_some()
    }

    fn tell(&self, event: ChannelEvent) {
        if let Some(m) = &self.mailbox {
            m.tell(event);
        }
    }

    /// The task's mailbox; only slots with a task are given to one.
    pub(crate) fn mailbox(&self) -> &Mailbox {
        self.mailbox
            .as_ref()
            .expect("a connector task runs only for a slot with a mailbox")
    }

    /// A line from the agent channel about this connector.
    pub(crate) fn on_message(&self, message: AgentMessage) {
        match message {
            AgentMessage::Ready { instance_id, .. } => {
                self.tell(ChannelEvent::Ready {
                    instance: instance_id,
                });
            }
            AgentMessage::Heartbeat {
                instance_id,
                seq,
                uptime_ms,
                counters,
                last_error,
                ..
            } => {
                let health_changed = {
                    let mut s = self.lock();
                    if s.instance_id.as_deref() != Some(instance_id.as_str()) {
                        return;
                    }
                    s.heartbeats += 1;
                    s.heartbeat = Some(HeartbeatInfo {
                        seq,
                        at_ms: crate::clock::now_ms(),
                        runtime_uptime_ms: uptime_ms,
                        counters,
                        last_error,
                    });
                    let before = (s.health, s.last_error.is_some());
                    s.refresh_health();
                    before != (s.health, s.last_error.is_some())
                };
                // Only news reaches the status file; a routine heartbeat does not.
                if health_changed {
                    self.changed.bump();
                }
                self.tell(ChannelEvent::Heartbeat {
                    instance: instance_id,
                });
            }
            AgentMessage::Event {
                connector_id,
                instance_id,
                level,
                name,
                message,
                ..
            } => {
                use connect_model::contract::EventLevel;
                if level != EventLevel::Info {
                    self.update(|s| {
                        if s.instance_id.as_deref() == Some(instance_id.as_str()) {
                            s.problem = Some(Problem {
                                name: name.clone(),
                                message: message.clone(),
                                at_ms: crate::clock::now_ms(),
                            });
                        }
                    });
                }
                match level {
                    EventLevel::Info => {
                        tracing::info!(connector = %connector_id, event = %name, "{message}")
                    }
                    EventLevel::Warn => {
                        tracing::warn!(connector = %connector_id, event = %name, "{message}")
                    }
                    EventLevel::Error => {
                        tracing::error!(connector = %connector_id, event = %name, "{message}")
                    }
                }
            }
        }
    }
}
