//! From a connector's active config to what the task runs: the runtime resolved, the config
//! validated against the runtime's component definitions, encoded and size-checked.

use connect_model::ConnectorConfig;
use connect_model::document::decode::to_base64;
use connect_model::metadata::validate_connector;

use super::child::{LaunchSpec, MAX_ARG_STRLEN};
use crate::runtimes::RuntimeRegistry;

pub(crate) fn prepare(
    config: &ConnectorConfig,
    version: u32,
    runtimes: &RuntimeRegistry,
) -> Result<LaunchSpec, String> {
    let entry = runtimes
        .resolve(&config.runtime)
        .map_err(|e| format!("runtime: {e}"))?;
    validate_connector(config, &entry.metadata).map_err(|errors| {
        let list: Vec<String> = errors.iter().map(ToString::to_string).collect();
        format!(
            "invalid for runtime `{}`: {}",
            entry.metadata.runtime.name,
            list.join("; ")
        )
    })?;
    let encoded = to_base64(config);
    if encoded.len() + 1 > MAX_ARG_STRLEN {
        return Err(format!(
            "the encoded config is {} bytes; a runtime argument is limited to {MAX_ARG_STRLEN} bytes by the kernel (MAX_ARG_STRLEN); make the config smaller (move large values into ${{file:...}} references)",
            encoded.len()
        ));
    }
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
