//! Transforms both ways: the Iggy runtime's map by name (`add_fields`, `delete_fields`,
//! `update_fields`, `filter_fields`, each with `enabled`) and connect's ordered
//! `steps.transformer` list with the same names and mapped fields.

use connect_model::document::TransformStep;
use connect_model::document::transform::{Computed, FieldAssignment, UpdateCondition};
use serde_json::{Map, Value, json};

use super::translate::Findings;

/// Iggy's computed values that connect has, by Iggy name.
const COMPUTED: [(&str, &str); 3] = [
    ("date_time", "timestamp_rfc3339"),
    ("timestamp_millis", "timestamp_ms"),
    ("uuid_v4", "uuid"),
];

fn computed_to_iggy(c: Computed) -> &'static str {
    match c {
        Computed::TimestampRfc3339 => "date_time",
        Computed::TimestampMs => "timestamp_millis",
        Computed::Uuid => "uuid_v4",
    }
}

/// connect's transformer list as Iggy's map by name; `None` when there are none. Iggy holds
/// each type once: repeated `add_fields`, `delete_fields` and `update_fields` are merged in
/// order, any other repeat is shown as `<type>#<n>`; connect-only types keep their own config.
pub(crate) fn to_iggy(list: &[TransformStep]) -> Option<Map<String, Value>> {
    if list.is_empty() {
        return None;
    }
    let mut map = Map::new();
    for step in list {
        let name = step.type_name();
        let (fields, rest) = match step {
            TransformStep::AddFields(c) => (
                Some(c.fields.iter().map(|f| assignment(f, None)).collect()),
                None,
            ),
            TransformStep::UpdateFields(c) => (
                Some(
                    c.fields
                        .iter()
                        .map(|f| assignment(f, Some(c.condition)))
                        .collect(),
                ),
                None,
            ),
            TransformStep::DeleteFields(c) => {
                (Some(c.fields.iter().map(|f| json!(f)).collect()), None)
            }
            TransformStep::FilterFields(c) => (
                None,
                Some(json!({
                    "enabled": true,
                    "keep_fields": c.keep,
                    "patterns": c.patterns.iter().map(|p| json!({"key_pattern": {"regex": p}})).collect::<Vec<_>>(),
                    "include_matching": true,
                })),
            ),
            other => {
                let mut v = serde_json::to_value(other)
                    .ok()
                    .and_then(|v| v.get(name).cloned())
                    .unwrap_or(Value::Null);
                if let Some(o) = v.as_object_mut() {
                    o.insert("enabled".into(), Value::Bool(true));
                }
                (None, Some(v))
            }
        };
        match (fields, rest) {
            (Some(fields), _) => {
                let entry = map
                    .entry(name)
                    .or_insert_with(|| json!({"enabled": true, "fields": []}));
                if let Some(list) = entry.get_mut("fields").and_then(Value::as_array_mut) {
                    list.extend::<Vec<Value>>(fields);
                }
            }
            (None, Some(v)) => {
                let mut key = name.to_string();
                let mut n = 1;
                while map.contains_key(&key) {
                    n += 1;
                    key = format!("{name}#{n}");
                }
                map.insert(key, v);
            }
            (None, None) => {}
        }
    }
    Some(map)
}

fn assignment(f: &FieldAssignment, condition: Option<UpdateCondition>) -> Value {
    let value = match (&f.value, f.computed) {
        (_, Some(c)) => json!({ "computed": computed_to_iggy(c) }),
        (v, None) => json!({ "static": v.clone().unwrap_or(Value::Null) }),
    };
    let mut out = json!({ "key": f.name, "value": value });
    if let Some(c) = condition {
        out["condition"] = serde_json::to_value(c).unwrap_or(Value::Null);
    }
    out
}

