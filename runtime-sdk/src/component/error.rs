//! How a component fails; each variant is named after what the runtime does with it.

/// A source or sink failure.
#[derive(Debug, thiserror::Error)]
pub enum ComponentError {
    /// The pipeline retries the same poll or write with backoff (a peer is down, a timeout, a
    /// 5xx); when the retries run out the runtime exits 75 and the agent restarts it.
    #[error("{0}")]
    Retry(String),
    /// Retrying in place cannot help: the runtime exits 75 at once and the agent restarts it from
    /// the last confirmed position.
    #[error("{0}")]
    Restart(String),
    /// The component's config cannot work: the runtime exits 78 and is not restarted.
    #[error("invalid config: {0}")]
    InvalidConfig(String),
}

impl ComponentError {
    pub fn retry(e: impl std::fmt::Display) -> Self {
        Self::Retry(e.to_string())
    }
    pub fn restart(e: impl std::fmt::Display) -> Self {
        Self::Restart(e.to_string())
    }
    pub fn invalid_config(e: impl std::fmt::Display) -> Self {
        Self::InvalidConfig(e.to_string())
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Retry(_))
    }
}

impl From<crate::state::StateError> for ComponentError {
    fn from(e: crate::state::StateError) -> Self {
        Self::Restart(e.to_string())
    }
}

impl From<ComponentError> for crate::runtime::WorkloadError {
    fn from(e: ComponentError) -> Self {
        match e {
            ComponentError::InvalidConfig(m) => Self::InvalidConfig(m),
            ComponentError::Retry(m) | ComponentError::Restart(m) => Self::Transient(m),
        }
    }
}
