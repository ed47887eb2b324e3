//! Every secret value of a connector config, by path: the one walker behind the warning about
//! literal secrets, their move into the runtime's environment at spawn, and masked values sent
//! back (`******` means "keep the stored value").

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::bundle::RuntimeMetadata;
use super::component_spec::{FieldSpec, FieldType};
use super::secret_mask::{MASK, is_secret_name};
use crate::contract::env::vars::SECRET_PREFIX;
use crate::contract::secret_ref::is_reference;
use crate::document::{ComponentKind, ConnectorConfig, IggyConnection};
use crate::validation::FieldErrors;

/// Calls `f(path, value)` for every secret value: component fields declared `secret: true`
/// (by name when the runtime's definitions are not known), Iggy passwords and tokens, and
/// every `env` value.
fn for_each_secret(
    config: &mut ConnectorConfig,
    metadata: Option<&RuntimeMetadata>,
    f: &mut dyn FnMut(&str, &mut Value),
) {
    let steps = &mut config.steps;
    for (kind, step) in [
        (ComponentKind::Source, steps.source.as_mut()),
        (ComponentKind::Sink, steps.sink.as_mut()),
    ] {
        let Some(step) = step else { continue };
        let path = format!("steps.{}.config", kind.step_name());
        match metadata.and_then(|m| m.component(kind, &step.kind)) {
            Some(spec) => fields(&spec.fields, &mut step.config, &path, f),
            None => by_name(&mut step.config, &path, f),
        }
    }
    if let Some(c) = steps.consumer.as_mut() {
        iggy(&mut c.iggy, "steps.consumer.iggy", f);
    }
    if let Some(p) = steps.producer.as_mut() {
        iggy(&mut p.iggy, "steps.producer.iggy", f);
    }
    for (k, v) in config.env.iter_mut() {
        string(v, &format!("env.{k}"), f);
    }
}

