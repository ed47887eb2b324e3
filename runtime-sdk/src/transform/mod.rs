//! The transform chain: `steps.transformer` compiled once and applied to every batch between the
//! input and the output of a pipeline.
//!
//! The declarative transforms work on payloads that are JSON objects; any other payload (text,
//! binary, JSON arrays or scalars) passes them unchanged. `jq` works on any JSON payload and may
//! drop, replace or split a message. A message is parsed once per chain and serialized once,
//! only when a transform other than `filter` ran on it. Keys of an object rewritten by the
//! declarative transforms come out sorted.

mod add_fields;
mod assignment;
mod computed;
mod condition;
mod delete_fields;
mod error;
mod filter;
mod filter_fields;
mod jq;
mod path;
mod rename_fields;
mod update_fields;
mod value;

use bytes::Bytes;
use serde_json::{Map, Value};

pub use error::TransformError;
use value::Doc;

use crate::component::Message;
use crate::document::TransformStep;
use crate::document::jq::OnNonJson;
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
    Jq(jq::Jq),
}

impl Transform {
    /// Applies a declarative transform (not `jq`) to an object.
    fn apply(&self, object: &mut Map<String, Value>) -> Result<Verdict, TransformError> {
        match self {
            Self::Jq(_) => {}
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
    /// Split by `jq` into several messages with these payloads (same key and headers), in order;
    /// the message itself is unchanged.
    Split(Vec<Bytes>),
    /// Dropped by a `filter`, or `jq` produced no output.
    Filtered,
    /// A transform failed on the message's content; the message is unchanged and goes to the
    /// connector's error policy.
    Failed(TransformError),
}

/// A message a transform failed on, as it entered the chain.
#[derive(Debug, Clone)]
pub struct Failure {
    pub message: Message,
    pub error: TransformError,
}

/// The ordered transforms of one connector.
#[derive(Debug, Clone, Default)]
pub struct Chain {
    transforms: Vec<Transform>,
    /// Whether any transform rewrites messages (only filters: no re-serialization).
    rewrites: bool,
    /// Whether a `jq` step runs (it reads any JSON, not only objects).
    has_jq: bool,
}

impl Chain {
    /// Compiles the steps (regexes built once); every problem is reported with its path.
    pub fn new(steps: &[TransformStep]) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::default();
        let transforms: Vec<Transform> = steps
            .iter()
            .enumerate()
            .filter_map(|(i, step)| {
                let path = format!("steps.transformer[{i}].{}", step.type_name());
                let transform = match step {
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
                    // A program that does not compile is reported in `errors`: no chain is built.
                    TransformStep::Jq(c) => {
                        return jq::Jq::new(c, &path, &mut errors).map(Transform::Jq);
                    }
                };
                Some(transform)
            })
            .collect();
        let rewrites = transforms
            .iter()
            .any(|t| !matches!(t, Transform::Filter(_)));
        let has_jq = transforms.iter().any(|t| matches!(t, Transform::Jq(_)));
        errors.into_result(Self {
            transforms,
            rewrites,
            has_jq,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.transforms.is_empty()
    }

    /// Runs the chain over a batch: drops filtered and failed messages, counts them in
    /// `metrics` and logs the first failure of the batch.
    pub fn apply(&self, messages: &mut Vec<Message>, metrics: &Metrics) {
        let failures = self.apply_collect(messages, metrics);
        if let Some(first) = failures.first() {
            metrics.record_failed(failures.len() as u64);
            metrics.record_error(&first.error);
            tracing::warn!(failed = failures.len(), error = %first.error, "transform failed; the message was dropped (counted in messages_failed)");
        }
    }

    /// Runs the chain over a batch: filtered messages are dropped and counted, split ones
    /// replaced in place by their parts; the messages a transform failed on are taken out of the
    /// batch and returned unchanged, in order, for the error policy.
    pub fn apply_collect(&self, messages: &mut Vec<Message>, metrics: &Metrics) -> Vec<Failure> {
        let mut failures = Vec::new();
        if self.is_empty() {
            return failures;
        }
        let mut filtered = 0u64;
        let input = std::mem::take(messages);
        messages.reserve(input.len());
        for mut m in input {
            match self.apply_one(&mut m) {
                Outcome::Keep => messages.push(m),
                Outcome::Split(payloads) => {
                    for payload in payloads {
                        let mut part = m.clone();
                        part.payload = payload;
                        messages.push(part);
                    }
                }
                Outcome::Filtered => filtered += 1,
                Outcome::Failed(error) => failures.push(Failure { message: m, error }),
            }
        }
        if filtered > 0 {
            metrics.record_filtered(filtered);
        }
        failures
    }

    /// Runs the chain over one message, rewriting its payload when a transform changed it.
    pub fn apply_one(&self, message: &mut Message) -> Outcome {
        if self.is_empty() || (!self.has_jq && !looks_like_object(&message.payload)) {
            return Outcome::Keep;
        }
        let first = match &self.transforms[0] {
            Transform::Jq(_) => jq::Jq::parse(&message.payload).map_or(Doc::Raw, Doc::Jaq),
            _ => match serde_json::from_slice::<Value>(&message.payload) {
                Ok(v @ Value::Object(_)) => Doc::Json(v),
                Ok(v) if self.has_jq => Doc::Json(v),
                Err(_) if self.has_jq => Doc::Raw,
                _ => return Outcome::Keep,
            },
        };
        let mut docs = vec![first];
        for t in &self.transforms {
            let mut next = Vec::with_capacity(docs.len());
            for doc in docs {
                if let Err(e) = step(t, doc, &mut next) {
                    return Outcome::Failed(e);
                }
            }
            if next.is_empty() {
                return Outcome::Filtered;
            }
            docs = next;
        }
        if docs.len() == 1 && (!self.rewrites || matches!(docs[0], Doc::Raw)) {
            return Outcome::Keep;
        }
        let mut payloads = Vec::with_capacity(docs.len());
        for doc in docs {
            match doc.into_payload(&message.payload) {
                Ok(p) => payloads.push(p),
                Err(e) => return Outcome::Failed(e),
            }
        }
        if payloads.len() == 1 {
            message.payload = payloads.pop().expect("one payload");
            Outcome::Keep
        } else {
            Outcome::Split(payloads)
        }
    }
}

/// Runs one transform on one document, pushing what goes on.
fn step(t: &Transform, doc: Doc, next: &mut Vec<Doc>) -> Result<(), TransformError> {
    if let Transform::Jq(j) = t {
        match doc.into_jaq() {
            Doc::Jaq(v) => {
                let mut outputs = Vec::new();
                j.run(v, &mut outputs)?;
                next.extend(outputs.into_iter().map(Doc::Jaq));
            }
            raw => match j.on_non_json {
                OnNonJson::Pass => next.push(raw),
                OnNonJson::Error => return Err(TransformError::NotJson),
            },
        }
        return Ok(());
    }
    let doc = match doc {
        Doc::Jaq(v) if matches!(v, jaq_json::Val::Obj(_)) => Doc::Jaq(v).into_json()?,
        other => other,
    };
    match doc {
        Doc::Json(Value::Object(mut object)) => match t.apply(&mut object)? {
            Verdict::Keep => next.push(Doc::Json(Value::Object(object))),
            Verdict::Drop => {}
        },
        other => next.push(other),
    }
    Ok(())
}

/// Cheap pre-check so text and binary payloads skip the JSON parser.
fn looks_like_object(payload: &[u8]) -> bool {
    payload.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

#[cfg(test)]
mod jq_tests;
#[cfg(test)]
mod tests;
