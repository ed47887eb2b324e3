//! The binary as a person runs it: invalid configs rejected with the field named, the shipped
//! examples valid, and SIGTERM draining to exit 0 with the sequence continuing on restart.

use connect_runtime_sdk::ExitCode;
use connect_tests::encode;

use crate::support::{RuntimeRun, essentials, lines, wait_for_lines};

#[test]
fn an_invalid_component_config_names_every_bad_field() {
    let run = essentials(
        "  source: { type: generate, config: { count: -1, colour: red } }\n  sink: { type: file, config: { fsync: sometimes } }\n",
    );
    let out = run.command().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(ExitCode::InvalidConfig.code()),
        "{stderr}"
    );
    for path in [
        "steps.source.config.count",
        "steps.source.config.colour",
        "steps.sink.config.fsync",
        "steps.sink.config.path",
    ] {
        assert!(stderr.contains(path), "`{path}` not named in:\n{stderr}");
    }
}

#[test]
fn a_bad_payload_template_is_an_invalid_config() {
    let run = essentials(
        "  source: { type: generate, config: { payload: '{{sequence}}' } }\n  sink: { type: stdout, config: {} }\n",
    );
    let out = run.command().output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(ExitCode::InvalidConfig.code()),
        "{stderr}"
    );
    assert!(
        stderr.contains("unknown placeholder `{{sequence}}`"),
        "{stderr}"
    );
}

#[test]
fn every_shipped_example_validates() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        if !text.contains("runtime: essentials") {
            continue;
        }
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_essentials"))
            .args(["--validate", &encode(&text)])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        checked += 1;
    }
    assert!(
        checked >= 4,
        "expected the essentials examples in {}",
        dir.display()
    );
}

#[test]
fn sigterm_drains_and_a_restart_continues_the_sequence() {
    let run = essentials(
        "  source: { type: generate, config: { interval: 5ms, payload: '{{seq}}' } }\n  sink: { type: file, config: { path: '{dir}/out.log' } }\n",
    );
    let out = run.path("out.log");
    assert_eq!(
        spawn_and_stop_after(&run, &out, 5),
        Some(0),
        "{}",
        run.stderr()
    );
    let before = lines(&out).len();
    assert_eq!(
        spawn_and_stop_after(&run, &out, before + 5),
        Some(0),
        "{}",
        run.stderr()
    );
    let got: Vec<u64> = lines(&out).iter().map(|l| l.parse().unwrap()).collect();
    assert_eq!(
        got,
        (1..=got.len() as u64).collect::<Vec<_>>(),
        "one unbroken sequence across the restart"
    );
}

/// Starts the runtime, waits for `n` lines in `out`, sends SIGTERM; the exit code.
fn spawn_and_stop_after(run: &RuntimeRun, out: &std::path::Path, n: usize) -> Option<i32> {
    let running = run.spawn();
    wait_for_lines(out, n);
    running.terminate().code()
}
