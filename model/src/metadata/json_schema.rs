//! The JSON Schema (draft 2020-12) of a component's `config`, generated from its `.connect`
//! field definitions: types, kinds, defaults, enums, ranges, regexes, descriptions, and
//! `writeOnly` for secrets. It says what [`super::validate_config`] accepts, so editors and
//! the dashboard can check a config before the agent does.

use serde_json::{Map, Value, json};

use super::component_spec::{ComponentSpec, Constraint, FieldKind, FieldSpec, FieldType};

/// A `${env:NAME}` / `${file:PATH}` secret reference: resolved inside the runtime, so any field
/// may hold one instead of its value.
const SECRET_REFERENCE: &str = r"^\s*\$\{(env|file):[^$]*\}\s*$";
/// What `humantime` reads (`500ms`, `10s`, `1h 30m`), or `0`.
const DURATION: &str = r"^\s*(0|([0-9]+\s*(nsec|ns|usec|us|msec|ms|seconds|second|sec|s|minutes|minute|min|m|hours|hour|hr|h|days|day|d|weeks|week|w|months|month|M|years|year|y)\s*)+)$";

/// The schema of `spec`'s `config` object.
pub fn component_schema(spec: &ComponentSpec) -> Value {
    let mut schema = object_schema(&spec.fields);
    let m = schema.as_object_mut().expect("an object schema");
    m.insert(
        "$schema".into(),
        json!("https://json-schema.org/draft/2020-12/schema"),
    );
    m.insert("title".into(), json!(spec.label));
    if !spec.description.is_empty() {
        m.insert("description".into(), json!(spec.description));
    }
    schema
}

/// An object with exactly these fields; those without a default and not optional are required.
fn object_schema(fields: &[FieldSpec]) -> Value {
    let properties: Map<String, Value> = fields
        .iter()
        .map(|f| (f.name.clone(), field_schema(f)))
        .collect();
    let required: Vec<&str> = fields
        .iter()
        .filter(|f| !f.optional && f.default.is_none())
        .map(|f| f.name.as_str())
        .collect();
    let mut m = Map::new();
    m.insert("type".into(), json!("object"));
    m.insert("properties".into(), Value::Object(properties));
    if !required.is_empty() {
        m.insert("required".into(), json!(required));
    }
    m.insert("additionalProperties".into(), json!(false));
    Value::Object(m)
}

fn field_schema(f: &FieldSpec) -> Value {
    let item =
        json!({ "anyOf": [item_schema(f), { "type": "string", "pattern": SECRET_REFERENCE }] });
    let mut schema = match f.kind {
        FieldKind::Scalar => item,
        FieldKind::List => json!({ "type": "array", "items": item }),
        FieldKind::Map => json!({ "type": "object", "additionalProperties": item }),
    };
    let m = schema.as_object_mut().expect("an object schema");
    m.insert("title".into(), json!(f.label));
    if !f.description.is_empty() {
        m.insert("description".into(), json!(f.description));
    }
    if let Some(d) = &f.default {
        m.insert("default".into(), d.clone());
    }
    if !f.examples.is_empty() {
        m.insert("examples".into(), json!(f.examples));
    }
    if f.secret {
        m.insert("writeOnly".into(), json!(true));
    }
    // An explicit null is taken as absent (the default applies).
    if f.optional || f.default.is_some() {
        schema = json!({ "anyOf": [schema, { "type": "null" }] });
        let title = json!(f.label);
        schema
            .as_object_mut()
            .expect("an object schema")
            .insert("title".into(), title);
    }
    schema
}

/// One value of the field: its type, then every constraint entry.
fn item_schema(f: &FieldSpec) -> Value {
    let base = match f.field_type {
        FieldType::Bool => json!({ "type": "boolean" }),
        FieldType::Int => json!({ "type": "integer" }),
        FieldType::Float => json!({ "type": "number" }),
        FieldType::String | FieldType::Expression | FieldType::Path => {
            json!({ "type": "string" })
        }
        FieldType::Condition | FieldType::Scanner => json!({ "type": ["string", "object"] }),
        FieldType::Duration => json!({ "anyOf": [
            { "type": "string", "pattern": DURATION },
            { "const": 0 }
        ] }),
        FieldType::Object if !f.fields.is_empty() => object_schema(&f.fields),
        FieldType::Object => json!({ "type": "object" }),
    };
    if f.constraints.is_empty() {
        return base;
    }
    let mut all = vec![base];
    all.extend(
        f.constraints
            .iter()
            .map(|c| constraint_schema(c, f.field_type)),
    );
    json!({ "allOf": all })
}

