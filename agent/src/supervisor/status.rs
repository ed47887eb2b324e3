//! What the agent reports about a connector: its state, the last run's outcome, restarts,
//! timestamps and the runtime's own counters from its heartbeats.

use std::path::PathBuf;

use connect_model::contract::agent_message::Counters;
use serde::Serialize;

use crate::store::Desired;

/// The life cycle of a connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Spawned; waiting for the runtime's `ready`.
    Starting,
    /// The runtime said `ready` and sends heartbeats.
    Running,
    /// Exited; waiting before the next start.
    Backoff,
    /// SIGTERM sent; waiting for the process group to exit.
    Stopping,
    /// Not running, as desired.
    Stopped,
    /// Exited 0 and the policy does not restart it.
    Completed,
    /// Invalid config, permanent exit code, crash loop, or a runtime that cannot be spawned.
    Failed,
    /// Another agent of the cluster runs it (`placed_on`); this one keeps its config only.
    #[serde(rename = "placed_elsewhere")]
    PlacedElsewhere,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Backoff => "backoff",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
            Self::Completed => "completed",
            Self::Failed => "failed",
            Self::PlacedElsewhere => "placed_elsewhere",
        }
    }
}

/// Whether a connector does its work: `ok` (running, no current problem), `degraded` (a
/// current problem: the heartbeat's `last_error`, a newer warn/error event, or not running
/// although desired), `unknown` (not meant to run, or starting without news yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Health {
    Ok,
    Degraded,
    Unknown,
}

impl Health {
    pub fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Degraded => "degraded",
            Self::Unknown => "unknown",
        }
    }
}

/// The newest warn or error event of the current run.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Problem {
    pub name: String,
    pub message: String,
    pub at_ms: u64,
}

/// The runtime's latest heartbeat.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct HeartbeatInfo {
    pub seq: u64,
    pub at_ms: u64,
    pub runtime_uptime_ms: u64,
    pub counters: Counters,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ConnectorStatus {
    pub id: String,
    pub runtime: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    pub state: State,
    pub desired: Desired,
    /// The ordinal of the agent that runs it, when that is another agent of the cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placed_on: Option<u32>,
    /// Active config version (0 when the file could not be loaded).
    pub version: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// Why it failed or was last restarted, for people.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Restarts since the agent started (crashes, hangs and requested restarts).
    pub restarts: u32,
    pub consecutive_failures: u32,
    /// The delay of the current or last backoff.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub backoff_ms: Option<u64>,
    pub heartbeats: u64,
    pub since_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_at_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_at_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exited_at_ms: Option<u64>,
    /// Derived from the state, the heartbeat and the events (see [`Health`]).
    pub health: Health,
    /// The current problem in words: the failure for a failed connector, else the
    /// heartbeat's `last_error` or the newest warn/error event while degraded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The newest warn/error event of the current run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    /// The last stderr lines of the last run that failed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub last_stderr: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat: Option<HeartbeatInfo>,
}

impl ConnectorStatus {
    pub(crate) fn new(
        id: &str,
        runtime: &str,
        file: Option<PathBuf>,
        desired: Desired,
        version: u32,
    ) -> Self {
        let mut status = Self {
            id: id.to_string(),
            runtime: runtime.to_string(),
            file,
            // A connector meant to run is starting from the moment it is put in place.
            state: match desired {
                Desired::Running => State::Starting,
                Desired::Stopped => State::Stopped,
            },
            desired,
            placed_on: None,
            version,
            pid: None,
            instance_id: None,
            exit_code: None,
            signal: None,
            error: None,
            restarts: 0,
            consecutive_failures: 0,
            backoff_ms: None,
            heartbeats: 0,
            since_ms: crate::clock::now_ms(),
            started_at_ms: None,
            ready_at_ms: None,
            exited_at_ms: None,
            last_stderr: Vec::new(),
            heartbeat: None,
            health: Health::Unknown,
            last_error: None,
            problem: None,
        };
        status.refresh_health();
        status
    }

    pub(crate) fn set_state(&mut self, state: State) {
        if self.state != state {
            self.state = state;
            self.since_ms = crate::clock::now_ms();
            if state == State::Starting {
                self.problem = None; // a new run starts without its predecessor's news
            }
        }
        self.refresh_health();
    }

    /// Recomputes `health` and `last_error`; called after every change they depend on.
    pub(crate) fn refresh_health(&mut self) {
        let beat = self.heartbeat.as_ref();
        let beat_error = beat.and_then(|b| b.last_error.clone());
        // An event newer than the latest heartbeat is news the heartbeat has not confirmed yet.
        let fresh_problem = self
            .problem
            .as_ref()
            .filter(|p| beat.is_none_or(|b| p.at_ms > b.at_ms));
        let (health, error) = match self.state {
            State::Running | State::Starting => match (beat_error, fresh_problem) {
                (Some(e), _) => (Health::Degraded, Some(e)),
                (None, Some(p)) => (Health::Degraded, Some(p.message.clone())),
                (None, None) if self.state == State::Running => (Health::Ok, None),
                (None, None) => (Health::Unknown, None),
            },
            State::Backoff | State::Failed => (Health::Degraded, self.error.clone()),
            State::Stopping | State::Stopped | State::Completed | State::PlacedElsewhere => {
                (Health::Unknown, None)
            }
        };
        self.health = health;
        self.last_error = error;
    }
}
