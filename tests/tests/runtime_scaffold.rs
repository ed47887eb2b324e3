//! `connect-agent runtime new`: the scaffolded crate builds offline against this workspace's
//! SDK, lockfile and target directory, passes its own tests, and runs under the agent.

mod support;

use std::path::Path;
use std::process::Command;

use connect_tests::workspace_bin;
use support::TestAgent;

/// `cargo` with this workspace's target directory and dev profile, offline.
fn cargo(dir: &Path, args: &[&str]) {
    let target = workspace_bin("connect-agent")
        .parent()
        .and_then(Path::parent)
        .expect("target dir")
        .to_path_buf();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(args)
        .arg("--offline")
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", &target)
        // The workspace's own dev profile, so the shared dependencies are not built again.
        .env("CARGO_PROFILE_DEV_DEBUG", "line-tables-only")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("run cargo");
    assert!(
        out.status.success(),
        "cargo {args:?} in {} failed:\n{}{}",
        dir.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_scaffolded_runtime_builds_passes_its_tests_and_runs_under_the_agent() {
    let root = tempfile::Builder::new()
        .prefix("scaffold")
        .tempdir_in("/tmp")
        .unwrap();
    let crate_dir = root.path().join("runtimes/demo-rt");
    let sdk = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtime-sdk");
    let out = Command::new(workspace_bin("connect-agent"))
        .args(["runtime", "new", "demo-rt", "--dir"])
        .arg(&crate_dir)
        .arg("--sdk-path")
        .arg(&sdk)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    for file in [
        "Cargo.toml",
        "src/main.rs",
        ".connect/runtime.yml",
        ".connect/sources/ticks.yml",
        ".connect/sinks/print.yml",
        "examples/ticks.yml",
        "README.md",
    ] {
        assert!(crate_dir.join(file).is_file(), "{file} was not written");
    }
    let again = Command::new(workspace_bin("connect-agent"))
        .args(["runtime", "new", "demo-rt", "--dir"])
        .arg(&crate_dir)
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "a non-empty --dir is refused");

    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock"),
        crate_dir.join("Cargo.lock"),
    )
    .unwrap();
    cargo(&crate_dir, &["test"]);
    cargo(&crate_dir, &["build", "--bin", "demo-rt"]);

    let mut agent = TestAgent::new("");
    let bin_dir = workspace_bin("connect-agent")
        .parent()
        .expect("bin dir")
        .to_path_buf();
    agent.add_runtimes(&root.path().join("runtimes"), &bin_dir);
    agent.write_connector(
        "ticks",
        &std::fs::read_to_string(crate_dir.join("examples/ticks.yml")).unwrap(),
    );
    agent.start();
    let done = agent.wait_state("demo-rt-ticks", "completed");
    assert_eq!(done["exit_code"], 0, "{done:#}");
    let log = std::fs::read_to_string(agent.state_dir().join("logs/demo-rt-ticks.stdout.log"))
        .unwrap_or_default();
    for seq in 0..3 {
        assert!(
            log.contains(&format!("tick {{\"seq\":{seq}}}")),
            "tick {seq} missing from the runtime's output:\n{log}"
        );
    }
}
