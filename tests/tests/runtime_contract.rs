//! The runtime contract, checked on a real runtime process: arguments, exit codes, validation
//! errors with paths, logging streams, SIGTERM drain and the agent channel.

use std::io::{BufRead, BufReader};
use std::os::unix::net::UnixListener;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use connect_runtime_sdk::contract::AgentMessage;
use connect_tests::{encode, wait_for, workspace_bin};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

const PROBE: &str = "
id: probe
runtime: contract-probe
steps:
  source: { type: ticker, config: { every: 5ms } }
  sink: { type: discard }
";

fn probe() -> Command {
    let mut cmd = Command::new(workspace_bin("contract-probe"));
    // The tests' own environment must not leak contract variables into the probe.
    for (k, _) in std::env::vars() {
        if k.starts_with("CONNECT_") || k.starts_with("OTEL_") {
            cmd.env_remove(k);
        }
    }
    cmd.stdin(Stdio::null());
    cmd
}

fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let Output {
        status,
        stdout,
        stderr,
    } = probe()
        .args(args)
        .envs(env.iter().copied())
        .env("CONNECT_STATE_DIR", dir.path())
        .output()
        .unwrap();
    (
        status.code().expect("exited, not killed"),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

#[test]
fn no_argument_prints_usage_and_the_usage_code() {
    let (code, stdout, stderr) = run(&[], &[]);
    assert_eq!(code, 64);
    assert!(
        stderr.contains("missing the connector config argument")
            && stderr.contains("usage: contract-probe"),
        "{stderr}"
    );
    assert!(stdout.is_empty());
    assert_eq!(run(&["a", "b"], &[]).0, 64);
    assert_eq!(run(&["--frobnicate"], &[]).0, 64);
}

#[test]
fn help_and_version_answer_on_stdout() {
    let (code, stdout, _) = run(&["--help"], &[]);
    assert_eq!(code, 0);
    assert!(
        stdout.contains("usage:")
            && stdout.contains("sources: ticker")
            && stdout.contains("sinks: discard"),
        "{stdout}"
    );
    let (code, stdout, _) = run(&["--version"], &[]);
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), "contract-probe 0.1.0 (runtime contract 2)");
}

