//! Durable per-connector state in `CONNECT_STATE_DIR`: small JSON documents written atomically
//! (temp file, fsync, rename, directory fsync), so a crash leaves the old or the new value.

use std::path::{Path, PathBuf};

pub use connect_model::atomic::write_atomic;

use serde::Serialize;
use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot write state file {path}: {source}; check that CONNECT_STATE_DIR is writable")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read state file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("state file {path} is corrupt ({message}); move it away to start over")]
    Corrupt { path: PathBuf, message: String },
}

/// A directory of named JSON documents.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
}

impl StateStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.json"))
    }

    /// The saved document, or `None` if it was never saved.
    pub fn load<T: DeserializeOwned>(&self, name: &str) -> Result<Option<T>, StateError> {
        let path = self.path(name);
        match std::fs::read(&path) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes)
                    .map(Some)
                    .map_err(|e| StateError::Corrupt {
                        path,
                        message: e.to_string(),
                    })
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(StateError::Read { path, source }),
        }
    }

    /// Replaces the document atomically and durably.
    pub fn save<T: Serialize + ?Sized>(&self, name: &str, value: &T) -> Result<(), StateError> {
        let path = self.path(name);
        let bytes = serde_json::to_vec(value).map_err(|e| StateError::Write {
            path: path.clone(),
            source: std::io::Error::other(e),
        })?;
        write_atomic(&path, &bytes).map_err(|source| StateError::Write { path, source })
    }
}

impl StateStore {
    /// [`save`](Self::save) on the blocking pool, so its fsyncs never stall an async worker.
    pub async fn save_async<T: Serialize + Send + 'static>(
        &self,
        name: &str,
        value: T,
    ) -> Result<(), StateError> {
        let store = self.clone();
        let owned = name.to_string();
        tokio::task::spawn_blocking(move || store.save(&owned, &value))
            .await
            .map_err(|e| StateError::Write {
                path: self.path(name),
                source: std::io::Error::other(e),
            })?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_and_loads_and_leaves_no_temp_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::new(dir.path().join("nested"));
        assert_eq!(store.load::<u64>("cursor").unwrap(), None);
        store.save("cursor", &41u64).unwrap();
        store.save("cursor", &42u64).unwrap();
        assert_eq!(store.load::<u64>("cursor").unwrap(), Some(42));
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(store.save_async("cursor", 43u64))
            .unwrap();
        assert_eq!(store.load::<u64>("cursor").unwrap(), Some(43));
        let names: Vec<_> = std::fs::read_dir(store.dir())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [std::ffi::OsString::from("cursor.json")]);
    }

    #[test]
    fn corrupt_state_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("cursor.json"), b"{not json").unwrap();
        let err = StateStore::new(dir.path())
            .load::<u64>("cursor")
            .unwrap_err();
        assert!(err.to_string().contains("cursor.json"), "{err}");
    }
}
