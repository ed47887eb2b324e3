//! `vanilla`, the smallest connect runtime and the example of the SDK docs: an `iggy` source and
//! an `iggy` sink that read and write a topic on any Iggy server. The SDK's own `consumer` and
//! `producer` steps do the rest, so `consumer → sink: iggy` or `source: iggy → producer`
//! replicates a topic from one Iggy server to another.

use connect_runtime_sdk::document::{ConsumerStep, IggyConnection, ProducerStep, StartFrom};
use connect_runtime_sdk::iggy::{IggySink, IggySource};
use connect_runtime_sdk::runtime::EnvError;
use connect_runtime_sdk::{ComponentContext, ComponentError, Components, Runtime, embed_connect};
use serde::Deserialize;

#[cfg(test)]
mod tests;

/// mimalloc: messages are allocated on one thread and freed on another, which glibc's malloc
/// handles slowly (docs/PERFORMANCE.md, "Transforms with `jq`").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), EnvError> {
    Runtime::from_env()?.launch(components())
}

fn components() -> Components {
    // `.connect/`: the runtime's manifest and its components' fields, embedded in the binary.
    Components::new(embed_connect!())
        .source("iggy", source)
        .sink("iggy", sink)
}

/// The config of the `iggy` source (`.connect/sources/iggy.yml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SourceConfig {
    address: Option<String>,
    username: Option<String>,
    password: Option<String>,
    token: Option<String>,
    stream: String,
    topic: String,
    consumer_group: String,
    #[serde(default)]
    start: StartFrom,
}

/// The config of the `iggy` sink (`.connect/sinks/iggy.yml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SinkConfig {
    address: Option<String>,
    username: Option<String>,
    password: Option<String>,
    token: Option<String>,
    stream: String,
    topic: String,
    #[serde(default)]
    create_topic: bool,
    #[serde(default = "one")]
    partitions: u32,
}

fn one() -> u32 {
    1
}

fn source(ctx: &ComponentContext) -> Result<IggySource, ComponentError> {
    let c: SourceConfig = ctx.config()?;
    let step = ConsumerStep {
        start: c.start,
        iggy: server(c.address, c.username, c.password, c.token)?,
        ..ConsumerStep::new(c.stream, c.topic, c.consumer_group)
    };
    IggySource::new(ctx, &step)
}

fn sink(ctx: &ComponentContext) -> Result<IggySink, ComponentError> {
    let c: SinkConfig = ctx.config()?;
    let step = ProducerStep {
        create_topic: c.create_topic,
        partitions: c.partitions,
        iggy: server(c.address, c.username, c.password, c.token)?,
        ..ProducerStep::new(c.stream, c.topic)
    };
    IggySink::new(ctx, &step)
}

/// The server to use instead of the agent's; what is left out comes from `CONNECT_IGGY_*`.
fn server(
    address: Option<String>,
    username: Option<String>,
    password: Option<String>,
    token: Option<String>,
) -> Result<Option<IggyConnection>, ComponentError> {
    if token.is_some() && (username.is_some() || password.is_some()) {
        return Err(ComponentError::invalid_config(
            "give either token or username/password, not both",
        ));
    }
    let connection = IggyConnection {
        address,
        username,
        password,
        token,
        tls: None,
    };
    Ok((connection != IggyConnection::default()).then_some(connection))
}
