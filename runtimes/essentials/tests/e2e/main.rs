//! End-to-end tests of the `essentials` binary: the real process, real files, a real local
//! HTTP server, real signals.

mod cli;
mod encoding;
mod file_source;
mod generate;
mod http_server;
mod http_sink;
mod http_source;
mod support;
