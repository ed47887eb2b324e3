//! Helpers shared by the end-to-end tests: finding the workspace's binaries, encoding configs,
//! and bounded waits that fail with a message instead of sleeping.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine;

pub mod runtime_run;

/// A binary built by this workspace (`target/<profile>/<name>`), current with the sources.
///
/// `cargo test` builds only the binaries of packages that have integration tests (and only
/// those selected with `-p`), so the first call in each `cargo test` run builds every binary of
/// the workspace with the same profile; later calls of that run find them built.
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target profile directory");
    build_workspace_bins(dir);
    let path = dir.join(name);
    assert!(
        path.exists(),
        "binary {} is missing; build it with `cargo build --workspace --bins`",
        path.display()
    );
    path
}

/// `cargo build --workspace --bins` once per `cargo test` run (marked by the running cargo's
/// pid), when the tests run under cargo.
fn build_workspace_bins(profile_dir: &Path) {
    static BUILT: std::sync::OnceLock<()> = std::sync::OnceLock::new();
    BUILT.get_or_init(|| {
        let Ok(cargo) = std::env::var("CARGO") else {
            return;
        };
        let marker = profile_dir.join(format!(
            ".workspace-bins-built-for-{}",
            std::os::unix::process::parent_id()
        ));
        if marker.exists() {
            return;
        }
        let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
            Some("debug") => "dev",
            Some(other) => other,
            None => "dev",
        };
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let out = std::process::Command::new(cargo)
            .args(["build", "--workspace", "--bins", "--profile", profile])
            .current_dir(&workspace)
            .stdout(std::process::Stdio::null())
            .output()
            .expect("run cargo build");
        assert!(
            out.status.success(),
            "cargo build --workspace --bins failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let _ = std::fs::write(&marker, b"");
    });
}

/// Base64 (standard alphabet) of a document, as a runtime's single argument.
pub fn encode(document: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(document)
}

/// The scheduling policy of each of a connect agent's API threads (`api` threads; field 41 of
/// their `/proc/…/stat`: 0 normal, 1 `SCHED_FIFO`).
pub fn api_thread_policies(agent: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{agent}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter(|t| std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.trim() == "api"))
        .filter_map(|t| {
            let stat = std::fs::read_to_string(t.path().join("stat")).ok()?;
            stat.rsplit_once(')')?
                .1
                .split_whitespace()
                .nth(38)?
                .parse()
                .ok()
        })
        .collect()
}

/// Polls `check` until it returns `Some`, failing with `what` after `timeout`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut check: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The address of a running Iggy server for integration tests, or `None` (the test says it is skipped).
pub fn iggy_address(test: &str) -> Option<String> {
    match std::env::var("CONNECT_TEST_IGGY_ADDRESS") {
        Ok(a) if !a.trim().is_empty() => Some(a),
        _ => {
            // Straight to the process's stderr, past the test harness's capture, so the skip
            // shows in every run.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("SKIPPED {test}: set CONNECT_TEST_IGGY_ADDRESS=host:port of an Iggy server (credentials iggy/iggy) to run it\n").as_bytes(),
            );
            None
        }
    }
}

/// The `seq` field of every JSON line of an output file (empty when the file does not exist).
pub fn output_seqs(path: &Path) -> Vec<u64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| {
            let v: serde_json::Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("line {l:?}: {e}"));
            v["seq"]
                .as_u64()
                .unwrap_or_else(|| panic!("no seq in {l:?}"))
        })
        .collect()
}

/// The size of a file, 0 while it does not exist.
pub fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map_or(0, |m| m.len())
}

/// At-least-once and in order: every number of `0..n` appears, starting at 0; a number may
/// repeat only as the start of a replay (a suffix delivered again after a restart), never
/// skipping ahead. Returns how many replays there were.
pub fn assert_at_least_once_in_order(seqs: &[u64], n: u64) -> usize {
    assert_eq!(seqs.first(), Some(&0), "the output starts at 0");
    let mut replays = 0;
    for w in seqs.windows(2) {
        let (prev, next) = (w[0], w[1]);
        assert!(
            next <= prev + 1,
            "lost messages: {prev} is followed by {next}"
        );
        if next <= prev {
            replays += 1;
        }
    }
    let distinct: std::collections::BTreeSet<u64> = seqs.iter().copied().collect();
    assert_eq!(distinct.len() as u64, n, "every message is delivered");
    assert_eq!(
        seqs.iter().max(),
        Some(&(n - 1)),
        "the last message is delivered"
    );
    replays
}

/// Starts the real `connect-agent` with `config`, output appended to `log`, stdin closed, and
/// none of the caller's `CONNECT_CONFIG_PATH`; `env` adds variables to its environment.
pub fn spawn_agent(config: &Path, log: &Path, env: &[(&str, &str)]) -> std::process::Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .expect("agent log");
    std::process::Command::new(workspace_bin("connect-agent"))
        .args(["start", "--config"])
        .arg(config)
        .env_remove("CONNECT_CONFIG_PATH")
        .envs(env.iter().copied())
        .stdin(std::process::Stdio::null())
        .stdout(log.try_clone().expect("log fd"))
        .stderr(log)
        .spawn()
        .expect("spawn connect-agent")
}
