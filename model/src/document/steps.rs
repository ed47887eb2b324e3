//! The `steps` of a connector: one input (source|consumer), transforms, one output (sink|producer).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::iggy_steps::{ConsumerStep, ProducerStep};
use super::transform::TransformStep;
use crate::validation::FieldErrors;

/// An external component of the runtime, by type name, with its own config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ComponentStep {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub config: Map<String, Value>,
    /// Messages per poll (a source) or per write (a sink); default 1000. A sink that pays per
    /// write (an fsync, a request) goes faster with larger batches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_length: Option<u32>,
    /// How long a partial batch may wait for more messages before a sink write; default 5ms.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "super::duration::option"
    )]
    #[schemars(schema_with = "super::duration::schema")]
    pub linger: Option<std::time::Duration>,
}

/// As written in the document; [`Steps::input`] and [`Steps::output`] give the checked view.
// The Iggy steps are boxed: they are large (about 240 bytes each) and most connectors have
// neither, while the agent keeps every version of every connector in memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Steps {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<ComponentStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consumer: Option<Box<ConsumerStep>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transformer: Vec<TransformStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<Box<ProducerStep>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sink: Option<ComponentStep>,
}

/// Where messages come from.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    Source(&'a ComponentStep),
    Consumer(&'a ConsumerStep),
}

/// Where messages go.
#[derive(Debug, Clone, Copy)]
pub enum Output<'a> {
    Sink(&'a ComponentStep),
    Producer(&'a ProducerStep),
}

/// The shape of a connector, named by direction as the Iggy connectors API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// source → producer: data into Iggy (the Iggy API's *source*).
    Inlet,
    /// consumer → sink: data out of Iggy (the Iggy API's *sink*).
    Outlet,
    /// source → sink: no Iggy involved.
    Bridge,
    /// consumer → producer: Iggy to Iggy.
    Pipe,
}

impl Steps {
    /// The input step. Only valid on a validated document.
    pub fn input(&self) -> Input<'_> {
        match (&self.source, &self.consumer) {
            (Some(s), _) => Input::Source(s),
            (None, Some(c)) => Input::Consumer(c),
            (None, None) => unreachable!("validated steps have an input"),
        }
    }

    /// The output step. Only valid on a validated document.
    pub fn output(&self) -> Output<'_> {
        match (&self.sink, &self.producer) {
            (Some(s), _) => Output::Sink(s),
            (None, Some(p)) => Output::Producer(p),
            (None, None) => unreachable!("validated steps have an output"),
        }
    }

    pub fn direction(&self) -> Direction {
        match (self.consumer.is_some(), self.producer.is_some()) {
            (false, true) => Direction::Inlet,
            (true, false) => Direction::Outlet,
            (false, false) => Direction::Bridge,
            (true, true) => Direction::Pipe,
        }
    }

    /// The external components, as (`sources`|`sinks`, step path, step).
    pub fn components(&self) -> impl Iterator<Item = (ComponentKind, &ComponentStep)> {
        let source = self.source.iter().map(|s| (ComponentKind::Source, s));
        let sink = self.sink.iter().map(|s| (ComponentKind::Sink, s));
        source.chain(sink)
    }

    pub(crate) fn validate(&self, errors: &mut FieldErrors) {
        match (&self.source, &self.consumer) {
            (Some(_), Some(_)) => {
                errors.push("steps", "give exactly one of source or consumer, not both")
            }
            (None, None) => errors.push(
                "steps",
                "missing input: give exactly one of source or consumer",
            ),
            _ => {}
        }
        match (&self.sink, &self.producer) {
            (Some(_), Some(_)) => {
                errors.push("steps", "give exactly one of sink or producer, not both")
            }
            (None, None) => errors.push(
                "steps",
                "missing output: give exactly one of sink or producer",
            ),
            _ => {}
        }
        for (kind, step) in self.components() {
            if let Some(n) = step.batch_length {
                super::iggy_steps::check_batch_length(
                    n,
                    format!("steps.{}.batch_length", kind.step_name()),
                    errors,
                );
            }
            if kind == ComponentKind::Source && step.linger.is_some() {
                errors.push(
                    "steps.source.linger",
                    "linger applies to sinks and producers; remove it from the source",
                );
            }
            if step.kind.trim().is_empty() {
                errors.push(
                    format!("steps.{}.type", kind.step_name()),
                    "must name a component of the runtime",
                );
            }
        }
        if let Some(c) = &self.consumer {
            c.validate("steps.consumer", errors);
        }
        if let Some(p) = &self.producer {
            p.validate("steps.producer", errors);
        }
        for (i, t) in self.transformer.iter().enumerate() {
            t.validate(&format!("steps.transformer[{i}]"), errors);
        }
    }
}

/// Which side of a runtime a component sits on.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum ComponentKind {
    Source,
    Sink,
}

impl ComponentKind {
    /// The step key in a connector document (`source`, `sink`).
    pub fn step_name(self) -> &'static str {
        match self {
            Self::Source => "source",
            Self::Sink => "sink",
        }
    }

    /// The folder under `.connect/` (`sources`, `sinks`).
    pub fn dir_name(self) -> &'static str {
        match self {
            Self::Source => "sources",
            Self::Sink => "sinks",
        }
    }
}
