//! Chain-level tests: every transform type through the public chain, ordering and repetition,
//! non-JSON pass-through, failures and counters.

use serde_json::{Value, json};

use super::*;

fn chain(steps: Value) -> Chain {
    let steps: Vec<TransformStep> = serde_json::from_value(steps).unwrap();
    Chain::new(&steps).unwrap()
}

/// Runs `steps` over JSON messages; returns the surviving payloads parsed and the metrics.
fn run(steps: Value, messages: &[Value]) -> (Vec<Value>, Metrics) {
    let mut batch: Vec<Message> = messages
        .iter()
        .map(|m| Message::new(serde_json::to_vec(m).unwrap()))
        .collect();
    let metrics = Metrics::default();
    chain(steps).apply(&mut batch, &metrics);
    (
        batch
            .iter()
            .map(|m| serde_json::from_slice(&m.payload).unwrap())
            .collect(),
        metrics,
    )
}

#[test]
fn filter_keeps_or_drops_by_condition_and_counts_filtered() {
    let msgs = [
        json!({"level": "error"}),
        json!({"level": "info"}),
        json!({"other": 1}),
    ];
    let (out, metrics) = run(
        json!([{"filter": {"condition": {"equals": {"field": "level", "value": "error"}}}}]),
        &msgs,
    );
    assert_eq!(out, [json!({"level": "error"})]);
    assert_eq!(metrics.snapshot().messages_filtered, 2);
    let (out, _) = run(
        json!([{"filter": {"condition": {"equals": {"field": "level", "value": "error"}}, "action": "drop"}}]),
        &msgs,
    );
    assert_eq!(out, [json!({"level": "info"}), json!({"other": 1})]);
}

#[test]
fn add_fields_sets_static_and_computed_values_at_nested_paths() {
    let (out, _) = run(
        json!([{"add_fields": {"fields": [
            {"name": "meta.source", "value": "test"},
            {"name": "a", "value": 2},
            {"name": "id", "computed": "uuid"},
            {"name": "at", "computed": "timestamp_ms"},
        ]}}]),
        &[json!({"a": 1})],
    );
    let o = &out[0];
    assert_eq!((&o["meta"]["source"], &o["a"]), (&json!("test"), &json!(2)));
    assert!(uuid::Uuid::parse_str(o["id"].as_str().unwrap()).is_ok());
    assert!(o["at"].as_u64().unwrap() > 1_700_000_000_000);
}

#[test]
fn delete_fields_removes_top_level_and_nested_fields() {
    let (out, _) = run(
        json!([{"delete_fields": {"fields": ["secret", "user.password", "missing.x"]}}]),
        &[json!({"secret": 1, "user": {"name": "ann", "password": "p"}, "keep": true})],
    );
    assert_eq!(out, [json!({"user": {"name": "ann"}, "keep": true})]);
}

#[test]
fn update_fields_honours_its_condition() {
    let msgs = [json!({"status": "old"}), json!({})];
    let set = |condition: &str| {
        run(
            json!([{"update_fields": {"fields": [{"name": "status", "value": "new"}], "condition": condition}}]),
            &msgs,
        )
        .0
    };
    assert_eq!(
        set("always"),
        [json!({"status": "new"}), json!({"status": "new"})]
    );
    assert_eq!(set("key_exists"), [json!({"status": "new"}), json!({})]);
    assert_eq!(
        set("key_not_exists"),
        [json!({"status": "old"}), json!({"status": "new"})]
    );
}

#[test]
fn filter_fields_keeps_named_paths_and_matching_keys() {
    let (out, _) = run(
        json!([{"filter_fields": {"keep": ["id", "user.name"], "patterns": ["^x_"]}}]),
        &[json!({"id": 1, "user": {"name": "ann", "email": "e"}, "x_a": 1, "x_b": 2, "other": 3})],
    );
    assert_eq!(
        out,
        [json!({"id": 1, "user": {"name": "ann"}, "x_a": 1, "x_b": 2})]
    );
}

