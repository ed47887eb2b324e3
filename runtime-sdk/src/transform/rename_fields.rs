//! `rename_fields`: moves values from one field path to another, in the order listed.

use serde_json::{Map, Value};

use super::error::TransformError;
use super::path::FieldPath;
use crate::document::transform::RenameFieldsConfig;

#[derive(Debug, Clone)]
pub(crate) struct RenameFields {
    fields: Vec<(FieldPath, FieldPath)>,
}

impl RenameFields {
    pub(crate) fn new(config: &RenameFieldsConfig) -> Self {
        Self {
            fields: config
                .fields
                .iter()
                .map(|r| (FieldPath::parse(&r.from), FieldPath::parse(&r.to)))
                .collect(),
        }
    }

    /// A missing source field is skipped; an existing destination is replaced.
    pub(crate) fn apply(&self, object: &mut Map<String, Value>) -> Result<(), TransformError> {
        for (from, to) in &self.fields {
            if let Some(v) = from.remove(object) {
                to.set(object, v)?;
            }
        }
        Ok(())
    }
}
