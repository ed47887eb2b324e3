//! A runtime that exercises the runtime contract for the tests: it ticks counters until it is
//! cancelled, or fails the way its config asks.

use std::time::Duration;

use connect_runtime_sdk::runtime::EnvError;
use connect_runtime_sdk::{Context, Runtime, RuntimeMetadata, WorkloadError};
use include_dir::include_dir;
use serde_json::Value;

fn main() -> Result<(), EnvError> {
    let metadata = RuntimeMetadata::from_embedded(&include_dir!(
        "$CARGO_MANIFEST_DIR/contract-probe/.connect"
    ))
    .expect("the embedded .connect metadata is valid (checked by tests)");
    Runtime::from_env()?.with_metadata(metadata).launch(run)
}

async fn run(ctx: Context) -> Result<(), WorkloadError> {
    let config = &ctx
        .connector()
        .steps
        .source
        .as_ref()
        .expect("validated: a source step")
        .config;
    let every = config["every"]
        .as_str()
        .map(connect_runtime_sdk::document::duration::parse)
        .transpose()
        .map_err(WorkloadError::invalid_config)?;
    let every = every.unwrap_or(Duration::from_millis(10));
    if let Some(token) = config.get("token").and_then(Value::as_str) {
        tracing::info!(token_len = token.len(), "token resolved");
    }
    match config.get("fail_with").and_then(Value::as_str) {
        Some("invalid_config") => {
            return Err(WorkloadError::invalid_config("the probe was told to fail"));
        }
        Some("transient") => return Err(WorkloadError::transient("the probe was told to fail")),
        Some("internal") => return Err(WorkloadError::internal("the probe was told to fail")),
        _ => {}
    }
    tracing::warn!("probe warning: this line belongs on stderr");
    ctx.ready();
    let mut ticks = tokio::time::interval(every);
    loop {
        tokio::select! {
            _ = ctx.cancellation().cancelled() => break,
            _ = ticks.tick() => {
                ctx.metrics().record_in(1, 10);
                ctx.metrics().record_out(1, 10);
            }
        }
    }
    tracing::info!("probe drained");
    Ok(())
}
