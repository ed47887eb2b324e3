//! Checks a component definition itself: names, regexes, nesting, and that every default and
//! example fits its own field (with the same rules that check connector configs).

use super::component_spec::{ComponentSpec, FieldSpec, FieldType};
use super::config_validator::{check_item, check_value};
use crate::validation::FieldErrors;

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
            check_value(f, d, "", &mut e);
            errors.extend_prefixed(&format!("{fpath}.default"), e);
        }
        for (j, ex) in f.examples.iter().enumerate() {
            // Examples of scalar fields are whole values; lists and maps often show one item.
            let mut e = FieldErrors::default();
            check_value(f, ex, "", &mut e);
            let mut one = FieldErrors::default();
            check_item(f, ex, "", &mut one);
            if !e.is_empty() && !one.is_empty() {
                errors.extend_prefixed(&format!("{fpath}.examples[{j}]"), e);
            }
        }
        validate_fields(&f.fields, &format!("{fpath}.fields"), errors);
    }
}