#[test]
fn bad_base64_is_an_invalid_config() {
    let (code, _, stderr) = run(&["not base64!"], &[]);
    assert_eq!(code, 78);
    assert!(
        stderr.contains("not valid base64") && stderr.contains("base64 -w0"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_key_is_reported_with_its_path() {
    let doc = PROBE.replace("{ type: discard }", "{ type: discard, colour: red }");
    let (code, _, stderr) = run(&[&encode(&doc)], &[]);
    assert_eq!(code, 78);
    assert!(
        stderr.contains("steps.sink.colour: unknown field"),
        "{stderr}"
    );
}

#[test]
fn component_configs_are_validated_against_the_runtime_definitions() {
    let doc = PROBE.replace(
        "{ every: 5ms }",
        "{ every: soon, fail_with: maybe, extra: 1 }",
    );
    let (code, _, stderr) = run(&["--validate", &encode(&doc)], &[]);
    assert_eq!(code, 78);
    for path in [
        "steps.source.config.extra: unknown field",
        "steps.source.config.every: invalid duration",
        "steps.source.config.fail_with: must be one of",
    ] {
        assert!(stderr.contains(path), "missing `{path}` in {stderr}");
    }
    let wrong_runtime = PROBE.replace("runtime: contract-probe", "runtime: essentials");
    let (code, _, stderr) = run(&["--validate", &encode(&wrong_runtime)], &[]);
    assert_eq!(code, 78);
    assert!(
        stderr.contains("runtime: this is runtime `contract-probe`"),
        "{stderr}"
    );
}

#[test]
fn validate_accepts_a_valid_config_without_running_it() {
    let (code, stdout, _) = run(&["--validate", &encode(PROBE)], &[]);
    assert_eq!(code, 0);
    assert_eq!(stdout.trim(), "config of connector `probe` is valid");
    // JSON inside the base64 works the same.
    let json = r#"{"id":"probe","runtime":"contract-probe","steps":{"source":{"type":"ticker"},"sink":{"type":"discard"}}}"#;
    assert_eq!(run(&["--validate", &encode(json)], &[]).0, 0);
}

#[test]
fn bad_environment_is_reported_all_at_once() {
    let (code, _, stderr) = run(
        &[&encode(PROBE)],
        &[
            ("CONNECT_LOG_FORMAT", "xml"),
            ("CONNECT_SHUTDOWN_TIMEOUT", "later"),
        ],
    );
    assert_eq!(code, 1);
    assert!(
        stderr.contains("CONNECT_LOG_FORMAT") && stderr.contains("CONNECT_SHUTDOWN_TIMEOUT"),
        "{stderr}"
    );
}

#[test]
fn workload_failures_map_to_the_exit_code_table() {
    for (kind, code) in [("invalid_config", 78), ("transient", 75), ("internal", 70)] {
        let doc = PROBE.replace("{ every: 5ms }", &format!("{{ fail_with: {kind} }}"));
        let (got, _, stderr) = run(&[&encode(&doc)], &[]);
        assert_eq!(got, code, "{kind}: {stderr}");
        assert!(stderr.contains("the probe was told to fail"), "{stderr}");
    }
}

#[test]
fn secret_references_are_resolved_inside_the_runtime() {
    let doc = PROBE.replace(
        "{ every: 5ms }",
        "{ every: 5ms, token: \"${env:PROBE_TOKEN}\", fail_with: transient }",
    );
    let (_, stdout, _) = run(&[&encode(&doc)], &[("PROBE_TOKEN", "abcdef")]);
    assert!(stdout.contains("token_len=6"), "{stdout}");
    let (code, _, stderr) = run(&[&encode(&doc)], &[]);
    assert_eq!(code, 78);
    assert!(
        stderr.contains("steps.source.config.token") && stderr.contains("PROBE_TOKEN is not set"),
        "{stderr}"
    );
}

/// A test listener on a Unix socket that forwards every agent message it receives.
fn agent_listener(dir: &std::path::Path) -> (std::path::PathBuf, mpsc::Receiver<AgentMessage>) {
    let path = dir.join("agent.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { return };
                    let msg = AgentMessage::from_line(&line)
                        .unwrap_or_else(|e| panic!("bad agent line {line}: {e}"));
                    if tx.send(msg).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (path, rx)
}

fn spawn_probe(dir: &std::path::Path, socket: &std::path::Path) -> Child {
    probe()
        .arg(encode(PROBE))
        .env("CONNECT_STATE_DIR", dir)
        .env("CONNECT_AGENT_SOCKET", socket)
        .env("CONNECT_HEARTBEAT_INTERVAL", "50ms")
        .env("CONNECT_INSTANCE_ID", "probe-1")
        .env("CONNECT_CONNECTOR_ID", "probe")
        .env("CONNECT_SHUTDOWN_TIMEOUT", "5s")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

fn recv(rx: &mpsc::Receiver<AgentMessage>, what: &str) -> AgentMessage {
    rx.recv_timeout(Duration::from_secs(10))
        .unwrap_or_else(|_| panic!("no {what} from the runtime within 10s"))
}

#[test]
fn the_agent_channel_gets_ready_and_heartbeats_with_counters() {
    let dir = tempfile::tempdir().unwrap();
    let (socket, rx) = agent_listener(dir.path());
    let mut child = spawn_probe(dir.path(), &socket);
    let mut ready = false;
    let mut heartbeats = Vec::new();
    while !ready || heartbeats.len() < 3 {
        match recv(&rx, "ready and three heartbeats") {
            AgentMessage::Ready {
                contract,
                connector_id,
                instance_id,
                pid,
                runtime,
                ..
            } => {
                assert_eq!(
                    (contract, connector_id.as_str(), instance_id.as_str()),
                    (
                        connect_runtime_sdk::contract::agent_message::CONTRACT_VERSION,
                        "probe",
                        "probe-1"
                    )
                );
                assert_eq!((pid, runtime.as_str()), (child.id(), "contract-probe"));
                ready = true;
            }
            AgentMessage::Heartbeat {
                seq,
                counters,
                instance_id,
                ..
            } => {
                assert_eq!(instance_id, "probe-1");
                heartbeats.push((seq, counters.messages_in));
            }
            AgentMessage::Event { .. } => {}
        }
    }
    let seqs: Vec<_> = heartbeats.iter().map(|h| h.0).collect();
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "heartbeat sequence {seqs:?}"
    );
    assert!(
        heartbeats.last().unwrap().1 > 0,
        "counters never moved: {heartbeats:?}"
    );
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    assert!(child.wait().unwrap().success());
}

#[test]
fn sigterm_drains_and_exits_zero_within_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (socket, rx) = agent_listener(dir.path());
    let mut child = spawn_probe(dir.path(), &socket);
    while !matches!(recv(&rx, "ready"), AgentMessage::Ready { .. }) {}
    let sent = std::time::Instant::now();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGTERM).unwrap();
    let status = wait_for(
        Duration::from_secs(5),
        "the runtime to exit after SIGTERM",
        || child.try_wait().unwrap(),
    );
    assert!(status.success(), "exit status {status:?}");
    assert!(sent.elapsed() < Duration::from_secs(5));
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains("received SIGTERM") && stdout.contains("probe drained"),
        "{stdout}"
    );
    // Warnings go to stderr only, information to stdout only.
    assert!(
        stderr.contains("probe warning") && !stdout.contains("probe warning"),
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(!stderr.contains("probe drained"));
    // A final heartbeat carries the last counters.
    let last = std::iter::from_fn(|| rx.recv_timeout(Duration::from_millis(500)).ok()).last();
    assert!(
        matches!(last, Some(AgentMessage::Heartbeat { .. })),
        "{last:?}"
    );
}

#[test]
fn json_logs_are_one_object_per_line() {
    let doc = PROBE.replace("{ every: 5ms }", "{ fail_with: transient }");
    let (code, stdout, stderr) = run(&[&encode(&doc)], &[("CONNECT_LOG_FORMAT", "json")]);
    assert_eq!(code, 75);
    for line in stdout.lines().chain(stderr.lines()) {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            v.get("level").is_some() && v.get("fields").is_some(),
            "{line}"
        );
    }
    assert!(stderr.contains("\"ERROR\""), "{stderr}");
}

#[test]
fn spans_and_counters_are_exported_over_otlp_when_an_endpoint_is_set() {
    // A real HTTP peer: accepts each request, records its request line, answers 200.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        use std::io::{Read, Write};
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let text = String::from_utf8_lossy(&head).into_owned();
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            let _ = tx.send(text.lines().next().unwrap_or_default().to_string());
        }
    });
    let doc = PROBE.replace("{ every: 5ms }", "{ fail_with: transient }");
    let (code, _, stderr) = run(
        &[&encode(&doc)],
        &[("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)],
    );
    assert_eq!(code, 75, "{stderr}");
    let request = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("no OTLP request reached the collector");
    assert_eq!(request, "POST /v1/traces HTTP/1.1");
}
