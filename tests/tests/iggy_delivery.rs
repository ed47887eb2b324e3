//! The SDK's Iggy steps and the `vanilla` runtime as real processes against a real Iggy server,
//! gated on `CONNECT_TEST_IGGY_ADDRESS` (credentials iggy/iggy; each test prints SKIPPED without
//! it): produce through the `producer` step, consume through a consumer group with SIGKILLs in
//! between, and replicate a topic with `vanilla`.
//!
//! Topics are created by the producer step (`create_topic: true`). Servers whose `CreateTopic`
//! refuses the 0.11 client's durability options (`UnsupportedOptionKey`, e.g. a 0.9 edge build)
//! get a compatible request from the SDK; a topic created beforehand (CLI or HTTP API) works too.

use std::collections::BTreeSet;
use std::ops::{Deref, DerefMut};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use connect_tests::{
    assert_at_least_once_in_order, encode, file_size, iggy_address, output_seqs as seqs, wait_for,
    workspace_bin,
};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// One runtime process configuration whose state survives restarts.
struct Connector {
    binary: &'static str,
    document: String,
    state: PathBuf,
    env: Vec<(String, String)>,
}

impl Connector {
    fn new(binary: &'static str, dir: &Path, name: &str, document: String, iggy: &str) -> Self {
        Self {
            binary,
            document,
            state: dir.join(format!("{name}-state")),
            env: vec![("CONNECT_IGGY_ADDRESS".into(), iggy.into())],
        }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(workspace_bin(self.binary));
        for (k, _) in std::env::vars() {
            if k.starts_with("CONNECT_") || k.starts_with("OTEL_") {
                cmd.env_remove(k);
            }
        }
        cmd.arg(encode(&self.document))
            .env("CONNECT_STATE_DIR", &self.state)
            .env("CONNECT_SHUTDOWN_TIMEOUT", "5s")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        cmd
    }

    fn spawn(&self) -> Running {
        Running(
            self.command()
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap(),
        )
    }

