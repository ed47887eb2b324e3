//! `generate` into the file and stdout sinks: exact output, exit 0 when finished, and no
//! message lost across SIGKILLs.

use std::collections::BTreeMap;

use connect_tests::wait_for;

use crate::support::{RuntimeRun, WAIT, essentials, lines, wait_for_lines};

fn generate_to_file(count: u64) -> RuntimeRun {
    essentials(&format!(
        "  source: {{ type: generate, config: {{ count: {count} }} }}\n  sink: {{ type: file, config: {{ path: '{{dir}}/out/generated.ndjson' }} }}\n"
    ))
}

/// The `seq` of every line, failing on a line that is not the default template's JSON.
fn seqs(lines: &[String]) -> Vec<u64> {
    lines
        .iter()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("line `{l}` is not JSON: {e}"));
            v["seq"]
                .as_u64()
                .unwrap_or_else(|| panic!("line `{l}` has no seq"))
        })
        .collect()
}

#[test]
fn generate_to_file_writes_every_message_once_and_exits_zero() {
    let run = generate_to_file(20_000);
    let status = run.spawn().wait();
    assert_eq!(status.code(), Some(0), "stderr:\n{}", run.stderr());
    let got = seqs(&lines(&run.path("out/generated.ndjson")));
    assert_eq!(got, (1..=20_000).collect::<Vec<_>>());
}

#[test]
fn a_restarted_generator_continues_its_sequence() {
    let mut run = generate_to_file(10);
    assert_eq!(run.spawn().wait().code(), Some(0), "{}", run.stderr());
    // Same state directory and output, a larger count: only the rest is made.
    run.set_steps("  source: { type: generate, config: { count: 15 } }\n  sink: { type: file, config: { path: '{dir}/out/generated.ndjson' } }\n");
    assert_eq!(run.spawn().wait().code(), Some(0), "{}", run.stderr());
    assert_eq!(
        seqs(&lines(&run.path("out/generated.ndjson"))),
        (1..=15).collect::<Vec<_>>()
    );
}

#[test]
fn sigkill_mid_run_loses_no_message() {
    const COUNT: u64 = 1_000_000;
    let run = generate_to_file(COUNT);
    let out = run.path("out/generated.ndjson");
    let cursor = run.path("state/source-cursor.json");
    // Two kills at points chosen by what the runtime has written, then a run to the end.
    for threshold in [40_000, 150_000] {
        let running = run.spawn();
        wait_for_lines(&out, threshold);
        wait_for(WAIT, "a committed cursor", || cursor.exists().then_some(()));
        running.kill();
    }
    let status = run.spawn().wait();
    assert_eq!(status.code(), Some(0), "stderr:\n{}", run.stderr());

    let mut seen: BTreeMap<u64, u32> = BTreeMap::new();
    for s in seqs(&lines(&out)) {
        *seen.entry(s).or_default() += 1;
    }
    let missing: Vec<_> = (1..=COUNT)
        .filter(|s| !seen.contains_key(s))
        .take(10)
        .collect();
    assert!(
        missing.is_empty(),
        "messages lost after SIGKILL, e.g. {missing:?}"
    );
    assert_eq!(
        seen.keys().next_back(),
        Some(&COUNT),
        "nothing beyond count"
    );
    assert_eq!(
        seen[&1], 1,
        "the restarts continued from the saved cursor instead of starting over"
    );
}

#[test]
fn stdout_carries_data_only() {
    let run = essentials(
        "  source: { type: generate, config: { count: 100, payload: 'n={{seq}}' } }\n  sink: { type: stdout, config: {} }\n",
    );
    let out = run.command().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "stderr:\n{stderr}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let expected: String = (1..=100).map(|n| format!("n={n}\n")).collect();
    assert_eq!(
        stdout, expected,
        "stdout holds the messages and nothing else"
    );
    assert!(stderr.contains("starting"), "logs go to stderr:\n{stderr}");
}

#[test]
fn stdout_json_format_carries_metadata() {
    let run = essentials(
        "  source: { type: generate, config: { count: 3 } }\n  sink: { type: stdout, config: { format: json } }\n",
    );
    let out = run.command().output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[2]["payload"], serde_json::json!({"seq": 3}));
    assert!(lines[0]["timestamp_us"].as_u64().unwrap() > 0);
    assert_eq!(lines[0]["origin"], "source");
}
