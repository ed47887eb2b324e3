//! From a connector's active config to what the task runs: the runtime resolved, the config
//! validated against the runtime's component definitions, encoded and size-checked.

use super::child::LaunchSpec;
use crate::document_check::runtime_errors;
use crate::runtimes::RuntimeRegistry;
use connect_model::ConnectorConfig;
use connect_model::document::decode::to_runtime_argument;

pub(crate) fn prepare(
    config: &ConnectorConfig,
    version: u32,
    runtimes: &RuntimeRegistry,
) -> Result<LaunchSpec, String> {
    let entry = runtimes
        .resolve(&config.runtime)
        .map_err(|e| format!("runtime: {e}"))?;
    let errors = runtime_errors(config, runtimes);
    if !errors.is_empty() {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        return Err(format!(
            "invalid for runtime `{}`: {}",
            entry.metadata.runtime.name,
            list.join("; ")
        ));
    }
    let encoded = to_runtime_argument(config);
    Ok(LaunchSpec {
        binary: entry.binary.clone(),
        encoded: encoded.into(),
        env: config
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        restart: config.restart.clone(),
        version,
        iggy: config.steps.consumer.is_some()
            || config.steps.producer.is_some()
            || entry.metadata.runtime.uses_iggy,
    })
}
