//! File access has a policy: with `[runtimes] allowed_paths`, path fields outside the roots are
//! refused at validation (API and offline `validate`), `..` and symlink escapes included; a
//! reference resolving outside is refused by the runtime itself (exit 78); under Landlock a
//! runtime cannot write outside its roots whatever it tries; and as root, runtimes run as
//! `[runtimes] user` and still report and keep their state.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::*;

/// An agent with the API, the essentials and probe runtimes and `allowed_paths = [<tmp>/data]`.
fn agent_with_roots() -> (TestAgent, PathBuf) {
    let agent = TestAgent::with_api("");
    let repo_runtimes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtimes");
    let essentials = connect_tests::workspace_bin("essentials");
    agent.add_runtimes(&repo_runtimes, essentials.parent().expect("bin dir"));
    add_probe(&agent);
    let data = agent.dir.path().join("data");
    std::fs::create_dir_all(&data).expect("data dir");
    agent.runtimes_setting(&format!("allowed_paths = [\"{}\"]", data.display()));
    (agent, data)
}

fn file_sink(id: &str, path: &str) -> String {
    format!(
        "id: {id}\nruntime: essentials\nsteps:\n  source: {{ type: generate, config: {{ count: 3 }} }}\n  sink: {{ type: file, config: {{ path: \"{path}\" }} }}\n"
    )
}

