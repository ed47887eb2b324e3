//! From a connector's active config to what the task runs: the runtime resolved, the config
//! validated against the runtime's component definitions, its literal secrets moved into the
//! child's environment (never its argument), encoded and size-checked.

use connect_model::ConnectorConfig;
use connect_model::document::decode::to_runtime_argument;
use connect_model::metadata::{literal_secrets, secrets_to_env};

use super::child::{LaunchSpec, SecretEnv, check_argument_size};
use crate::document_check::runtime_errors;
use crate::runtimes::RuntimeRegistry;

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
    if version > 0 {
        for path in literal_secrets(config, Some(&entry.metadata)) {
            tracing::warn!(connector = %config.id, version, "{}", literal_warning(&path));
        }
    }
    // The argument is readable by every local user (/proc/<pid>/cmdline); the environment is not.
    let (argument, secrets) = secrets_to_env(config, Some(&entry.metadata));
    let encoded = to_runtime_argument(&argument);
    check_argument_size(encoded.len()).map_err(|e| e.to_string())?;
    Ok(LaunchSpec {
        binary: entry.binary.clone(),
        encoded: encoded.into(),
        env: config
            .env
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        secrets: SecretEnv(secrets),
        restart: config.restart.clone(),
        version,
        iggy: config.steps.consumer.is_some()
            || config.steps.producer.is_some()
            || entry.metadata.runtime.uses_iggy,
        trace_context: Vec::new(),
    })
}

/// What the agent says about a secret field holding a literal value.
pub(crate) fn literal_warning(path: &str) -> String {
    format!(
        "{path}: a secret field holds a literal value; write `${{env:NAME}}` or `${{file:/path}}` instead (a literal is kept in the agent's state file and handed to the runtime in its environment)"
    )
}
