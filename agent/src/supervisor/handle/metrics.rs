//! The numbers the handle reports: per connector (heartbeat counters, its process from /proc,
//! restarts, uptime) and for the whole agent.

use std::collections::BTreeMap;

use connect_model::contract::Counters;
use serde::Serialize;

use super::Agent;
use crate::proc_stats::{self, ProcessStats};
use crate::supervisor::status::{ConnectorStatus, Health, State};

/// A connector's numbers: heartbeat counters, its process from /proc, restarts, uptime.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ConnectorMetrics {
    pub id: String,
    pub state: State,
    pub health: Health,
    pub restarts: u32,
    pub heartbeats: u64,
    /// Time since the current process started; 0 when none runs.
    pub uptime_ms: u64,
    pub counters: Counters,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<ProcessStats>,
}

/// Agent-wide numbers.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
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

impl Agent {
    pub fn metrics(&self, id: &str) -> Option<ConnectorMetrics> {
        self.get(id).map(|s| metrics_of(&s))
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
                counters.messages_dead_lettered += h.counters.messages_dead_lettered;
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
}

fn metrics_of(s: &ConnectorStatus) -> ConnectorMetrics {
    let uptime_ms = match (s.pid, s.started_at_ms) {
        (Some(_), Some(t)) => crate::clock::now_ms().saturating_sub(t),
        _ => 0,
    };
    ConnectorMetrics {
        id: s.id.clone(),
        state: s.state,
        health: s.health,
        restarts: s.restarts,
        heartbeats: s.heartbeats,
        uptime_ms,
        counters: s.heartbeat.as_ref().map(|h| h.counters).unwrap_or_default(),
        process: s.pid.and_then(proc_stats::read),
    }
}
