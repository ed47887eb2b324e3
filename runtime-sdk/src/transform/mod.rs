//! The transform chain: `steps.transformer` compiled once and applied to every batch between the
//! input and the output of a pipeline.
//!
//! JSON transforms work on payloads that are JSON objects; any other payload (text, binary,
//! JSON arrays or scalars) passes them unchanged. A message is parsed once per chain and
//! serialized once, only when a transform other than `filter` ran on it. Keys of a rewritten
//! object come out sorted.

mod add_fields;
mod assignment;
mod computed;
mod condition;
mod delete_fields;
mod error;
mod filter;
mod filter_fields;
mod path;
mod rename_fields;
mod update_fields;

use bytes::Bytes;
use serde_json::{Map, Value};

pub use error::TransformError;

use crate::component::Message;
use crate::document::TransformStep;
use crate::runtime::Metrics;
use crate::validation::FieldErrors;

/// Whether a message goes on after a transform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Keep,
    Drop,
}

#[derive(Debug, Clone)]
enum Transform {
    Filter(filter::Filter),
    AddFields(add_fields::AddFields),
    DeleteFields(delete_fields::DeleteFields),
    UpdateFields(update_fields::UpdateFields),
    FilterFields(filter_fields::FilterFields),
    RenameFields(rename_fields::RenameFields),
}

impl Transform {
    fn apply(&self, object: &mut Map<String, Value>) -> Result<Verdict, TransformError> {
        match self {
            Self::Filter(t) => return Ok(t.apply(object)),
            Self::AddFields(t) => t.apply(object)?,
            Self::DeleteFields(t) => t.apply(object),
            Self::UpdateFields(t) => t.apply(object)?,
            Self::FilterFields(t) => t.apply(object),
            Self::RenameFields(t) => t.apply(object)?,
        }
        Ok(Verdict::Keep)
    }
}

/// What happened to one message in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Passed on (possibly rewritten).
    Keep,
    /// Dropped by a `filter`.
    Filtered,
    /// A transform failed; the message is dropped and counted failed.
    Failed(TransformError),
}

/// The ordered transforms of one connector.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    transforms: Vec<Transform>,
    /// Whether any transform rewrites messages (only filters: no re-serialization).
    rewrites: bool,
}

impl Chain {
    /// Compiles the steps (regexes built once); every problem is reported with its path.
    pub fn new(steps: &[TransformStep]) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let transforms: Vec<Transform> = steps
            .iter()
            .enumerate()
            .map(|(i, step)| {
                let path = format!("steps.transformer[{i}].{}", step.type_name());
                match step {
                    TransformStep::Filter(c) => {
                        Transform::Filter(filter::Filter::new(c, &path, &mut errors))
                    }
                    TransformStep::AddFields(c) => {
                        Transform::AddFields(add_fields::AddFields::new(c))
                    }
                    TransformStep::DeleteFields(c) => {
                        Transform::DeleteFields(delete_fields::DeleteFields::new(c))
                    }
                    TransformStep::UpdateFields(c) => {
                        Transform::UpdateFields(update_fields::UpdateFields::new(c))
                    }
                    TransformStep::FilterFields(c) => Transform::FilterFields(
                        filter_fields::FilterFields::new(c, &path, &mut errors),
                    ),
                    TransformStep::RenameFields(c) => {
                        Transform::RenameFields(rename_fields::RenameFields::new(c))
                    }
                }
            })
            .collect();
        let rewrites = transforms
            .iter()
            .any(|t| !matches!(t, Transform::Filter(_)));
        errors.into_result(Self {
            transforms,
            rewrites,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.transforms.is_empty()
    }

    /// Runs the chain over a batch: drops filtered and failed messages, counts them in
    /// `metrics` and logs the first failure of the batch.
    pub fn apply(&self, messages: &mut Vec<Message>, metrics: &Metrics) {
        if self.is_empty() {
            return;
        }
        let (mut filtered, mut failed) = (0u64, 0u64);
        let mut first_error = None;
        messages.retain_mut(|m| match self.apply_one(m) {
            Outcome::Keep => true,
            Outcome::Filtered => {
                filtered += 1;
                false
            }
            Outcome::Failed(e) => {
                failed += 1;
                first_error.get_or_insert(e);
                false
            }
        });
        if filtered > 0 {
            metrics.record_filtered(filtered);
        }
        if let Some(e) = first_error {
            metrics.record_failed(failed);
            metrics.record_error(&e);
            tracing::warn!(failed, error = %e, "transform failed; the message was dropped (counted in messages_failed)");
        }
    }

    /// Runs the chain over one message, rewriting its payload when a transform changed it.
    pub fn apply_one(&self, message: &mut Message) -> Outcome {
        if self.is_empty() || !looks_like_object(&message.payload) {
            return Outcome::Keep;
        }
        let Ok(Value::Object(mut object)) = serde_json::from_slice::<Value>(&message.payload)
        else {
            return Outcome::Keep;
        };
        for t in &self.transforms {
            match t.apply(&mut object) {
                Ok(Verdict::Keep) => {}
                Ok(Verdict::Drop) => return Outcome::Filtered,
                Err(e) => return Outcome::Failed(e),
            }
        }
        if self.rewrites {
            let mut out = Vec::with_capacity(message.payload.len() + 32);
            let value = Value::Object(object);
            serde_json::to_writer(&mut out, &value).expect("a JSON value always serializes");
            message.payload = Bytes::from(out);
        }
        Outcome::Keep
    }
}

/// Cheap pre-check so text and binary payloads skip the JSON parser.
fn looks_like_object(payload: &[u8]) -> bool {
    payload.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

#[cfg(test)]
mod tests;
