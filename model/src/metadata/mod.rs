//! `.connect` metadata: the runtime manifest, component field definitions, config validation
//! against them, and secret masking.

pub mod bundle;
pub mod component_spec;
pub mod config_fields;
pub mod config_validator;
pub mod json_schema;
pub mod manifest;
pub mod path_fields;
pub mod secret_fields;
pub mod secret_mask;
mod spec_check;

pub use bundle::{MetadataError, RuntimeMetadata};
pub use component_spec::{
    ComponentSpec, Constraint, FieldKind, FieldSpec, FieldType, Range, SpecKind, Status,
};
pub use config_fields::config_fields;
pub use config_validator::validate_config;
pub use json_schema::component_schema;
pub use manifest::{Author, RuntimeManifest};
pub use path_fields::{check_paths, path_values};
pub use secret_fields::{literal_secrets, restore_masked, secrets_to_env};
pub use secret_mask::{MASK, mask_connector, mask_fields};

use crate::document::ConnectorConfig;
use crate::validation::FieldErrors;

/// Validates every component step of `config` against `metadata`; returns the config with
/// component defaults filled in, or every error with its path.
pub fn validate_connector(
    config: &ConnectorConfig,
    metadata: &RuntimeMetadata,
) -> Result<ConnectorConfig, FieldErrors> {
    let mut errors = FieldErrors::default();
    let mut out = config.clone();
    for (kind, step) in [
        (
            crate::document::ComponentKind::Source,
            out.steps.source.as_mut(),
        ),
        (
            crate::document::ComponentKind::Sink,
            out.steps.sink.as_mut(),
        ),
    ] {
        let Some(step) = step else { continue };
        let path = format!("steps.{}", kind.step_name());
        match metadata.component(kind, &step.kind) {
            None => {
                let known: Vec<_> = metadata
                    .components(kind)
                    .keys()
                    .map(String::as_str)
                    .collect();
                errors.push(
                    format!("{path}.type"),
                    format!(
                        "runtime `{}` has no {} `{}`; it offers: {}",
                        metadata.runtime.name,
                        kind.step_name(),
                        step.kind,
                        known.join(", ")
                    ),
                );
            }
            Some(spec) => {
                match validate_config(&spec.fields, &step.config, &format!("{path}.config")) {
                    Ok(filled) => step.config = filled,
                    Err(e) => errors.0.extend(e.0),
                }
            }
        }
    }
    check_contract_version(config, metadata, &mut errors);
    errors.into_result(out)
}

/// Document keys a runtime understands only from some contract version on.
fn check_contract_version(
    config: &ConnectorConfig,
    metadata: &RuntimeMetadata,
    errors: &mut FieldErrors,
) {
    use crate::document::errors::ERRORS_CONTRACT_VERSION;
    let declared = metadata.runtime.contract_version();
    if config.errors.is_some() && declared < ERRORS_CONTRACT_VERSION {
        errors.push(
            "errors",
            format!(
                "runtime `{}` {} speaks runtime contract version {declared} (contract_version in its runtime.yml); the errors block needs version {ERRORS_CONTRACT_VERSION}: upgrade the runtime or remove the errors block",
                metadata.runtime.name, metadata.runtime.version
            ),
        );
    }
}

#[cfg(test)]
mod tests;
