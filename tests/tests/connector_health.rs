//! A connector that cannot do its work says so: `health` (ok | degraded | unknown) with the
//! reason in `last_error`, in `GET /connectors`, `/metrics` and the CLI.

mod support;

use std::path::Path;

use connect_tests::runtime_run::free_port;
use serde_json::Value;
use support::TestAgent;

/// An agent with the API and the repository's runtimes (essentials, vanilla).
fn agent() -> TestAgent {
    let agent = TestAgent::with_api("");
    let repo_runtimes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtimes");
    let bin_dir = connect_tests::workspace_bin("essentials")
        .parent()
        .expect("bin dir")
        .to_path_buf();
    agent.add_runtimes(&repo_runtimes, &bin_dir);
    agent
}

fn health_of(c: &Value) -> (&str, &str) {
    (
        c["health"].as_str().unwrap_or("?"),
        c["last_error"].as_str().unwrap_or(""),
    )
}

#[test]
fn a_missing_input_file_shows_degraded_until_it_appears() {
    let mut agent = agent();
    let input = agent.dir.path().join("in/app.log");
    let output = agent.dir.path().join("out/copy.log");
    agent.write_connector(
        "f.yml",
        &format!(
            "id: follow\nruntime: essentials\nsteps:\n  source: {{ type: file, config: {{ path: {}, from: start }} }}\n  sink: {{ type: file, config: {{ path: {} }} }}\n",
            input.display(),
            output.display()
        ),
    );
    agent.start();
    let c = agent.wait_connector("follow", "degraded for its missing file", |c| {
        c["state"] == "running" && c["health"] == "degraded"
    });
    let (_, error) = health_of(&c);
    assert!(
        error.contains("app.log does not exist yet"),
        "the reason is shown: {c:#}"
    );
    let metrics = agent.get("/metrics").text().unwrap();
    assert!(
        metrics.contains("connect_connector_healthy{connector=\"follow\"} 0"),
        "{metrics}"
    );
    let logs = agent.get_json("/connectors/follow/logs", 200);
    assert!(
        logs["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["line"].as_str().unwrap().contains("does not exist yet"))
            .count()
            == 1,
        "logged once: {logs:#}"
    );

    std::fs::create_dir_all(input.parent().unwrap()).unwrap();
    std::fs::write(&input, "hello\n").unwrap();
    let c = agent.wait_connector("follow", "ok once the file exists", |c| c["health"] == "ok");
    assert!(c["last_error"].is_null(), "{c:#}");
    let metrics = agent.get("/metrics").text().unwrap();
    assert!(
        metrics.contains("connect_connector_healthy{connector=\"follow\"} 1"),
        "{metrics}"
    );
    agent.stop();
}

#[test]
fn an_unreachable_http_server_shows_degraded_with_the_error() {
    let mut agent = agent();
    let port = free_port();
    agent.write_connector(
        "h.yml",
        &format!(
            "id: poller\nruntime: essentials\nsteps:\n  source: {{ type: http, config: {{ url: \"http://127.0.0.1:{port}/x\", interval: 100ms }} }}\n  sink: {{ type: stdout }}\n"
        ),
    );
    agent.start();
    let c = agent.wait_connector("poller", "degraded for its unreachable server", |c| {
        c["health"] == "degraded" && c["last_error"].is_string()
    });
    let (_, error) = health_of(&c);
    assert!(error.contains(&port.to_string()), "{c:#}");
    // The list shows it too, and the CLI's ERROR column.
    let list = agent.get_json("/connectors", 200);
    assert_eq!(list[0]["health"], "degraded", "{list:#}");
    let out = std::process::Command::new(connect_tests::workspace_bin("connect-agent"))
        .args(["connector", "list", "--url", &agent.url])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("HEALTH") && text.contains("degraded") && text.contains(&port.to_string()),
        "{text}"
    );
    agent.stop();
}

#[test]
fn a_runtime_waiting_for_iggy_says_so_while_starting() {
    let mut agent = agent();
    let port = free_port();
    agent.write_connector(
        "v.yml",
        &format!(
            "id: copier\nruntime: vanilla\nsteps:\n  source: {{ type: iggy, config: {{ address: \"127.0.0.1:{port}\", stream: s, topic: t, consumer_group: g }} }}\n  producer: {{ stream: s, topic: u, iggy: {{ address: \"127.0.0.1:{port}\" }} }}\n"
        ),
    );
    agent.start();
    let c = agent.wait_connector("copier", "the waiting reason", |c| {
        c["last_error"].is_string()
    });
    assert_eq!(c["state"], "starting", "{c:#}");
    assert_eq!(c["health"], "degraded", "{c:#}");
    let (_, error) = health_of(&c);
    assert!(
        error.contains(&format!("waiting for iggy at 127.0.0.1:{port}")),
        "{c:#}"
    );
    agent.stop();
}
