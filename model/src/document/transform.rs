//! The `transformer` list: the configuration of each transform type and of filter conditions.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::validation::FieldErrors;

/// One entry of `steps.transformer`, written `- <type>: { ... }`; a type may repeat.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum TransformStep {
    Filter(FilterConfig),
    AddFields(AddFieldsConfig),
    DeleteFields(DeleteFieldsConfig),
    UpdateFields(UpdateFieldsConfig),
    FilterFields(FilterFieldsConfig),
    RenameFields(RenameFieldsConfig),
    Jq(super::jq::JqConfig),
}

impl TransformStep {
    /// The type name as written in the document.
    pub fn type_name(&self) -> &'static str {
        match self {
            Self::Filter(_) => "filter",
            Self::AddFields(_) => "add_fields",
            Self::DeleteFields(_) => "delete_fields",
            Self::UpdateFields(_) => "update_fields",
            Self::FilterFields(_) => "filter_fields",
            Self::RenameFields(_) => "rename_fields",
            Self::Jq(_) => "jq",
        }
    }

    pub(crate) fn validate(&self, path: &str, errors: &mut FieldErrors) {
        let path = format!("{path}.{}", self.type_name());
        match self {
            Self::Filter(c) => c.condition.validate(&format!("{path}.condition"), errors),
            Self::AddFields(c) => {
                non_empty(c.fields.len(), &format!("{path}.fields"), errors);
                for (i, f) in c.fields.iter().enumerate() {
                    f.validate(&format!("{path}.fields[{i}]"), errors);
                }
            }
            Self::DeleteFields(c) => {
                non_empty(c.fields.len(), &format!("{path}.fields"), errors);
                for (i, f) in c.fields.iter().enumerate() {
                    check_field_path(f, &format!("{path}.fields[{i}]"), errors);
                }
            }
            Self::UpdateFields(c) => {
                non_empty(c.fields.len(), &format!("{path}.fields"), errors);
                for (i, f) in c.fields.iter().enumerate() {
                    f.validate(&format!("{path}.fields[{i}]"), errors);
                }
            }
            Self::FilterFields(c) => {
                if c.keep.is_empty() && c.patterns.is_empty() {
                    errors.push(path.clone(), "give at least one of keep or patterns");
                }
                for (i, p) in c.patterns.iter().enumerate() {
                    check_regex(p, &format!("{path}.patterns[{i}]"), errors);
                }
            }
            Self::RenameFields(c) => {
                non_empty(c.fields.len(), &format!("{path}.fields"), errors);
                for (i, f) in c.fields.iter().enumerate() {
                    check_field_path(&f.from, &format!("{path}.fields[{i}].from"), errors);
                    check_field_path(&f.to, &format!("{path}.fields[{i}].to"), errors);
                }
            }
            Self::Jq(c) => c.validate(&path, errors),
        }
    }
}

fn non_empty(len: usize, path: &str, errors: &mut FieldErrors) {
    if len == 0 {
        errors.push(path.to_string(), "must list at least one field");
    }
}

fn check_field_path(field: &str, path: &str, errors: &mut FieldErrors) {
    if field.is_empty() || field.split('.').any(str::is_empty) {
        errors.push(
            path.to_string(),
            format!("`{field}` is not a field path like `a` or `a.b`"),
        );
    }
}

fn check_regex(pattern: &str, path: &str, errors: &mut FieldErrors) {
    if let Err(e) = regex::Regex::new(pattern) {
        errors.push(path.to_string(), format!("invalid regex: {e}"));
    }
}

/// Keeps (or drops) whole messages by a condition on their JSON fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterConfig {
    pub condition: Condition,
    /// `keep` passes matching messages on (the default); `drop` discards them.
    #[serde(default)]
    pub action: FilterAction,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum FilterAction {
    #[default]
    Keep,
    Drop,
}

/// A predicate on a JSON message; field paths are dotted (`user.id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Condition {
    Equals(FieldValue),
    NotEquals(FieldValue),
    Exists(FieldRef),
    Matches(FieldRegex),
    GreaterThan(FieldNumber),
    LessThan(FieldNumber),
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
}

impl Condition {
    fn validate(&self, path: &str, errors: &mut FieldErrors) {
        match self {
            Self::Equals(f) => check_field_path(&f.field, &format!("{path}.equals.field"), errors),
            Self::NotEquals(f) => {
                check_field_path(&f.field, &format!("{path}.not_equals.field"), errors)
            }
            Self::Exists(f) => check_field_path(&f.field, &format!("{path}.exists.field"), errors),
            Self::Matches(f) => {
                check_field_path(&f.field, &format!("{path}.matches.field"), errors);
                check_regex(&f.regex, &format!("{path}.matches.regex"), errors);
            }
            Self::GreaterThan(f) => {
                check_field_path(&f.field, &format!("{path}.greater_than.field"), errors)
            }
            Self::LessThan(f) => {
                check_field_path(&f.field, &format!("{path}.less_than.field"), errors)
            }
            Self::And(list) | Self::Or(list) => {
                let op = if matches!(self, Self::And(_)) {
                    "and"
                } else {
                    "or"
                };
                if list.is_empty() {
                    errors.push(format!("{path}.{op}"), "must hold at least one condition");
                }
                for (i, c) in list.iter().enumerate() {
                    c.validate(&format!("{path}.{op}[{i}]"), errors);
                }
            }
            Self::Not(c) => c.validate(&format!("{path}.not"), errors),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldValue {
    pub field: String,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldRef {
    pub field: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldRegex {
    pub field: String,
    pub regex: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldNumber {
    pub field: String,
    pub value: f64,
}

/// A value computed per message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Computed {
    /// Milliseconds since the Unix epoch.
    TimestampMs,
    /// RFC 3339 UTC timestamp.
    TimestampRfc3339,
    /// A random UUID v4.
    Uuid,
}

/// A field to set: exactly one of a static `value` or a `computed` one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FieldAssignment {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub computed: Option<Computed>,
}

impl FieldAssignment {
    fn validate(&self, path: &str, errors: &mut FieldErrors) {
        check_field_path(&self.name, &format!("{path}.name"), errors);
        if self.value.is_some() == self.computed.is_some() {
            errors.push(path.to_string(), "give exactly one of value or computed");
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddFieldsConfig {
    pub fields: Vec<FieldAssignment>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteFieldsConfig {
    pub fields: Vec<String>,
}

/// When `update_fields` applies an assignment.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum UpdateCondition {
    #[default]
    Always,
    KeyExists,
    KeyNotExists,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFieldsConfig {
    pub fields: Vec<FieldAssignment>,
    #[serde(default)]
    pub condition: UpdateCondition,
}

/// Keeps only the top-level keys named in `keep` or matching one of `patterns`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterFieldsConfig {
    #[serde(default)]
    pub keep: Vec<String>,
    #[serde(default)]
    pub patterns: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rename {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RenameFieldsConfig {
    pub fields: Vec<Rename>,
}
