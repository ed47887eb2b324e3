//! Running the `sql` binary in a private directory (the shared `RuntimeRun`).

pub use connect_tests::runtime_run::{RuntimeRun, free_port};

/// A run of connector `e2e` on the `sql` binary.
pub fn sql_runtime(steps: &str) -> RuntimeRun {
    RuntimeRun::new(env!("CARGO_BIN_EXE_sql"), "sql", steps)
}