/// Iggy's `transforms` map as connect's `steps.transformer` entries (JSON values, decoded with
/// the document); what has no counterpart goes to `found`.
pub(crate) fn from_iggy(transforms: &Value, found: &mut Findings) -> Vec<Value> {
    let mut out = Vec::new();
    let Some(map) = transforms.as_object() else {
        if !transforms.is_null() {
            found.invalid("transforms", "must be a table of transforms by name");
        }
        return out;
    };
    for (name, cfg) in map {
        let path = format!("transforms.{name}");
        let Some(cfg) = cfg.as_object() else {
            found.invalid(&path, "must be a table");
            continue;
        };
        if cfg.get("enabled").and_then(Value::as_bool) == Some(false) {
            found.remark(format!(
                "{path}: disabled (enabled = false), so it is not carried over"
            ));
            continue;
        }
        for key in cfg.keys() {
            let known: &[&str] = match name.as_str() {
                "add_fields" | "delete_fields" | "update_fields" => &["enabled", "fields"],
                "filter_fields" => &["enabled", "keep_fields", "patterns", "include_matching"],
                _ => &[],
            };
            if !known.is_empty() && !known.contains(&key.as_str()) {
                found.missing(&format!("{path}.{key}"), "not a field of this transform");
            }
        }
        let fields = cfg.get("fields").and_then(Value::as_array);
        match name.as_str() {
            "add_fields" => {
                let list = assignments(fields, &path, found, false);
                out.push(json!({ "add_fields": { "fields": list.into_iter().map(|(f, _)| f).collect::<Vec<_>>() } }));
            }
            "update_fields" => {
                // connect has one condition per transform: consecutive fields sharing a
                // condition become one `update_fields`, in order.
                let mut runs: Vec<(String, Vec<Value>)> = Vec::new();
                for (f, cond) in assignments(fields, &path, found, true) {
                    match runs.last_mut() {
                        Some((c, list)) if *c == cond => list.push(f),
                        _ => runs.push((cond, vec![f])),
                    }
                }
                for (cond, list) in runs {
                    out.push(json!({ "update_fields": { "fields": list, "condition": cond } }));
                }
            }
            "delete_fields" => {
                let list: Vec<Value> = fields
                    .into_iter()
                    .flatten()
                    .filter(|f| f.is_string())
                    .cloned()
                    .collect();
                out.push(json!({ "delete_fields": { "fields": list } }));
            }
            "filter_fields" => out.push(filter_fields(cfg, &path, found)),
            "filter" | "rename_fields" => {
                // connect's own types, as GET .../configs shows them: passed through.
                let mut c = cfg.clone();
                c.remove("enabled");
                out.push(Value::Object(Map::from_iter([(
                    name.clone(),
                    Value::Object(c),
                )])));
            }
            other => found.missing(
                &path,
                &format!("connect has no `{other}` transform (it has add_fields, delete_fields, update_fields, filter_fields, filter, rename_fields)"),
            ),
        }
    }
    out
}

/// `[{key, value: {static|computed}, condition?}]` → `[{name, value|computed}]` with the
/// condition name (`always` when absent).
fn assignments(
    fields: Option<&Vec<Value>>,
    path: &str,
    found: &mut Findings,
    with_condition: bool,
) -> Vec<(Value, String)> {
    let mut out = Vec::new();
    for (i, f) in fields.into_iter().flatten().enumerate() {
        let at = format!("{path}.fields[{i}]");
        let Some(key) = f.get("key").and_then(Value::as_str) else {
            found.invalid(&format!("{at}.key"), "missing or not a string");
            continue;
        };
        let value = f.get("value");
        let mut entry = json!({ "name": key });
        if let Some(v) = value.and_then(|v| v.get("static")) {
            entry["value"] = v.clone();
        } else if let Some(c) = value
            .and_then(|v| v.get("computed"))
            .and_then(Value::as_str)
        {
            match COMPUTED.iter().find(|(iggy, _)| *iggy == c) {
                Some((_, ours)) => entry["computed"] = json!(ours),
                None => {
                    found.missing(
                        &format!("{at}.value.computed"),
                        &format!("connect computes timestamp_ms, timestamp_rfc3339 and uuid; `{c}` has no counterpart"),
                    );
                    continue;
                }
            }
        } else {
            found.invalid(
                &format!("{at}.value"),
                "give value.static or value.computed",
            );
            continue;
        }
        let condition = f
            .get("condition")
            .and_then(Value::as_str)
            .unwrap_or("always")
            .to_string();
        if !with_condition && f.get("condition").is_some() {
            found.missing(&format!("{at}.condition"), "add_fields has no condition");
        }
        out.push((entry, condition));
    }
    out
}

