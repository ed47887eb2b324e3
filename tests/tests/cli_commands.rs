//! The CLI driven as a person would, against a running agent: connector and runtime commands,
//! tables and `-o json|yaml`, `logs -f`, completions, and the messages and exit codes when the
//! agent is unreachable or refuses (offline `validate` is in `validation_paths.rs`).

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use support::*;

fn cli(agent_url: &str, args: &[&str]) -> Output {
    Command::new(connect_tests::workspace_bin("connect-agent"))
        .args(args)
        .env("CONNECT_AGENT_URL", agent_url)
        .env_remove("CONNECT_API_KEY")
        .env_remove("CONNECT_CONFIG_PATH")
        .output()
        .expect("run connect-agent")
}

fn ok(out: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{what} failed ({}): {stdout}{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn json(out: &Output, what: &str) -> Value {
    let text = ok(out, what);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"))
}

#[test]
fn connector_commands_against_a_running_agent() {
    let mut agent = TestAgent::with_api("");
    agent.start();
    let url = agent.url.clone();
    let file = agent.dir.path().join("c.yml");
    std::fs::write(&file, secret_connector("cli-one", "idle")).unwrap();
    let f = file.to_str().unwrap();

    let created = ok(&cli(&url, &["connector", "create", "-f", f]), "create");
    assert!(created.contains("cli-one"), "{created}");
    let again = cli(&url, &["connector", "create", "-f", f]);
    assert_eq!(
        again.status.code(),
        Some(1),
        "a duplicate create must fail with 1"
    );
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    agent.wait_state("cli-one", "running");

    let table = ok(&cli(&url, &["connector", "list"]), "list");
    assert!(table.starts_with("ID"), "{table}");
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("cli-one") && l.contains("running")),
        "{table}"
    );
    let list = json(
        &cli(&url, &["connector", "list", "-o", "json"]),
        "list -o json",
    );
    assert_eq!(list[0]["id"], "cli-one");
    let yaml = ok(
        &cli(&url, &["-o", "yaml", "connector", "get", "cli-one"]),
        "get -o yaml",
    );
    assert!(yaml.contains("id: cli-one"), "{yaml}");
    let get = ok(&cli(&url, &["connector", "get", "cli-one"]), "get");
    assert!(get.contains("state:") && get.contains("config:"), "{get}");
    assert_no_secret(&get, "connector get");
    assert_no_secret(&yaml, "connector get -o yaml");

    // apply: an existing connector gets a new active version.
    std::fs::write(
        &file,
        secret_connector("cli-one", "idle").replace("has secrets", "applied"),
    )
    .unwrap();
    let applied = ok(&cli(&url, &["connector", "apply", "-f", f]), "apply");
    assert!(applied.contains("version 2"), "{applied}");
    let configs = ok(&cli(&url, &["connector", "configs", "cli-one"]), "configs");
    assert!(
        configs
            .lines()
            .any(|l| l.starts_with('2') && l.contains('*')),
        "{configs}"
    );
    let v1 = ok(
        &cli(&url, &["connector", "configs", "cli-one", "get", "1"]),
        "configs get 1",
    );
    assert!(v1.contains("has secrets"), "{v1}");
    assert_no_secret(&v1, "configs get");
    ok(
        &cli(&url, &["connector", "configs", "cli-one", "activate", "1"]),
        "configs activate 1",
    );
    agent.wait_connector("cli-one", "on version 1", |c| {
        c["version"] == 1 && c["state"] == "running"
    });
    // apply: a new connector is created.
    let file2 = agent.dir.path().join("c2.yml");
    std::fs::write(&file2, testrt_connector("cli-two", "idle")).unwrap();
    assert!(
        ok(
            &cli(&url, &["connector", "apply", "-f", file2.to_str().unwrap()]),
            "apply new"
        )
        .contains("created")
    );

    ok(&cli(&url, &["connector", "stop", "cli-one"]), "stop");
    agent.wait_state("cli-one", "stopped");
    ok(&cli(&url, &["connector", "start", "cli-one"]), "start");
    let running = agent.wait_state("cli-one", "running");
    ok(&cli(&url, &["connector", "restart", "cli-one"]), "restart");
    agent.wait_connector("cli-one", "restarted", |c| {
        c["state"] == "running" && c["pid"] != running["pid"]
    });

    let logs = ok(
        &cli(
            &url,
            &["connector", "logs", "cli-one", "--stdout", "--tail", "2"],
        ),
        "logs --stdout",
    );
    assert!(
        logs.lines().count() <= 2 && logs.contains("starting"),
        "{logs}"
    );
    // Both streams by default, each line marked with its stream.
    let both = ok(
        &cli(&url, &["connector", "logs", "cli-one", "--tail", "50"]),
        "logs",
    );
    assert!(
        both.lines()
            .all(|l| l.starts_with("stdout ") || l.starts_with("stderr ")),
        "{both}"
    );
    assert!(both.contains("starting"), "{both}");
    let as_json = json(
        &cli(&url, &["connector", "logs", "cli-one", "-o", "json"]),
        "logs -o json",
    );
    assert!(as_json["lines"][0]["stream"].is_string(), "{as_json}");

    let status = ok(&cli(&url, &["status"]), "status");
    assert!(
        status.contains("2 connectors") && status.contains("cli-two"),
        "{status}"
    );
    let status_json = json(&cli(&url, &["status", "-o", "json"]), "status -o json");
    assert_eq!(status_json["stats"]["totals"]["connectors"], 2);

    let runtimes = ok(&cli(&url, &["runtime", "list"]), "runtime list");
    assert!(
        runtimes.lines().any(|l| l.starts_with("apirt")),
        "{runtimes}"
    );
    let show = ok(&cli(&url, &["runtime", "show", "apirt"]), "runtime show");
    assert!(show.contains("behave"), "{show}");
    let fields = ok(
        &cli(&url, &["runtime", "show", "apirt", "discard"]),
        "runtime show component",
    );
    assert!(
        fields
            .lines()
            .any(|l| l.starts_with("token") && l.contains("yes")),
        "{fields}"
    );

    ok(&cli(&url, &["connector", "delete", "cli-two"]), "delete");
    let missing = cli(&url, &["connector", "get", "cli-two"]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("does not exist"));
}

