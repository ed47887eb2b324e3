//! The SDK's own Iggy steps: `consumer` (a [`Source`] reading a topic through a consumer group)
//! and `producer` (a [`Sink`] writing to a topic), built on the `iggy` crate, so runtimes only
//! implement their external components.

mod connection;
mod consumer;
mod convert;
mod producer;
mod retry;
mod topic_compat;

#[cfg(test)]
mod tests;

pub use consumer::IggySource;
pub use producer::IggySink;

use crate::component::{ComponentContext, ComponentError, Sink, Source};
use crate::document::{ConsumerStep, ProducerStep};

/// The `consumer` step as a source; connects in [`Source::open`].
pub(crate) fn consumer(
    ctx: &ComponentContext,
    step: &ConsumerStep,
) -> Result<Box<dyn Source>, ComponentError> {
    Ok(Box::new(consumer::IggySource::new(ctx, step)?))
}

/// The `producer` step as a sink; connects (and creates the topic if asked) in [`Sink::open`].
pub(crate) fn producer(
    ctx: &ComponentContext,
    step: &ProducerStep,
) -> Result<Box<dyn Sink>, ComponentError> {
    Ok(Box::new(producer::IggySink::new(ctx, step)?))
}
