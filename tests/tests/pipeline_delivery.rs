//! The SDK pipeline on a real runtime process (`pipeline-probe`): at-least-once delivery across
//! SIGKILLs, sink retries, permanent failures, SIGTERM drain and transforms in the data path.

use std::os::unix::process::ExitStatusExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use connect_tests::{
    assert_at_least_once_in_order, encode, file_size, output_seqs as seqs, wait_for, workspace_bin,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// A probe run: a state directory and an output file that survive restarts.
struct Probe {
    dir: tempfile::TempDir,
    document: String,
}

impl Probe {
    /// `source` and `sink` are the flow-style config maps; `{out}` names the output file.
    fn new(source: &str, sink: &str, transformer: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out.txt");
        let sink = sink.replace("{out}", &out.display().to_string());
        let document = format!(
            "id: probe\nruntime: pipeline-probe\nsteps:\n  source: {{ type: count, config: {source} }}\n  sink: {{ type: lines, config: {sink} }}\n{transformer}"
        );
        Self { dir, document }
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("out.txt")
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(workspace_bin("pipeline-probe"));
        for (k, _) in std::env::vars() {
            if k.starts_with("CONNECT_") || k.starts_with("OTEL_") {
                cmd.env_remove(k);
            }
        }
        cmd.arg(encode(&self.document))
            .env("CONNECT_STATE_DIR", self.dir.path().join("state"))
            .env("CONNECT_SHUTDOWN_TIMEOUT", "5s")
            .stdin(Stdio::null());
        cmd
    }

    fn spawn(&self) -> Child {
        self.command()
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    }

    /// Runs to the end: (exit code, stdout, stderr).
    fn run(&self) -> (i32, String, String) {
        let out = self.command().output().unwrap();
        (
            out.status.code().expect("exited, not killed"),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn cursor(&self) -> Option<u64> {
        let text =
            std::fs::read_to_string(self.dir.path().join("state/source-cursor.json")).ok()?;
        Some(text.trim().parse().expect("the cursor is a number"))
    }

    fn size(&self) -> u64 {
        file_size(&self.out())
    }
}

/// Counters of the last heartbeat the runtime logged (it logs one when it stops).
fn last_counter(stdout: &str, name: &str) -> u64 {
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.contains(" counters "))
        .expect("a counters line");
    let key = format!("{name}=");
    let start = line
        .find(&key)
        .unwrap_or_else(|| panic!("{name} in {line}"))
        + key.len();
    line[start..].split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn sigkill_and_restart_lose_nothing_and_keep_order() {
    const N: u64 = 200_000;
    let probe = Probe::new(
        &format!("{{ count: {N}, batch: 100, interval: 1ms }}"),
        "{ path: \"{out}\" }",
        "",
    );
    // One line is about 15 bytes; kill after every further eighth of the total.
    let step = N * 15 / 8;
    let mut kills = 0;
    for _ in 0..4 {
        let mut child = probe.spawn();
        let target = probe.size() + step;
        wait_for(
            Duration::from_secs(60),
            "the output file to grow before the kill",
            || {
                if let Some(status) = child.try_wait().unwrap() {
                    panic!(
                        "the probe exited ({status}) before the kill point; make the source slower"
                    );
                }
                (probe.size() >= target).then_some(())
            },
        );
        kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
        let status = child.wait().unwrap();
        assert_eq!(
            status.signal(),
            Some(Signal::SIGKILL as i32),
            "killed by SIGKILL: {status}"
        );
        kills += 1;
        let cursor = probe.cursor().unwrap_or(0);
        let delivered = seqs(&probe.out()).into_iter().max().map_or(0, |m| m + 1);
        assert!(
            cursor <= delivered,
            "cursor {cursor} is ahead of the delivered {delivered}"
        );
    }
    assert_eq!(kills, 4);
    let (code, _, stderr) = probe.run();
    assert_eq!(code, 0, "the last run finishes: {stderr}");
    let replays = assert_at_least_once_in_order(&seqs(&probe.out()), N);
    assert!(replays <= 10, "{replays} replays for a handful of restarts");
    assert_eq!(
        probe.cursor(),
        Some(N),
        "the final cursor covers every message"
    );

    // A finished source stays finished.
    let lines = seqs(&probe.out()).len();
    assert_eq!(probe.run().0, 0);
    assert_eq!(
        seqs(&probe.out()).len(),
        lines,
        "nothing is sent again after the end"
    );
}

#[test]
fn transient_sink_failures_are_retried_and_delivered_once() {
    const N: u64 = 5_000;
    let probe = Probe::new(
        &format!("{{ count: {N} }}"),
        "{ path: \"{out}\", fail_times: 3 }",
        "",
    );
    let (code, stdout, stderr) = probe.run();
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stderr.matches("retrying the same batch").count(),
        3,
        "{stderr}"
    );
    assert_eq!(
        seqs(&probe.out()),
        (0..N).collect::<Vec<_>>(),
        "every message exactly once, in order"
    );
    assert_eq!(
        last_counter(&stdout, "messages_out"),
        N,
        "failed writes are not counted as delivered"
    );
    assert_eq!(last_counter(&stdout, "messages_failed"), 0);
    assert_eq!(probe.cursor(), Some(N));
}

#[test]
fn a_permanent_sink_error_exits_transient_without_committing() {
    let probe = Probe::new(
        "{ count: 1000 }",
        "{ path: \"{out}\", fail: permanent }",
        "",
    );
    let (code, stdout, stderr) = probe.run();
    assert_eq!(
        code, 75,
        "exit code of a transient failure, so the agent restarts: {stderr}"
    );
    assert!(stderr.contains("told to fail"), "{stderr}");
    assert_eq!(
        stderr.matches("retrying the same batch").count(),
        0,
        "permanent errors are not retried"
    );
    assert_eq!(probe.size(), 0);
    assert_eq!(
        probe.cursor(),
        None,
        "nothing was confirmed, so nothing is committed"
    );
    assert_eq!(last_counter(&stdout, "messages_out"), 0);
}

#[test]
fn exhausted_retries_exit_transient_without_committing() {
    let probe = Probe::new(
        "{ count: 1000 }",
        "{ path: \"{out}\", fail: transient }",
        "",
    );
    let (code, _, stderr) = probe.run();
    assert_eq!(code, 75, "{stderr}");
    let retries = stderr.matches("retrying the same batch").count() as u32;
    assert_eq!(
        retries,
        connect_runtime_sdk::pipeline::DEFAULT_ATTEMPTS - 1,
        "{stderr}"
    );
    assert!(stderr.contains("giving up"), "{stderr}");
    assert_eq!(probe.cursor(), None);
}

#[test]
fn sigterm_drains_commits_what_was_written_and_exits_zero() {
    let probe = Probe::new("{ count: 0, interval: 1ms }", "{ path: \"{out}\" }", "");
    let mut child = probe.spawn();
    wait_for(
        Duration::from_secs(30),
        "some output before SIGTERM",
        || (probe.size() > 20_000).then_some(()),
    );
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = wait_for(
        Duration::from_secs(10),
        "the probe to exit after SIGTERM",
        || child.try_wait().unwrap(),
    );
    assert_eq!(status.code(), Some(0), "{status}");
    let seqs = seqs(&probe.out());
    assert_eq!(seqs, (0..seqs.len() as u64).collect::<Vec<_>>());
    assert_eq!(
        probe.cursor(),
        Some(seqs.len() as u64),
        "everything written is committed on a clean stop"
    );
}

#[test]
fn transforms_run_in_the_data_path_and_filtered_batches_still_commit() {
    let transformer = "  transformer:\n    - filter: { condition: { less_than: { field: seq, value: 100 } } }\n    - add_fields: { fields: [ { name: meta.tag, value: probe } ] }\n";
    let probe = Probe::new("{ count: 1000 }", "{ path: \"{out}\" }", transformer);
    let (code, stdout, stderr) = probe.run();
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(probe.out()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 100);
    assert_eq!(lines[7], r#"{"meta":{"tag":"probe"},"seq":7}"#);
    assert_eq!(last_counter(&stdout, "messages_filtered"), 900);
    assert_eq!(
        probe.cursor(),
        Some(1000),
        "batches the filter emptied still move the cursor"
    );
}

#[test]
fn sigterm_while_a_write_is_failing_abandons_the_batch_and_exits_zero() {
    let probe = Probe::new("{ count: 0 }", "{ path: \"{out}\", fail: transient }", "");
    let mut child = probe
        .command()
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stderr)).map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut seen = Vec::new();
    wait_for(
        Duration::from_secs(10),
        "a failing write being retried",
        || {
            seen.extend(rx.try_iter());
            seen.iter()
                .any(|l| l.contains("retrying the same batch"))
                .then_some(())
        },
    );
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = wait_for(
        Duration::from_secs(4),
        "the probe to exit well before the retries run out",
        || child.try_wait().unwrap(),
    );
    assert_eq!(status.code(), Some(0), "{status}");
    seen.extend(rx.iter());
    assert!(
        seen.iter().any(|l| l.contains("replayed after a restart")),
        "{seen:#?}"
    );
    assert_eq!(probe.cursor(), None, "the abandoned batch is not committed");
}
