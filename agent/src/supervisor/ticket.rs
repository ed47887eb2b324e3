//! An awaitable outcome of a command, as watchexec's job tickets: `agent.stop_connector(id)`
//! returns once the command is durable and sent; its [`Ticket`] resolves, with the connector's
//! status, once the command took effect (the runtime exited, or a new one is up or gave up).

use std::sync::Arc;

use tokio::sync::watch;

use super::slot::Slot;
use super::status::{ConnectorStatus, State};

/// What the command waits for.
#[derive(Debug, Clone)]
enum Goal {
    /// No process runs and the state settled (stopped, failed, completed).
    Stopped,
    /// A process other than `before` reported ready, or its start ended (backoff, failed,
    /// completed).
    NewInstance {
        before: Option<String>,
        was_failed: bool,
    },
    /// Nothing is in transition (a start of a connector that already runs).
    Settled,
}

/// Resolves once the command it was returned for took effect.
pub struct Ticket {
    slot: Arc<Slot>,
    changes: watch::Receiver<u64>,
    goal: Goal,
}

impl Ticket {
    /// Made before the command is sent, so no change between the two is missed.
    pub(crate) fn stop(slot: Arc<Slot>, changes: watch::Receiver<u64>) -> Self {
        Self {
            slot,
            changes,
            goal: Goal::Stopped,
        }
    }

    pub(crate) fn start(slot: Arc<Slot>, changes: watch::Receiver<u64>, restart: bool) -> Self {
        let status = slot.status();
        let goal = if !restart && status.pid.is_some() {
            Goal::Settled
        } else {
            Goal::NewInstance {
                before: status.instance_id,
                was_failed: status.state == State::Failed,
            }
        };
        Self {
            slot,
            changes,
            goal,
        }
    }

    /// The connector's status once the command took effect. Wrap it in a timeout: a runtime
    /// that never reports ready keeps a start waiting until its start timeout kills it.
    pub async fn done(mut self) -> ConnectorStatus {
        loop {
            self.changes.borrow_and_update();
            let status = self.slot.status();
            if self.reached(&status) {
                return status;
            }
            if self.changes.changed().await.is_err() {
                return status;
            }
        }
    }

    fn reached(&self, s: &ConnectorStatus) -> bool {
        let settled = matches!(
            s.state,
            State::Stopped | State::Failed | State::Completed | State::PlacedElsewhere
        );
        match &self.goal {
            Goal::Stopped => s.pid.is_none() && settled,
            Goal::NewInstance { before, was_failed } => {
                let new = s.instance_id != *before;
                (new && (matches!(s.state, State::Running | State::Backoff) || settled))
                    // A spawn that fails leaves no instance behind.
                    || (!was_failed && s.state == State::Failed)
            }
            Goal::Settled => !matches!(s.state, State::Starting | State::Stopping | State::Backoff),
        }
    }
}
