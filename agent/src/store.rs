//! Durable agent state in `<state.path>/agent.json`: every connector's config versions, the
//! active version and whether it should run; rewritten atomically on every change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use connect_model::ConnectorConfig;
use connect_model::atomic::write_atomic;
use serde::{Deserialize, Serialize};

const FILE: &str = "agent.json";
const FORMAT: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot write agent state {path}: {source}; check that [state] path is writable")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read agent state {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "agent state {path} is corrupt ({message}); move it away to start from the config dir alone"
    )]
    Corrupt { path: PathBuf, message: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Desired {
    Running,
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Origin {
    /// A file of the config dir (version 1 and every change of the file).
    File,
    /// Created through the API.
    Api,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConfigVersion {
    pub version: u32,
    pub origin: Origin,
    pub created_at_ms: u64,
    pub config: ConnectorConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ConnectorRecord {
    pub origin: Origin,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<PathBuf>,
    pub desired: Desired,
    pub active: u32,
    pub versions: Vec<ConfigVersion>,
    /// A file connector deleted through the API: hidden until its file changes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
}

impl ConnectorRecord {
    pub fn active_config(&self) -> &ConnectorConfig {
        &self
            .version(self.active)
            .unwrap_or_else(|| self.versions.last().expect("records always have a version"))
            .config
    }

    pub fn version(&self, v: u32) -> Option<&ConfigVersion> {
        self.versions.iter().find(|c| c.version == v)
    }

    /// The newest version that came from the config file.
    pub fn latest_file_version(&self) -> Option<&ConfigVersion> {
        self.versions
            .iter()
            .rev()
            .find(|v| v.origin == Origin::File)
    }

    /// Appends `config` as the next version and returns its number.
    pub fn push_version(&mut self, origin: Origin, config: ConnectorConfig) -> u32 {
        let version = self.versions.iter().map(|v| v.version).max().unwrap_or(0) + 1;
        // Every version stays in memory for the agent's lifetime, and most connectors have
        // one: no room for three more (a `Vec` of small items starts with four).
        self.versions.reserve_exact(1);
        self.versions.push(ConfigVersion {
            version,
            origin,
            created_at_ms: crate::clock::now_ms(),
            config,
        });
        version
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct StateDoc {
    pub format: u32,
    pub connectors: BTreeMap<String, ConnectorRecord>,
    /// The stable number of each connector shown as `id` by the Iggy-compatible API; a number
    /// is never given to another connector.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub numeric_ids: BTreeMap<String, u32>,
}

/// The document and where it lives.
#[derive(Debug)]
pub struct Store {
    path: PathBuf,
    pub doc: StateDoc,
}

impl Store {
    pub fn open(state_dir: &Path) -> Result<Self, StoreError> {
        let path = state_dir.join(FILE);
        let mut doc: StateDoc = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::Corrupt {
                path: path.clone(),
                message: e.to_string(),
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => StateDoc {
                format: FORMAT,
                ..Default::default()
            },
            Err(source) => return Err(StoreError::Read { path, source }),
        };
        // Parsed lists keep room to grow; versions are kept for the agent's lifetime.
        for record in doc.connectors.values_mut() {
            record.versions.shrink_to_fit();
        }
        Ok(Self { path, doc })
    }

    pub fn save(&self) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec_pretty(&self.doc).expect("state always serializes");
        write_atomic(&self.path, &bytes).map_err(|source| StoreError::Write {
            path: self.path.clone(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_and_desired_state_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let config = connect_model::document::decode::from_str(
            "id: a\nruntime: rt\nsteps: { source: { type: x }, sink: { type: y } }\n",
        )
        .unwrap();
        let mut store = Store::open(dir.path()).unwrap();
        let mut record = ConnectorRecord {
            origin: Origin::File,
            file: None,
            desired: Desired::Running,
            active: 1,
            versions: Vec::new(),
            deleted: false,
        };
        assert_eq!(record.push_version(Origin::File, config.clone()), 1);
        assert_eq!(record.push_version(Origin::Api, config), 2);
        assert_eq!(record.versions.capacity(), 2, "no spare versions in memory");
        record.desired = Desired::Stopped;
        store.doc.connectors.insert("a".into(), record.clone());
        store.save().unwrap();
        let again = Store::open(dir.path()).unwrap();
        assert_eq!(again.doc.connectors["a"], record);
        assert_eq!(again.doc.connectors["a"].versions.capacity(), 2);
        assert_eq!(
            again.doc.connectors["a"]
                .latest_file_version()
                .unwrap()
                .version,
            1
        );
    }
}