/// `connect-agent validate` of `doc`: (success, stdout + stderr).
fn offline_validate(agent: &TestAgent, doc: &str) -> (bool, String) {
    let file = agent.dir.path().join("check.yml");
    std::fs::write(&file, doc).expect("write check file");
    let out = Command::new(connect_tests::workspace_bin("connect-agent"))
        .args(["validate", "--config"])
        .arg(&agent.config)
        .arg(&file)
        .output()
        .expect("run connect-agent validate");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Asserts `doc` is refused by the API (validate and create) and offline, naming `field` and `root`.
fn assert_refused(agent: &TestAgent, doc: &str, field: &str, root: &Path) {
    for route in ["/connectors/validate", "/connectors"] {
        let body = agent.post_json(route, doc, 400);
        let details = body["details"].as_array().expect("details");
        let hit = details.iter().find(|d| d["path"] == field);
        let reason = hit.map(|d| d["reason"].to_string()).unwrap_or_default();
        assert!(
            reason.contains(&root.display().to_string())
                && reason.contains("allowed_paths")
                && reason.contains("outside"),
            "{route}: no error naming {field} and {}: {body:#}",
            root.display()
        );
    }
    let (ok, text) = offline_validate(agent, doc);
    assert!(
        !ok && text.contains(field) && text.contains(&root.display().to_string()),
        "offline validate accepted or did not name {field}: {text}"
    );
}

#[test]
fn a_path_outside_the_allowed_roots_is_refused_at_validation() {
    let (mut agent, data) = agent_with_roots();
    agent.start();
    assert_refused(
        &agent,
        &file_sink("out", "/etc/passwd"),
        "steps.sink.config.path",
        &data,
    );
    let source = "id: tail\nruntime: essentials\nsteps:\n  source: { type: file, config: { path: /etc/shadow } }\n  sink: { type: stdout }\n";
    assert_refused(&agent, source, "steps.source.config.path", &data);
    let dead_letter = format!(
        "{}errors: {{ tolerance: all, dead_letter: {{ file: {{ path: /var/tmp/dead.ndjson }} }} }}\n",
        file_sink("dl", &data.join("out.log").display().to_string())
    );
    assert_refused(&agent, &dead_letter, "errors.dead_letter.file.path", &data);
    assert_eq!(
        agent.get_json("/connectors", 200),
        Value::Array(vec![]),
        "nothing refused was stored"
    );

    // Inside a root (absolute, or relative to the agent's base directory) or the connector's
    // own state directory: valid, and the runtime writes there.
    let state_file = agent.state_dir().join("connectors/st/out.log");
    for (id, path) in [
        ("abs", data.join("abs/out.log").display().to_string()),
        ("rel", "data/rel.log".to_string()),
        ("st", state_file.display().to_string()),
    ] {
        let doc = file_sink(id, &path);
        agent.post_json("/connectors/validate", &doc, 200);
        assert!(offline_validate(&agent, &doc).0, "offline refused {path}");
        agent.post_json("/connectors", &doc, 201);
    }
    for file in [data.join("abs/out.log"), data.join("rel.log"), state_file] {
        wait_for_lines(&file, 3);
    }
    agent.stop();
}

#[test]
fn dot_dot_and_symlink_escapes_are_refused() {
    let (mut agent, data) = agent_with_roots();
    let outside = agent.dir.path().join("outside");
    std::fs::create_dir_all(&outside).expect("outside dir");
    std::os::unix::fs::symlink(&outside, data.join("link")).expect("symlink");
    std::os::unix::fs::symlink("../outside", data.join("rel-link")).expect("symlink");
    agent.start();
    for (id, path) in [
        ("dots", format!("{}/../outside/x.log", data.display())),
        ("reldots", "data/sub/../../outside/x.log".to_string()),
        ("missing", "data/missing/../../outside/x.log".to_string()),
        ("link", format!("{}/link/x.log", data.display())),
        ("rellink", "data/rel-link/deeper/x.log".to_string()),
    ] {
        assert_refused(
            &agent,
            &file_sink(id, &path),
            "steps.sink.config.path",
            &data,
        );
    }
    agent.stop();
    assert_eq!(
        std::fs::read_dir(&outside).expect("outside").count(),
        0,
        "nothing was written outside"
    );
}

#[test]
fn a_reference_resolving_outside_is_refused_by_the_runtime() {
    let (mut agent, data) = agent_with_roots();
    let outside = agent.dir.path().join("outside.log");
    agent.start();
    let doc = format!(
        "{}env: {{ OUT: \"{}\" }}\n",
        file_sink("envout", "${env:OUT}"),
        outside.display()
    );
    // The agent cannot know the value: the document validates.
    agent.post_json("/connectors/validate", &doc, 200);
    agent.post_json("/connectors", &doc, 201);
    let c = agent.wait_state("envout", "failed");
    assert_eq!(c["exit_code"], 78, "{c:#}");
    let shown = c.to_string();
    assert!(
        shown.contains("steps.sink.config.path")
            && shown.contains("outside the allowed paths")
            && shown.contains(&data.display().to_string()),
        "the status does not show the runtime's message: {c:#}"
    );
    assert!(!outside.exists(), "the runtime wrote outside the roots");
    agent.stop();
}

/// A bash runtime that tries to write `$PROBE_OUTSIDE` and its state directory, writes what
/// happened into its state directory, then reports ready and heartbeats until SIGTERM.
const PROBE: &str = r#"#!/usr/bin/env bash
set -u
try() { python3 -c 'import sys
try:
    open(sys.argv[1], "w").write("x")
    print("ok")
except OSError as e:
    print("errno", e.errno)' "$1"; }
outside=$(try "$PROBE_OUTSIDE")
state=$(try "$CONNECT_STATE_DIR/probe.state")
echo "outside: $outside"
echo "state: $state"
echo "outside=$outside state=$state uid=$(id -u)" > "$CONNECT_STATE_DIR/probe.result" || echo "cannot record the result"
stopping=0
trap 'stopping=1' TERM
exec 3> >(exec python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
for line in sys.stdin.buffer:
    s.sendall(line)
' "$CONNECT_AGENT_SOCKET")
printf '{"type":"ready","contract":1,"connector_id":"%s","instance_id":"%s","pid":%d,"runtime":"probe","runtime_version":"0.1.0"}\n' "$CONNECT_CONNECTOR_ID" "$CONNECT_INSTANCE_ID" "$$" >&3
seq=0
while [ "$stopping" -eq 0 ]; do
  printf '{"type":"heartbeat","connector_id":"%s","instance_id":"%s","seq":%d,"uptime_ms":0,"counters":{}}\n' "$CONNECT_CONNECTOR_ID" "$CONNECT_INSTANCE_ID" "$seq" >&3
  seq=$((seq + 1))
  sleep 0.1 & wait $!
done
exit 0
"#;

/// Installs the probe runtime under the agent's temp dir, readable and executable by anyone.
fn add_probe(agent: &TestAgent) {
    let root = agent.dir.path().join("probe-runtimes");
    let dir = root.join("probe/.connect");
    for sub in ["sources", "sinks"] {
        std::fs::create_dir_all(dir.join(sub)).expect("probe dirs");
    }
    std::fs::write(dir.join("runtime.yml"), "model_version: \"1\"\nname: probe\nlabel: Probe\nversion: 0.1.0\nauthor:\n  name: connect contributors\ndescription: Tries to write.\nexecutable: probe.sh\n").expect("runtime.yml");
    std::fs::write(
        dir.join("sources/tick.yml"),
        "model_version: \"1\"\nname: tick\nlabel: Tick\nkind: source\nstatus: experimental\n",
    )
    .expect("source");
    std::fs::write(
        dir.join("sinks/drop.yml"),
        "model_version: \"1\"\nname: drop\nlabel: Drop\nkind: sink\nstatus: experimental\n",
    )
    .expect("sink");
    let script = root.join("probe/probe.sh");
    std::fs::write(&script, PROBE).expect("probe.sh");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // Another user must reach the script and the state directory below the temp dir.
    std::fs::set_permissions(agent.dir.path(), std::fs::Permissions::from_mode(0o755))
        .expect("chmod temp dir");
    agent.add_runtimes(&root, &root.join("probe"));
}

fn probe_connector(id: &str, outside: &Path) -> String {
    format!(
        "id: {id}\nruntime: probe\nsteps:\n  source: {{ type: tick }}\n  sink: {{ type: drop }}\nenv: {{ PROBE_OUTSIDE: \"{}\" }}\n",
        outside.display()
    )
}

fn probe_result(agent: &TestAgent, id: &str) -> String {
    let file = agent
        .state_dir()
        .join(format!("connectors/{id}/probe.result"));
    connect_tests::wait_for(WAIT, "the probe's result", || {
        std::fs::read_to_string(&file)
            .ok()
            .filter(|t| t.ends_with('\n'))
    })
}

#[test]
fn under_the_sandbox_a_runtime_cannot_write_outside_its_roots() {
    let (mut agent, data) = agent_with_roots();
    let outside = agent.dir.path().join("escape.txt");
    agent.start();
    let log = agent.agent_log();
    if log.contains("does not support Landlock") {
        eprintln!("SKIPPED: this kernel has no Landlock; log:\n{log}");
        agent.stop();
        return;
    }
    assert!(
        log.contains("landlock_abi"),
        "the agent names its Landlock ABI: {log}"
    );
    agent.post_json("/connectors", &probe_connector("boxed", &outside), 201);
    let result = probe_result(&agent, "boxed");
    assert!(
        result.starts_with(&format!("outside=errno {} state=ok", libc::EACCES)),
        "the write outside was not refused with EACCES, or the state directory was not writable: {result}"
    );
    assert!(!outside.exists(), "the file outside the roots exists");
    // Inside a root writing works, and the runtime stays up (its channel still reaches the agent).
    agent.post_json(
        "/connectors",
        &probe_connector("inside", &data.join("in.txt")),
        201,
    );
    assert!(probe_result(&agent, "inside").starts_with("outside=ok state=ok"));
    agent.wait_state("inside", "running");

    // With the sandbox off the same runtime writes where it likes (the check is the sandbox's).
    agent.stop();
    agent.runtimes_setting("sandbox = \"off\"");
    std::fs::remove_file(agent.state_dir().join("connectors/boxed/probe.result")).expect("rm");
    agent.start();
    assert!(
        probe_result(&agent, "boxed").starts_with("outside=ok"),
        "without the sandbox the write should succeed"
    );
    assert!(outside.exists());
    agent.stop();
}

/// `Uid:` of a process: real, effective, saved, filesystem.
fn uids(pid: u64) -> String {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .expect("Uid line")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn as_root_runtimes_run_as_the_configured_user() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("SKIPPED: dropping privileges needs the tests to run as root (they do in CI)");
        return;
    }
    let (mut agent, data) = agent_with_roots();
    agent.runtimes_setting("user = \"nobody\"");
    let nobody = Command::new("id")
        .args(["-u", "nobody"])
        .output()
        .expect("id");
    let nobody = String::from_utf8_lossy(&nobody.stdout).trim().to_string();
    agent.start();
    agent.post_json(
        "/connectors",
        &probe_connector("dropped", &data.join("x.txt")),
        201,
    );
    let c = agent.wait_state("dropped", "running");
    let pid = pid_of(&c);
    assert_eq!(
        uids(pid),
        [nobody.as_str(); 4].join(" "),
        "the runtime's uids"
    );
    // It keeps its state and keeps heartbeating past the heartbeat timeout.
    let result = probe_result(&agent, "dropped");
    assert!(
        result.contains(&format!("uid={nobody}")) && result.contains("state=ok"),
        "{result}"
    );
    let beats = c["heartbeats"].as_u64().unwrap_or(0);
    let later = agent.wait_connector("dropped", "more heartbeats", |c| {
        c["heartbeats"].as_u64().unwrap_or(0) > beats + 20
    });
    assert_eq!(pid_of(&later), pid, "the runtime was not restarted");
    agent.stop();

    // An unknown user is a config error naming the field.
    let text = std::fs::read_to_string(&agent.config).expect("agent.toml");
    std::fs::write(
        &agent.config,
        text.replace("\"nobody\"", "\"no-such-user-connect\""),
    )
    .expect("agent.toml");
    let out = Command::new(connect_tests::workspace_bin("connect-agent"))
        .args(["validate", "--config"])
        .arg(&agent.config)
        .arg(agent.dir.path().join("check.yml"))
        .output()
        .expect("run validate");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && text.contains("runtimes.user")
            && text.contains("no-such-user-connect"),
        "{text}"
    );
}

/// Waits until `file` holds at least `n` lines.
fn wait_for_lines(file: &Path, n: usize) {
    connect_tests::wait_for(WAIT, &format!("{n} lines in {}", file.display()), || {
        std::fs::read_to_string(file)
            .ok()
            .filter(|t| t.lines().count() >= n)
    });
}

#[test]
fn the_agent_warns_when_an_api_beyond_loopback_meets_no_path_policy() {
    const WARNING: &str = "allowed_paths is not set while the API listens beyond loopback";
    let mut open = TestAgent::new("[http]\nenabled = true\naddress = \"0.0.0.0:0\"\n");
    open.start();
    assert!(open.agent_log().contains(WARNING), "{}", open.agent_log());
    open.stop();
    let mut local = TestAgent::with_api("");
    local.start();
    assert!(
        !local.agent_log().contains(WARNING),
        "{}",
        local.agent_log()
    );
    local.stop();
    let (mut set, _) = agent_with_roots();
    set.start();
    assert!(!set.agent_log().contains(WARNING), "{}", set.agent_log());
    set.stop();
}
