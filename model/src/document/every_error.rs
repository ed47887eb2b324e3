//! Every structural problem of a document in one pass. Serde stops at the first error, so the
//! document is repaired where that error points (an unknown key removed, a bad or missing value
//! replaced by a stand-in) and decoded again, until it decodes; complaints about the stand-ins
//! themselves are never shown. The repaired config then goes through the semantic rules too, so
//! a typo in one place never hides a mistake in another.

use std::collections::HashMap;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use serde_path_to_error::{Segment, Segments};

use crate::validation::{FieldErrors, join_path};

/// Values tried in turn where a value is missing or wrong; the first the type accepts stays.
fn stand_in(attempt: usize) -> Option<Value> {
    let candidates = [
        Value::from("x"),
        Value::from(1),
        Value::from(true),
        Value::Object(Map::new()),
        Value::Array(Vec::new()),
        Value::from("1s"),
        Value::Null,
    ];
    candidates.get(attempt).cloned()
}

/// Upper bound of repairs, far above any real document's mistakes.
const MAX_ROUNDS: usize = 500;

/// What decoding found: the value (decoded from the repaired document when there were errors)
/// and every error with its path.
pub(crate) struct Collected<T> {
    pub value: Option<T>,
    pub errors: FieldErrors,
    /// Paths that were repaired: semantic errors under them are consequences, not news.
    pub repaired: Vec<String>,
}

pub(crate) fn deserialize_collecting<T: DeserializeOwned>(mut doc: Value) -> Collected<T> {
    let mut errors = FieldErrors::default();
    let mut repaired: Vec<String> = Vec::new();
    let mut attempts: HashMap<String, usize> = HashMap::new();
    for _ in 0..MAX_ROUNDS {
        let e = match serde_path_to_error::deserialize::<_, T>(doc.clone()) {
            Ok(value) => {
                return Collected {
                    value: Some(value),
                    errors,
                    repaired,
                };
            }
            Err(e) => e,
        };
        let Some(mut parent) = simple_path(e.path().iter()) else {
            break;
        };
        let message = e.into_inner().to_string();
        let (path, repair) = if let Some(key) = quoted_after(&message, "unknown field `") {
            // The path of an unknown key already ends with it.
            let path = parent.clone();
            parent = parent
                .strip_suffix(key.as_str())
                .map(|p| p.strip_suffix('.').unwrap_or(p).to_string())
                .unwrap_or(parent);
            (path, Repair::Remove(key))
        } else if let Some(key) = quoted_after(&message, "missing field `") {
            let path = join_path(&parent, &key);
            (path, Repair::Insert(key))
        } else if let Some(variant) = quoted_after(&message, "expected one of `") {
            (parent.clone(), Repair::Set(Value::from(variant)))
        } else if let Some((object, key)) = split_last_key(&parent)
            && !attempts.contains_key(&parent)
        {
            // A wrong value is taken out first: an optional field falls back to its default,
            // a required one comes back as missing and gets a stand-in.
            (parent.clone(), Repair::Take(object, key))
        } else {
            (parent.clone(), Repair::Replace)
        };
        let under_stand_in = repaired.iter().any(|r| {
            path == *r || path.starts_with(&format!("{r}.")) || path.starts_with(&format!("{r}["))
        });
        if !under_stand_in {
            errors.push(path.clone(), reason(&message));
        }
        let attempt = attempts.entry(path.clone()).or_insert(0);
        let applied = match repair {
            Repair::Remove(key) => object_at(&mut doc, &parent)
                .and_then(|o| o.remove(&key))
                .is_some(),
            Repair::Insert(key) => match (object_at(&mut doc, &parent), stand_in(*attempt)) {
                (Some(o), Some(v)) => {
                    o.insert(key, v);
                    true
                }
                _ => false,
            },
            Repair::Set(v) => match value_at(&mut doc, &parent) {
                Some(slot) if *slot != v => {
                    *slot = v;
                    true
                }
                _ => false,
            },
            Repair::Take(object, key) => object_at(&mut doc, &object)
                .and_then(|o| o.remove(&key))
                .is_some(),
            Repair::Replace => match (value_at(&mut doc, &parent), stand_in(*attempt)) {
                (Some(slot), Some(v)) => {
                    *slot = v;
                    true
                }
                _ => false,
            },
        };
        *attempt += 1;
        if !applied {
            break;
        }
        if !repaired.contains(&path) {
            repaired.push(path);
        }
    }
    if errors.is_empty() {
        errors.push("", "the document could not be decoded; check its structure");
    }
    Collected {
        value: None,
        errors,
        repaired,
    }
}

enum Repair {
    /// An unknown key: removed.
    Remove(String),
    /// A missing field: a stand-in inserted.
    Insert(String),
    /// A value out of a known set: the first allowed one.
    Set(Value),
    /// A wrong value: taken out (object path, key).
    Take(String, String),
    /// A wrong value that cannot be taken out: a stand-in.
    Replace,
}

