//! `filter`: keeps or drops whole messages by a condition on their JSON fields.

use serde_json::{Map, Value};

use super::Verdict;
use super::condition::Compiled;
use crate::document::transform::{FilterAction, FilterConfig};
use crate::validation::FieldErrors;

#[derive(Debug, Clone)]
pub(crate) struct Filter {
    condition: Compiled,
    action: FilterAction,
}

impl Filter {
    pub(crate) fn new(config: &FilterConfig, path: &str, errors: &mut FieldErrors) -> Self {
        Self {
            condition: Compiled::new(&config.condition, &format!("{path}.condition"), errors),
            action: config.action,
        }
    }

    pub(crate) fn apply(&self, object: &Map<String, Value>) -> Verdict {
        let keep = match self.action {
            FilterAction::Keep => self.condition.eval(object),
            FilterAction::Drop => !self.condition.eval(object),
        };
        if keep { Verdict::Keep } else { Verdict::Drop }
    }
}