#[test]
fn logs_follow_streams_new_lines() {
    let mut agent = TestAgent::with_api("");
    agent.write_connector("f.yml", &testrt_connector("follow-me", "idle"));
    agent.start();
    agent.wait_state("follow-me", "running");
    let mut child = Command::new(connect_tests::workspace_bin("connect-agent"))
        .args([
            "connector",
            "logs",
            "follow-me",
            "-f",
            "--tail",
            "1",
            "--url",
            &agent.url,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn logs -f");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().expect("a first line").unwrap();
    assert!(first.contains("starting"), "{first}");
    // A restart prints a new `starting` line, which must arrive through the follow.
    agent.post_json("/connectors/follow-me/restart", "", 202);
    let deadline = std::time::Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let line = lines.next().expect("the follow ended early").unwrap();
        if line.contains("starting") {
            break;
        }
        seen.push(line);
        assert!(
            std::time::Instant::now() < deadline,
            "no new run's output arrived: {seen:?}"
        );
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn unreachable_or_refusing_agent_has_clear_messages_and_exit_codes() {
    // A port nothing listens on: bind one, keep it bound but never accept? Closing it gives a refusal.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = cli(&format!("http://127.0.0.1:{port}"), &["connector", "list"]);
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot reach the agent") && err.contains("CONNECT_AGENT_URL"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");

    let mut agent = TestAgent::with_api("api_key = \"cli-key\"");
    agent.start();
    let refused = cli(&agent.url, &["status"]);
    assert_eq!(refused.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&refused.stderr).contains("CONNECT_API_KEY"));
    let with_key = Command::new(connect_tests::workspace_bin("connect-agent"))
        .args(["connector", "list", "-o", "json"])
        .env("CONNECT_AGENT_URL", &agent.url)
        .env("CONNECT_API_KEY", "cli-key")
        .output()
        .unwrap();
    assert_eq!(json(&with_key, "list with key"), serde_json::json!([]));
    let flag = cli(&agent.url, &["connector", "list", "--api-key", "cli-key"]);
    ok(&flag, "list with --api-key");
}

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish"] {
        let out = cli("http://127.0.0.1:9", &["completions", shell]);
        let text = ok(&out, shell);
        assert!(
            text.contains("connect-agent") && text.contains("connector"),
            "{shell}: {text}"
        );
    }
}

