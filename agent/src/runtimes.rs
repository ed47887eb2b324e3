//! The runtimes the agent knows: directories holding `.connect/runtime.yml`, their component
//! definitions, and the binary next to them or built in `target/{release,debug}`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use connect_model::RuntimeMetadata;
use connect_model::document::RuntimeRef;

use crate::config::RuntimesSection;

/// One usable runtime.
#[derive(Debug, Clone)]
pub struct RuntimeEntry {
    pub dir: PathBuf,
    pub binary: PathBuf,
    pub metadata: Arc<RuntimeMetadata>,
}

/// Every runtime found, by name (several versions of one name may coexist).
#[derive(Debug, Default)]
pub struct RuntimeRegistry {
    by_name: BTreeMap<String, Vec<RuntimeEntry>>,
    /// Directories that look like runtimes but cannot be used, with the reason.
    pub problems: Vec<String>,
    /// `[runtimes] allowed_paths`, which connectors' path fields are checked against.
    pub(crate) file_access: Option<crate::sandbox::FileAccess>,
}

#[derive(Debug, thiserror::Error)]
pub enum RuntimeLookupError {
    #[error(
        "runtime `{name}` is not known; known runtimes: {known}; add its directory to [runtimes] paths"
    )]
    Unknown { name: String, known: String },
    #[error("runtime `{name}` has no version {version}; available: {available}")]
    NoVersion {
        name: String,
        version: String,
        available: String,
    },
}

impl RuntimeRegistry {
    /// Scans `paths` (each a runtime directory or a parent of runtime directories).
    pub fn scan(section: &RuntimesSection) -> Self {
        let mut registry = Self::default();
        for root in &section.paths {
            let mut candidates = vec![root.clone()];
            if let Ok(entries) = std::fs::read_dir(root) {
                let mut subs: Vec<PathBuf> = entries
                    .filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.is_dir())
                    .collect();
                subs.sort();
                candidates.extend(subs);
            }
            for dir in candidates {
                if dir.join(".connect/runtime.yml").is_file() {
                    registry.add(&dir, &section.bin_dirs);
                }
            }
        }
        registry
    }

    /// These runtimes with the path policy of `config` (see `crate::sandbox`).
    pub fn with_file_access(mut self, config: &crate::config::AgentConfig) -> Self {
        self.file_access = crate::sandbox::FileAccess::from_config(config);
        self
    }

    fn add(&mut self, dir: &Path, bin_dirs: &[PathBuf]) {
        let metadata = match RuntimeMetadata::load_dir(&dir.join(".connect")) {
            Ok(m) => m,
            Err(e) => {
                self.problems.push(e.to_string());
                return;
            }
        };
        let exe = metadata.runtime.executable().to_string();
        let Some(binary) = find_binary(dir, &exe, bin_dirs) else {
            self.problems.push(format!(
                "runtime `{}` in {}: no executable `{exe}` next to .connect/ or in {}; build it (cargo build) or add its directory to [runtimes] bin_dirs",
                metadata.runtime.name,
                dir.display(),
                bin_dirs.iter().map(|d| d.display().to_string()).collect::<Vec<_>>().join(", ")
            ));
            return;
        };
        let list = self
            .by_name
            .entry(metadata.runtime.name.clone())
            .or_default();
        if list
            .iter()
            .any(|e| e.metadata.runtime.version == metadata.runtime.version)
        {
            return; // the first path wins
        }
        list.push(RuntimeEntry {
            dir: dir.to_path_buf(),
            binary,
            metadata: Arc::new(metadata),
        });
    }

    /// The entry for `runtime` (`name` or `name:version`; without a version the highest).
    pub fn resolve(&self, runtime: &RuntimeRef) -> Result<&RuntimeEntry, RuntimeLookupError> {
        let Some(list) = self.by_name.get(runtime.name()) else {
            let known: Vec<_> = self.by_name.keys().map(String::as_str).collect();
            return Err(RuntimeLookupError::Unknown {
                name: runtime.name().to_string(),
                known: if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                },
            });
        };
        match runtime.version() {
            Some(v) => list
                .iter()
                .find(|e| e.metadata.runtime.version == v)
                .ok_or_else(|| RuntimeLookupError::NoVersion {
                    name: runtime.name().to_string(),
                    version: v.to_string(),
                    available: list
                        .iter()
                        .map(|e| e.metadata.runtime.version.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                }),
            None => Ok(list
                .iter()
                .max_by_key(|e| version_key(&e.metadata.runtime.version))
                .expect("lists are never empty")),
        }
    }

    pub fn all(&self) -> impl Iterator<Item = &RuntimeEntry> {
        self.by_name.values().flatten()
    }
}

fn version_key(v: &str) -> Vec<u64> {
    v.split(['-', '+'])
        .next()
        .unwrap_or("")
        .split('.')
        .map(|p| p.parse().unwrap_or(0))
        .collect()
}

/// Next to `.connect/` first; otherwise the first of the `bin_dirs` that has it, in the order
/// given (so `target/release` listed first wins over a newer unoptimised `target/debug` build).
fn find_binary(dir: &Path, exe: &str, bin_dirs: &[PathBuf]) -> Option<PathBuf> {
    std::iter::once(dir.join(exe))
        .chain(bin_dirs.iter().map(|d| d.join(exe)))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn executable(path: &Path) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }

    #[test]
    fn the_first_bin_dir_that_has_the_binary_wins_over_a_newer_build() {
        let root = tempfile::tempdir().unwrap();
        let (release, debug) = (root.path().join("release"), root.path().join("debug"));
        executable(&release.join("rt"));
        // Built later, as `cargo test` does after a release build.
        executable(&debug.join("rt"));
        let dirs = [release.clone(), debug.clone()];
        let found = find_binary(&root.path().join("rt-dir"), "rt", &dirs);
        assert_eq!(found, Some(release.join("rt")));
        let found = find_binary(
            &root.path().join("rt-dir"),
            "rt",
            &[root.path().join("none"), debug.clone()],
        );
        assert_eq!(found, Some(debug.join("rt")));
        executable(&root.path().join("rt-dir/rt"));
        let found = find_binary(&root.path().join("rt-dir"), "rt", &dirs);
        assert_eq!(
            found,
            Some(root.path().join("rt-dir/rt")),
            "next to .connect/ comes first"
        );
    }
}
