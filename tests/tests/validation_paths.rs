//! The same connector document gets the same verdict on every path: a file of the connectors
//! directory, `POST /connectors/validate`, the runtime's `--validate`, and offline
//! `connect-agent validate`.

mod support;

use std::path::Path;
use std::process::Command;

use support::TestAgent;

const VALID: &str = "runtime: essentials\nsteps:\n  source: { type: generate, config: { count: 1 } }\n  sink: { type: stdout }\n";

/// (id, document without its id, whether the runtime judges it: `restart` is the agent's own).
fn documents() -> Vec<(&'static str, String, bool)> {
    vec![
        ("valid", VALID.to_string(), true),
        (
            "top-key",
            format!("{VALID}restrat: {{ policy: always }}\n"),
            true,
        ),
        (
            "component-field",
            VALID.replace("{ count: 1 }", "{ count: 1, paylod: x }"),
            true,
        ),
        (
            "duration",
            VALID.replace("{ type: stdout }", "{ type: stdout, linger: fast }"),
            true,
        ),
        (
            // Valid on its own, invalid once the agent's default initial backoff (100ms here) applies.
            "restart-defaults",
            format!("{VALID}restart: {{ max_backoff: 1ms }}\n"),
            false,
        ),
    ]
}

#[test]
fn every_entry_point_gives_the_same_verdict() {
    let mut agent = TestAgent::with_api("");
    let repo_runtimes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtimes");
    let essentials = connect_tests::workspace_bin("essentials");
    agent.add_runtimes(&repo_runtimes, essentials.parent().unwrap());
    let config = agent.config.clone();
    for (id, doc, _) in documents() {
        agent.write_connector(&format!("{id}.yml"), &format!("id: {id}\n{doc}"));
    }
    agent.start();
    for (id, doc, runtime_judges) in documents() {
        let doc = format!("id: {id}\n{doc}");
        let expect_valid = id == "valid";

        // 1. The connectors directory.
        let c = agent.wait_connector(id, "loaded", |c| {
            c["state"] == "failed" || c["state"] == "running" || c["state"] == "completed"
        });
        let file_valid = c["state"] != "failed";

        // 2. The API.
        let r = agent.post("/connectors/validate", &doc);
        let api_valid = r.status() == 200;

        // 3. Offline `connect-agent validate`.
        let file = agent.dir.path().join(format!("{id}.check.yml"));
        std::fs::write(&file, &doc).unwrap();
        let out = Command::new(connect_tests::workspace_bin("connect-agent"))
            .args(["validate", "--config"])
            .arg(&config)
            .arg(&file)
            .output()
            .unwrap();
        let offline_valid = out.status.success();

        assert_eq!(
            (file_valid, api_valid, offline_valid),
            (expect_valid, expect_valid, expect_valid),
            "{id}: file {c:#}\noffline: {}",
            String::from_utf8_lossy(&out.stderr)
        );

        // 4. The runtime itself, for what it judges.
        if runtime_judges {
            let out = Command::new(&essentials)
                .args(["--validate", &connect_tests::encode(&doc)])
                .output()
                .unwrap();
            assert_eq!(
                out.status.success(),
                expect_valid,
                "{id}: runtime --validate: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            if !expect_valid {
                assert_eq!(out.status.code(), Some(78));
            }
        }
    }
    agent.stop();
}
