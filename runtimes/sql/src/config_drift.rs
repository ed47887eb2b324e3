//! Tests that keep the `.connect` definitions and the config types in step: every declared
//! field is read by the component's config type, every field it reads is declared, every
//! definition's defaults and examples build a working component, and the repository's
//! `examples/` documents validate against this runtime.

use std::collections::BTreeSet;
use std::path::Path;

use connect_runtime_sdk::RuntimeMetadata;
use connect_runtime_sdk::metadata::{
    ComponentSpec, FieldKind, FieldType, config_fields, validate_config, validate_connector,
};
use connect_runtime_sdk::model::{ComponentKind, decode};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::cdc::{CdcConfig, PostgresCdc};
use crate::sinks::mysql::MysqlSink;
use crate::sinks::postgres::PostgresSink;
use crate::sinks::rows::SqlSinkConfig;
use crate::sources::query::{QueryConfig, SqlQuery};

/// Decodes a component config and builds what can be built without I/O.
type Check = fn(Value) -> Result<(), String>;

fn build<T: DeserializeOwned, C>(
    v: Value,
    new: fn(T) -> Result<C, connect_runtime_sdk::ComponentError>,
) -> Result<(), String> {
    let c: T = serde_json::from_value(v).map_err(|e| e.to_string())?;
    new(c).map(drop).map_err(|e| e.to_string())
}

/// Every component: (kind, name, the fields its config type reads, a decode-and-build check).
fn components() -> Vec<(ComponentKind, &'static str, &'static [&'static str], Check)> {
    use ComponentKind::{Sink, Source};
    vec![
        (Source, "postgres_cdc", config_fields::<CdcConfig>(), |v| {
            build(v, PostgresCdc::new)
        }),
        (Source, "sql_query", config_fields::<QueryConfig>(), |v| {
            build(v, SqlQuery::new)
        }),
        (Sink, "postgres", config_fields::<SqlSinkConfig>(), |v| {
            build(v, PostgresSink::new)
        }),
        (Sink, "mysql", config_fields::<SqlSinkConfig>(), |v| {
            build(v, MysqlSink::new)
        }),
    ]
}

fn metadata() -> RuntimeMetadata {
    crate::metadata::load()
}

fn spec<'a>(m: &'a RuntimeMetadata, kind: ComponentKind, name: &str) -> &'a ComponentSpec {
    m.component(kind, name).unwrap_or_else(|| {
        panic!(
            "{} `{name}` has no .connect/{}/{name}.yml",
            kind.step_name(),
            kind.dir_name()
        )
    })
}

/// A value for a field: its first example, else one that fits its type.
fn sample(f: &connect_runtime_sdk::metadata::FieldSpec) -> Value {
    if let Some(ex) = f.examples.first() {
        return match (f.kind, ex) {
            (FieldKind::List, v) if !v.is_array() => Value::Array(vec![v.clone()]),
            (_, v) => v.clone(),
        };
    }
    if let Some(d) = &f.default {
        return d.clone();
    }
    let one = match f.field_type {
        FieldType::Bool => Value::Bool(true),
        FieldType::Int => Value::from(1),
        FieldType::Float => Value::from(1.5),
        FieldType::Duration => Value::from("1s"),
        FieldType::Object => Value::Object(Map::new()),
        _ => Value::from("text"),
    };
    match f.kind {
        FieldKind::Scalar => one,
        FieldKind::List => Value::Array(vec![one]),
        FieldKind::Map => Value::Object(Map::from_iter([("key".to_string(), one)])),
    }
}

#[test]
fn every_component_is_defined_and_every_definition_has_a_component() {
    let m = metadata();
    let names = |kind| {
        components()
            .into_iter()
            .filter(|c| c.0 == kind)
            .map(|c| c.1.to_string())
            .collect::<BTreeSet<_>>()
    };
    for kind in [ComponentKind::Source, ComponentKind::Sink] {
        let defined: BTreeSet<_> = m.components(kind).keys().cloned().collect();
        assert_eq!(
            defined,
            names(kind),
            "{} definitions and config types differ",
            kind.dir_name()
        );
    }
}

#[test]
fn declared_fields_and_config_type_fields_are_the_same() {
    let m = metadata();
    for (kind, name, read, _) in components() {
        let declared: BTreeSet<_> = spec(&m, kind, name)
            .fields
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        let read: BTreeSet<_> = read.iter().copied().collect();
        let undeclared: Vec<_> = read.difference(&declared).collect();
        let unread: Vec<_> = declared.difference(&read).collect();
        assert!(
            undeclared.is_empty() && unread.is_empty(),
            "{kind:?} `{name}`: read but not declared in .connect: {undeclared:?}; declared but not read: {unread:?}"
        );
    }
}

#[test]
fn minimal_and_full_configs_build_every_component() {
    let m = metadata();
    for (kind, name, _, check) in components() {
        let fields = &spec(&m, kind, name).fields;
        let minimal: Map<String, Value> = fields
            .iter()
            .filter(|f| f.default.is_none() && !f.optional)
            .map(|f| (f.name.clone(), sample(f)))
            .collect();
        let full: Map<String, Value> = fields.iter().map(|f| (f.name.clone(), sample(f))).collect();
        for (what, config) in [("minimal", minimal), ("full", full)] {
            let filled = validate_config(fields, &config, "config")
                .unwrap_or_else(|e| panic!("{name}: {what} config {config:?} is invalid:\n{e}"));
            check(Value::Object(filled))
                .unwrap_or_else(|e| panic!("{name}: {what} config does not build: {e}"));
        }
    }
}

#[test]
fn unknown_fields_are_rejected_by_the_config_types() {
    let err = serde_json::from_value::<SqlSinkConfig>(serde_json::json!({
        "url": "postgres://u@h/db", "table": "t", "mode": "insert", "colour": true
    }))
    .unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
}

#[test]
fn repository_examples_validate_and_build() {
    let m = metadata();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    paths.sort();
    assert!(
        paths.len() >= 4,
        "expected the example connectors in {}",
        dir.display()
    );
    let checks = components();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let config = decode::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if config.runtime.name() != m.runtime.name {
            continue;
        }
        let filled =
            validate_connector(&config, &m).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (kind, step) in filled.steps.components() {
            let (_, _, _, check) = checks
                .iter()
                .find(|c| c.0 == kind && c.1 == step.kind)
                .expect("validated component exists");
            check(Value::Object(step.config.clone()))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
}

#[test]
fn every_component_has_an_example_connector() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("sql-") {
            continue;
        }
        let config = decode::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (kind, step) in config.steps.components() {
            seen.insert((kind.dir_name(), step.kind.clone()));
        }
    }
    for (kind, name, _, _) in components() {
        assert!(
            seen.contains(&(kind.dir_name(), name.to_string())),
            "no examples/sql-*.yml uses the {} `{name}`",
            kind.step_name()
        );
    }
}
