//! The `essentials` runtime: the generate, http and file sources and the stdout, file and http
//! sinks, registered with the SDK and launched under the runtime contract.

#[cfg(test)]
mod config_drift;
mod http_common;
mod line_format;
mod sinks;
mod sources;

use connect_runtime_sdk::runtime::EnvError;
use connect_runtime_sdk::{Components, Runtime, embed_connect};

/// Every component of the runtime, by the type name connector documents use.
fn components() -> Components {
    Components::new(embed_connect!())
        .source("generate", sources::generate::Generate::from_context)
        .source("http", sources::http::HttpPoll::from_context)
        .source("file", sources::file::FileFollow::from_context)
        .sink_on_stdout("stdout", sinks::stdout::Stdout::from_context)
        .sink("file", sinks::file::FileSink::from_context)
        .sink("http", sinks::http::HttpSink::from_context)
}

/// mimalloc: messages are allocated on one thread and freed on another, which glibc's malloc
/// handles slowly (docs/PERFORMANCE.md, "Transforms with `jq`").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), EnvError> {
    Runtime::from_env()?.launch(components())
}
