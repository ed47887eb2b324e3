//! Every file path a connector config names, by field path: component fields of type `path`
//! (scalars, list items, map values, nested objects) and the dead-letter file
//! (`errors.dead_letter.file.path`). The agent checks them against `[runtimes] allowed_paths`
//! at validation; references (`${env:…}`, `${file:…}`) are left to the runtime.

use std::path::Path;

use serde_json::{Map, Value};

use super::bundle::RuntimeMetadata;
use super::component_spec::{FieldKind, FieldSpec, FieldType};
use crate::contract::AllowedPaths;
use crate::contract::secret_ref::is_reference;
use crate::document::{ComponentKind, ConnectorConfig};
use crate::validation::FieldErrors;

/// The dead-letter file's field path, a path field of the document itself.
pub const DEAD_LETTER_FILE_FIELD: &str = "errors.dead_letter.file.path";

/// `(field path, value)` of every path field holding a string, references included.
pub fn path_values(config: &ConnectorConfig, metadata: &RuntimeMetadata) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (kind, step) in [
        (ComponentKind::Source, config.steps.source.as_ref()),
        (ComponentKind::Sink, config.steps.sink.as_ref()),
    ] {
        let Some(step) = step else { continue };
        if let Some(spec) = metadata.component(kind, &step.kind) {
            let path = format!("steps.{}.config", kind.step_name());
            fields(&spec.fields, &step.config, &path, &mut out);
        }
    }
    if let Some(file) = config
        .errors
        .as_ref()
        .and_then(|e| e.dead_letter.as_ref())
        .and_then(|d| d.file.as_ref())
    {
        out.push((DEAD_LETTER_FILE_FIELD.to_string(), file.path.clone()));
    }
    out
}

/// Every literal path field of `config` that resolves outside `allowed` plus the connector's
/// `state_dir`, relative paths against `base`; each error names the field and the roots.
pub fn check_paths(
    config: &ConnectorConfig,
    metadata: &RuntimeMetadata,
    allowed: &AllowedPaths,
    state_dir: &Path,
    base: &Path,
) -> FieldErrors {
    let allowed = allowed.with(state_dir);
    let mut errors = FieldErrors::default();
    for (field, value) in path_values(config, metadata) {
        if is_reference(&value) {
            continue;
        }
        if let Err(e) = allowed.check(&value, base) {
            errors.push(field, e.to_string());
        }
    }
    errors
}

fn fields(
    specs: &[FieldSpec],
    config: &Map<String, Value>,
    path: &str,
    out: &mut Vec<(String, String)>,
) {
    for spec in specs {
        let Some(v) = config.get(&spec.name) else {
            continue;
        };
        let here = format!("{path}.{}", spec.name);
        match (spec.kind, v) {
            (FieldKind::Scalar, v) => item(spec, v, &here, out),
            (FieldKind::List, Value::Array(items)) => {
                for (i, v) in items.iter().enumerate() {
                    item(spec, v, &format!("{here}[{i}]"), out);
                }
            }
            (FieldKind::Map, Value::Object(m)) => {
                for (k, v) in m {
                    item(spec, v, &format!("{here}.{k}"), out);
                }
            }
            _ => {}
        }
    }
}

fn item(spec: &FieldSpec, v: &Value, path: &str, out: &mut Vec<(String, String)>) {
    match (spec.field_type, v) {
        (FieldType::Path, Value::String(s)) => out.push((path.to_string(), s.clone())),
        (FieldType::Object, Value::Object(m)) => fields(&spec.fields, m, path, out),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNTIME: &str = "model_version: \"1\"\nname: files\nlabel: Files\nversion: 0.1.0\ncontract_version: 2\nauthor: { name: x }\n";
    const SINK: &str = r#"
model_version: "1"
name: file
label: File
kind: sink
status: stable
fields:
  - { name: path, label: Path, type: path }
  - { name: extra, label: Extra, type: path, kind: list, optional: true }
  - name: rotate
    label: Rotate
    type: object
    optional: true
    fields:
      - { name: archive, label: Archive, type: path, optional: true }
  - { name: note, label: Note, type: string, optional: true }
"#;

    fn metadata() -> RuntimeMetadata {
        let mut md = RuntimeMetadata {
            runtime: crate::yaml::from_str(RUNTIME).unwrap(),
            sources: Default::default(),
            sinks: Default::default(),
        };
        md.sinks
            .insert("file".into(), crate::yaml::from_str(SINK).unwrap());
        md
    }

    #[test]
    fn every_path_field_is_found_and_checked_with_its_name() {
        let doc = r#"
id: files
runtime: files
steps:
  consumer: { stream: s, topic: t, consumer_group: g }
  sink:
    type: file
    config:
      path: /etc/passwd
      extra: [out/a.log, "${env:OUT}"]
      rotate: { archive: ../escape }
      note: /etc/shadow
errors: { tolerance: all, dead_letter: { file: { path: dead/letters.ndjson } } }
"#;
        let c = crate::document::decode::from_str(doc).unwrap();
        let found: Vec<String> = path_values(&c, &metadata())
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(
            found,
            [
                "steps.sink.config.path",
                "steps.sink.config.extra[0]",
                "steps.sink.config.extra[1]",
                "steps.sink.config.rotate.archive",
                DEAD_LETTER_FILE_FIELD,
            ]
        );
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().join("base");
        let allowed = AllowedPaths::new([base.clone()]);
        let errors = check_paths(
            &c,
            &metadata(),
            &allowed,
            &dir.path().join("state/files"),
            &base,
        );
        let bad: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(
            bad,
            ["steps.sink.config.path", "steps.sink.config.rotate.archive"]
        );
        assert!(
            errors.0[0].reason.contains(&base.display().to_string()),
            "{errors}"
        );
        // The state directory is allowed too.
        let state = dir.path().join("state/files");
        let at_state = doc
            .replace("/etc/passwd", &state.join("x").display().to_string())
            .replace("../escape", "ok");
        let c = crate::document::decode::from_str(&at_state).unwrap();
        assert!(check_paths(&c, &metadata(), &allowed, &state, &base).is_empty());
    }
}
