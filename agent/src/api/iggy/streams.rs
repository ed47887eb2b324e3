//! Iggy's `[[streams]]` as connect's `consumer` (a sink's, one per topic) and `producer` (a
//! source's) steps, with what connect has no counterpart for named by field.

use connect_model::document::duration;
use serde_json::{Value, json};

use super::translate::{Findings, IggyKind};

/// `[[streams]]` as `consumer` (sinks, one per topic) or `producer` (sources) steps, each
/// with the suffix its connector id gets when there are several.
pub(super) fn steps(
    kind: IggyKind,
    key: &str,
    streams: Option<&Value>,
    found: &mut Findings,
) -> Vec<(Option<String>, Value)> {
    let list = streams
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if list.is_empty() {
        found.invalid("streams", "give at least one [[streams]] entry");
    }
    let known: &[&str] = match kind {
        IggyKind::Sink => &[
            "stream",
            "topics",
            "schema",
            "avro_schema_json",
            "avro_schema_path",
            "batch_length",
            "poll_interval",
            "consumer_group",
        ],
        IggyKind::Source => &[
            "stream",
            "topic",
            "schema",
            "avro_schema_json",
            "avro_schema_path",
            "batch_length",
            "linger_time",
        ],
    };
    let several_streams = list.len() > 1;
    let mut out = Vec::new();
    for (i, s) in list.iter().enumerate() {
        let at = format!("streams[{i}]");
        let Some(s) = s.as_object() else {
            found.invalid(&at, "must be a table");
            continue;
        };
        for k in s.keys().filter(|k| !known.contains(&k.as_str())) {
            found.missing(&format!("{at}.{k}"), "not a field of an Iggy stream config");
        }
        match s.get("schema").and_then(Value::as_str) {
            None | Some("json" | "raw" | "text") => {}
            Some(other) => found.missing(
                &format!("{at}.schema"),
                &format!("connect passes payloads as they are (JSON transforms apply to JSON objects); `{other}` decoding has no counterpart"),
            ),
        }
        for k in ["avro_schema_json", "avro_schema_path"] {
            if s.get(k).is_some_and(|v| !v.is_null()) {
                found.missing(&format!("{at}.{k}"), "connect does not decode Avro");
            }
        }
        let Some(stream) = s.get("stream").and_then(Value::as_str) else {
            found.invalid(&format!("{at}.stream"), "missing or not a string");
            continue;
        };
        let mut step = json!({ "stream": stream });
        if let Some(n) = s.get("batch_length").filter(|v| !v.is_null()) {
            step["batch_length"] = n.clone();
        }
        let duration_field = match kind {
            IggyKind::Sink => ("poll_interval", "poll_interval"),
            IggyKind::Source => ("linger_time", "linger"),
        };
        if let Some(d) = s.get(duration_field.0).filter(|v| !v.is_null()) {
            match d.as_str().map(duration::parse) {
                Some(Ok(d)) => step[duration_field.1] = json!(duration::format(d)),
                _ => found.invalid(
                    &format!("{at}.{}", duration_field.0),
                    "not a duration like 5ms or 1s",
                ),
            }
        }
        let suffix = |topic: &str| {
            if several_streams {
                format!("{stream}-{topic}")
            } else {
                topic.to_string()
            }
        };
        match kind {
            IggyKind::Sink => {
                let group = match s.get("consumer_group").and_then(Value::as_str) {
                    Some(g) => g.to_string(),
                    None => {
                        found.remark(format!(
                            "{at}.consumer_group: not given; connect uses `{key}` (a consumer group is required)"
                        ));
                        key.to_string()
                    }
                };
                step["consumer_group"] = json!(group);
                let topics: Vec<&str> = s
                    .get("topics")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                if topics.is_empty() {
                    found.invalid(&format!("{at}.topics"), "give at least one topic");
                }
                for t in topics {
                    let mut step = step.clone();
                    step["topic"] = json!(t);
                    out.push((Some(suffix(t)), step));
                }
            }
            IggyKind::Source => {
                let Some(t) = s.get("topic").and_then(Value::as_str) else {
                    found.invalid(&format!("{at}.topic"), "missing or not a string");
                    continue;
                };
                step["topic"] = json!(t);
                out.push((Some(suffix(t)), step));
            }
        }
    }
    out
}
