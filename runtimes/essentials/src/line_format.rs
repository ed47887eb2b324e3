//! How the stdout and file sinks turn a message into one line: the payload as it is, or a
//! JSON object with the payload, headers and metadata.

use connect_runtime_sdk::Message;
use connect_runtime_sdk::component::Origin;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum LineFormat {
    Payload,
    Json,
}

impl LineFormat {
    /// Why `message` cannot be written as one line in this format, if it cannot: a raw payload
    /// holding a newline would become two lines.
    pub(crate) fn unencodable(self, message: &Message) -> Option<&'static str> {
        (self == Self::Payload && memchr::memchr(b'\n', &message.payload).is_some()).then_some(
            "the payload holds a newline and format: payload writes one message per line; use format: json",
        )
    }

    /// Appends `message` and a newline to `out`.
    pub(crate) fn append(self, message: &Message, out: &mut Vec<u8>) {
        match self {
            Self::Payload => out.extend_from_slice(&message.payload),
            Self::Json => {
                // Writing into a Vec cannot fail.
                let _ = serde_json::to_writer(&mut *out, &json_line(message));
            }
        }
        out.push(b'\n');
    }
}

/// `{"payload", "headers", "key", "timestamp_us", "origin"}`; a payload that is JSON stays JSON.
fn json_line(m: &Message) -> Value {
    let payload = serde_json::from_slice::<Value>(&m.payload)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&m.payload).into_owned()));
    let headers: Map<String, Value> = m
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    let origin = match &m.origin {
        Origin::Source => json!("source"),
        Origin::Iggy { partition, offset } => json!({ "partition": partition, "offset": offset }),
    };
    json!({
        "payload": payload,
        "headers": headers,
        "key": m.key.as_ref().map(|k| String::from_utf8_lossy(k).into_owned()),
        "timestamp_us": m.timestamp_us,
        "origin": origin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(format: LineFormat, m: &Message) -> String {
        let mut out = Vec::new();
        format.append(m, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn payload_format_writes_the_body_and_a_newline() {
        assert_eq!(line(LineFormat::Payload, &Message::new("hello")), "hello\n");
    }

    #[test]
    fn json_format_keeps_json_payloads_and_carries_metadata() {
        let mut m = Message::new(r#"{"a": [1, 2]}"#)
            .with_key("k1")
            .with_header("h", "v");
        m.timestamp_us = 7;
        m.origin = Origin::Iggy {
            partition: 2,
            offset: 9,
        };
        let text = line(LineFormat::Json, &m);
        assert!(
            text.ends_with('\n') && text.matches('\n').count() == 1,
            "{text}"
        );
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            v,
            json!({"payload": {"a": [1, 2]}, "headers": {"h": "v"}, "key": "k1", "timestamp_us": 7, "origin": {"partition": 2, "offset": 9}})
        );
    }

    #[test]
    fn json_format_writes_text_payloads_as_strings_on_one_line() {
        let v: Value =
            serde_json::from_str(&line(LineFormat::Json, &Message::new("two\nlines"))).unwrap();
        assert_eq!(v["payload"], "two\nlines");
        assert_eq!(v["key"], Value::Null);
        assert_eq!(v["origin"], "source");
    }
}
