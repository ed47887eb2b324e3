//! A runtime for the agent's end-to-end tests, built on the SDK: its source config's `mode`
//! selects a behaviour (idle, flood stdout, print the environment, invalid-config exit, transient crash, exit 0).

use std::io::Write;

use connect_runtime_sdk::{Context, Runtime, WorkloadError};

fn main() {
    let runtime = match Runtime::from_env() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    runtime.launch(|ctx: Context| async move {
        let config = ctx
            .connector()
            .steps
            .source
            .as_ref()
            .map(|s| s.config.clone())
            .unwrap_or_default();
        let mode = config
            .get("mode")
            .and_then(|v| v.as_str())
            .unwrap_or("idle")
            .to_string();
        let lines = config.get("lines").and_then(|v| v.as_u64()).unwrap_or(0);
        match mode.as_str() {
            "invalid" => {
                eprintln!("test runtime: the endpoint in steps.source.config is unusable");
                Err(WorkloadError::invalid_config("the endpoint is unusable"))
            }
            "crash" => Err(WorkloadError::transient("the peer went away")),
            "exit0" => Ok(()),
            "env" => {
                // Its whole environment, so tests see what leaks as well as what arrives.
                let mut vars: Vec<_> = std::env::vars().collect();
                vars.sort();
                for (k, v) in vars {
                    println!("env {k}={v}");
                }
                ctx.ready();
                ctx.cancellation().cancelled().await;
                Ok(())
            }
            "flood" => {
                ctx.ready();
                tokio::task::spawn_blocking(move || flood(lines))
                    .await
                    .map_err(WorkloadError::internal)?
                    .map_err(WorkloadError::internal)?;
                ctx.cancellation().cancelled().await;
                Ok(())
            }
            _ => {
                ctx.ready();
                ctx.cancellation().cancelled().await;
                Ok(())
            }
        }
    })
}

/// One line to stderr, then `lines` lines of exactly 100 bytes to stdout, numbered, then
/// `flood done`.
fn flood(lines: u64) -> std::io::Result<()> {
    eprintln!("flood: {lines} lines to stdout");
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(256 * 1024, stdout.lock());
    let pad = "x".repeat(100 - 1 - "line 0000000000 ".len());
    for i in 0..lines {
        writeln!(out, "line {i:010} {pad}")?;
    }
    writeln!(out, "flood done")?;
    out.flush()
}