#[test]
fn printing_commands_end_quietly_when_their_reader_leaves() {
    let mut agent = TestAgent::with_api("");
    agent.write_connector(
        "loud.yml",
        "id: loud\nruntime: testrt\nsteps:\n  source: { type: behave, config: { mode: flood, lines: 5000 } }\n  sink: { type: discard }\n",
    );
    agent.start();
    agent.wait_state("loud", "running");
    let bin = connect_tests::workspace_bin("connect-agent");
    for command in [
        "connector list",
        "connector logs loud --tail 2000",
        "connector logs loud -f --tail 50",
        "status",
        "runtime list",
        "completions bash",
    ] {
        // The agent's exit status comes back through stderr, after its own messages.
        let script = format!(
            "{} {command} --url {} | head -1 >/dev/null; echo \"exit=${{PIPESTATUS[0]}}\" >&2",
            bin.display(),
            agent.url
        );
        let out = Command::new("bash")
            .args(["-c", &script])
            .output()
            .expect("bash");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            !stderr.contains("panicked") && !stderr.contains("Broken pipe"),
            "`{command} | head -1`: {stderr}"
        );
        let code = stderr
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("exit="))
            .unwrap_or_default();
        assert!(
            code == "0" || code == "141",
            "`{command} | head -1` exited {code}: {stderr}"
        );
    }
}

#[test]
fn config_and_status_errors_are_said_once_and_alone() {
    let bin = connect_tests::workspace_bin("connect-agent");
    let missing = Command::new(&bin)
        .args(["start", "--config", "/nonexistent/agent.toml"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(1), "{stderr}");
    assert_eq!(
        stderr.matches("No such file or directory").count(),
        1,
        "the cause is said once: {stderr}"
    );

    // A status file left by an agent that is gone: only the error, no stale table.
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(
        state.join("status.json"),
        r#"{"agent_pid": 0, "updated_at_ms": 0, "connectors": [{"id": "ghost", "state": "running"}]}"#,
    )
    .unwrap();
    let config = dir.path().join("agent.toml");
    std::fs::write(
        &config,
        format!("[state]\npath = \"{}\"\n", state.display()),
    )
    .unwrap();
    let stale = Command::new(&bin)
        .args(["status", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(stale.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&stale.stdout), "", "no stale table");
    assert!(String::from_utf8_lossy(&stale.stderr).contains("is not running"));
}

#[test]
fn relative_paths_in_the_config_do_not_depend_on_the_current_directory() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let repo = repo.canonicalize().unwrap();
    let out = Command::new(connect_tests::workspace_bin("connect-agent"))
        .args(["validate", "--config"])
        .arg(repo.join(".connect/agent.toml"))
        .arg(repo.join("examples/generate-to-stdout.yml"))
        .current_dir("/")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "validate from / with the repository's config: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_health_check_needs_no_api_key() {
    let mut agent = TestAgent::with_api("api_key = \"s3cret\"");
    agent.start();
    // No key given: `status` is refused, `health` (the image's HEALTHCHECK) still answers.
    let status = Command::new(connect_tests::workspace_bin("connect-agent"))
        .args(["status", "--url", &agent.url])
        .env_remove("CONNECT_API_KEY")
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(4), "{status:?}");
    let health = Command::new(connect_tests::workspace_bin("connect-agent"))
        .args(["health", "--url", &agent.url])
        .env_remove("CONNECT_API_KEY")
        .output()
        .unwrap();
    assert!(health.status.success(), "{health:?}");
    assert_eq!(String::from_utf8_lossy(&health.stdout).trim(), "healthy");
    agent.stop();
    let down = Command::new(connect_tests::workspace_bin("connect-agent"))
        .args(["health", "--url", &agent.url])
        .output()
        .unwrap();
    assert_eq!(down.status.code(), Some(3), "{down:?}");
}
