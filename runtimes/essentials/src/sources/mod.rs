//! The runtime's sources: `generate`, `http` and `file`.

pub(crate) mod file;
pub(crate) mod generate;
pub(crate) mod http;
mod template;
