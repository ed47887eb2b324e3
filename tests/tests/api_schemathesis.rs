//! A property-based API tester (schemathesis, pinned in .ci/run) against a live agent: every
//! documented operation with generated valid and invalid requests, all checks, a fixed seed and
//! a bounded budget. No 5xx, no response outside the document, no undocumented status code.
//! SKIPPED when schemathesis is not installed (`CONNECT_SCHEMATHESIS` or
//! /opt/connect-venv/bin/st).

mod support;

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::TestAgent;

const KEY: &str = "schemathesis-key";
/// The whole run; schemathesis normally needs far less (see the test's wall time in docs/api.md).
const BUDGET: Duration = Duration::from_secs(420);

const CONFIG: &str = r#"
[dictionaries.ids]
values = ["idle-one"]
[dictionaries.runtimes]
values = ["testrt"]
[dictionaries.components]
values = ["behave", "discard"]

[parameters]
"path.id" = { dictionary = "ids", probability = 0.5 }
"path.name" = { dictionary = "runtimes", probability = 0.5 }
"path.component" = { dictionary = "components", probability = 0.5 }
"#;

fn schemathesis() -> Option<PathBuf> {
    let path = std::env::var_os("CONNECT_SCHEMATHESIS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/connect-venv/bin/st"));
    path.is_file().then_some(path)
}

#[test]
fn the_api_answers_as_its_document_says() {
    let Some(st) = schemathesis() else {
        println!(
            "SKIPPED: schemathesis is not installed (set CONNECT_SCHEMATHESIS or install it into /opt/connect-venv as .ci/run does)"
        );
        return;
    };
    let mut agent = TestAgent::with_api(&format!("api_key = \"{KEY}\"\n"));
    // A connector that idles: start, stop, restart, configs and the Iggy-free views have a real
    // target, and nothing it does loads the machine.
    agent.add_testrt("idle-one", "idle", "");
    agent.start();
    agent.wait_state("idle-one", "running");

    let report = agent.dir.path().join("schemathesis");
    // Half the generated ids and runtime/component names are real ones, so the operations
    // reach their handlers' logic beyond the 404.
    let config = agent.dir.path().join("schemathesis.toml");
    std::fs::write(&config, CONFIG).expect("write schemathesis.toml");
    let started = Instant::now();
    let mut child = Command::new(&st)
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{}/openapi.json", agent.url))
        .args(["--header", &format!("api-key: {KEY}")])
        .args(["--checks", "all"])
        // Excluded by design, the only check left out: a document that fits the schema can
        // still be refused (400 invalid_config) by the rules only the runtime's field
        // definitions hold (a runtime that is not installed, a component it does not have, a
        // component config outside its `.connect` rules); the document states those 400s.
        .args(["--exclude-checks", "positive_data_acceptance"])
        // SSE: `follow=true` streams until the client goes away, which a request-response
        // tester cannot consume; the route's JSON form is covered by the connector tests.
        .args(["--exclude-path", "/connectors/{id}/logs"])
        // Generated requests only act on ids they make up; `/reload` re-reads the same dirs.
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--seed", "20261202"])
        .args(["--max-examples", "12"])
        .args(["--workers", "1"])
        .args(["--request-timeout", "30"])
        .args(["--suppress-health-check", "all"])
        .args(["--report", "junit"])
        .arg("--report-dir")
        .arg(&report)
        .env("NO_COLOR", "1")
        .current_dir(agent.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start schemathesis");
    let deadline = started + BUDGET;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for schemathesis") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = child.wait_with_output().expect("schemathesis output");
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{text}");
    println!("schemathesis took {:.0?}", started.elapsed());
    let status =
        status.unwrap_or_else(|| panic!("schemathesis did not finish within {BUDGET:?}:\n{text}"));

    // Generated connectors are not left behind: only the idle one may exist, and it runs.
    let list = agent.get_json("/connectors", 200);
    let ids: Vec<&str> = list
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|c| c["id"].as_str())
        .collect();
    for id in ids.iter().filter(|id| **id != "idle-one") {
        agent.delete(&format!("/connectors/{id}"));
    }
    let log = agent.agent_log();
    agent.stop();
    assert!(
        status.success(),
        "schemathesis found responses outside the document:\n{text}\nagent log:\n{log}"
    );
    assert!(
        text.contains("passed") || text.contains("Passed"),
        "schemathesis ran operations:\n{text}"
    );
}
