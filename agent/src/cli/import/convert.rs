//! One Iggy connector file → connect documents: translated, decoded through the one decode
//! path, validated against the runtimes' definitions, written as `<id>.yml`; the outcome
//! printed per file and field.

use std::path::{Path, PathBuf};

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use super::iggy_files::IggyFile;
use crate::api::iggy::translate::{Finding, IggyKind, translate};
use crate::document_check::DocumentCheck;

#[derive(Debug, Default)]
pub(super) struct Outcome {
    pub written: Vec<PathBuf>,
    pub missing: Vec<Finding>,
    pub problems: Vec<String>,
    pub remarks: Vec<String>,
}

impl Outcome {
    /// Prints the file's report; `true` when it converted completely.
    pub(super) fn print(&self, name: &str) -> bool {
        let complete = self.missing.is_empty() && self.problems.is_empty();
        let written: Vec<String> = self
            .written
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        let head = match (complete, written.is_empty()) {
            (true, _) => format!("converted → {}", written.join(", ")),
            (false, false) => format!(
                "written with fields that have no counterpart → {}",
                written.join(", ")
            ),
            (false, true) if !self.missing.is_empty() && self.problems.is_empty() => {
                "no counterpart; nothing written".to_string()
            }
            (false, true) => "not converted; nothing written".to_string(),
        };
        println!("{name}: {head}");
        for m in &self.missing {
            println!("  no counterpart: {m}");
        }
        for p in &self.problems {
            println!("  error: {p}");
        }
        for r in &self.remarks {
            println!("  note: {r}");
        }
        complete
    }
}

pub(super) fn convert(file: &IggyFile, out: &Path, check: DocumentCheck<'_>) -> Outcome {
    let mut outcome = Outcome {
        remarks: file.remarks.clone(),
        ..Outcome::default()
    };
    let table = match &file.table {
        Ok(t) => t,
        Err(e) => {
            outcome.problems.push(e.clone());
            return outcome;
        }
    };
    let kind = match table.get("type").and_then(Value::as_str) {
        Some("source") => IggyKind::Source,
        _ => IggyKind::Sink,
    };
    let Some(key) = table.get("key").and_then(Value::as_str) else {
        outcome
            .problems
            .push("key: missing; every Iggy connector has one".into());
        return outcome;
    };
    let t = translate(kind, key, table, None);
    outcome.missing = t.findings.missing;
    outcome
        .problems
        .extend(t.findings.invalid.iter().map(ToString::to_string));
    outcome.remarks.extend(t.findings.remarks);
    if !outcome.problems.is_empty() {
        return outcome;
    }
    for doc in t.documents {
        let id = doc["id"].as_str().unwrap_or(key).to_string();
        if let Err(errors) = check.value(doc.clone()) {
            outcome
                .problems
                .extend(errors.iter().map(|f| format!("{id}: {f}")));
            continue;
        }
        let text = match connect_model::yaml::to_string(&Ordered(&doc)) {
            Ok(t) => format!(
                "# Imported from the Iggy connectors runtime file {} by `connect-agent import iggy`.\n{t}",
                file.name
            ),
            Err(e) => {
                outcome
                    .problems
                    .push(format!("{id}: cannot write YAML: {e}"));
                continue;
            }
        };
        let path = out.join(format!("{id}.yml"));
        match connect_model::atomic::write_atomic(&path, text.as_bytes()) {
            Ok(()) => outcome.written.push(path),
            Err(e) => outcome
                .problems
                .push(format!("{id}: cannot write {}: {e}", path.display())),
        }
    }
    outcome
}

/// A document with its keys in reading order (id, description, runtime, enabled, steps; input,
/// transformer, output; type, config), the rest alphabetically after them.
struct Ordered<'a>(&'a Value);

const FIRST: [&str; 12] = [
    "id",
    "description",
    "runtime",
    "enabled",
    "steps",
    "source",
    "consumer",
    "transformer",
    "sink",
    "producer",
    "type",
    "config",
];

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort_by_key(|k| {
                    (
                        FIRST.iter().position(|f| f == k).unwrap_or(FIRST.len()),
                        k.as_str(),
                    )
                });
                let mut m = s.serialize_map(Some(keys.len()))?;
                for k in keys {
                    m.serialize_entry(k, &Ordered(&map[k]))?;
                }
                m.end()
            }
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for v in items {
                    seq.serialize_element(&Ordered(v))?;
                }
                seq.end()
            }
            other => other.serialize(s),
        }
    }
}
