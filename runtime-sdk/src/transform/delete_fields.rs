//! `delete_fields`: removes fields; a field that is not there is no error.

use serde_json::{Map, Value};

use super::path::FieldPath;
use crate::document::transform::DeleteFieldsConfig;

#[derive(Debug, Clone)]
pub(crate) struct DeleteFields {
    fields: Vec<FieldPath>,
}

impl DeleteFields {
    pub(crate) fn new(config: &DeleteFieldsConfig) -> Self {
        Self {
            fields: config.fields.iter().map(|f| FieldPath::parse(f)).collect(),
        }
    }

    pub(crate) fn apply(&self, object: &mut Map<String, Value>) {
        for f in &self.fields {
            f.remove(object);
        }
    }
}
