//! Every rule of the connector model, through every decode path (YAML, JSON, base64).

use super::decode::{self, DecodeError};
use super::*;

const VALID: &str = r#"
id: cat-facts
description: Poll cat facts into Iggy
runtime: essentials:0.1.0
steps:
  source: { type: http, config: { url: "http://127.0.0.1:9000/fact", interval: 10s } }
  transformer:
    - filter: { condition: { exists: { field: fact } } }
    - add_fields: { fields: [ { name: meta.at, computed: timestamp_ms } ] }
    - filter: { condition: { not: { equals: { field: length, value: 0 } } }, action: keep }
  producer: { stream: cats, topic: facts, create_topic: true, partitions: 1, batch_length: 1000, linger: 5ms }
restart: { policy: on-failure, initial_backoff: 1s, max_backoff: 60s }
env: { RUST_BACKTRACE: "1" }
"#;

/// The errors of a document as `path: reason` strings.
fn errors(doc: &str) -> Vec<String> {
    match decode::from_str(doc) {
        Ok(_) => vec![],
        Err(e) => e.field_errors().iter().map(|e| e.to_string()).collect(),
    }
}

fn paths(doc: &str) -> Vec<String> {
    match decode::from_str(doc) {
        Ok(_) => vec![],
        Err(e) => e.field_errors().iter().map(|e| e.path.clone()).collect(),
    }
}

/// `VALID` with one line replaced.
fn with(from: &str, to: &str) -> String {
    assert!(VALID.contains(from), "fixture lacks {from}");
    VALID.replacen(from, to, 1)
}

#[test]
fn a_full_document_decodes_with_defaults() {
    let c = decode::from_str(VALID).unwrap();
    assert_eq!(c.id.as_str(), "cat-facts");
    assert_eq!(c.runtime.name(), "essentials");
    assert!(c.enabled);
    assert_eq!(c.steps.transformer.len(), 3);
    assert_eq!(c.steps.transformer[0].type_name(), "filter");
    assert_eq!(c.steps.direction(), Direction::Inlet);
    let Output::Producer(p) = c.steps.output() else {
        panic!("producer")
    };
    assert_eq!(p.linger, std::time::Duration::from_millis(5));
    assert_eq!(p.partitioning, Partitioning::Balanced);
    assert_eq!(c.restart.stable_after, std::time::Duration::from_secs(30));
}

#[test]
fn yaml_json_and_base64_give_the_same_result() {
    let from_yaml = decode::from_str(VALID).unwrap();
    let json = serde_json::to_string(&from_yaml).unwrap();
    let from_json = decode::from_str(&json).unwrap();
    let from_b64 = decode::from_base64(&decode::to_base64(&from_yaml)).unwrap();
    use base64::Engine;
    let from_b64_yaml =
        decode::from_base64(&base64::engine::general_purpose::STANDARD.encode(VALID)).unwrap();
    assert_eq!(from_yaml, from_json);
    assert_eq!(from_yaml, from_b64);
    assert_eq!(from_yaml, from_b64_yaml);
    // And the same error on every path.
    let bad = with("topic: facts", "topic: facts, colour: red");
    let bad_json =
        serde_json::to_string(&crate::yaml::from_str::<serde_json::Value>(&bad).unwrap()).unwrap();
    let e1 = errors(&bad);
    assert_eq!(e1, errors(&bad_json));
    let e3: Vec<String> =
        decode::from_base64(&base64::engine::general_purpose::STANDARD.encode(&bad))
            .unwrap_err()
            .field_errors()
            .iter()
            .map(|e| e.to_string())
            .collect();
    assert_eq!(e1, e3);
}