#[test]
fn rename_fields_moves_values_between_paths() {
    let (out, _) = run(
        json!([{"rename_fields": {"fields": [{"from": "a", "to": "b"}, {"from": "x.y", "to": "z"}, {"from": "none", "to": "n"}]}}]),
        &[json!({"a": 1, "x": {"y": 2, "k": 3}})],
    );
    assert_eq!(out, [json!({"b": 1, "z": 2, "x": {"k": 3}})]);
}

#[test]
fn order_matters_and_a_type_may_repeat() {
    let rename_then_filter = json!([
        {"rename_fields": {"fields": [{"from": "lvl", "to": "level"}]}},
        {"filter": {"condition": {"equals": {"field": "level", "value": "error"}}}},
        {"add_fields": {"fields": [{"name": "step", "value": 1}]}},
        {"add_fields": {"fields": [{"name": "step", "value": 2}]}},
    ]);
    let (out, _) = run(
        rename_then_filter,
        &[json!({"lvl": "error"}), json!({"lvl": "info"})],
    );
    assert_eq!(out, [json!({"level": "error", "step": 2})]);

    let filter_then_rename = json!([
        {"filter": {"condition": {"equals": {"field": "level", "value": "error"}}}},
        {"rename_fields": {"fields": [{"from": "lvl", "to": "level"}]}},
    ]);
    let (out, metrics) = run(filter_then_rename, &[json!({"lvl": "error"})]);
    assert!(out.is_empty(), "the filter ran before the rename: {out:?}");
    assert_eq!(metrics.snapshot().messages_filtered, 1);
}

#[test]
fn non_json_and_non_object_payloads_pass_unchanged() {
    let c = chain(json!([
        {"filter": {"condition": {"exists": {"field": "a"}}}},
        {"add_fields": {"fields": [{"name": "b", "value": 1}]}},
    ]));
    let payloads: [&[u8]; 4] = [b"plain text", b"[1,2]", b"{broken", &[0xff, 0x00, 0x7b]];
    let mut batch: Vec<Message> = payloads.iter().map(|p| Message::new(p.to_vec())).collect();
    let metrics = Metrics::default();
    c.apply(&mut batch, &metrics);
    let out: Vec<&[u8]> = batch.iter().map(|m| &m.payload[..]).collect();
    assert_eq!(out, payloads);
    assert_eq!(
        (
            metrics.snapshot().messages_filtered,
            metrics.snapshot().messages_failed
        ),
        (0, 0)
    );
}

#[test]
fn a_failing_transform_drops_and_counts_the_message() {
    let (out, metrics) = run(
        json!([{"add_fields": {"fields": [{"name": "name.first", "value": "x"}]}}]),
        &[json!({"name": "ann"}), json!({"name": {"last": "b"}})],
    );
    assert_eq!(out, [json!({"name": {"first": "x", "last": "b"}})]);
    assert_eq!(metrics.snapshot().messages_failed, 1);
    assert!(
        metrics
            .last_error()
            .unwrap()
            .contains("`name` is not an object")
    );
}

#[test]
fn filters_alone_leave_payload_bytes_untouched() {
    let c = chain(json!([{"filter": {"condition": {"exists": {"field": "b"}}}}]));
    let mut m = Message::new(&b"{ \"b\" : 1 }"[..]);
    assert_eq!(c.apply_one(&mut m), Outcome::Keep);
    assert_eq!(&m.payload[..], b"{ \"b\" : 1 }");
}

#[test]
fn invalid_regexes_are_reported_with_their_paths() {
    let steps: Vec<TransformStep> = serde_json::from_value(json!([
        {"filter_fields": {"patterns": ["("]}},
        {"filter": {"condition": {"not": {"matches": {"field": "a", "regex": "["}}}}},
    ]))
    .unwrap();
    let errors = Chain::new(&steps).unwrap_err();
    let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "steps.transformer[0].filter_fields.patterns",
            "steps.transformer[1].filter.condition.not.matches.regex"
        ]
    );
}
