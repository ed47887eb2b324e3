//! Durable record of connectors deleted through the API whose file still sits in the read-only
//! config dir: the file stays hidden until it changes or disappears (`<state>/deleted.json`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use connect_runtime_sdk::state::write_atomic;
use serde::{Deserialize, Serialize};

const FILE: &str = "deleted.json";

/// One deleted file connector: the file and the fingerprint of its content when deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Tombstone {
    pub file: PathBuf,
    pub fingerprint: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub(crate) struct Tombstones {
    /// By connector id.
    pub deleted: BTreeMap<String, Tombstone>,
}

impl Tombstones {
    /// Reads the file; a missing or unreadable one is empty (deleted connectors come back, nothing is lost).
    pub(crate) fn load(state_dir: &Path) -> Self {
        std::fs::read(state_dir.join(FILE))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    pub(crate) fn save(&self, state_dir: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        write_atomic(&state_dir.join(FILE), &bytes)
    }
}

/// FNV-1a over the file's bytes: stable across builds, enough to see that a file changed.
pub(crate) fn fingerprint(file: &Path) -> Option<String> {
    let bytes = std::fs::read(file).ok()?;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    Some(format!("{h:016x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_fingerprints_follow_content() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.yml");
        std::fs::write(&file, "one").unwrap();
        let first = fingerprint(&file).unwrap();
        std::fs::write(&file, "two").unwrap();
        assert_ne!(fingerprint(&file).unwrap(), first);
        let mut t = Tombstones::default();
        t.deleted.insert(
            "a".into(),
            Tombstone {
                file: file.clone(),
                fingerprint: first.clone(),
            },
        );
        t.save(dir.path()).unwrap();
        assert_eq!(Tombstones::load(dir.path()).deleted["a"].fingerprint, first);
        assert!(fingerprint(&dir.path().join("missing")).is_none());
    }
}
