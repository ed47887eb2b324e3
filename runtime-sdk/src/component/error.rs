//! How a component fails, which decides between retrying, restarting and giving up.

/// A source or sink failure.
#[derive(Debug, thiserror::Error)]
pub enum ComponentError {
    /// Worth retrying (a peer is down, a timeout, a 5xx).
    #[error("{0}")]
    Transient(String),
    /// Retrying the same input cannot help; the runtime exits so the agent restarts it from the
    /// last confirmed position.
    #[error("{0}")]
    Permanent(String),
    /// The component's config cannot work; the runtime exits with the invalid-config code.
    #[error("invalid config: {0}")]
    InvalidConfig(String),
}

impl ComponentError {
    pub fn transient(e: impl std::fmt::Display) -> Self {
        Self::Transient(e.to_string())
    }
    pub fn permanent(e: impl std::fmt::Display) -> Self {
        Self::Permanent(e.to_string())
    }
    pub fn invalid_config(e: impl std::fmt::Display) -> Self {
        Self::InvalidConfig(e.to_string())
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient(_))
    }
}

impl From<crate::state::StateError> for ComponentError {
    fn from(e: crate::state::StateError) -> Self {
        Self::Permanent(e.to_string())
    }
}

impl From<ComponentError> for crate::runtime::WorkloadError {
    fn from(e: ComponentError) -> Self {
        match e {
            ComponentError::InvalidConfig(m) => Self::InvalidConfig(m),
            ComponentError::Transient(m) | ComponentError::Permanent(m) => Self::Transient(m),
        }
    }
}
