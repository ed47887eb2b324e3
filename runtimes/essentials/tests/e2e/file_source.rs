//! The `file` source on real files: following growth, rotation (rename and recreate) and
//! truncation, and resuming at its committed position after a SIGKILL.

use connect_tests::wait_for;

use crate::support::{RuntimeRun, WAIT, append, essentials, lines, wait_for_lines};

fn file_to_file() -> RuntimeRun {
    essentials(
        "  source: { type: file, config: { path: '{dir}/in.log', poll_interval: 20ms } }\n  sink: { type: file, config: { path: '{dir}/out.log' } }\n",
    )
}

#[test]
fn follows_growth_rotation_and_truncation() {
    let run = file_to_file();
    let (input, output) = (run.path("in.log"), run.path("out.log"));
    append(&input, "a1\na2\na3\n");
    let running = run.spawn();
    wait_for_lines(&output, 3);

    append(&input, "a4\n");
    std::fs::rename(&input, run.path("in.log.1")).unwrap();
    append(&input, "b1\nb2\n");
    wait_for_lines(&output, 6);

    std::fs::OpenOptions::new()
        .write(true)
        .open(&input)
        .unwrap()
        .set_len(0)
        .unwrap();
    append(&input, "c\n");
    wait_for_lines(&output, 7);

    assert_eq!(running.terminate().code(), Some(0), "{}", run.stderr());
    assert_eq!(lines(&output), ["a1", "a2", "a3", "a4", "b1", "b2", "c"]);
    let logs = run.logs();
    assert!(
        logs.contains("rotated") && logs.contains("truncated"),
        "{logs}"
    );
}

#[test]
fn resumes_at_the_committed_position_after_sigkill() {
    let run = file_to_file();
    let (input, output) = (run.path("in.log"), run.path("out.log"));
    let first: String = (1..=1000).map(|n| format!("line {n}\n")).collect();
    append(&input, &first);
    let running = run.spawn();
    wait_for_lines(&output, 1000);
    // Kill once the position of the last line is durable: nothing may repeat or go missing.
    let cursor = run.path("state/source-cursor.json");
    let end = first.len() as u64;
    wait_for(WAIT, "the cursor at the end of the input", || {
        let saved: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&cursor).ok()?).ok()?;
        (saved["offset"].as_u64() == Some(end)).then_some(())
    });
    running.kill();

    let second: String = (1001..=1500).map(|n| format!("line {n}\n")).collect();
    append(&input, &second);
    let running = run.spawn();
    wait_for_lines(&output, 1500);
    assert_eq!(running.terminate().code(), Some(0), "{}", run.stderr());
    let expected: Vec<_> = (1..=1500).map(|n| format!("line {n}")).collect();
    assert_eq!(lines(&output), expected);
}
