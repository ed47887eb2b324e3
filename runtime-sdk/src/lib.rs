//! The connect runtime SDK: `Runtime::from_env()?.launch(workload)`, the `Source` and `Sink`
//! traits, the pipeline, transforms and Iggy steps that runtimes are built on, plus the shared
//! model (connector document, `.connect` metadata, contract types) re-exported from `connect-model`.

pub mod component;
pub mod embed;
pub mod iggy;
pub mod pipeline;
pub mod runtime;
pub mod state;
pub mod testing;
pub mod transform;

// What runtimes share with the agent, re-exported so a runtime depends on this crate alone.
pub use connect_model::{backoff, contract, document, metadata, validation, yaml};

pub use async_trait::async_trait;
pub use component::{
    Batch, ComponentContext, ComponentError, Message, Rejected, Sink, Source, Written,
};
pub use contract::ExitCode;
pub use document::ConnectorConfig;
pub use metadata::RuntimeMetadata;
pub use pipeline::{Components, RetryPolicy};
pub use runtime::{Context, Metrics, Runtime, Workload, WorkloadError};
pub use validation::{FieldError, FieldErrors};
