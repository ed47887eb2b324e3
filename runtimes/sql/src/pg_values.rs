//! PostgreSQL values in their text form (as pgoutput and the simple query protocol send them)
//! turned into JSON by column type, and a query parameter sent as text so the server parses it
//! with the column's own input function.

use base64::Engine;
use serde_json::{Number, Value};
use tokio_postgres::types::{Format, IsNull, ToSql, Type, to_sql_checked};

/// Type OIDs the conversion knows; anything else becomes a JSON string of its text form.
mod oid {
    pub(super) const BOOL: u32 = 16;
    pub(super) const BYTEA: u32 = 17;
    pub(super) const INT8: u32 = 20;
    pub(super) const INT2: u32 = 21;
    pub(super) const INT4: u32 = 23;
    pub(super) const OID: u32 = 26;
    pub(super) const JSON: u32 = 114;
    pub(super) const FLOAT4: u32 = 700;
    pub(super) const FLOAT8: u32 = 701;
    pub(super) const TIMESTAMP: u32 = 1114;
    pub(super) const TIMESTAMPTZ: u32 = 1184;
    pub(super) const JSONB: u32 = 3802;
}

/// The element type of an array type, for the common array types.
fn element_of(array_oid: u32) -> Option<u32> {
    Some(match array_oid {
        1000 => oid::BOOL,
        1001 => oid::BYTEA,
        1005 => oid::INT2,
        1007 => oid::INT4,
        1016 => oid::INT8,
        1028 => oid::OID,
        199 => oid::JSON,
        3807 => oid::JSONB,
        1021 => oid::FLOAT4,
        1022 => oid::FLOAT8,
        1115 => oid::TIMESTAMP,
        1185 => oid::TIMESTAMPTZ,
        // text, varchar, bpchar, name, numeric, date, time, uuid arrays: elements stay strings.
        1009 | 1015 | 1014 | 1003 | 1231 | 1182 | 1183 | 2951 => 25,
        _ => return None,
    })
}

/// One column value in text form as JSON: integers and floats as numbers, numerics as strings,
/// booleans, timestamps in RFC 3339, json/jsonb as JSON, bytea as base64, arrays as arrays.
pub(crate) fn text_to_json(type_oid: u32, text: &str) -> Value {
    if let Some(element) = element_of(type_oid) {
        return parse_array(text, element).unwrap_or_else(|| Value::String(text.to_string()));
    }
    match type_oid {
        oid::BOOL => Value::Bool(text == "t"),
        oid::INT2 | oid::INT4 | oid::INT8 | oid::OID => text
            .parse::<i64>()
            .map(Value::from)
            .unwrap_or_else(|_| Value::String(text.into())),
        oid::FLOAT4 | oid::FLOAT8 => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Value::Number)
            .unwrap_or_else(|| Value::String(text.into())),
        oid::JSON | oid::JSONB => {
            serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.into()))
        }
        oid::BYTEA => Value::String(bytea_base64(text)),
        oid::TIMESTAMPTZ => Value::String(rfc3339(text, true)),
        oid::TIMESTAMP => Value::String(rfc3339(text, false)),
        _ => Value::String(text.to_string()),
    }
}

/// `\x0a0b` (hex output) as base64; anything else is encoded as it is.
fn bytea_base64(text: &str) -> String {
    let engine = base64::engine::general_purpose::STANDARD;
    let Some(hex) = text.strip_prefix("\\x") else {
        return engine.encode(text.as_bytes());
    };
    let bytes: Option<Vec<u8>> = (0..hex.len() / 2)
        .map(|i| u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok())
        .collect();
    engine.encode(bytes.unwrap_or_default())
}

/// `2024-05-01 10:00:00.5+02` → `2024-05-01T10:00:00.5+02:00`; a timestamp without time zone
/// is taken as UTC (`Z`). Infinity and BC dates stay as PostgreSQL wrote them.
fn rfc3339(text: &str, with_zone: bool) -> String {
    if text.len() < 19 || text.as_bytes().get(10) != Some(&b' ') || text.ends_with("BC") {
        return text.to_string();
    }
    let mut out = format!("{}T{}", &text[..10], &text[11..]);
    if !with_zone {
        out.push('Z');
        return out;
    }
    // The offset is the last `+hh`, `-hh`, `+hh:mm` or `+hh:mm:ss` after the time.
    if let Some(pos) = out[19..].rfind(['+', '-']).map(|p| p + 19) {
        let zone = &out[pos + 1..];
        if zone.len() == 2 {
            out.push_str(":00");
        } else if zone.len() == 8 {
            out.truncate(pos + 6);
        }
    }
    out
}

