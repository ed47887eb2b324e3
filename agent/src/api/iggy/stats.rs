//! `GET /stats` in the Iggy runtime's shape: the agent process, the machine, and per sink and
//! source connector its counters under the Iggy names (connect's own statistics are
//! `GET /system/stats`).

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::render::name;
use super::translate::IggyKind;
use super::types::{ConnectorStats, RuntimeStats, semver_number};
use super::{host, kinds_of, state};
use crate::api::error::ApiError;
use crate::api::system::VERSION;
use crate::store::Desired;
use crate::supervisor::{Agent, State as ConnectState};

pub(crate) async fn stats(State(agent): State<Agent>) -> Result<Response, ApiError> {
    let totals = agent.totals();
    let run_time = totals.agent_uptime_ms.saturating_mul(1000);
    let now_us = crate::clock::now_ms().saturating_mul(1000);
    let (cpu_seconds, rss) = totals
        .agent_process
        .map_or((0.0, 0), |p| (p.cpu_seconds, p.rss_bytes));
    let (total_memory, available_memory) = host::memory();
    let mut out = RuntimeStats {
        connectors_runtime_version: VERSION.to_string(),
        connectors_runtime_version_semver: semver_number(VERSION),
        process_id: totals.agent_pid,
        // The agent's average since it started, in percent of one core.
        cpu_usage: if run_time == 0 {
            0.0
        } else {
            (cpu_seconds * 100.0 / (run_time as f64 / 1e6)) as f32
        },
        total_cpu_usage: host::total_cpu_usage(),
        memory_usage: rss,
        total_memory,
        available_memory,
        run_time,
        start_time: now_us.saturating_sub(run_time),
        sources_total: 0,
        sources_running: 0,
        sinks_total: 0,
        sinks_running: 0,
        connectors: Vec::new(),
    };
    let statuses: BTreeMap<String, _> = agent
        .list()
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect();
    for key in statuses.keys() {
        let Some(record) = crate::api::views::live_record(&agent, key).await else {
            continue;
        };
        let config = record.active_config();
        let status = statuses.get(key);
        let running = status.is_some_and(|s| s.state == ConnectState::Running);
        let counters = status
            .and_then(|s| s.heartbeat.as_ref())
            .map(|h| h.counters)
            .unwrap_or_default();
        let version = agent
            .runtimes()
            .resolve(&config.runtime)
            .map(|e| e.metadata.runtime.version.clone())
            .unwrap_or_default();
        for kind in kinds_of(config) {
            let (produced, sent, consumed, processed) = match kind {
                IggyKind::Source => {
                    out.sources_total += 1;
                    out.sources_running += u32::from(running);
                    (
                        Some(counters.messages_in),
                        Some(counters.messages_out),
                        None,
                        None,
                    )
                }
                IggyKind::Sink => {
                    out.sinks_total += 1;
                    out.sinks_running += u32::from(running);
                    (
                        None,
                        None,
                        Some(counters.messages_in),
                        Some(counters.messages_out),
                    )
                }
            };
            out.connectors.push(ConnectorStats {
                key: key.clone(),
                name: name(key, config),
                connector_type: kind.name(),
                version_semver: semver_number(&version),
                version: version.clone(),
                status: state::status_of(status),
                enabled: record.desired == Desired::Running,
                messages_produced: produced,
                messages_sent: sent,
                messages_consumed: consumed,
                messages_processed: processed,
                messages_filtered: Some(counters.messages_filtered),
                errors: counters.messages_failed,
            });
        }
    }
    Ok(Json(out).into_response())
}
