//! Filter conditions compiled once (field paths split, regexes built) and evaluated per message.

use regex::Regex;
use serde_json::{Map, Value};

use super::path::FieldPath;
use crate::document::transform::Condition;
use crate::validation::FieldErrors;

#[derive(Debug, Clone)]
pub(crate) enum Compiled {
    Equals(FieldPath, Value),
    NotEquals(FieldPath, Value),
    Exists(FieldPath),
    Matches(FieldPath, Regex),
    GreaterThan(FieldPath, f64),
    LessThan(FieldPath, f64),
    And(Vec<Compiled>),
    Or(Vec<Compiled>),
    Not(Box<Compiled>),
}

impl Compiled {
    /// Compiles `condition` (at document path `path`); problems go to `errors`.
    pub(crate) fn new(condition: &Condition, path: &str, errors: &mut FieldErrors) -> Self {
        match condition {
            Condition::Equals(f) => Self::Equals(FieldPath::parse(&f.field), f.value.clone()),
            Condition::NotEquals(f) => Self::NotEquals(FieldPath::parse(&f.field), f.value.clone()),
            Condition::Exists(f) => Self::Exists(FieldPath::parse(&f.field)),
            Condition::Matches(f) => {
                let regex = Regex::new(&f.regex).unwrap_or_else(|e| {
                    errors.push(
                        format!("{path}.matches.regex"),
                        format!("invalid regex: {e}"),
                    );
                    Regex::new("$^").expect("a valid regex")
                });
                Self::Matches(FieldPath::parse(&f.field), regex)
            }
            Condition::GreaterThan(f) => Self::GreaterThan(FieldPath::parse(&f.field), f.value),
            Condition::LessThan(f) => Self::LessThan(FieldPath::parse(&f.field), f.value),
            Condition::And(list) => Self::And(compile_all(list, &format!("{path}.and"), errors)),
            Condition::Or(list) => Self::Or(compile_all(list, &format!("{path}.or"), errors)),
            Condition::Not(c) => Self::Not(Box::new(Self::new(c, &format!("{path}.not"), errors))),
        }
    }

    /// Whether `object` satisfies the condition. A missing field never equals, matches or
    /// compares; `not_equals` holds for it.
    pub(crate) fn eval(&self, object: &Map<String, Value>) -> bool {
        match self {
            Self::Equals(p, v) => p.get(object).is_some_and(|f| same(f, v)),
            Self::NotEquals(p, v) => !p.get(object).is_some_and(|f| same(f, v)),
            Self::Exists(p) => p.get(object).is_some(),
            Self::Matches(p, r) => p
                .get(object)
                .and_then(Value::as_str)
                .is_some_and(|s| r.is_match(s)),
            Self::GreaterThan(p, n) => p
                .get(object)
                .and_then(Value::as_f64)
                .is_some_and(|f| f > *n),
            Self::LessThan(p, n) => p
                .get(object)
                .and_then(Value::as_f64)
                .is_some_and(|f| f < *n),
            Self::And(list) => list.iter().all(|c| c.eval(object)),
            Self::Or(list) => list.iter().any(|c| c.eval(object)),
            Self::Not(c) => !c.eval(object),
        }
    }
}

fn compile_all(list: &[Condition], path: &str, errors: &mut FieldErrors) -> Vec<Compiled> {
    list.iter()
        .enumerate()
        .map(|(i, c)| Compiled::new(c, &format!("{path}[{i}]"), errors))
        .collect()
}

/// JSON equality where numbers compare by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x == y || x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn eval(condition: Value, message: Value) -> bool {
        let condition: Condition = serde_json::from_value(condition).unwrap();
        let mut errors = FieldErrors::default();
        let compiled = Compiled::new(&condition, "condition", &mut errors);
        assert!(errors.is_empty(), "{errors:?}");
        compiled.eval(message.as_object().unwrap())
    }

    #[test]
    fn equals_compares_values_and_numbers_by_value() {
        let m = json!({"user": {"id": 7, "name": "ann"}});
        assert!(eval(
            json!({"equals": {"field": "user.id", "value": 7}}),
            m.clone()
        ));
        assert!(eval(
            json!({"equals": {"field": "user.id", "value": 7.0}}),
            m.clone()
        ));
        assert!(!eval(
            json!({"equals": {"field": "user.id", "value": "7"}}),
            m.clone()
        ));
        assert!(!eval(
            json!({"equals": {"field": "user.missing", "value": 7}}),
            m
        ));
    }

    #[test]
    fn not_equals_holds_for_other_values_and_missing_fields() {
        let m = json!({"level": "info"});
        assert!(!eval(
            json!({"not_equals": {"field": "level", "value": "info"}}),
            m.clone()
        ));
        assert!(eval(
            json!({"not_equals": {"field": "level", "value": "error"}}),
            m.clone()
        ));
        assert!(eval(
            json!({"not_equals": {"field": "other", "value": "info"}}),
            m
        ));
    }

    #[test]
    fn exists_sees_present_keys_even_when_null() {
        let m = json!({"a": {"b": null}});
        assert!(eval(json!({"exists": {"field": "a.b"}}), m.clone()));
        assert!(!eval(json!({"exists": {"field": "a.c"}}), m));
    }

    #[test]
    fn matches_applies_the_regex_to_strings_only() {
        let m = json!({"email": "ann@example.com", "n": 5});
        assert!(eval(
            json!({"matches": {"field": "email", "regex": "@example\\.com$"}}),
            m.clone()
        ));
        assert!(!eval(
            json!({"matches": {"field": "email", "regex": "^bob"}}),
            m.clone()
        ));
        assert!(!eval(json!({"matches": {"field": "n", "regex": "5"}}), m));
    }

    #[test]
    fn greater_and_less_than_compare_numbers_only() {
        let m = json!({"t": 20.5, "s": "30"});
        assert!(eval(
            json!({"greater_than": {"field": "t", "value": 20}}),
            m.clone()
        ));
        assert!(!eval(
            json!({"greater_than": {"field": "t", "value": 20.5}}),
            m.clone()
        ));
        assert!(eval(
            json!({"less_than": {"field": "t", "value": 21}}),
            m.clone()
        ));
        assert!(!eval(
            json!({"less_than": {"field": "t", "value": 20}}),
            m.clone()
        ));
        assert!(!eval(
            json!({"greater_than": {"field": "s", "value": 1}}),
            m
        ));
    }

    #[test]
    fn and_or_not_combine() {
        let m = json!({"a": 1, "b": 2});
        let a1 = json!({"equals": {"field": "a", "value": 1}});
        let b3 = json!({"equals": {"field": "b", "value": 3}});
        assert!(!eval(json!({"and": [a1, b3]}), m.clone()));
        assert!(eval(json!({"and": [a1, {"not": b3}]}), m.clone()));
        assert!(eval(json!({"or": [b3, a1]}), m.clone()));
        assert!(!eval(json!({"or": [b3]}), m.clone()));
        assert!(!eval(json!({"not": a1}), m));
    }

    #[test]
    fn an_invalid_regex_is_a_field_error() {
        let condition: Condition =
            serde_json::from_value(json!({"matches": {"field": "a", "regex": "("}})).unwrap();
        let mut errors = FieldErrors::default();
        Compiled::new(&condition, "c", &mut errors);
        assert_eq!(errors.0[0].path, "c.matches.regex");
    }
}
