//! Reading the Iggy runtime's connectors directory: its `*.toml` connector files as JSON
//! values (a `plugin_config` given as a file with `plugin_config_format` read in), other
//! TOML files told apart, and older versions of the same key set aside.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::super::error::CliError;

/// One Iggy connector file, or why it cannot be read.
pub(super) struct IggyFile {
    pub name: String,
    pub table: Result<Map<String, Value>, String>,
    /// Said in the report (an older version set aside).
    pub remarks: Vec<String>,
}

/// Every connector file of `dir` (hidden files and non-connector TOML are skipped, with a
/// line saying so), one per key: the highest `version` wins.
pub(super) fn read_dir(dir: &Path) -> Result<Vec<IggyFile>, CliError> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        CliError::Usage(format!(
            "cannot read {}: {e}; pass the Iggy runtime's connectors directory",
            dir.display()
        ))
    })?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| !n.starts_with('.') && !n.eq_ignore_ascii_case("cargo.toml"))
        })
        .collect();
    paths.sort();
    let mut files: Vec<IggyFile> = Vec::new();
    let mut by_key: BTreeMap<String, (u64, usize)> = BTreeMap::new();
    for path in paths {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let table = match read(&path) {
            Ok(Some(t)) => Ok(t),
            Ok(None) => {
                println!(
                    "{name}: not an Iggy connector file (no type = \"sink\" or \"source\"); skipped"
                );
                continue;
            }
            Err(e) => Err(e),
        };
        let key_version = table.as_ref().ok().and_then(|t| {
            let key = t.get("key")?.as_str()?.to_string();
            let kind = t.get("type")?.as_str()?.to_string();
            Some((
                format!("{kind}/{key}"),
                t.get("version").and_then(Value::as_u64).unwrap_or(0),
            ))
        });
        let file = IggyFile {
            name,
            table,
            remarks: Vec::new(),
        };
        match key_version {
            Some((key, version)) => match by_key.get(&key).copied() {
                Some((old, index)) if old >= version => {
                    let older = file.name.clone();
                    files[index].remarks.push(format!(
                        "{older} holds version {version} of the same {key}; version {old} (this file) is the one imported"
                    ));
                }
                Some((old, index)) => {
                    let older = std::mem::replace(&mut files[index], file);
                    files[index].remarks.push(format!(
                        "{} holds version {old} of the same {key}; version {version} (this file) is the one imported",
                        older.name
                    ));
                    by_key.insert(key, (version, index));
                }
                None => {
                    by_key.insert(key, (version, files.len()));
                    files.push(file);
                }
            },
            None => files.push(file),
        }
    }
    Ok(files)
}

/// The file as a JSON object; `None` when it is TOML but not a connector file.
fn read(path: &Path) -> Result<Option<Map<String, Value>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the file: {e}"))?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| format!("not valid TOML: {e}"))?;
    if !matches!(
        table.get("type").and_then(toml::Value::as_str),
        Some("sink" | "source")
    ) {
        return Ok(None);
    }
    let mut map = match serde_json::to_value(&table) {
        Ok(Value::Object(m)) => m,
        _ => return Err("cannot be read as a table".into()),
    };
    if let Some(Value::String(file)) = map.get("plugin_config").cloned() {
        let format = map
            .get("plugin_config_format")
            .and_then(Value::as_str)
            .unwrap_or("toml")
            .to_string();
        let at = path.parent().unwrap_or(Path::new(".")).join(&file);
        map.insert("plugin_config".into(), plugin_file(&at, &format)?);
    }
    // The format the plugin read its config in does not matter to connect.
    map.remove("plugin_config_format");
    Ok(Some(map))
}

/// A plugin config kept in its own file, in `format` (json, toml or yaml).
fn plugin_file(path: &Path, format: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "plugin_config: cannot read {}: {e}; keep the file beside the connector file",
            path.display()
        )
    })?;
    let value = match format {
        "json" => serde_json::from_str(&text).map_err(|e| e.to_string()),
        "yaml" => connect_model::yaml::from_str(&text).map_err(|e| e.to_string()),
        "toml" => toml::from_str::<toml::Table>(&text)
            .map_err(|e| e.to_string())
            .and_then(|t| serde_json::to_value(t).map_err(|e| e.to_string())),
        other => Err(format!(
            "plugin_config_format `{other}` cannot describe a table; use json, toml or yaml"
        )),
    };
    value.map_err(|e| {
        format!(
            "plugin_config: {} is not valid {format}: {e}",
            path.display()
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugin_config_file_is_read_and_the_newest_version_of_a_key_wins() {
        let dir = tempfile::tempdir().unwrap();
        let sink = |version: u32, file: &str| {
            format!(
                "type = \"sink\"\nkey = \"out\"\nenabled = true\nversion = {version}\nname = \"n\"\npath = \"libiggy_connector_stdout_sink\"\nplugin_config_format = \"json\"\nplugin_config = \"{file}\"\n"
            )
        };
        std::fs::write(dir.path().join("a_v0.toml"), sink(0, "old.json")).unwrap();
        std::fs::write(dir.path().join("b_v2.toml"), sink(2, "plugin.json")).unwrap();
        std::fs::write(dir.path().join("plugin.json"), r#"{"print_payload": true}"#).unwrap();
        std::fs::write(dir.path().join("old.json"), r#"{"print_payload": false}"#).unwrap();
        std::fs::write(dir.path().join("config.toml"), "[http]\nenabled = true\n").unwrap();
        std::fs::write(dir.path().join(".active_versions.toml"), "out = 2\n").unwrap();
        let files = read_dir(dir.path()).unwrap();
        assert_eq!(files.len(), 1, "one file per key");
        let f = &files[0];
        assert_eq!(f.name, "b_v2.toml");
        let table = f.table.as_ref().unwrap();
        assert_eq!(table["plugin_config"]["print_payload"], true);
        assert!(table.get("plugin_config_format").is_none());
        assert!(
            f.remarks[0].contains("a_v0.toml holds version 0"),
            "{:?}",
            f.remarks
        );
    }

    #[test]
    fn a_missing_plugin_config_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("s.toml"),
            "type = \"source\"\nkey = \"r\"\nplugin_config_format = \"yaml\"\nplugin_config = \"nope.yml\"\n",
        )
        .unwrap();
        let files = read_dir(dir.path()).unwrap();
        let err = files[0].table.as_ref().unwrap_err();
        assert!(
            err.contains("plugin_config: cannot read") && err.contains("nope.yml"),
            "{err}"
        );
    }
}
