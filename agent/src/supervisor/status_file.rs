//! `<state.path>/status.json`: a snapshot of every connector's status, rewritten (debounced)
//! after each change, so scripts and tests can read the agent's view without an API.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use tokio_util::sync::CancellationToken;

use super::changes::Changes;
use super::registry::Registry;
use super::status::ConnectorStatus;

pub(crate) const FILE: &str = "status.json";
const DEBOUNCE: Duration = Duration::from_millis(50);

#[derive(Debug, Serialize)]
pub(crate) struct StatusDoc {
    pub agent_pid: u32,
    pub updated_at_ms: u64,
    pub connectors: Vec<ConnectorStatus>,
}

pub(crate) fn snapshot(registry: &Registry) -> StatusDoc {
    let connectors = registry.statuses();
    StatusDoc {
        agent_pid: std::process::id(),
        updated_at_ms: crate::clock::now_ms(),
        connectors,
    }
}

/// Writes the file (temp + rename; it is a view, so no fsync).
pub(crate) fn write(path: &Path, registry: &Registry) {
    let bytes = serde_json::to_vec_pretty(&snapshot(registry)).expect("status always serializes");
    let tmp = path.with_extension("json.tmp");
    if let Err(e) = std::fs::write(&tmp, bytes).and_then(|()| std::fs::rename(&tmp, path)) {
        tracing::warn!(path = %path.display(), error = %e, "cannot write the status file");
    }
}

/// Rewrites the file after each change until `stop` is cancelled.
pub(crate) async fn run(
    path: PathBuf,
    registry: Arc<Registry>,
    changed: Arc<Changes>,
    stop: CancellationToken,
) {
    loop {
        tokio::select! {
            _ = stop.cancelled() => return,
            () = changed.notified() => {}
        }
        tokio::time::sleep(DEBOUNCE).await;
        write(&path, &registry);
    }
}
