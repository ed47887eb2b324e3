//! The SDK's Iggy steps (`consumer`, `producer`) as a source and a sink for the pipeline driver.

use crate::component::{ComponentContext, ComponentError, Sink, Source};
use crate::model::{ConsumerStep, ProducerStep};

/// The `consumer` step: reads a topic through a consumer group.
pub fn consumer(
    _ctx: &ComponentContext,
    _step: &ConsumerStep,
) -> Result<Box<dyn Source>, ComponentError> {
    Err(ComponentError::invalid_config(
        "Iggy steps are not available in this build; use a source step",
    ))
}

/// The `producer` step: sends to a topic.
pub fn producer(
    _ctx: &ComponentContext,
    _step: &ProducerStep,
) -> Result<Box<dyn Sink>, ComponentError> {
    Err(ComponentError::invalid_config(
        "Iggy steps are not available in this build; use a sink step",
    ))
}