    /// Runs to the end: (exit code, stderr).
    fn run(&self) -> (i32, String) {
        let out = self.command().output().unwrap();
        (
            out.status.code().expect("exited, not killed"),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

/// A runtime process that is killed when dropped, so a failing test leaves nothing running.
struct Running(Child);

impl Deref for Running {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl DerefMut for Running {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

fn unique_stream() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("connect-e2e-{}-{nanos}", std::process::id())
}

/// `N` messages `{"seq":0..N}` into `stream`/`topic` through the pipeline probe's `producer` step.
fn produce(dir: &Path, iggy: &str, stream: &str, topic: &str, n: u64, name: &str) {
    let document = format!(
        "id: {name}\nruntime: pipeline-probe\nsteps:\n  source: {{ type: count, config: {{ count: {n}, batch: 1000 }} }}\n  producer: {{ stream: {stream}, topic: {topic}, create_topic: true }}\n"
    );
    let (code, stderr) = Connector::new("pipeline-probe", dir, name, document, iggy).run();
    assert_eq!(code, 0, "producing {n} messages failed:\n{stderr}");
}

/// The pipeline probe reading `stream`/`topic` as `group` into the line file `out`.
fn consumer(
    dir: &Path,
    iggy: &str,
    stream: &str,
    topic: &str,
    group: &str,
    out: &Path,
) -> Connector {
    let document = format!(
        "id: drain\nruntime: pipeline-probe\nsteps:\n  consumer: {{ stream: {stream}, topic: {topic}, consumer_group: {group}, batch_length: 100 }}\n  sink: {{ type: lines, config: {{ path: \"{}\" }} }}\n",
        out.display()
    );
    Connector::new("pipeline-probe", dir, group, document, iggy)
}

fn sigkill(mut child: Running) {
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(Signal::SIGKILL as i32),
        "killed by SIGKILL: {status}"
    );
}

/// Lets a runtime that never finishes (it consumes) run until `out` holds every seq of `0..n`,
/// then stops it with SIGTERM and expects exit code 0.
fn run_until_complete(connector: &Connector, out: &Path, n: u64) {
    let mut child = connector.spawn();
    wait_for(
        Duration::from_secs(120),
        "every message in the output",
        || {
            if let Some(status) = child.try_wait().unwrap() {
                panic!("the runtime exited early ({status})");
            }
            let distinct: BTreeSet<u64> = seqs(out).into_iter().collect();
            (distinct.len() as u64 == n).then_some(())
        },
    );
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = wait_for(
        Duration::from_secs(15),
        "the runtime to exit after SIGTERM",
        || child.try_wait().unwrap(),
    );
    assert_eq!(status.code(), Some(0), "a clean stop: {status}");
}

#[test]
fn a_consumer_group_killed_mid_way_loses_nothing() {
    let Some(iggy) = iggy_address("a_consumer_group_killed_mid_way_loses_nothing") else {
        return;
    };
    const N: u64 = 100_000;
    let dir = tempfile::tempdir().unwrap();
    let stream = unique_stream();
    produce(dir.path(), &iggy, &stream, "events", N, "fill");

    let out = dir.path().join("out.txt");
    let drain = consumer(dir.path(), &iggy, &stream, "events", "drainers", &out);
    // About 13 bytes a line: kill after roughly each further fifth of the data.
    let total = N * 13;
    for k in 1..=3 {
        let child = drain.spawn();
        wait_for(
            Duration::from_secs(60),
            "the output to grow before the kill",
            || (file_size(&out) >= total * k / 5).then_some(()),
        );
        sigkill(child);
        let distinct: BTreeSet<u64> = seqs(&out).into_iter().collect();
        assert!(
            (distinct.len() as u64) < N,
            "kill {k} came after the end; make the consumer slower"
        );
    }
    run_until_complete(&drain, &out, N);
    let delivered = seqs(&out);
    assert_at_least_once_in_order(&delivered, N);
    assert!(delivered.len() as u64 >= N);

    // The stored offsets cover everything: after ten more messages, a new run reads exactly those.
    produce(dir.path(), &iggy, &stream, "events", 10, "more");
    let before = delivered.len();
    let mut child = drain.spawn();
    wait_for(Duration::from_secs(30), "the ten new messages", || {
        (seqs(&out).len() >= before + 10).then_some(())
    });
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = wait_for(
        Duration::from_secs(15),
        "the runtime to exit after SIGTERM",
        || child.try_wait().unwrap(),
    );
    assert_eq!(status.code(), Some(0), "{status}");
    let after = seqs(&out);
    assert_eq!(
        after[before..],
        (0..10).collect::<Vec<u64>>(),
        "only the new messages were read"
    );
}

#[test]
fn vanilla_replicates_a_topic_to_another_server_and_survives_sigkill() {
    let Some(iggy) =
        iggy_address("vanilla_replicates_a_topic_to_another_server_and_survives_sigkill")
    else {
        return;
    };
    const N: u64 = 50_000;
    let dir = tempfile::tempdir().unwrap();
    let stream = unique_stream();
    produce(dir.path(), &iggy, &stream, "events", N, "fill");

    // Both ends name their server explicitly; the runtime's own default points nowhere, so a
    // component that ignored its address could not connect. The password is a reference.
    let document = format!(
        r#"id: replicate
runtime: vanilla
steps:
  source:
    type: iggy
    config: {{ address: "{iggy}", username: iggy, password: "${{env:TEST_IGGY_PASSWORD}}", stream: {stream}, topic: events, consumer_group: replicator, start: first }}
  sink:
    type: iggy
    config: {{ address: "{iggy}", username: iggy, password: "${{env:TEST_IGGY_PASSWORD}}", stream: {stream}-copy, topic: events, create_topic: true, partitions: 2 }}
"#
    );
    let mut replicate = Connector::new("vanilla", dir.path(), "replicate", document, "127.0.0.1:1");
    replicate
        .env
        .push(("TEST_IGGY_PASSWORD".into(), "iggy".into()));

    let copy_out = dir.path().join("copy.txt");
    let check = consumer(
        dir.path(),
        &iggy,
        &format!("{stream}-copy"),
        "events",
        "checker",
        &copy_out,
    );
    let child = replicate.spawn();
    // Kill the replicator once the copy is part-way.
    let partial = dir.path().join("partial.txt");
    let peek = consumer(
        dir.path(),
        &iggy,
        &format!("{stream}-copy"),
        "events",
        "peek",
        &partial,
    );
    let mut peeker = peek.spawn();
    wait_for(Duration::from_secs(60), "part of the topic copied", || {
        // Until the replicator created the copy, the reader exits (the agent would restart it).
        if peeker.try_wait().unwrap().is_some() {
            peeker = peek.spawn();
        }
        (seqs(&partial).len() >= 5_000).then_some(())
    });
    sigkill(child);
    sigkill(peeker);

    let mut child = replicate.spawn();
    run_until_complete(&check, &copy_out, N);
    assert!(
        child.try_wait().unwrap().is_none(),
        "the replicator keeps running"
    );
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = wait_for(
        Duration::from_secs(15),
        "vanilla to exit after SIGTERM",
        || child.try_wait().unwrap(),
    );
    assert_eq!(status.code(), Some(0), "{status}");
    let copied: BTreeSet<u64> = seqs(&copy_out).into_iter().collect();
    assert_eq!(copied, (0..N).collect(), "every message reached the copy");
}
