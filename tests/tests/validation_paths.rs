//! The same connector document gets the same verdict on every path: a file of the connectors
//! directory, `POST /connectors/validate`, the runtime's `--validate`, and offline
//! `connect-agent validate`, which also needs no agent and reports every error of every file.

mod support;

use std::path::Path;
use std::process::Command;

use support::{TestAgent, testrt_connector};

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

#[test]
fn validate_is_offline_and_reports_every_error() {
    let dir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bin_dir = connect_tests::workspace_bin("connect-test-runtime")
        .parent()
        .unwrap()
        .to_path_buf();
    let config = dir.path().join("agent.toml");
    std::fs::write(
        &config,
        format!(
            "[runtimes]\npaths = [\"{}\"]\nbin_dirs = [\"{}\"]\n",
            root.join("runtimes").display(),
            bin_dir.display()
        ),
    )
    .unwrap();
    let good = dir.path().join("good.yml");
    std::fs::write(&good, testrt_connector("good", "idle")).unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "id: bad\nruntime: testrt\nsteps:\n  source: { type: behave, config: { mode: sideways } }\n  sink: { type: nowhere }\n").unwrap();
    let broken = dir.path().join("broken.yml");
    std::fs::write(&broken, "id: [").unwrap();
    let run = |files: &[&Path]| {
        let mut c = Command::new(connect_tests::workspace_bin("connect-agent"));
        c.arg("validate").arg("--config").arg(&config).args(files);
        // No agent anywhere: validation must not need one.
        c.env("CONNECT_AGENT_URL", "http://127.0.0.1:9")
            .output()
            .unwrap()
    };
    let out = run(&[&good]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("good.yml: ok"));
    let out = run(&[&good, &bad, &broken]);
    assert_eq!(out.status.code(), Some(5), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.yml: steps.source.config.mode"), "{err}");
    assert!(err.contains("bad.yml: steps.sink.type"), "{err}");
    assert!(err.contains("broken.yml"), "{err}");
    assert!(err.contains("2 of 3 files are invalid"), "{err}");

    // Six independent mistakes, six errors with their paths.
    let six = dir.path().join("six.yml");
    std::fs::write(
        &six,
        "id: Six
runtime: testrt
restrat: 1
steps:
  source: { type: behave, config: { mode: sideways } }
  consumer: { stream: s, topic: t, consumer_group: g, start: beginning }
  sink: { type: discard, linger: fast }
",
    )
    .unwrap();
    let out = run(&[&six]);
    let err = String::from_utf8_lossy(&out.stderr);
    for path in [
        "six.yml: id:",
        "six.yml: restrat:",
        "six.yml: steps.source.config.mode:",
        "six.yml: steps.consumer.start:",
        "six.yml: steps.sink.linger:",
        "six.yml: steps: give exactly one of source or consumer",
    ] {
        assert!(err.contains(path), "`{path}` missing from:\n{err}");
    }
}
