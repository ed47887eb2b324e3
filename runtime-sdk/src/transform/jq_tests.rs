//! The `jq` transform through the public chain: map, filter, split, errors at compile time with
//! their position, runtime errors as content failures, non-JSON payloads, and mixing with the
//! declarative transforms in any position.

use serde_json::{Value, json};

use super::*;

fn chain(steps: Value) -> Result<Chain, FieldErrors> {
    let steps: Vec<TransformStep> = serde_json::from_value(steps).unwrap();
    Chain::new(&steps)
}

fn jq(program: &str) -> Chain {
    chain(json!([{"jq": {"program": program}}])).unwrap()
}

/// Runs `c` over `payloads`; the surviving payloads as text, and the failures.
fn run(c: &Chain, payloads: &[&str]) -> (Vec<String>, Vec<Failure>) {
    let mut batch: Vec<Message> = payloads
        .iter()
        .map(|p| {
            Message::new(p.to_string())
                .with_key("k")
                .with_header("h", "v")
        })
        .collect();
    let failures = c.apply_collect(&mut batch, &Metrics::default());
    assert!(
        batch
            .iter()
            .all(|m| m.key.as_deref() == Some(&b"k"[..]) && m.headers["h"] == "v"),
        "key and headers stay with every output"
    );
    let out = batch
        .iter()
        .map(|m| String::from_utf8(m.payload.to_vec()).unwrap())
        .collect();
    (out, failures)
}

