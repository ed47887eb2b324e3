//! `/metrics` in the Prometheus text format: `connect_` names, labels bounded by the number of
//! connectors (`connector`) and the fixed set of states (`state`).

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::supervisor::{Agent, Health};

const STATES: [&str; 8] = [
    "starting",
    "running",
    "backoff",
    "stopping",
    "stopped",
    "completed",
    "failed",
    "placed_elsewhere",
];

pub(crate) async fn metrics(State(agent): State<Agent>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        render(&agent),
    )
        .into_response()
}

fn render(agent: &Agent) -> String {
    let mut out = String::with_capacity(4096);
    let totals = agent.totals();
    let head = |out: &mut String, name: &str, kind: &str, help: &str| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    };
    head(
        &mut out,
        "connect_agent_info",
        "gauge",
        "The agent's version.",
    );
    let _ = writeln!(
        out,
        "connect_agent_info{{version=\"{}\"}} 1",
        super::system::VERSION
    );
    head(
        &mut out,
        "connect_agent_uptime_seconds",
        "gauge",
        "Time since the agent started.",
    );
    let _ = writeln!(
        out,
        "connect_agent_uptime_seconds {}",
        totals.agent_uptime_ms as f64 / 1000.0
    );
    if let Some(p) = totals.agent_process {
        head(
            &mut out,
            "connect_agent_cpu_seconds_total",
            "counter",
            "CPU time used by the agent.",
        );
        let _ = writeln!(out, "connect_agent_cpu_seconds_total {}", p.cpu_seconds);
        head(
            &mut out,
            "connect_agent_resident_memory_bytes",
            "gauge",
            "Resident memory of the agent.",
        );
        let _ = writeln!(out, "connect_agent_resident_memory_bytes {}", p.rss_bytes);
    }
    head(
        &mut out,
        "connect_connectors",
        "gauge",
        "Connectors by state.",
    );
    for state in STATES {
        let _ = writeln!(
            out,
            "connect_connectors{{state=\"{state}\"}} {}",
            totals.by_state.get(state).copied().unwrap_or(0)
        );
    }
    let per: [(&str, &str, &str); 13] = [
        (
            "connect_connector_up",
            "gauge",
            "1 when the connector's runtime is running.",
        ),
        (
            "connect_connector_healthy",
            "gauge",
            "1 when the connector does its work (health ok), 0 when degraded; absent when unknown.",
        ),
        (
            "connect_connector_restarts_total",
            "counter",
            "Restarts since the agent started.",
        ),
        (
            "connect_connector_messages_in_total",
            "counter",
            "Messages read by the connector.",
        ),
        (
            "connect_connector_messages_out_total",
            "counter",
            "Messages delivered by the connector.",
        ),
        (
            "connect_connector_messages_filtered_total",
            "counter",
            "Messages dropped by transforms.",
        ),
        (
            "connect_connector_messages_failed_total",
            "counter",
            "Messages that failed.",
        ),
        (
            "connect_connector_messages_dead_lettered_total",
            "counter",
            "Messages set aside by the error policy (dead-lettered or dropped).",
        ),
        ("connect_connector_bytes_in_total", "counter", "Bytes read."),
        (
            "connect_connector_bytes_out_total",
            "counter",
            "Bytes delivered.",
        ),
        (
            "connect_connector_batches_total",
            "counter",
            "Batches confirmed.",
        ),
        (
            "connect_connector_cpu_seconds_total",
            "counter",
            "CPU time of the runtime process.",
        ),
        (
            "connect_connector_resident_memory_bytes",
            "gauge",
            "Resident memory of the runtime process.",
        ),
    ];
    let rows: Vec<_> = agent
        .list()
        .iter()
        .filter_map(|s| agent.metrics(&s.id))
        .collect();
    for (name, kind, help) in per {
        head(&mut out, name, kind, help);
        for m in &rows {
            let c = &m.counters;
            let value = match name {
                "connect_connector_up" => f64::from(u8::from(m.state.name() == "running")),
                "connect_connector_healthy" => match m.health {
                    Health::Ok => 1.0,
                    Health::Degraded => 0.0,
                    Health::Unknown => continue,
                },
                "connect_connector_restarts_total" => f64::from(m.restarts),
                "connect_connector_messages_in_total" => c.messages_in as f64,
                "connect_connector_messages_out_total" => c.messages_out as f64,
                "connect_connector_messages_filtered_total" => c.messages_filtered as f64,
                "connect_connector_messages_failed_total" => c.messages_failed as f64,
                "connect_connector_messages_dead_lettered_total" => c.messages_dead_lettered as f64,
                "connect_connector_bytes_in_total" => c.bytes_in as f64,
                "connect_connector_bytes_out_total" => c.bytes_out as f64,
                "connect_connector_batches_total" => c.batches as f64,
                "connect_connector_cpu_seconds_total" => match m.process {
                    Some(p) => p.cpu_seconds,
                    None => continue,
                },
                _ => match m.process {
                    Some(p) => p.rss_bytes as f64,
                    None => continue,
                },
            };
            let _ = writeln!(out, "{name}{{connector=\"{}\"}} {value}", m.id);
        }
    }
    out
}
