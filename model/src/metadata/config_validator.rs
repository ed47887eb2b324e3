//! Checks a component's `config` against its field definitions: types, required fields,
//! defaults, constraints and unknown keys, reporting every problem at once.

use serde_json::{Map, Value};

use super::component_spec::{Constraint, FieldKind, FieldSpec, FieldType};
use crate::validation::{FieldErrors, join_path};

/// Validates `config` and returns it with defaults filled in, or every error found.
/// `path` prefixes error paths (`steps.source.config`).
pub fn validate_config(
    fields: &[FieldSpec],
    config: &Map<String, Value>,
    path: &str,
) -> Result<Map<String, Value>, FieldErrors> {
    let mut errors = FieldErrors::default();
    let filled = check_object(fields, config, path, &mut errors);
    errors.into_result(filled)
}

fn check_object(
    fields: &[FieldSpec],
    config: &Map<String, Value>,
    path: &str,
    errors: &mut FieldErrors,
) -> Map<String, Value> {
    let mut out = Map::new();
    for key in config.keys() {
        if !fields.iter().any(|f| &f.name == key) {
            let known: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
            let hint = if known.is_empty() {
                "this component takes no settings".to_string()
            } else {
                format!("expected one of: {}", known.join(", "))
            };
            errors.push(join_path(path, key), format!("unknown field; {hint}"));
        }
    }
    for f in fields {
        let fpath = join_path(path, &f.name);
        match config.get(&f.name) {
            Some(Value::Null) | None => {
                if let Some(d) = &f.default {
                    out.insert(f.name.clone(), d.clone());
                } else if !f.optional {
                    errors.push(
                        fpath,
                        format!("required field is missing ({})", describe(f)),
                    );
                }
            }
            Some(v) => {
                out.insert(f.name.clone(), check_value(f, v, &fpath, errors));
            }
        }
    }
    out
}

fn describe(f: &FieldSpec) -> String {
    let t = format!("{:?}", f.field_type).to_lowercase();
    match f.kind {
        FieldKind::Scalar => t,
        FieldKind::List => format!("a list of {t}"),
        FieldKind::Map => format!("a map of {t}"),
    }
}

/// Checks one value of a field by its kind; returns it with nested defaults filled in.
pub(crate) fn check_value(f: &FieldSpec, v: &Value, path: &str, errors: &mut FieldErrors) -> Value {
    match (f.kind, v) {
        (FieldKind::Scalar, _) => check_item(f, v, path, errors),
        (FieldKind::List, Value::Array(items)) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| check_item(f, item, &format!("{path}[{i}]"), errors))
                .collect(),
        ),
        (FieldKind::Map, Value::Object(m)) => Value::Object(
            m.iter()
                .map(|(k, item)| (k.clone(), check_item(f, item, &join_path(path, k), errors)))
                .collect(),
        ),
        (_, other) => {
            errors.push(
                path.to_string(),
                format!("expected {}, got {}", describe(f), kind_of(other)),
            );
            other.clone()
        }
    }
}

/// Checks one scalar item against the field's type and constraints.
pub(crate) fn check_item(f: &FieldSpec, v: &Value, path: &str, errors: &mut FieldErrors) -> Value {
    // A secret reference is resolved inside the runtime; its final value is checked there.
    if let Value::String(s) = v
        && crate::contract::secret_ref::is_reference(s)
    {
        return v.clone();
    }
    let type_ok = match f.field_type {
        FieldType::Bool => v.is_boolean(),
        FieldType::Int => v.is_i64() || v.is_u64(),
        FieldType::Float => v.is_number(),
        FieldType::String | FieldType::Expression | FieldType::Path => v.is_string(),
        FieldType::Condition => v.is_string() || v.is_object(),
        FieldType::Scanner => v.is_object() || v.is_string(),
        FieldType::Duration => match v {
            Value::String(s) => match crate::document::duration::parse(s) {
                Ok(_) => true,
                Err(e) => {
                    errors.push(path.to_string(), e);
                    return v.clone();
                }
            },
            Value::Number(n) => n.as_u64() == Some(0),
            _ => false,
        },
        FieldType::Object => v.is_object(),
    };
    if !type_ok {
        let want = format!("{:?}", f.field_type).to_lowercase();
        errors.push(
            path.to_string(),
            format!("expected {want}, got {}", kind_of(v)),
        );
        return v.clone();
    }
    for c in &f.constraints {
        check_constraint(c, v, path, errors);
    }
    match (f.field_type, v) {
        (FieldType::Object, Value::Object(m)) if !f.fields.is_empty() => {
            Value::Object(check_object(&f.fields, m, path, errors))
        }
        _ => v.clone(),
    }
}

fn check_constraint(c: &Constraint, v: &Value, path: &str, errors: &mut FieldErrors) {
    if let (Some(re), Value::String(s)) = (&c.regex, v) {
        // An invalid regex is reported when the definition is loaded.
        if let Ok(compiled) = regex::Regex::new(re)
            && !compiled.is_match(s)
        {
            errors.push(
                path.to_string(),
                format!("`{s}` does not match the pattern `{re}`"),
            );
        }
    }
    if let (Some(r), Some(n)) = (&c.range, v.as_f64()) {
        let checks = [
            (r.gt, n > r.gt.unwrap_or(f64::MIN), "greater than"),
            (r.gte, n >= r.gte.unwrap_or(f64::MIN), "at least"),
            (r.lt, n < r.lt.unwrap_or(f64::MAX), "less than"),
            (r.lte, n <= r.lte.unwrap_or(f64::MAX), "at most"),
        ];
        for (bound, ok, words) in checks {
            if let Some(b) = bound
                && !ok
            {
                errors.push(path.to_string(), format!("must be {words} {b}, got {n}"));
            }
        }
    }
    if let Some(allowed) = &c.allowed {
        let hit = allowed.iter().any(|a| enum_matches(a, v));
        if !hit {
            let list: Vec<_> = allowed
                .iter()
                .map(|a| {
                    a.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| a.to_string())
                })
                .collect();
            errors.push(
                path.to_string(),
                format!("must be one of: {}", list.join(", ")),
            );
        }
    }
}

/// Synadia's format lists enum values as strings; `"1"` admits the number 1 and `"true"` the bool.
fn enum_matches(allowed: &Value, v: &Value) -> bool {
    match (allowed, v) {
        (Value::String(a), Value::Number(n)) => a.parse::<f64>().ok() == n.as_f64(),
        (Value::String(a), Value::Bool(b)) => a.parse::<bool>().ok() == Some(*b),
        _ => allowed == v,
    }
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(n) if n.is_f64() => "a float",
        Value::Number(_) => "an int",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}
