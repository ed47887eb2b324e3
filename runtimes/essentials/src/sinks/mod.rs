//! The runtime's sinks: `stdout`, `file` and `http`.

pub(crate) mod file;
pub(crate) mod http;
pub(crate) mod stdout;
