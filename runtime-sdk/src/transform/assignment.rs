//! One `name: value | computed` entry of `add_fields`/`update_fields`, compiled once.

use serde_json::Value;

use super::computed::compute;
use super::path::FieldPath;
use crate::document::transform::{Computed, FieldAssignment};

#[derive(Debug, Clone)]
pub(crate) struct Assignment {
    pub(crate) path: FieldPath,
    value: AssignedValue,
}

#[derive(Debug, Clone)]
enum AssignedValue {
    Static(Value),
    Computed(Computed),
}

impl Assignment {
    pub(crate) fn new(config: &FieldAssignment) -> Self {
        let value = match (&config.value, config.computed) {
            (_, Some(kind)) => AssignedValue::Computed(kind),
            (Some(v), None) => AssignedValue::Static(v.clone()),
            // Rejected by validation; a null keeps the chain total.
            (None, None) => AssignedValue::Static(Value::Null),
        };
        Self {
            path: FieldPath::parse(&config.name),
            value,
        }
    }

    /// The value to write into this message.
    pub(crate) fn value(&self) -> Value {
        match &self.value {
            AssignedValue::Static(v) => v.clone(),
            AssignedValue::Computed(kind) => compute(*kind),
        }
    }
}
