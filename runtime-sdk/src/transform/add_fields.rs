//! `add_fields`: sets fields to static or computed values, replacing existing ones.

use serde_json::{Map, Value};

use super::assignment::Assignment;
use super::error::TransformError;
use crate::document::transform::AddFieldsConfig;

#[derive(Debug, Clone)]
pub(crate) struct AddFields {
    fields: Vec<Assignment>,
}

impl AddFields {
    pub(crate) fn new(config: &AddFieldsConfig) -> Self {
        Self {
            fields: config.fields.iter().map(Assignment::new).collect(),
        }
    }

    pub(crate) fn apply(&self, object: &mut Map<String, Value>) -> Result<(), TransformError> {
        for f in &self.fields {
            f.path.set(object, f.value())?;
        }
        Ok(())
    }
}
