//! The connector model: the document every decode path (file, API, argument) turns into.

pub mod connector;
pub mod decode;
pub mod duration;
pub mod errors;
mod every_error;
pub mod id;
pub mod iggy_steps;
pub mod jq;
pub mod placement;
pub mod restart;
pub mod schema;
pub mod steps;
pub mod transform;

pub use connector::ConnectorConfig;
pub use decode::DecodeError;
pub use errors::{DeadLetter, DeadLetterFile, ErrorPolicy, Tolerance};
pub use id::{ConnectorId, RuntimeRef};
pub use iggy_steps::{
    ConsumerStep, IggyConnection, IggyTls, Partitioning, ProducerStep, StartFrom,
};
pub use placement::Placement;
pub use restart::{RestartConfig, RestartPolicy};
pub use steps::{ComponentKind, ComponentStep, Direction, Input, Output, Steps};
pub use transform::TransformStep;

#[cfg(test)]
mod tests;
