//! `<state.path>/status.json`: a snapshot of every connector's status, rewritten (debounced)
//! after each change, so scripts and tests can read the agent's view without an API.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use std::io::{BufWriter, Write};

use serde::Serialize;
use serde::ser::{SerializeSeq, SerializeStruct, Serializer};

use tokio_util::sync::CancellationToken;

use super::changes::Changes;
use super::registry::Registry;

pub(crate) const FILE: &str = "status.json";
const DEBOUNCE: Duration = Duration::from_millis(50);

/// The document, serialized straight from the slots (one status locked at a time), so writing
/// it never holds a copy of every status nor the whole text in memory.
struct StatusDoc<'a> {
    registry: &'a Registry,
}

impl Serialize for StatusDoc<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Connectors<'a>(&'a Registry);
        impl Serialize for Connectors<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let slots = self.0.all();
                let mut seq = serializer.serialize_seq(Some(slots.len()))?;
                for slot in slots.values() {
                    seq.serialize_element(&*slot.lock())?;
                }
                seq.end()
            }
        }
        let mut doc = serializer.serialize_struct("StatusDoc", 3)?;
        doc.serialize_field("agent_pid", &std::process::id())?;
        doc.serialize_field("updated_at_ms", &crate::clock::now_ms())?;
        doc.serialize_field("connectors", &Connectors(self.registry))?;
        doc.end()
    }
}

/// Writes the file (temp + rename; it is a view, so no fsync).
pub(crate) fn write(path: &Path, registry: &Registry) {
    let tmp = path.with_extension("json.tmp");
    let written = std::fs::File::create(&tmp).and_then(|file| {
        let mut out = BufWriter::with_capacity(16 * 1024, file);
        serde_json::to_writer_pretty(&mut out, &StatusDoc { registry })?;
        out.flush()?;
        std::fs::rename(&tmp, path)
    });
    if let Err(e) = written {
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
