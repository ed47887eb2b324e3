//! The error policy through a real `Runtime` launch: rejected and transform-failed messages go
//! to a file dead-letter destination with their error headers while everything else flows and
//! commits; an `errors` block is refused by a runtime of an older contract.

use std::sync::atomic::Ordering::SeqCst;

use serde_json::Value;

use super::tests::{Setup, launch};
use crate::contract::ExitCode;

fn letters(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn file_policy(path: &std::path::Path) -> String {
    format!(
        "errors:\n  tolerance: all\n  dead_letter:\n    file: {{ path: {} }}\n",
        path.display()
    )
}

#[test]
fn a_refused_message_is_dead_lettered_and_the_rest_flows_and_commits() {
    let dir = tempfile::tempdir().unwrap();
    let dlq = dir.path().join("dlq/t.ndjson");
    let (code, shared) = launch(Setup {
        sink_rejects: Some(4_321),
        extra: file_policy(&dlq),
        ..Setup::default()
    });
    assert_eq!(code, ExitCode::Success);
    assert_eq!(shared.written.load(SeqCst), 10_000);
    assert_eq!(
        shared.commits.lock().unwrap().last(),
        Some(&10_000),
        "the cursor moved past the dead-lettered message"
    );
    let letters = letters(&dlq);
    assert_eq!(letters.len(), 1, "{letters:?}");
    let l = &letters[0];
    assert_eq!(l["payload"], serde_json::json!({"a": 1, "n": 4321}));
    assert_eq!(l["key"], Value::Null);
    let h = &l["headers"];
    assert_eq!(h["connect.error.stage"], "sink");
    assert_eq!(h["connect.error.class"], "test.bad");
    assert_eq!(h["connect.error.message"], "the test sink refuses it");
    assert_eq!(h["connect.connector"], "t");
    assert_eq!(
        h["connect.source.offset"], "4400",
        "the cursor of the source batch the message came in"
    );
}

#[test]
fn a_jq_runtime_error_is_dead_lettered_with_the_original_payload() {
    let dir = tempfile::tempdir().unwrap();
    let dlq = dir.path().join("t.ndjson");
    let (code, shared) = launch(Setup {
        count: 3_000,
        transformer: r#"[{ jq: { program: 'if .n % 1000 == 7 then error("bad \(.n)") else {n} end' } }]"#,
        extra: file_policy(&dlq),
        slack: 3,
        ..Setup::default()
    });
    assert_eq!(code, ExitCode::Success);
    assert_eq!(shared.written.load(SeqCst), 2_997);
    assert_eq!(shared.commits.lock().unwrap().last(), Some(&3_000));
    let letters = letters(&dlq);
    let ns: Vec<_> = letters.iter().map(|l| l["payload"]["n"].clone()).collect();
    assert_eq!(ns, [7, 1007, 2007]);
    assert_eq!(letters[0]["payload"], serde_json::json!({"a": 1, "n": 7}));
    assert_eq!(letters[0]["headers"]["connect.error.stage"], "transform");
    assert_eq!(letters[0]["headers"]["connect.error.class"], "jq.error");
    assert_eq!(letters[0]["headers"]["connect.error.message"], "jq: bad 7");
}

#[test]
fn without_a_destination_tolerated_failures_are_dropped_and_the_connector_goes_on() {
    let (code, shared) = launch(Setup {
        sink_rejects: Some(10),
        extra: "errors: { tolerance: all }\n".into(),
        ..Setup::default()
    });
    assert_eq!(code, ExitCode::Success);
    assert_eq!(shared.commits.lock().unwrap().last(), Some(&10_000));
}

#[test]
fn tolerance_none_stops_at_the_first_refused_message() {
    let (code, shared) = launch(Setup {
        sink_rejects: Some(4_321),
        extra: "errors: { tolerance: none }\n".into(),
        ..Setup::default()
    });
    assert_eq!(code, ExitCode::InvalidConfig);
    assert!(shared.commits.lock().unwrap().iter().all(|&c| c <= 4_300));
}

#[test]
fn a_runtime_of_an_older_contract_refuses_an_errors_block() {
    let (code, shared) = launch(Setup {
        contract: 1,
        extra: "errors: { tolerance: all }\n".into(),
        ..Setup::default()
    });
    assert_eq!(code, ExitCode::InvalidConfig);
    assert_eq!(shared.written.load(SeqCst), 0);
}
