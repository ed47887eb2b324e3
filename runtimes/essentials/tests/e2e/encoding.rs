//! The `file` sink's per-message rejection: with `format: payload` a payload holding a newline
//! cannot be one line, so it is refused (class `encoding`) and the error policy decides: a
//! dead-letter file with `tolerance: all`, exit 78 naming the message with `tolerance: none`.

use crate::support::{essentials, lines};

fn steps(errors: &str) -> String {
    format!(
        "  source: {{ type: generate, config: {{ count: 3, payload: \"two\\nlines {{{{seq}}}}\" }} }}\n  sink: {{ type: file, config: {{ path: '{{dir}}/out.txt' }} }}\n{errors}"
    )
}

#[test]
fn a_payload_holding_a_newline_is_dead_lettered_not_split_into_two_lines() {
    let run = essentials(&steps(
        "errors: { tolerance: all, dead_letter: { file: { path: '{dir}/dlq.ndjson' } } }\n",
    ));
    assert_eq!(run.spawn().wait().code(), Some(0), "{}", run.stderr());
    assert!(
        lines(&run.path("out.txt")).is_empty(),
        "nothing written split"
    );
    let letters: Vec<serde_json::Value> = lines(&run.path("dlq.ndjson"))
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let payloads: Vec<_> = letters.iter().map(|l| l["payload"].clone()).collect();
    assert_eq!(payloads, ["two\nlines 1", "two\nlines 2", "two\nlines 3"]);
    assert!(
        letters
            .iter()
            .all(|l| l["headers"]["connect.error.class"] == "encoding"
                && l["headers"]["connect.error.stage"] == "sink")
    );
}

#[test]
fn without_tolerance_the_first_such_payload_stops_the_runtime_with_78() {
    let run = essentials(&steps(""));
    assert_eq!(run.spawn().wait().code(), Some(78), "{}", run.stderr());
    let stderr = run.stderr();
    assert!(
        stderr.contains("encoding") && stderr.contains("lines 1"),
        "the error names the message and the reason: {stderr}"
    );
}
