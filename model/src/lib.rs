//! What the connect agent and its runtimes share, with no async runtime and no Iggy client: the
//! connector document, `.connect` metadata and its validator, the runtime contract's types,
//! field-path errors, the YAML boundary and atomic file writes.

pub mod atomic;
pub mod backoff;
pub mod contract;
pub mod document;
pub mod metadata;
pub mod validation;
pub mod yaml;

pub use contract::ExitCode;
pub use document::ConnectorConfig;
pub use metadata::RuntimeMetadata;
pub use validation::{FieldError, FieldErrors};
