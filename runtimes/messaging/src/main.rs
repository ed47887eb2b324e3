//! The `messaging` runtime: MQTT, NATS (core and JetStream) and Redis Streams sources and
//! sinks, registered with the SDK and launched under the runtime contract.

#[cfg(test)]
mod config_drift;
mod endpoint;
mod mqtt;
mod nats;
mod pending;
mod redis_streams;
mod template;
mod tls;

use std::time::Duration;

use connect_runtime_sdk::runtime::EnvError;
use connect_runtime_sdk::{Components, RetryPolicy, Runtime, embed_connect};

/// Brokers restart and fail over: a failed write or poll is retried for about half a minute
/// before the runtime exits for a restart.
fn retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 10,
        initial_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(5),
    }
}

/// Every component of the runtime, by the type name connector documents use.
fn components() -> Components {
    Components::new(embed_connect!())
        .source("mqtt", mqtt::source::MqttSource::from_context)
        .source("nats", nats::source::NatsSource::from_context)
        .source(
            "redis_streams",
            redis_streams::source::RedisSource::from_context,
        )
        .sink("mqtt", mqtt::sink::MqttSink::from_context)
        .sink("nats", nats::sink::NatsSink::from_context)
        .sink(
            "redis_streams",
            redis_streams::sink::RedisSink::from_context,
        )
        .retry(retry())
}

/// mimalloc: messages are allocated on one thread and freed on another, which glibc's malloc
/// handles slowly (docs/PERFORMANCE.md, "Transforms with `jq`").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), EnvError> {
    tls::install_ring_provider();
    Runtime::from_env()?.launch(components())
}
