//! The Iggy connectors runtime's files: `connect-agent import iggy` converts its connector
//! files (what maps is written and validates, what does not is reported per file and field),
//! and its `config.toml` starts the agent with its own keys and variables warned, not fatal.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use connect_tests::workspace_bin;
use serde_json::Value;
use support::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/iggy")
}

/// An agent config whose runtimes are the repository's (essentials, sql, …).
fn agent_config(dir: &Path) -> PathBuf {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let bin_dir = workspace_bin("connect-agent")
        .parent()
        .unwrap()
        .to_path_buf();
    let path = dir.join("agent.toml");
    std::fs::write(
        &path,
        format!(
            "[runtimes]\npaths = [\"{}\"]\nbin_dirs = [\"{}\"]\n",
            repo.join("runtimes").display(),
            bin_dir.display()
        ),
    )
    .unwrap();
    path
}

fn agent_cli(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(workspace_bin("connect-agent"))
        .args(args)
        .env_remove("CONNECT_CONFIG_PATH")
        .output()
        .expect("run connect-agent");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn yaml(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    connect_runtime_sdk::yaml::from_str(&text).unwrap()
}

#[test]
fn import_iggy_writes_what_maps_and_reports_what_has_no_counterpart() {
    let tmp = tempfile::tempdir().unwrap();
    let config = agent_config(tmp.path());
    let out = tmp.path().join("out");
    let dir = fixtures().join("connectors");
    let (code, stdout, stderr) = agent_cli(&[
        "import",
        "iggy",
        dir.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(code, 2, "one file has no counterpart:\n{stdout}\n{stderr}");
    assert!(
        stdout.contains("elasticsearch_sink.toml: no counterpart; nothing written")
            && stdout.contains(
                "no counterpart: path: the plugin `elasticsearch_sink` has no counterpart"
            ),
        "{stdout}"
    );
    assert!(
        stdout.contains("`stdout` becomes 2 connectors: stdout-created, stdout-shipped"),
        "the split is said: {stdout}"
    );
    assert!(
        stdout.contains("3 Iggy connector files: 2 converted, 1 not; 3 connect documents written"),
        "{stdout}"
    );
    let mut written: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    written.sort();
    assert_eq!(
        written,
        ["random.yml", "stdout-created.yml", "stdout-shipped.yml"]
    );

    let created = yaml(&out.join("stdout-created.yml"));
    assert_eq!(created["runtime"], "essentials");
    assert_eq!(created["steps"]["sink"]["type"], "stdout");
    assert_eq!(created["steps"]["consumer"]["topic"], "created");
    assert_eq!(
        created["steps"]["consumer"]["consumer_group"],
        "stdout_sink"
    );
    assert_eq!(
        yaml(&out.join("stdout-shipped.yml"))["steps"]["consumer"]["topic"],
        "shipped"
    );
    let random = yaml(&out.join("random.yml"));
    assert_eq!(random["steps"]["source"]["type"], "generate");
    assert_eq!(random["steps"]["source"]["config"]["count"], 1000);
    assert_eq!(random["steps"]["source"]["config"]["interval"], "250ms");
    assert_eq!(random["steps"]["producer"]["linger"], "10ms");
    let fields = &random["steps"]["transformer"][0]["add_fields"]["fields"];
    assert_eq!(fields[0]["name"], "origin");
    assert_eq!(fields[0]["value"], "import-test");
    assert_eq!(fields[1]["computed"], "timestamp_ms");

    // Every written document passes the offline validation against the runtimes.
    let files: Vec<String> = written
        .iter()
        .map(|f| out.join(f).display().to_string())
        .collect();
    let mut args = vec!["validate"];
    args.extend(files.iter().map(String::as_str));
    args.extend(["--config", config.to_str().unwrap()]);
    let (code, stdout, stderr) = agent_cli(&args);
    assert_eq!(code, 0, "{stdout}\n{stderr}");

    // Only convertible files: exit 0.
    let only = tmp.path().join("only");
    std::fs::create_dir_all(&only).unwrap();
    for f in ["stdout_sink.toml", "random_source.toml"] {
        std::fs::copy(dir.join(f), only.join(f)).unwrap();
    }
    let (code, stdout, stderr) = agent_cli(&[
        "import",
        "iggy",
        only.to_str().unwrap(),
        "--out",
        tmp.path().join("out2").to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
}

#[test]
fn the_iggy_runtime_config_starts_the_agent_with_its_keys_and_variables_warned() {
    let mut agent = TestAgent::with_api("");
    let base = agent.dir.path().to_path_buf();
    let config = std::fs::read_to_string(fixtures().join("config.toml"))
        .unwrap()
        .replace("127.0.0.1:8081", "127.0.0.1:0");
    std::fs::write(&agent.config, config).unwrap();
    std::fs::create_dir_all(base.join("connectors")).unwrap();
    std::fs::copy(
        fixtures().join("connectors/stdout_sink.toml"),
        base.join("connectors/stdout_sink.toml"),
    )
    .unwrap();
    let aliased = base.join("aliased-state");
    agent.start_with_env(&[
        ("IGGY_CONNECTORS_STATE_PATH", aliased.to_str().unwrap()),
        ("IGGY_CONNECTORS_SINK_STDOUT_ENABLED", "false"),
    ]);
    assert_eq!(agent.get_json("/health", 200)["status"], "healthy");
    agent.post_json("/reload", "", 200);
    let log = agent.agent_log();
    for needle in [
        "[http.metrics] is an Iggy connectors runtime setting",
        "[logging] is an Iggy connectors runtime setting",
        "[telemetry.logs] is an Iggy connectors runtime setting",
        "[telemetry.traces] is an Iggy connectors runtime setting",
        "IGGY_CONNECTORS_STATE_PATH is deprecated: it is read as CONNECT_STATE_PATH",
        "IGGY_CONNECTORS_SINK_STDOUT_ENABLED is one of the Iggy runtime's per-connector variables",
        "stdout_sink.toml; convert them with `connect-agent import iggy",
    ] {
        assert!(
            log.contains(needle),
            "`{needle}` missing from the log:\n{log}"
        );
    }
    assert_eq!(
        log.matches("Iggy connectors runtime files that are not loaded")
            .count(),
        1,
        "warned once, also across a reload:\n{log}"
    );
    assert!(aliased.is_dir(), "the aliased state path is used");
    assert!(
        agent
            .get_json("/connectors", 200)
            .as_array()
            .unwrap()
            .is_empty()
    );
}
