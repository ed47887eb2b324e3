//! `update_fields`: sets fields always, only where they exist, or only where they are missing.

use serde_json::{Map, Value};

use super::assignment::Assignment;
use super::error::TransformError;
use crate::document::transform::{UpdateCondition, UpdateFieldsConfig};

#[derive(Debug, Clone)]
pub(crate) struct UpdateFields {
    fields: Vec<Assignment>,
    condition: UpdateCondition,
}

impl UpdateFields {
    pub(crate) fn new(config: &UpdateFieldsConfig) -> Self {
        Self {
            fields: config.fields.iter().map(Assignment::new).collect(),
            condition: config.condition,
        }
    }

    pub(crate) fn apply(&self, object: &mut Map<String, Value>) -> Result<(), TransformError> {
        for f in &self.fields {
            let applies = match self.condition {
                UpdateCondition::Always => true,
                UpdateCondition::KeyExists => f.path.get(object).is_some(),
                UpdateCondition::KeyNotExists => f.path.get(object).is_none(),
            };
            if applies {
                f.path.set(object, f.value())?;
            }
        }
        Ok(())
    }
}