#[test]
fn unknown_keys_are_rejected_with_their_path() {
    assert_eq!(
        paths(&with("description:", "colour: red\ndescription:")),
        ["colour"]
    );
    assert_eq!(
        paths(&with("topic: facts", "topic: facts, colour: red")),
        ["steps.producer.colour"]
    );
    assert_eq!(
        paths(&with(
            "policy: on-failure",
            "policy: on-failure, colour: red"
        )),
        ["restart.colour"]
    );
    assert_eq!(
        paths(&with("  transformer:", "  mapper: {}\n  transformer:")),
        ["steps.mapper"]
    );
    let e = errors(&with("{ type: http,", "{ type: http, colour: 1,"));
    assert!(
        e[0].starts_with("steps.source.colour: unknown field"),
        "{e:?}"
    );
    assert_eq!(
        paths(&with(
            "exists: { field: fact }",
            "exists: { field: fact, x: 1 }"
        )),
        ["steps.transformer[0].filter.condition.exists.x"]
    );
    assert_eq!(
        paths(&with(
            "- filter: { condition: { exists",
            "- frobnicate: {}\n    - filter: { condition: { exists"
        )),
        ["steps.transformer[0]"]
    );
}

#[test]
fn the_id_follows_its_pattern() {
    for bad in ["Cat", "../etc", "a/b", "-x", "\"\""] {
        assert_eq!(
            paths(&with("id: cat-facts", &format!("id: {bad}"))),
            ["id"],
            "{bad}"
        );
    }
    assert_eq!(paths(&VALID.replacen("id: cat-facts\n", "", 1)), ["id"]);
}

#[test]
fn the_runtime_reference_is_checked() {
    assert_eq!(
        paths(&with("runtime: essentials:0.1.0", "runtime: Essentials")),
        ["runtime"]
    );
    assert_eq!(
        paths(&with(
            "runtime: essentials:0.1.0",
            "runtime: \"essentials:\""
        )),
        ["runtime"]
    );
}

#[test]
fn exactly_one_input_and_one_output() {
    let both_inputs = with(
        "  producer:",
        "  consumer: { stream: s, topic: t, consumer_group: g }\n  producer:",
    );
    assert!(
        errors(&both_inputs)
            .iter()
            .any(|e| e.contains("exactly one of source or consumer, not both"))
    );
    let no_input = VALID.replacen("  source: { type: http, config: { url: \"http://127.0.0.1:9000/fact\", interval: 10s } }\n", "", 1);
    assert!(
        errors(&no_input)
            .iter()
            .any(|e| e.contains("missing input"))
    );
    let both_outputs = with("  producer:", "  sink: { type: stdout }\n  producer:");
    assert!(
        errors(&both_outputs)
            .iter()
            .any(|e| e.contains("exactly one of sink or producer, not both"))
    );
    let no_output = VALID.replacen(
        "  producer: { stream: cats, topic: facts, create_topic: true, partitions: 1, batch_length: 1000, linger: 5ms }\n",
        "",
        1,
    );
    let e = errors(&no_output);
    assert!(e.iter().any(|e| e.contains("missing output")), "{e:?}");
}

#[test]
fn every_step_constraint_is_enforced_and_reported_together() {
    let doc = r#"
id: pipe
runtime: vanilla
steps:
  consumer: { stream: "", topic: t, consumer_group: " ", batch_length: 0, iggy: { address: nohost, token: x, password: y } }
  transformer:
    - add_fields: { fields: [] }
    - add_fields: { fields: [ { name: a, value: 1, computed: uuid }, { name: "a..b", value: 1 } ] }
    - delete_fields: { fields: [ "" ] }
    - update_fields: { fields: [ { name: x } ], condition: key_exists }
    - filter_fields: {}
    - filter_fields: { patterns: [ "(" ] }
    - rename_fields: { fields: [ { from: a, to: "" } ] }
    - filter: { condition: { and: [] } }
    - filter: { condition: { or: [ { matches: { field: m, regex: "[" } } ] } }
  producer: { stream: s, topic: t, partitions: 0, batch_length: 100001 }
restart: { initial_backoff: 10s, max_backoff: 1s }
env: { CONNECT_LOG_LEVEL: debug, "1BAD": x }
"#;
    let got = paths(doc);
    let want = [
        "steps.consumer.stream",
        "steps.consumer.consumer_group",
        "steps.consumer.batch_length",
        "steps.consumer.iggy.address",
        "steps.consumer.iggy",
        "steps.producer.batch_length",
        "steps.producer.partitions",
        "steps.transformer[0].add_fields.fields",
        "steps.transformer[1].add_fields.fields[0]",
        "steps.transformer[1].add_fields.fields[1].name",
        "steps.transformer[2].delete_fields.fields[0]",
        "steps.transformer[3].update_fields.fields[0]",
        "steps.transformer[4].filter_fields",
        "steps.transformer[5].filter_fields.patterns[0]",
        "steps.transformer[6].rename_fields.fields[0].to",
        "steps.transformer[7].filter.condition.and",
        "steps.transformer[8].filter.condition.or[0].matches.regex",
        "restart.max_backoff",
        "env.1BAD",
        "env.CONNECT_LOG_LEVEL",
    ];
    assert_eq!(got, want);
}

