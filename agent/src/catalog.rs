//! Reads the connector files of the config dir (never writes it): every `*.yml|*.yaml|*.json`
//! is one connector; a bad file becomes an error naming file, field and reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use connect_model::ConnectorConfig;
use connect_model::document::duration;
use serde_json::Value;

use crate::document_check::DocumentCheck;

/// One file of the config dir and what came of it.
#[derive(Debug, Clone)]
pub struct CatalogEntry {
    pub file: PathBuf,
    /// The connector id, or the file stem when the file has none.
    pub id: String,
    pub result: Result<ConnectorConfig, String>,
}

/// Backoffs used when a connector's `restart` section leaves them out.
#[derive(Debug, Clone, Copy)]
pub struct RestartDefaults {
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
}

/// Reads every connector file; a missing directory is simply empty.
pub(crate) fn load_dir(dir: &Path, check: DocumentCheck<'_>) -> Vec<CatalogEntry> {
    warn_about_iggy_files(dir);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.is_file()
                && matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("yml" | "yaml" | "json")
                )
        })
        .collect();
    files.sort();
    let mut seen: BTreeMap<String, PathBuf> = BTreeMap::new();
    let mut out = Vec::with_capacity(files.len());
    for file in files {
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("unnamed")
            .to_string();
        let mut entry = match load_file(&file, check) {
            Ok(config) => CatalogEntry {
                file: file.clone(),
                id: config.id.to_string(),
                result: Ok(config),
            },
            Err(reason) => CatalogEntry {
                file: file.clone(),
                id: stem,
                result: Err(reason),
            },
        };
        if let Some(first) = seen.get(&entry.id) {
            entry.result = Err(format!(
                "id: connector `{}` is already defined in {}; ids must be unique",
                entry.id,
                first.display()
            ));
            entry.id = format!(
                "{}@{}",
                entry.id,
                file.file_name().and_then(|n| n.to_str()).unwrap_or("")
            );
        } else {
            seen.insert(entry.id.clone(), file);
        }
        out.push(entry);
    }
    out
}

/// Iggy connectors runtime files (`*.toml` with `type = "sink"|"source"`) are not loaded;
/// the agent says so once, naming them and `connect-agent import iggy`.
fn warn_about_iggy_files(dir: &Path) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if WARNED.load(std::sync::atomic::Ordering::Relaxed) {
        return;
    }
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| {
            std::fs::read_to_string(p)
                .ok()
                .and_then(|t| t.parse::<toml::Table>().ok())
                .is_some_and(|t| {
                    matches!(
                        t.get("type").and_then(toml::Value::as_str),
                        Some("sink" | "source")
                    )
                })
        })
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    if found.is_empty() {
        return;
    }
    found.sort();
    WARNED.store(true, std::sync::atomic::Ordering::Relaxed);
    tracing::warn!(
        "{} holds Iggy connectors runtime files that are not loaded: {}; convert them with `connect-agent import iggy {} --out DIR`",
        dir.display(),
        found.join(", "),
        dir.display()
    );
}

fn load_file(file: &Path, check: DocumentCheck<'_>) -> Result<ConnectorConfig, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot read the file: {e}"))?;
    check.text(&text).map_err(|e| {
        e.field_errors()
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    })
}

/// Supplies the agent's `[supervisor]` backoffs to a document that does not set its own.
pub fn fill_restart_defaults(value: &mut Value, defaults: RestartDefaults) {
    let Some(doc) = value.as_object_mut() else {
        return;
    };
    let restart = doc
        .entry("restart")
        .or_insert_with(|| Value::Object(Default::default()));
    let Some(restart) = restart.as_object_mut() else {
        return;
    };
    restart
        .entry("initial_backoff")
        .or_insert_with(|| Value::String(duration::format(defaults.initial_backoff)));
    let initial = restart
        .get("initial_backoff")
        .and_then(Value::as_str)
        .and_then(|s| duration::parse(s).ok());
    let max = defaults.max_backoff.max(initial.unwrap_or_default());
    restart
        .entry("max_backoff")
        .or_insert_with(|| Value::String(duration::format(max)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::RuntimesSection;
    use crate::runtimes::RuntimeRegistry;

    const DEFAULTS: RestartDefaults = RestartDefaults {
        initial_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(5),
    };

    /// A registry holding runtime `rt` (source `gen`, sink `discard`) in a temp dir.
    fn registry(dir: &Path) -> RuntimeRegistry {
        let root = dir.join("rt");
        std::fs::create_dir_all(root.join(".connect/sources")).unwrap();
        std::fs::create_dir_all(root.join(".connect/sinks")).unwrap();
        std::fs::write(root.join(".connect/runtime.yml"), "model_version: \"1\"\nname: rt\nlabel: Rt\nversion: 0.1.0\nauthor:\n  name: x\ndescription: d\nexecutable: rt\n").unwrap();
        for (kind, name) in [("source", "gen"), ("sink", "discard")] {
            std::fs::write(
                root.join(format!(".connect/{kind}s/{name}.yml")),
                format!("model_version: \"1\"\nname: {name}\nlabel: X\nkind: {kind}\nstatus: preview\ndescription: d\nfields: []\n"),
            )
            .unwrap();
        }
        let exe = root.join("rt");
        std::fs::write(&exe, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        RuntimeRegistry::scan(&RuntimesSection {
            paths: vec![root],
            bin_dirs: Vec::new(),
            ..RuntimesSection::default()
        })
    }

    fn doc(id: &str) -> String {
        format!(
            "id: {id}\nruntime: rt\nsteps:\n  source: {{ type: gen }}\n  sink: {{ type: discard }}\n"
        )
    }

    #[test]
    fn bad_files_are_reported_and_the_rest_load() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.yml"), doc("a")).unwrap();
        std::fs::write(
            dir.path().join("b.yaml"),
            "id: b\nruntime: rt\nsteps: { source: { type: gen } }\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("c.json"), "{ not json").unwrap();
        std::fs::write(dir.path().join("d.yml"), doc("a")).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "ignored").unwrap();
        let runtimes_dir = tempfile::tempdir().unwrap();
        let runtimes = registry(runtimes_dir.path());
        assert!(runtimes.problems.is_empty(), "{:?}", runtimes.problems);
        let check = DocumentCheck {
            defaults: DEFAULTS,
            runtimes: &runtimes,
        };
        let entries = load_dir(dir.path(), check);
        assert_eq!(entries.len(), 4);
        let a = entries[0].result.as_ref().unwrap();
        assert_eq!(a.restart.initial_backoff, Duration::from_millis(200));
        assert_eq!(a.restart.max_backoff, Duration::from_secs(5));
        assert!(
            entries[1].result.as_ref().unwrap_err().contains("steps"),
            "{:?}",
            entries[1].result
        );
        assert_eq!(entries[2].id, "c");
        assert!(entries[2].result.as_ref().unwrap_err().contains("JSON"));
        assert!(
            entries[3]
                .result
                .as_ref()
                .unwrap_err()
                .contains("already defined")
        );
    }

    #[test]
    fn a_connectors_own_backoff_wins() {
        let mut v: Value = serde_json::json!({"restart": {"initial_backoff": "10s"}});
        fill_restart_defaults(&mut v, DEFAULTS);
        assert_eq!(v["restart"]["initial_backoff"], "10s");
        assert_eq!(v["restart"]["max_backoff"], "10s");
    }
}
