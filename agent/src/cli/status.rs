//! `connect-agent status`: the agent's numbers and every connector, from the API.

use super::client::Client;
use super::error::CliError;
use super::output::{self, Format, cell};

pub(super) fn run(client: &Client, format: Format) -> Result<(), CliError> {
    let stats = client.get("/system/stats")?;
    let connectors = client.get("/connectors")?;
    let all = serde_json::json!({ "stats": stats, "connectors": connectors });
    if output::structured(format, &all).is_some() {
        return Ok(());
    }
    let t = &stats["totals"];
    let by_state: Vec<String> = t["by_state"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    println!(
        "agent {} pid {} up {}s, {} connectors ({}), {} runtimes",
        cell(&stats["version"]),
        cell(&t["agent_pid"]),
        t["agent_uptime_ms"].as_u64().unwrap_or(0) / 1000,
        cell(&t["connectors"]),
        if by_state.is_empty() {
            "none".into()
        } else {
            by_state.join(", ")
        },
        cell(&stats["runtimes"]),
    );
    let rows: Vec<Vec<String>> = connectors
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            vec![
                cell(&c["id"]),
                super::connectors::shown_state(c),
                cell(&c["health"]),
                cell(&c["version"]),
                cell(&c["restarts"]),
                cell(&c["pid"]),
                super::connectors::shown_error(c),
            ]
        })
        .collect();
    output::table(
        &[
            "CONNECTOR",
            "STATE",
            "HEALTH",
            "VERSION",
            "RESTARTS",
            "PID",
            "ERROR",
        ],
        &rows,
    );
    Ok(())
}