/// `a.b.c` → (`a.b`, `c`); `None` when the path does not end with a key.
fn split_last_key(path: &str) -> Option<(String, String)> {
    if path.is_empty() || path.ends_with(']') {
        return None;
    }
    match path.rfind('.') {
        Some(i) if !path[i + 1..].contains('[') => {
            Some((path[..i].to_string(), path[i + 1..].to_string()))
        }
        Some(_) => None,
        None => Some((String::new(), path.to_string())),
    }
}

/// A path made of keys and indexes only, in the dotted form of [`FieldErrors`].
fn simple_path(segments: Segments<'_>) -> Option<String> {
    let mut path = String::new();
    for s in segments {
        match s {
            Segment::Map { key } => path = join_path(&path, key),
            Segment::Seq { index } => path.push_str(&format!("[{index}]")),
            // An externally tagged variant is a key of the document (`filter: {…}`).
            Segment::Enum { variant } => path = join_path(&path, variant),
            Segment::Unknown => return None,
        }
    }
    Some(path)
}

/// Whether `path` is `root` or lies under it (`root.x`, `root[2]`).
pub(crate) fn is_within(path: &str, root: &str) -> bool {
    path.strip_prefix(root)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('.') || rest.starts_with('['))
}

fn quoted_after(message: &str, marker: &str) -> Option<String> {
    let rest = &message[message.find(marker)? + marker.len()..];
    Some(rest[..rest.find('`')?].to_string())
}

/// Serde's words made plain where they are jargon.
fn reason(message: &str) -> String {
    if let Some(key) = quoted_after(message, "missing field `") {
        return format!("`{key}` is required; add it");
    }
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let key = &rest[..rest.find('`').unwrap_or(rest.len())];
        return match rest.find("expected one of ") {
            Some(i) => format!("unknown field `{key}`; known fields: {}", &rest[i + 16..]),
            None => format!("unknown field `{key}`"),
        };
    }
    message.to_string()
}

/// Segments of a dotted path (`a.b[2].c` → `a`, `b`, `[2]`, `c`).
fn steps(path: &str) -> Vec<Step<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while let Some(end) = rest.find(']') {
            if let Ok(i) = rest[1..end].parse() {
                out.push(Step::Index(i));
            }
            rest = &rest[end + 1..];
        }
    }
    out
}

enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

fn value_at<'v>(doc: &'v mut Value, path: &str) -> Option<&'v mut Value> {
    let mut at = doc;
    for step in steps(path) {
        at = match step {
            Step::Key(k) => at.as_object_mut()?.get_mut(k)?,
            Step::Index(i) => at.as_array_mut()?.get_mut(i)?,
        };
    }
    Some(at)
}

fn object_at<'v>(doc: &'v mut Value, path: &str) -> Option<&'v mut Map<String, Value>> {
    value_at(doc, path)?.as_object_mut()
}

#[cfg(test)]
mod tests {
    use crate::document::decode::{DecodeError, collect, from_str, parse_text};

    fn paths(yaml: &str) -> Vec<String> {
        let (errors, _) = collect(parse_text(yaml).unwrap()).expect_err("invalid");
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn independent_mistakes_are_all_reported_with_their_paths() {
        let doc = "id: Bad Id\nruntime: essentials\nrestrat: { policy: always }\nsteps:\n  source: { type: generate, config: {} }\n  consumer: { stream: s, start: beginning }\n  sink: { type: stdout, bogus: 1 }\n  producer: { stream: s, topic: t, linger: fast }\n";
        let found = paths(doc);
        let has = |needle: &str| found.iter().any(|e| e.contains(needle));
        assert!(has("restrat: unknown field `restrat`"), "{found:#?}");
        assert!(has("id: "), "{found:#?}");
        assert!(has("steps.consumer.start: "), "{found:#?}");
        assert!(
            has("steps.consumer.topic: `topic` is required"),
            "{found:#?}"
        );
        assert!(has("steps.sink.bogus: unknown field"), "{found:#?}");
        assert!(
            has("steps.producer.linger: invalid duration `fast`: expected a duration like 500ms"),
            "{found:#?}"
        );
        assert!(has("both"), "the semantic rule still speaks: {found:#?}");
        assert_eq!(found.len(), 9, "{found:#?}");
    }

    #[test]
    fn a_missing_section_is_named_by_its_path_once() {
        let found = paths("id: x\nruntime: essentials\n");
        assert_eq!(found, ["steps: `steps` is required; add it"]);
    }

    #[test]
    fn a_valid_document_decodes_and_empty_text_says_so() {
        assert!(
            from_str("id: x\nruntime: essentials\nsteps:\n  source: { type: generate }\n  sink: { type: stdout }\n")
                .is_ok()
        );
        assert!(matches!(parse_text("  \n"), Err(DecodeError::Empty)));
        assert!(matches!(parse_text("~\n"), Err(DecodeError::Empty)));
    }
}
