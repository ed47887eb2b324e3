//! Dotted field paths (`user.address.city`) into JSON objects, split once when a chain is built.

use serde_json::{Map, Value};

use super::error::TransformError;

/// A field path, pre-split into its segments.
#[derive(Debug, Clone)]
pub(crate) struct FieldPath {
    text: String,
    segments: Vec<String>,
}

impl FieldPath {
    pub(crate) fn parse(text: &str) -> Self {
        Self {
            text: text.to_string(),
            segments: text.split('.').map(str::to_string).collect(),
        }
    }

    /// The value at this path, if every parent is an object and the key is present.
    pub(crate) fn get<'a>(&self, root: &'a Map<String, Value>) -> Option<&'a Value> {
        let (last, parents) = self.segments.split_last()?;
        let mut object = root;
        for segment in parents {
            object = object.get(segment)?.as_object()?;
        }
        object.get(last)
    }

    /// Sets the value, creating missing parent objects; fails when a parent is not an object.
    pub(crate) fn set(
        &self,
        root: &mut Map<String, Value>,
        value: Value,
    ) -> Result<(), TransformError> {
        self.parent_mut(root, true)?
            .expect("parents are created")
            .insert(self.last().to_string(), value);
        Ok(())
    }

    /// Removes and returns the value; a missing field (or a non-object parent) is `None`.
    pub(crate) fn remove(&self, root: &mut Map<String, Value>) -> Option<Value> {
        let parent = self.parent_mut(root, false).ok()??;
        parent.remove(self.last())
    }

    fn last(&self) -> &str {
        self.segments.last().map(String::as_str).unwrap_or_default()
    }

    /// The object holding the last segment; created on the way when `create`.
    fn parent_mut<'a>(
        &self,
        root: &'a mut Map<String, Value>,
        create: bool,
    ) -> Result<Option<&'a mut Map<String, Value>>, TransformError> {
        let parents = &self.segments[..self.segments.len().saturating_sub(1)];
        let mut object = root;
        for (depth, segment) in parents.iter().enumerate() {
            if !object.contains_key(segment) {
                if !create {
                    return Ok(None);
                }
                object.insert(segment.clone(), Value::Object(Map::new()));
            }
            match object.get_mut(segment) {
                Some(Value::Object(next)) => object = next,
                _ if !create => return Ok(None),
                _ => {
                    return Err(TransformError::NotAnObject {
                        path: self.text.clone(),
                        parent: parents[..=depth].join("."),
                    });
                }
            }
        }
        Ok(Some(object))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn gets_nested_values_and_misses_through_non_objects() {
        let o = object(json!({"a": {"b": {"c": 1}}, "s": "x"}));
        assert_eq!(FieldPath::parse("a.b.c").get(&o), Some(&json!(1)));
        assert_eq!(FieldPath::parse("a.x").get(&o), None);
        assert_eq!(FieldPath::parse("s.y").get(&o), None);
    }

    #[test]
    fn set_creates_parents_and_refuses_non_object_parents() {
        let mut o = object(json!({"s": "x"}));
        FieldPath::parse("a.b").set(&mut o, json!(2)).unwrap();
        assert_eq!(Value::Object(o.clone()), json!({"a": {"b": 2}, "s": "x"}));
        let err = FieldPath::parse("s.y").set(&mut o, json!(1)).unwrap_err();
        assert!(err.to_string().contains("`s` is not an object"), "{err}");
    }

    #[test]
    fn remove_takes_nested_values_and_ignores_missing_ones() {
        let mut o = object(json!({"a": {"b": 1, "c": 2}}));
        assert_eq!(FieldPath::parse("a.b").remove(&mut o), Some(json!(1)));
        assert_eq!(FieldPath::parse("a.zz.y").remove(&mut o), None);
        assert_eq!(Value::Object(o), json!({"a": {"c": 2}}));
    }
}