/// Parses an array literal (`{1,2,NULL}`, `{"a b","c\"d"}`, `{{1,2},{3,4}}`).
fn parse_array(text: &str, element: u32) -> Option<Value> {
    let bytes = text.as_bytes();
    // A lower-bound decoration (`[0:1]={...}`) is dropped.
    let start = text.find('{')?;
    let mut pos = start;
    let v = parse_level(bytes, &mut pos, element)?;
    Some(v)
}

fn parse_level(b: &[u8], pos: &mut usize, element: u32) -> Option<Value> {
    if b.get(*pos) != Some(&b'{') {
        return None;
    }
    *pos += 1;
    let mut items = Vec::new();
    if b.get(*pos) == Some(&b'}') {
        *pos += 1;
        return Some(Value::Array(items));
    }
    loop {
        match b.get(*pos)? {
            b'{' => items.push(parse_level(b, pos, element)?),
            b'"' => {
                *pos += 1;
                let mut s = Vec::new();
                loop {
                    match b.get(*pos)? {
                        b'\\' => {
                            s.push(*b.get(*pos + 1)?);
                            *pos += 2;
                        }
                        b'"' => {
                            *pos += 1;
                            break;
                        }
                        c => {
                            s.push(*c);
                            *pos += 1;
                        }
                    }
                }
                items.push(text_to_json(element, &String::from_utf8_lossy(&s)));
            }
            _ => {
                let end = (*pos..b.len()).find(|&i| b[i] == b',' || b[i] == b'}')?;
                let raw = std::str::from_utf8(&b[*pos..end]).ok()?.trim();
                items.push(if raw.eq_ignore_ascii_case("NULL") {
                    Value::Null
                } else {
                    text_to_json(element, raw)
                });
                *pos = end;
            }
        }
        match b.get(*pos)? {
            b',' => *pos += 1,
            b'}' => {
                *pos += 1;
                return Some(Value::Array(items));
            }
            _ => return None,
        }
    }
}

/// A parameter sent in text format: the server converts it with the parameter type's input
/// function, so one value works for integer, text, timestamp or numeric cursors alike.
#[derive(Debug)]
pub(crate) struct TextParam(pub(crate) String);

impl ToSql for TextParam {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut bytes::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        out.extend_from_slice(self.0.as_bytes());
        Ok(IsNull::No)
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

/// A JSON value as the text a PostgreSQL or MySQL input function accepts: strings as they are,
/// numbers and booleans printed, objects and arrays as JSON; `None` for null.
pub(crate) fn json_to_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "true" } else { "false" }.into()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn scalars_follow_their_types() {
        assert_eq!(text_to_json(oid::INT4, "42"), json!(42));
        assert_eq!(text_to_json(1700, "12.50"), json!("12.50"));
        assert_eq!(text_to_json(oid::BOOL, "f"), json!(false));
        assert_eq!(text_to_json(oid::JSONB, r#"{"a": [1]}"#), json!({"a": [1]}));
        assert_eq!(text_to_json(oid::BYTEA, "\\x00ff"), json!("AP8="));
        assert_eq!(text_to_json(oid::FLOAT8, "NaN"), json!("NaN"));
    }

    #[test]
    fn timestamps_become_rfc3339() {
        assert_eq!(
            text_to_json(oid::TIMESTAMPTZ, "2024-05-01 10:00:00.5+02"),
            json!("2024-05-01T10:00:00.5+02:00")
        );
        assert_eq!(
            text_to_json(oid::TIMESTAMPTZ, "2024-05-01 10:00:00+05:30"),
            json!("2024-05-01T10:00:00+05:30")
        );
        assert_eq!(
            text_to_json(oid::TIMESTAMP, "2024-05-01 10:00:00"),
            json!("2024-05-01T10:00:00Z")
        );
        assert_eq!(
            text_to_json(oid::TIMESTAMPTZ, "infinity"),
            json!("infinity")
        );
    }

    #[test]
    fn arrays_are_parsed_with_quotes_nulls_and_nesting() {
        assert_eq!(text_to_json(1007, "{1,2,NULL}"), json!([1, 2, null]));
        assert_eq!(
            text_to_json(1009, r#"{"a b","c\"d",e}"#),
            json!(["a b", "c\"d", "e"])
        );
        assert_eq!(text_to_json(1007, "{{1,2},{3,4}}"), json!([[1, 2], [3, 4]]));
        assert_eq!(text_to_json(1007, "{}"), json!([]));
    }
}
