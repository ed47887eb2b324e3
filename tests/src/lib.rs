//! Helpers shared by the end-to-end tests: finding the workspace's binaries, encoding configs,
//! and bounded waits that fail with a message instead of sleeping.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use base64::Engine;

/// A binary built by this workspace (`target/<profile>/<name>`). `cargo test --workspace`
/// builds every package's binaries before running tests.
pub fn workspace_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/<name>
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target profile directory");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "binary {} is missing; build it with `cargo build --workspace --bins` (cargo test --workspace does this)",
        path.display()
    );
    path
}

/// Base64 (standard alphabet) of a document, as a runtime's single argument.
pub fn encode(document: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(document)
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
