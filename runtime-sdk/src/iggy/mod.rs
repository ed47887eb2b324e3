//! The SDK's own Iggy steps: `consumer` (a [`Source`] reading a topic through a consumer group)
//! and `producer` (a [`Sink`] writing to a topic), built on the `iggy` crate, so runtimes only
//! implement their external components.

mod connection;
mod consumer;
mod convert;
mod producer;
mod retry;

#[cfg(test)]
mod tests;

use crate::component::{ComponentContext, ComponentError, Sink, Source};
use crate::model::{ConsumerStep, ProducerStep};

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

/// A source reading `step`'s topic, for runtimes whose own components talk to Iggy (the
/// `vanilla` runtime's `iggy` source): the same code as the `consumer` step.
pub fn source(
    ctx: &ComponentContext,
    step: &ConsumerStep,
) -> Result<Box<dyn Source>, ComponentError> {
    consumer(ctx, step)
}

/// A sink writing to `step`'s topic (the `vanilla` runtime's `iggy` sink): the same code as the
/// `producer` step.
pub fn sink(ctx: &ComponentContext, step: &ProducerStep) -> Result<Box<dyn Sink>, ComponentError> {
    producer(ctx, step)
}
