//! `filter_fields`: keeps only the fields named in `keep` (dotted paths allowed) and the
//! top-level keys matching one of `patterns`; everything else is removed.

use regex::RegexSet;
use serde_json::{Map, Value};

use super::path::FieldPath;
use crate::document::transform::FilterFieldsConfig;
use crate::validation::FieldErrors;

#[derive(Debug, Clone)]
pub(crate) struct FilterFields {
    keep: Vec<FieldPath>,
    patterns: Option<RegexSet>,
}

impl FilterFields {
    pub(crate) fn new(config: &FilterFieldsConfig, path: &str, errors: &mut FieldErrors) -> Self {
        let patterns = if config.patterns.is_empty() {
            None
        } else {
            RegexSet::new(&config.patterns)
                .map_err(|e| errors.push(format!("{path}.patterns"), format!("invalid regex: {e}")))
                .ok()
        };
        Self {
            keep: config.keep.iter().map(|k| FieldPath::parse(k)).collect(),
            patterns,
        }
    }

    pub(crate) fn apply(&self, object: &mut Map<String, Value>) {
        let mut kept = Map::new();
        for path in &self.keep {
            if let Some(v) = path.remove(object) {
                path.set(&mut kept, v)
                    .expect("a fresh object has only object parents");
            }
        }
        if let Some(set) = &self.patterns {
            for (key, value) in std::mem::take(object) {
                if set.is_match(&key) {
                    kept.entry(key).or_insert(value);
                }
            }
        }
        *object = kept;
    }
}
