//! Why a transform could not be applied to one message (the message is dropped and counted failed).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransformError {
    #[error(
        "cannot set `{path}`: `{parent}` is not an object; fix the field path or the producer of the data"
    )]
    NotAnObject { path: String, parent: String },
}
