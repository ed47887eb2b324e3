//! The connect runtime SDK: the connector model, `.connect` metadata, the runtime contract and
//! `Runtime::from_env()?.launch(workload)`, which runtimes are built on.

pub mod component;
pub mod contract;
pub mod iggy;
pub mod metadata;
pub mod model;
pub mod pipeline;
pub mod runtime;
pub mod state;
pub mod transform;
pub mod validation;
pub mod yaml;

pub use async_trait::async_trait;
pub use component::{
    Batch, ComponentContext, ComponentError, Message, Rejected, Sink, Source, Written,
};
pub use contract::ExitCode;
pub use metadata::RuntimeMetadata;
pub use model::ConnectorConfig;
pub use pipeline::{Components, RetryPolicy};
pub use runtime::{Context, Metrics, Runtime, Workload, WorkloadError};
pub use validation::{FieldError, FieldErrors};
