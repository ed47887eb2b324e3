//! Why a transform could not be applied to one message: a content failure, handled by the
//! connector's error policy (dropped and counted, or dead-lettered).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    #[error(
        "cannot set `{path}`: `{parent}` is not an object; fix the field path or the producer of the data"
    )]
    NotAnObject { path: String, parent: String },
    /// The `jq` program raised an error on this message.
    #[error("jq: {message}")]
    Jq { message: String },
    /// A `jq` step with `on_non_json: error` got a payload that is not JSON.
    #[error("jq: the payload is not JSON (on_non_json: error)")]
    NotJson,
}

impl TransformError {
    /// A short class for the `connect.error.class` dead-letter header.
    pub fn class(&self) -> &'static str {
        match self {
            Self::NotAnObject { .. } => "transform.not_an_object",
            Self::Jq { .. } => "jq.error",
            Self::NotJson => "jq.not_json",
        }
    }
}
