//! `.connect/sources/*.yml` and `.connect/sinks/*.yml`: a component and the fields of its config.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::validation::FieldErrors;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_version: Option<String>,
    pub name: String,
    pub label: String,
    pub kind: SpecKind,
    pub status: Status,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
}

/// Component kinds of the format; `scanner` is read for compatibility and never run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpecKind {
    Source,
    Sink,
    Scanner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Stable,
    Preview,
    Experimental,
    Deprecated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldType {
    Bool,
    Int,
    Float,
    String,
    Duration,
    Object,
    Expression,
    Condition,
    Scanner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    #[default]
    Scalar,
    List,
    Map,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    pub name: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    #[serde(default)]
    pub kind: FieldKind,
    /// Dotted path of the field in the resulting config (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    #[serde(default)]
    pub optional: bool,
    #[serde(default)]
    pub secret: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub examples: Vec<Value>,
    /// Fields of an `object` field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldSpec>,
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "one_or_many"
    )]
    pub constraints: Vec<Constraint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub render_hint: Option<String>,
}

/// One rule on a value; a constraint entry may combine several.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<Range>,
    #[serde(default, rename = "enum", skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<Value>>,
    /// A named rule of the Synadia format; read and kept, not enforced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gt: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gte: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lt: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lte: Option<f64>,
}

fn one_or_many<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Constraint>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Many(Vec<Constraint>),
        One(Constraint),
    }
    Ok(match Raw::deserialize(d)? {
        Raw::Many(v) => v,
        Raw::One(c) => vec![c],
    })
}

impl ComponentSpec {
    /// Checks the definition itself: names, regexes, and that defaults and examples fit their fields.
    pub(crate) fn validate(&self) -> FieldErrors {
        let mut errors = FieldErrors::default();
        if self.name.is_empty()
            || !self
                .name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            errors.push("name", "use letters, digits and `_` only");
        }
        validate_fields(&self.fields, "fields", &mut errors);
        errors
    }

    /// The field with this name at the top level.
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }
}

fn validate_fields(fields: &[FieldSpec], path: &str, errors: &mut FieldErrors) {
    let mut seen = std::collections::HashSet::new();
    for (i, f) in fields.iter().enumerate() {
        let fpath = format!("{path}[{i}]");
        if !seen.insert(f.name.as_str()) {
            errors.push(
                format!("{fpath}.name"),
                format!("duplicate field name `{}`", f.name),
            );
        }
        for (j, c) in f.constraints.iter().enumerate() {
            if let Some(re) = &c.regex
                && let Err(e) = regex::Regex::new(re)
            {
                errors.push(
                    format!("{fpath}.constraints[{j}].regex"),
                    format!("invalid regex: {e}"),
                );
            }
        }
        if !f.fields.is_empty() && f.field_type != FieldType::Object {
            errors.push(
                format!("{fpath}.fields"),
                "only fields of type object have nested fields",
            );
        }
        if let Some(d) = &f.default {
            let mut e = FieldErrors::default();
            super::config_validator::check_value(f, d, "", &mut e);
            errors.extend_prefixed(&format!("{fpath}.default"), e);
        }
        for (j, ex) in f.examples.iter().enumerate() {
            // Examples of scalar fields are whole values; lists and maps often show one item.
            let mut e = FieldErrors::default();
            super::config_validator::check_value(f, ex, "", &mut e);
            let mut one = FieldErrors::default();
            super::config_validator::check_item(f, ex, "", &mut one);
            if !e.is_empty() && !one.is_empty() {
                errors.extend_prefixed(&format!("{fpath}.examples[{j}]"), e);
            }
        }
        validate_fields(&f.fields, &format!("{fpath}.fields"), errors);
    }
}