#[test]
fn enums_and_durations_are_checked_by_serde_with_paths() {
    assert_eq!(
        paths(&with("policy: on-failure", "policy: sometimes")),
        ["restart.policy"]
    );
    assert_eq!(
        paths(&with("linger: 5ms", "linger: soon")),
        ["steps.producer.linger"]
    );
    assert!(errors(&with("linger: 5ms", "linger: 5"))[0].contains("needs a unit"));
    assert_eq!(
        paths(&with("partitions: 1", "partitions: -1")),
        ["steps.producer.partitions"]
    );
    assert_eq!(
        paths(&with("create_topic: true", "create_topic: yes please")),
        ["steps.producer.create_topic"]
    );
}

#[test]
fn syntax_errors_and_empty_documents_are_clear() {
    assert!(matches!(decode::from_str("   "), Err(DecodeError::Empty)));
    assert!(matches!(
        decode::from_str("{\"id\": "),
        Err(DecodeError::Syntax { format: "JSON", .. })
    ));
    assert!(matches!(
        decode::from_str("id: [unclosed"),
        Err(DecodeError::Syntax { format: "YAML", .. })
    ));
    assert!(matches!(
        decode::from_base64("%%%"),
        Err(DecodeError::Base64(_))
    ));
    use base64::Engine;
    let not_utf8 = base64::engine::general_purpose::STANDARD.encode([0xff, 0xfe, 0x00]);
    assert!(matches!(
        decode::from_base64(&not_utf8),
        Err(DecodeError::Utf8)
    ));
    assert!(
        DecodeError::Empty
            .to_string()
            .contains("write a connector document")
    );
}

#[test]
fn the_four_shapes_have_their_direction() {
    let base = "id: x\nruntime: r\nsteps:\n";
    let src = "  source: { type: a }\n";
    let con = "  consumer: { stream: s, topic: t, consumer_group: g }\n";
    let snk = "  sink: { type: b }\n";
    let pro = "  producer: { stream: s, topic: t }\n";
    for (input, output, dir) in [
        (src, pro, Direction::Inlet),
        (con, snk, Direction::Outlet),
        (src, snk, Direction::Bridge),
        (con, pro, Direction::Pipe),
    ] {
        let c = decode::from_str(&format!("{base}{input}{output}")).unwrap();
        assert_eq!(c.steps.direction(), dir);
    }
}

#[test]
fn component_steps_take_batching_but_sources_no_linger() {
    let doc = "id: x\nruntime: r\nsteps:\n  source: { type: a, batch_length: 5000 }\n  sink: { type: b, batch_length: 20000, linger: 20ms }\n";
    let c = decode::from_str(doc).unwrap();
    assert_eq!(
        c.steps.sink.as_ref().unwrap().linger,
        Some(std::time::Duration::from_millis(20))
    );
    let bad = "id: x\nruntime: r\nsteps:\n  source: { type: a, batch_length: 0, linger: 1s }\n  sink: { type: b, batch_length: 100001 }\n";
    assert_eq!(
        paths(bad),
        [
            "steps.source.batch_length",
            "steps.source.linger",
            "steps.sink.batch_length"
        ]
    );
}