fn fields(
    specs: &[FieldSpec],
    config: &mut Map<String, Value>,
    path: &str,
    f: &mut dyn FnMut(&str, &mut Value),
) {
    for spec in specs {
        let Some(v) = config.get_mut(&spec.name) else {
            continue;
        };
        let here = format!("{path}.{}", spec.name);
        if spec.secret {
            f(&here, v);
        } else if spec.field_type == FieldType::Object && !spec.fields.is_empty() {
            match v {
                Value::Object(m) => fields(&spec.fields, m, &here, f),
                Value::Array(items) => {
                    for (i, item) in items.iter_mut().enumerate() {
                        if let Value::Object(m) = item {
                            fields(&spec.fields, m, &format!("{here}[{i}]"), f);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn by_name(config: &mut Map<String, Value>, path: &str, f: &mut dyn FnMut(&str, &mut Value)) {
    for (k, v) in config.iter_mut() {
        let here = format!("{path}.{k}");
        if is_secret_name(k) {
            f(&here, v);
        } else if let Value::Object(m) = v {
            by_name(m, &here, f);
        }
    }
}

fn iggy(conn: &mut Option<IggyConnection>, path: &str, f: &mut dyn FnMut(&str, &mut Value)) {
    if let Some(c) = conn {
        for (name, secret) in [("password", &mut c.password), ("token", &mut c.token)] {
            if let Some(s) = secret {
                string(s, &format!("{path}.{name}"), f);
            }
        }
    }
}

/// A string field seen as a value; written back when `f` leaves a string.
fn string(s: &mut String, path: &str, f: &mut dyn FnMut(&str, &mut Value)) {
    let mut v = Value::String(std::mem::take(s));
    f(path, &mut v);
    *s = match v {
        Value::String(new) => new,
        other => other.to_string(),
    };
}

/// A literal secret: a non-empty string that is neither a reference nor the mask.
fn is_literal(v: &Value) -> bool {
    v.as_str()
        .is_some_and(|s| !s.is_empty() && s != MASK && !is_reference(s))
}

/// Paths of secret fields that hold a literal value instead of `${env:…}` / `${file:…}`
/// (`env` values are literal by nature and not listed).
pub fn literal_secrets(
    config: &ConnectorConfig,
    metadata: Option<&RuntimeMetadata>,
) -> Vec<String> {
    let mut paths = Vec::new();
    for_each_secret(&mut config.clone(), metadata, &mut |path, v| {
        if !path.starts_with("env.") && is_literal(v) {
            paths.push(path.to_string());
        }
    });
    paths
}

/// The config a runtime is started with, without one literal secret: each becomes
/// `${env:CONNECT_SECRET_<n>}` and its value is returned as that variable, for the child's
/// environment only. `env` values become `${env:KEY}` (the child gets `KEY` anyway).
pub fn secrets_to_env(
    config: &ConnectorConfig,
    metadata: Option<&RuntimeMetadata>,
) -> (ConnectorConfig, Vec<(String, String)>) {
    let mut out = config.clone();
    let mut vars = Vec::new();
    for_each_secret(&mut out, metadata, &mut |path, v| {
        if let Some(key) = path.strip_prefix("env.") {
            *v = Value::String(format!("${{env:{key}}}"));
        } else if let Some(s) = v.as_str().filter(|_| is_literal(v)) {
            let name = format!("{SECRET_PREFIX}{}", vars.len() + 1);
            vars.push((name.clone(), s.to_string()));
            *v = Value::String(format!("${{env:{name}}}"));
        }
    });
    (out, vars)
}

/// Replaces every masked secret (`******`, as the API shows them) with the value `stored`
/// holds at the same path; a masked value with nothing stored is an error naming the field.
pub fn restore_masked(
    config: &mut ConnectorConfig,
    stored: Option<&ConnectorConfig>,
    metadata: Option<&RuntimeMetadata>,
) -> Result<(), FieldErrors> {
    let mut kept: BTreeMap<String, Value> = BTreeMap::new();
    if let Some(stored) = stored {
        for_each_secret(&mut stored.clone(), metadata, &mut |path, v| {
            if v.as_str() != Some(MASK) {
                kept.insert(path.to_string(), v.clone());
            }
        });
    }
    let mut errors = FieldErrors::default();
    for_each_secret(config, metadata, &mut |path, v| {
        if v.as_str() != Some(MASK) {
            return;
        }
        match kept.get(path) {
            Some(old) => *v = old.clone(),
            None => errors.push(
                path,
                format!(
                    "`{MASK}` stands for the stored secret, but this connector has no value stored for this field; send the secret itself or a `${{env:NAME}}` / `${{file:/path}}` reference"
                ),
            ),
        }
    });
    errors.into_result(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::decode;

    fn config(yaml: &str) -> ConnectorConfig {
        decode::from_value(crate::yaml::from_str(yaml).unwrap()).unwrap()
    }

    const DOC: &str = "id: a\nruntime: rt\nsteps:\n  source: { type: s, config: { password: hunter2, user: bob } }\n  producer: { stream: x, topic: y, iggy: { password: \"${env:P}\" } }\nenv:\n  KEY: v\n";

    #[test]
    fn literals_are_listed_and_moved_to_the_environment() {
        let c = config(DOC);
        assert_eq!(literal_secrets(&c, None), ["steps.source.config.password"]);
        let (out, vars) = secrets_to_env(&c, None);
        assert_eq!(
            vars,
            [("CONNECT_SECRET_1".to_string(), "hunter2".to_string())]
        );
        let text = serde_json::to_string(&out).unwrap();
        assert!(!text.contains("hunter2"), "{text}");
        assert!(text.contains("${env:CONNECT_SECRET_1}"), "{text}");
        assert!(
            text.contains("${env:KEY}") && !text.contains("\"v\""),
            "{text}"
        );
        assert!(text.contains("${env:P}"), "{text}");
    }

    #[test]
    fn masked_values_keep_the_stored_secret_or_name_the_field() {
        let stored = config(DOC);
        let quoted = format!("\"{MASK}\"");
        let mut sent = config(&DOC.replace("hunter2", &quoted));
        restore_masked(&mut sent, Some(&stored), None).unwrap();
        assert_eq!(sent.steps.source.unwrap().config["password"], "hunter2");
        let mut fresh = config(&DOC.replace("hunter2", &quoted));
        let e = restore_masked(&mut fresh, None, None).unwrap_err();
        assert_eq!(e.0[0].path, "steps.source.config.password");
    }
}
