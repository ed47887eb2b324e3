//! Keeps the `.connect` definitions and the config types in step with the SDK's definition
//! checks, the repository's `examples/` for this runtime valid, and one example per component.

use std::collections::BTreeSet;

use connect_runtime_sdk::embed_connect;
use connect_runtime_sdk::testing::check_definitions;

use crate::mqtt::sink::MqttSink;
use crate::mqtt::source::MqttSource;
use crate::nats::sink::NatsSink;
use crate::nats::source::{NatsSource, NatsSourceConfig};
use crate::redis_streams::sink::RedisSink;
use crate::redis_streams::source::RedisSource;

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples");

#[test]
fn definitions_match_the_config_types_and_the_examples() {
    check_definitions(embed_connect!())
        .source_built("mqtt", |c| MqttSource::new(c, "c"))
        // `subject` (core) and `stream` (JetStream) exclude each other; a config with neither
        // (the minimal one) is tried as core NATS.
        .source_built("nats", |mut c: NatsSourceConfig| {
            if c.subject.is_none() && c.stream.is_none() {
                c.subject = Some("a.b".into());
            }
            NatsSource::new(c, "c")
        })
        .not_in_full(&["stream"])
        .source_built("redis_streams", |c| RedisSource::new(c, "c"))
        .sink_built("mqtt", |c| MqttSink::new(c, "c"))
        .sink_built("nats", |c| NatsSink::new(c, "c"))
        .sink_built("redis_streams", RedisSink::new)
        .examples(EXAMPLES)
        .registered(&crate::components())
        .crate_version(env!("CARGO_PKG_VERSION"))
        .check();
}

#[test]
fn every_component_has_an_example() {
    let mut used = BTreeSet::new();
    for entry in std::fs::read_dir(EXAMPLES).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("messaging-") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: serde_json::Value =
            connect_runtime_sdk::yaml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        for step in ["source", "sink"] {
            if let Some(t) = doc["steps"][step]["type"].as_str() {
                used.insert(format!("{step} {t}"));
            }
        }
    }
    for c in ["mqtt", "nats", "redis_streams"] {
        for step in ["source", "sink"] {
            assert!(
                used.contains(&format!("{step} {c}")),
                "no examples/messaging-*.yml uses {step} `{c}`"
            );
        }
    }
}