fn constraint_schema(c: &Constraint, t: FieldType) -> Value {
    let mut m = Map::new();
    if let Some(re) = &c.regex {
        m.insert("pattern".into(), json!(re));
    }
    if let Some(r) = &c.range {
        for (bound, key) in [
            (r.gt, "exclusiveMinimum"),
            (r.gte, "minimum"),
            (r.lt, "exclusiveMaximum"),
            (r.lte, "maximum"),
        ] {
            if let Some(b) = bound {
                m.insert(key.into(), json!(b));
            }
        }
    }
    if let Some(allowed) = &c.allowed {
        m.insert("enum".into(), Value::Array(enum_values(allowed, t)));
    }
    Value::Object(m)
}

/// Synadia's format lists enum values as strings: `"1"` also admits the number 1 and `"true"`
/// the bool, as the validator does.
fn enum_values(allowed: &[Value], t: FieldType) -> Vec<Value> {
    let mut out = Vec::new();
    for a in allowed {
        out.push(a.clone());
        if let Value::String(s) = a {
            let parsed = match t {
                FieldType::Int | FieldType::Float => s.parse::<f64>().ok().map(|n| {
                    if n.fract() == 0.0 && n.abs() < 9e15 {
                        json!(n as i64)
                    } else {
                        json!(n)
                    }
                }),
                FieldType::Bool => s.parse::<bool>().ok().map(Value::Bool),
                _ => None,
            };
            out.extend(parsed);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::component_schema;
    use crate::metadata::ComponentSpec;

    const SPEC: &str = r#"
name: poll
label: Poll
kind: source
status: stable
description: Polls a URL.
fields:
  - { name: url, label: URL, type: string, description: Where to poll., constraints: [{ regex: "^https?://" }] }
  - { name: every, label: Interval, type: duration, default: 5s }
  - { name: retries, label: Retries, type: int, default: 3, constraints: [{ range: { gte: 0, lt: 10 } }] }
  - { name: mode, label: Mode, type: string, optional: true, constraints: [{ enum: [fast, slow] }] }
  - { name: level, label: Level, type: int, optional: true, constraints: [{ enum: ["1", "2"] }] }
  - { name: token, label: Token, type: string, optional: true, secret: true }
  - { name: tags, label: Tags, type: string, kind: list, optional: true }
  - name: auth
    label: Auth
    type: object
    optional: true
    fields: [{ name: user, label: User, type: string }]
"#;

    #[test]
    fn carries_types_defaults_enums_ranges_patterns_and_secrets() {
        let spec: ComponentSpec = crate::yaml::from_str(SPEC).unwrap();
        let s = component_schema(&spec);
        assert_eq!(s["type"], "object");
        assert_eq!(s["additionalProperties"], false);
        assert_eq!(s["required"], json!(["url"]));
        assert_eq!(s["title"], "Poll");
        let p = &s["properties"];
        assert_eq!(p["url"]["description"], "Where to poll.");
        let url = &p["url"]["anyOf"][0]["allOf"];
        assert_eq!(url[0]["type"], "string");
        assert_eq!(url[1]["pattern"], "^https?://");
        assert_eq!(p["every"]["anyOf"][0]["default"], "5s");
        let retries = &p["retries"]["anyOf"][0]["anyOf"][0]["allOf"];
        assert_eq!(retries[1]["minimum"], 0.0);
        assert_eq!(retries[1]["exclusiveMaximum"], 10.0);
        let mode = &p["mode"]["anyOf"][0]["anyOf"][0]["allOf"][1]["enum"];
        assert_eq!(*mode, json!(["fast", "slow"]));
        let level = &p["level"]["anyOf"][0]["anyOf"][0]["allOf"][1]["enum"];
        assert_eq!(*level, json!(["1", 1, "2", 2]));
        assert_eq!(p["token"]["anyOf"][0]["writeOnly"], true);
        assert_eq!(p["tags"]["anyOf"][0]["type"], "array");
        let auth = &p["auth"]["anyOf"][0]["anyOf"][0];
        assert_eq!(auth["required"], json!(["user"]));
        assert_eq!(auth["additionalProperties"], false);
    }

    #[test]
    fn the_duration_and_reference_patterns_agree_with_the_parsers() {
        let duration = regex::Regex::new(super::DURATION).unwrap();
        for text in [
            "0",
            "500ms",
            "10s",
            "1m",
            "1h 30m",
            "2days",
            "1h30m",
            "x",
            "10",
            "5 parsecs",
            "",
        ] {
            assert_eq!(
                duration.is_match(text),
                crate::document::duration::parse(text).is_ok(),
                "`{text}`"
            );
        }
        let reference = regex::Regex::new(super::SECRET_REFERENCE).unwrap();
        for text in [
            "${env:TOKEN}",
            "${file:/run/secrets/t}",
            "${vault:x}",
            "a${env:X}",
            "${env:X}${env:Y}",
        ] {
            assert_eq!(
                reference.is_match(text),
                crate::contract::secret_ref::is_reference(text),
                "`{text}`"
            );
        }
    }
}
