//! The one helper that hides secrets wherever a connector config is shown (API, logs, CLI).

use serde_json::{Map, Value};

use super::bundle::RuntimeMetadata;
use super::component_spec::{FieldSpec, FieldType};
use crate::document::{ConnectorConfig, IggyConnection};

/// What a masked value reads as.
pub const MASK: &str = "******";

/// Names treated as secret when a component's definition is not known.
const SECRET_NAME_HINTS: &[&str] = &[
    "password",
    "token",
    "secret",
    "api_key",
    "apikey",
    "private_key",
    "credentials",
];

/// Masks the fields declared `secret: true`, recursing into nested objects.
pub fn mask_fields(fields: &[FieldSpec], config: &mut Map<String, Value>) {
    for f in fields {
        let Some(v) = config.get_mut(&f.name) else {
            continue;
        };
        if f.secret {
            *v = mask_value(v);
        } else if f.field_type == FieldType::Object && !f.fields.is_empty() {
            match v {
                Value::Object(m) => mask_fields(&f.fields, m),
                Value::Array(items) => items
                    .iter_mut()
                    .filter_map(Value::as_object_mut)
                    .for_each(|m| mask_fields(&f.fields, m)),
                _ => {}
            }
        }
    }
}

/// Whether a key's name says it holds a secret (for configs whose definitions are unknown).
pub(crate) fn is_secret_name(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_NAME_HINTS.iter().any(|h| key.contains(h))
}

/// Masks by key name, for configs whose definitions are unknown.
pub fn mask_by_name(config: &mut Map<String, Value>) {
    for (k, v) in config.iter_mut() {
        if is_secret_name(k) {
            *v = mask_value(v);
        } else if let Value::Object(m) = v {
            mask_by_name(m);
        }
    }
}

fn mask_value(v: &Value) -> Value {
    match v {
        Value::Null => Value::Null,
        _ => Value::String(MASK.to_string()),
    }
}

fn mask_iggy(conn: &mut Option<IggyConnection>) {
    if let Some(c) = conn {
        for secret in [&mut c.password, &mut c.token] {
            if secret.is_some() {
                *secret = Some(MASK.to_string());
            }
        }
    }
}

/// A copy of `config` safe to show: component secrets (by the runtime's definitions when
/// given, by name otherwise), Iggy passwords and tokens, and every `env` value masked.
pub fn mask_connector(
    config: &ConnectorConfig,
    metadata: Option<&RuntimeMetadata>,
) -> ConnectorConfig {
    let mut out = config.clone();
    let steps = &mut out.steps;
    for (kind, step) in [
        (
            crate::document::ComponentKind::Source,
            steps.source.as_mut(),
        ),
        (crate::document::ComponentKind::Sink, steps.sink.as_mut()),
    ] {
        let Some(step) = step else { continue };
        match metadata.and_then(|m| m.component(kind, &step.kind)) {
            Some(spec) => mask_fields(&spec.fields, &mut step.config),
            None => mask_by_name(&mut step.config),
        }
    }
    if let Some(c) = steps.consumer.as_mut() {
        mask_iggy(&mut c.iggy);
    }
    if let Some(p) = steps.producer.as_mut() {
        mask_iggy(&mut p.iggy);
    }
    if let Some(p) = out
        .errors
        .as_mut()
        .and_then(|e| e.dead_letter.as_mut())
        .and_then(|d| d.producer.as_mut())
    {
        mask_iggy(&mut p.iggy);
    }
    for v in out.env.values_mut() {
        *v = MASK.to_string();
    }
    out
}
