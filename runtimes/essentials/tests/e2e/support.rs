//! Running the `essentials` binary in a private directory (the shared `RuntimeRun`), and
//! reading the files it writes, with bounded waits instead of sleeps.

use std::path::Path;

pub use connect_tests::runtime_run::{RuntimeRun, WAIT, free_port};
use connect_tests::wait_for;

/// A run of connector `e2e` on the `essentials` binary.
pub fn essentials(steps: &str) -> RuntimeRun {
    RuntimeRun::new(env!("CARGO_BIN_EXE_essentials"), "essentials", steps)
}

/// The complete lines of a file (an unfinished last line is left out).
pub fn lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = text.rfind('\n').map_or("", |i| &text[..i]);
    if complete.is_empty() && !text.starts_with('\n') {
        return Vec::new();
    }
    complete.split('\n').map(str::to_string).collect()
}

/// Waits until `path` holds at least `n` complete lines; returns them.
pub fn wait_for_lines(path: &Path, n: usize) -> Vec<String> {
    wait_for(WAIT, &format!("{n} lines in {}", path.display()), || {
        let count = std::fs::read(path).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count());
        (count >= n).then_some(())
    });
    lines(path)
}

/// Appends text to a file, creating it.
pub fn append(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}
