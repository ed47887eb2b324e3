//! What a runtime runs: a [`Workload`] (a closure or a component registry) and how it can fail.

use std::future::Future;

use super::context::Context;
use crate::contract::ExitCode;
use crate::document::ConnectorConfig;
use crate::metadata::RuntimeMetadata;

/// Why a workload stopped; decides the exit code and so whether the agent restarts it.
#[derive(Debug, thiserror::Error)]
pub enum WorkloadError {
    /// The config cannot work (found only at run time); not restarted.
    #[error("invalid config: {0}")]
    InvalidConfig(String),
    /// A peer is down or retries ran out; the agent restarts from the last confirmed position.
    #[error("transient failure: {0}")]
    Transient(String),
    /// A message was refused for its content and the error policy does not tolerate it; a
    /// restart would meet the same message, so the runtime exits 78 and is not restarted.
    #[error("message refused: {0}")]
    Rejected(String),
    /// A bug or an impossible state.
    #[error("internal error: {0}")]
    Internal(String),
}

impl WorkloadError {
    pub fn invalid_config(e: impl std::fmt::Display) -> Self {
        Self::InvalidConfig(e.to_string())
    }
    pub fn transient(e: impl std::fmt::Display) -> Self {
        Self::Transient(e.to_string())
    }
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self::Internal(e.to_string())
    }

    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::InvalidConfig(_) | Self::Rejected(_) => ExitCode::InvalidConfig,
            Self::Transient(_) => ExitCode::Transient,
            Self::Internal(_) => ExitCode::Internal,
        }
    }
}

/// The work of a runtime. Closures `FnOnce(Context) -> impl Future<Output = Result<(), WorkloadError>>`
/// are workloads; so is the SDK's component registry.
pub trait Workload: Send + 'static {
    /// The runtime's `.connect` definitions, used to validate component configs.
    fn metadata(&self) -> Option<&RuntimeMetadata> {
        None
    }

    /// Whether this config writes data to stdout, so logs must go to stderr only.
    fn stdout_is_data(&self, _config: &ConnectorConfig) -> bool {
        false
    }

    fn run(self, ctx: Context) -> impl Future<Output = Result<(), WorkloadError>> + Send;
}

impl<F, Fut> Workload for F
where
    F: FnOnce(Context) -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), WorkloadError>> + Send,
{
    fn run(self, ctx: Context) -> impl Future<Output = Result<(), WorkloadError>> + Send {
        self(ctx)
    }
}