#[test]
fn jq_maps_each_message() {
    let (out, failures) = run(
        &jq("{id: .seq, v: (.seq * 2)}"),
        &[r#"{"seq": 1, "x": "y"}"#, r#"{"seq": 2}"#],
    );
    assert_eq!(out, [r#"{"id":1,"v":2}"#, r#"{"id":2,"v":4}"#]);
    assert!(failures.is_empty());
}

#[test]
fn no_output_drops_the_message_and_counts_it_filtered() {
    let c = jq("select(.temp > 30) | {device: .id, celsius: .temp, at: now}");
    let mut batch = vec![
        Message::new(r#"{"id": "a", "temp": 31}"#),
        Message::new(r#"{"id": "b", "temp": 20}"#),
    ];
    let metrics = Metrics::default();
    assert!(c.apply_collect(&mut batch, &metrics).is_empty());
    assert_eq!(batch.len(), 1);
    let v: Value = serde_json::from_slice(&batch[0].payload).unwrap();
    assert_eq!(
        (v["device"].clone(), v["celsius"].clone()),
        (json!("a"), json!(31))
    );
    assert!(
        v["at"].as_f64().unwrap() > 1.7e9,
        "now is seconds since the epoch"
    );
    assert_eq!(metrics.snapshot().messages_filtered, 1);
}

#[test]
fn several_outputs_split_the_message_in_order() {
    let (out, _) = run(
        &jq(".items[] | {name}"),
        &[
            r#"{"items": [{"name": "a"}, {"name": "b"}, {"name": "c"}]}"#,
            r#"{"items": [{"name": "d"}]}"#,
        ],
    );
    assert_eq!(
        out,
        [
            r#"{"name":"a"}"#,
            r#"{"name":"b"}"#,
            r#"{"name":"c"}"#,
            r#"{"name":"d"}"#
        ]
    );
}

#[test]
fn syntax_errors_and_unknown_names_are_invalid_config_with_path_and_position() {
    let errors = chain(json!([
        {"filter_fields": {"keep": ["a"]}},
        {"jq": {"program": "{id: .seq,\n v: (.seq * }"}},
        {"jq": {"program": "nosuchfn(1)"}},
        {"jq": {"program": "env.HOME"}},
    ]))
    .unwrap_err();
    let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(list.len(), 3, "{list:?}");
    assert!(
        list[0].starts_with("steps.transformer[1].jq.program: jq syntax error at line 2, column"),
        "{list:?}"
    );
    assert!(
        list[1].starts_with("steps.transformer[2].jq.program: the jq program uses undefined names: filter `nosuchfn`"),
        "{list:?}"
    );
    assert!(
        list[2].contains("transformer[3]") && list[2].contains("`env`"),
        "env is not offered: it would expose the runtime's credentials; {list:?}"
    );
}

#[test]
fn a_runtime_error_fails_only_that_message_and_keeps_it_unchanged() {
    let (out, failures) = run(
        &jq(".a.b"),
        &[r#"{"a": {"b": 1}}"#, r#"{"a": 5}"#, r#"{"a": {"b": 2}}"#],
    );
    assert_eq!(out, ["1", "2"]);
    assert_eq!(failures.len(), 1);
    assert_eq!(&failures[0].message.payload[..], br#"{"a": 5}"#);
    assert_eq!(failures[0].error.class(), "jq.error");
    assert!(
        failures[0].error.to_string().contains("cannot index"),
        "{}",
        failures[0].error
    );
}

#[test]
fn runaway_output_is_a_content_failure_not_a_memory_blowup() {
    let (out, failures) = run(&jq("repeat(1)"), &["{}"]);
    assert!(out.is_empty());
    assert!(
        failures[0]
            .error
            .to_string()
            .contains("more than 10000 outputs")
    );
    let (_, failures) = run(&jq("halt_error"), &[r#""stop""#]);
    assert_eq!(failures.len(), 1, "halt never exits the runtime");
}

#[test]
fn non_json_passes_unless_on_non_json_is_error() {
    let (out, failures) = run(&jq("{x: .}"), &["plain text", "[1]"]);
    assert_eq!(out, ["plain text", r#"{"x":[1]}"#]);
    assert!(failures.is_empty());
    let strict = chain(json!([{"jq": {"program": ".", "on_non_json": "error"}}])).unwrap();
    let (out, failures) = run(&strict, &["plain text", "{}"]);
    assert_eq!(out, ["{}"]);
    assert_eq!(failures[0].error, TransformError::NotJson);
}

#[test]
fn jq_works_in_any_position_with_the_declarative_transforms() {
    let c = chain(json!([
        {"add_fields": {"fields": [{"name": "added", "value": 1}]}},
        {"jq": {"program": ".items[] + {added}"}},
        {"filter": {"condition": {"not": {"equals": {"field": "skip", "value": true}}}}},
        {"rename_fields": {"fields": [{"from": "added", "to": "was_added"}]}},
        {"jq": {"program": "{name, was_added}"}},
    ]))
    .unwrap();
    let (out, failures) = run(
        &c,
        &[r#"{"items": [{"name": "a"}, {"name": "b", "skip": true}, {"name": "c"}]}"#],
    );
    assert!(failures.is_empty());
    assert_eq!(
        out,
        [
            r#"{"name":"a","was_added":1}"#,
            r#"{"name":"c","was_added":1}"#
        ]
    );
}

#[test]
fn a_large_batch_runs_on_every_core_and_keeps_its_order() {
    let c =
        jq("if .n % 7 == 0 then empty elif .n % 11 == 0 then error(\"x\") else (., {n: -.n}) end");
    let payloads: Vec<String> = (0..5_000).map(|n| format!("{{\"n\":{n}}}")).collect();
    let refs: Vec<&str> = payloads.iter().map(String::as_str).collect();
    let (out, failures) = run(&c, &refs);
    let expected: Vec<String> = (0..5_000)
        .filter(|n| n % 7 != 0 && n % 11 != 0)
        .flat_map(|n| [format!("{{\"n\":{n}}}"), format!("{{\"n\":{}}}", -n)])
        .collect();
    assert_eq!(out, expected);
    let failed: Vec<String> = failures
        .iter()
        .map(|f| String::from_utf8(f.message.payload.to_vec()).unwrap())
        .collect();
    let expected: Vec<String> = (0..5_000)
        .filter(|n| n % 7 != 0 && n % 11 == 0)
        .map(|n| format!("{{\"n\":{n}}}"))
        .collect();
    assert_eq!(failed, expected);
}
