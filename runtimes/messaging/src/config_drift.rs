//! Tests that keep the `.connect` definitions and the config types in step: every declared
//! field is read by the component's config type, every field it reads is declared, every
//! definition's defaults and examples build a working component, and the repository's
//! `examples/` documents for this runtime validate.

use std::collections::BTreeSet;
use std::path::Path;

use connect_runtime_sdk::RuntimeMetadata;
use connect_runtime_sdk::metadata::{
    ComponentSpec, FieldKind, FieldType, config_fields, validate_config, validate_connector,
};
use connect_runtime_sdk::model::{ComponentKind, decode};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::mqtt::sink::{MqttSink, MqttSinkConfig};
use crate::mqtt::source::{MqttSource, MqttSourceConfig};
use crate::nats::sink::{NatsSink, NatsSinkConfig};
use crate::nats::source::{NatsSource, NatsSourceConfig};
use crate::redis_streams::sink::{RedisSink, RedisSinkConfig};
use crate::redis_streams::source::{RedisSource, RedisSourceConfig};

/// Decodes a component config and builds what can be built without I/O.
type Check = fn(Value) -> Result<(), String>;

fn typed<T: DeserializeOwned>(v: Value) -> Result<T, String> {
    serde_json::from_value::<T>(v).map_err(|e| e.to_string())
}

/// Every component: (kind, name, the fields its config type reads, a decode-and-build check).
fn components() -> Vec<(ComponentKind, &'static str, &'static [&'static str], Check)> {
    use ComponentKind::{Sink, Source};
    vec![
        (Source, "mqtt", config_fields::<MqttSourceConfig>(), |v| {
            MqttSource::new(typed(v)?, "c")
                .map(drop)
                .map_err(|e| e.to_string())
        }),
        (Source, "nats", config_fields::<NatsSourceConfig>(), |v| {
            let mut c: NatsSourceConfig = typed(v)?;
            // The samples fill both or neither of the two exclusive fields: try each alone.
            let subject = c.subject.take();
            let stream = c.stream.take();
            let core = NatsSourceConfig {
                subject: subject.or(Some("a.b".into())),
                ..c.clone()
            };
            let js = NatsSourceConfig {
                stream: stream.or(Some("S".into())),
                ..c
            };
            NatsSource::new(core, "c").map_err(|e| e.to_string())?;
            NatsSource::new(js, "c")
                .map(drop)
                .map_err(|e| e.to_string())
        }),
        (
            Source,
            "redis_streams",
            config_fields::<RedisSourceConfig>(),
            |v| {
                RedisSource::new(typed(v)?, "c")
                    .map(drop)
                    .map_err(|e| e.to_string())
            },
        ),
        (Sink, "mqtt", config_fields::<MqttSinkConfig>(), |v| {
            MqttSink::new(typed(v)?, "c")
                .map(drop)
                .map_err(|e| e.to_string())
        }),
        (Sink, "nats", config_fields::<NatsSinkConfig>(), |v| {
            NatsSink::new(typed(v)?, "c")
                .map(drop)
                .map_err(|e| e.to_string())
        }),
        (
            Sink,
            "redis_streams",
            config_fields::<RedisSinkConfig>(),
            |v| {
                RedisSink::new(typed(v)?)
                    .map(drop)
                    .map_err(|e| e.to_string())
            },
        ),
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
    let err = serde_json::from_value::<RedisSinkConfig>(serde_json::json!({
        "url": "redis://x", "stream": "s", "maxlen": 0, "payload_field": "p",
        "key_field": "k", "timeout": "1s", "colour": true
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
    let checks = components();
    let mut seen = BTreeSet::new();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let config = decode::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if config.runtime.name() != m.runtime.name {
            continue;
        }
        let filled =
            validate_connector(&config, &m).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (kind, step) in filled.steps.components() {
            seen.insert((kind.dir_name(), step.kind.clone()));
            let (_, _, _, check) = checks
                .iter()
                .find(|c| c.0 == kind && c.1 == step.kind)
                .expect("validated component exists");
            check(Value::Object(step.config.clone()))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
    }
    for (kind, name, _, _) in checks {
        assert!(
            seen.contains(&(kind.dir_name(), name.to_string())),
            "no example in {} uses {} `{name}`; add examples/messaging-*.yml",
            dir.display(),
            kind.step_name()
        );
    }
}
