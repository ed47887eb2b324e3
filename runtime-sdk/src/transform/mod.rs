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
        if self.is_empty() {
            return Vec::new();
        }
        let input = std::mem::take(messages);
        let threads = parallelism();
        let (failures, filtered) = if self.has_jq && threads > 1 && input.len() >= PARALLEL_MIN {
            self.apply_parallel(input, threads, messages)
        } else {
            messages.reserve(input.len());
            self.apply_serial(input, messages)
        };
        if filtered > 0 {
            metrics.record_filtered(filtered);
        }
        failures
    }

    /// The chain over `input`, in order, into `out`; the failures and the filtered count.
    fn apply_serial(&self, input: Vec<Message>, out: &mut Vec<Message>) -> (Vec<Failure>, u64) {
        let (mut failures, mut filtered) = (Vec::new(), 0u64);
        for mut m in input {
            match self.apply_one(&mut m) {
                Outcome::Keep => out.push(m),
                Outcome::Split(payloads) => {
                    for payload in payloads {
                        let mut part = m.clone();
                        part.payload = payload;
                        out.push(part);
                    }
                }
                Outcome::Filtered => filtered += 1,
                Outcome::Failed(error) => failures.push(Failure { message: m, error }),
            }
        }
        (failures, filtered)
    }

    /// `jq` is an interpreter and costs microseconds per message: a large batch is cut into one
    /// contiguous part per core, run on scoped threads (this one included), and put back
    /// together in order, so the output is the same as [`Chain::apply_serial`]'s.
    fn apply_parallel(
        &self,
        mut input: Vec<Message>,
        threads: usize,
        out: &mut Vec<Message>,
    ) -> (Vec<Failure>, u64) {
        let per = input.len().div_ceil(threads);
        let mut parts = Vec::with_capacity(threads);
        while input.len() > per {
            let rest = input.split_off(per);
            parts.push(input);
            input = rest;
        }
        parts.push(input);
        let mut parts = parts.into_iter();
        let first = parts.next().unwrap_or_default();
        let (head, tail) = std::thread::scope(|scope| {
            let spawned: Vec<_> = parts
                .map(|part| {
                    scope.spawn(move || {
                        let mut out = Vec::with_capacity(part.len());
                        let (failures, filtered) = self.apply_serial(part, &mut out);
                        (out, failures, filtered)
                    })
                })
                .collect();
            let mut head = Vec::with_capacity(first.len());
            let (failures, filtered) = self.apply_serial(first, &mut head);
            let tail: Vec<_> = spawned
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect();
            ((head, failures, filtered), tail)
        });
        let (head, mut failures, mut filtered) = head;
        *out = head;
        for (messages, f, n) in tail {
            out.extend(messages);
            failures.extend(f);
            filtered += n;
        }
        (failures, filtered)
    }

    /// Runs the chain over one message, rewriting its payload when a transform changed it.
    pub fn apply_one(&self, message: &mut Message) -> Outcome {
        if self.is_empty() {
            return Outcome::Keep;
        }
        if !self.has_jq {
            return self.apply_declarative(message);
        }
        let first = match &self.transforms[0] {
            Transform::Jq(_) => jq::Jq::parse(&message.payload).map_or(Doc::Raw, Doc::Jaq),
            _ => serde_json::from_slice::<Value>(&message.payload).map_or(Doc::Raw, Doc::Json),
        };
        let mut docs = Vec::with_capacity(1);
        if let Err(e) = self.run_from(0, first, &mut docs) {
            return Outcome::Failed(e);
        }
        if docs.is_empty() {
            return Outcome::Filtered;
        }
        if docs.len() == 1 && matches!(docs[0], Doc::Raw) {
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

    /// A chain without `jq`: only JSON objects are touched, in place, serialized once.
    fn apply_declarative(&self, message: &mut Message) -> Outcome {
        if !looks_like_object(&message.payload) {
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

    /// Runs transforms `from..` on one document, pushing what comes out of the last one; a
    /// `jq` step with several outputs runs the rest of the chain on each, in order.
    fn run_from(
        &self,
        from: usize,
        mut doc: Doc,
        out: &mut Vec<Doc>,
    ) -> Result<(), TransformError> {
        for (i, t) in self.transforms.iter().enumerate().skip(from) {
            let mut next = Vec::new();
            step(t, doc, &mut next)?;
            match next.len() {
                0 => return Ok(()),
                1 => doc = next.pop().expect("one document"),
                _ => {
                    for d in next {
                        self.run_from(i + 1, d, out)?;
                    }
                    return Ok(());
                }
            }
        }
        out.push(doc);
        Ok(())
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

/// Batches at least this large run a chain with `jq` on every core.
const PARALLEL_MIN: usize = 256;

/// The cores this process may use (read once).
fn parallelism() -> usize {
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(8)))
}

/// Cheap pre-check so text and binary payloads skip the JSON parser.
fn looks_like_object(payload: &[u8]) -> bool {
    payload.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
}

#[cfg(test)]
mod jq_tests;
#[cfg(test)]
mod tests;