fn filter_fields(cfg: &Map<String, Value>, path: &str, found: &mut Findings) -> Value {
    if cfg.get("include_matching").and_then(Value::as_bool) == Some(false) {
        found.missing(
            &format!("{path}.include_matching"),
            "connect's filter_fields keeps matching keys only; drop keys with delete_fields instead",
        );
    }
    let keep = cfg.get("keep_fields").cloned().unwrap_or_else(|| json!([]));
    let mut patterns = Vec::new();
    for (i, p) in cfg
        .get("patterns")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("{path}.patterns[{i}]");
        if p.get("value_pattern").is_some_and(|v| !v.is_null()) {
            found.missing(
                &format!("{at}.value_pattern"),
                "connect's filter_fields matches keys only; use a `filter` transform for values",
            );
        }
        let Some((kind, text)) = p
            .get("key_pattern")
            .and_then(Value::as_object)
            .and_then(|o| o.iter().next())
        else {
            continue;
        };
        let text = text.as_str().unwrap_or_default();
        let regex = match kind.as_str() {
            "exact" => format!("^{}$", escape(text)),
            "starts_with" => format!("^{}", escape(text)),
            "ends_with" => format!("{}$", escape(text)),
            "contains" => escape(text),
            "regex" => text.to_string(),
            other => {
                found.missing(
                    &format!("{at}.key_pattern.{other}"),
                    "not a key pattern (exact, starts_with, ends_with, contains, regex)",
                );
                continue;
            }
        };
        patterns.push(Value::String(regex));
    }
    json!({ "filter_fields": { "keep": keep, "patterns": patterns } })
}

/// `text` as a regex matching it literally.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_iggy_transforms_round_trip_through_connect() {
        let iggy = json!({
            "add_fields": {"enabled": true, "fields": [{"key": "a", "value": {"static": 1}}, {"key": "t", "value": {"computed": "date_time"}}]},
            "delete_fields": {"enabled": true, "fields": ["x"]},
            "filter_fields": {"enabled": true, "keep_fields": ["id"], "patterns": [{"key_pattern": {"starts_with": "user."}}], "include_matching": true},
            "update_fields": {"enabled": true, "fields": [{"key": "b", "value": {"static": "s"}, "condition": "key_exists"}]},
        });
        let mut found = Findings::default();
        let list = from_iggy(&iggy, &mut found);
        assert!(
            found.missing.is_empty() && found.invalid.is_empty(),
            "{found:?}"
        );
        let steps: Vec<TransformStep> = list
            .into_iter()
            .map(|v| serde_json::from_value(v).unwrap())
            .collect();
        assert_eq!(steps.len(), 4);
        let back = Value::Object(to_iggy(&steps).unwrap());
        assert_eq!(back["add_fields"], iggy["add_fields"]);
        assert_eq!(back["delete_fields"], iggy["delete_fields"]);
        assert_eq!(back["update_fields"], iggy["update_fields"]);
        assert_eq!(
            back["filter_fields"]["patterns"][0]["key_pattern"]["regex"],
            "^user\\."
        );
    }

    #[test]
    fn what_connect_lacks_is_named_with_its_path() {
        let iggy = json!({
            "proto_convert": {"enabled": true},
            "add_fields": {"enabled": true, "fields": [{"key": "a", "value": {"computed": "uuid_v7"}}]},
            "filter_fields": {"enabled": true, "patterns": [{"value_pattern": {"equals": 1}}], "include_matching": false},
        });
        let mut found = Findings::default();
        from_iggy(&iggy, &mut found);
        let paths: Vec<&str> = found.missing.iter().map(|m| m.field.as_str()).collect();
        assert_eq!(
            paths,
            [
                "transforms.add_fields.fields[0].value.computed",
                "transforms.filter_fields.include_matching",
                "transforms.filter_fields.patterns[0].value_pattern",
                "transforms.proto_convert",
            ]
        );
    }
}
