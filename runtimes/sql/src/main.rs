//! The `sql` runtime: PostgreSQL change data capture and SQL query polling as sources,
//! PostgreSQL and MySQL/MariaDB tables as sinks, launched under the runtime contract.

mod cdc;
#[cfg(test)]
mod config_drift;
mod connection;
mod pg_values;
mod sinks;
mod sources;

use connect_runtime_sdk::runtime::EnvError;
use connect_runtime_sdk::{Components, Runtime, embed_connect};

/// Every component of the runtime, by the type name connector documents use.
fn components() -> Components {
    Components::new(embed_connect!())
        .source("postgres_cdc", cdc::PostgresCdc::from_context)
        .source("sql_query", sources::query::SqlQuery::from_context)
        .sink("postgres", sinks::postgres::PostgresSink::from_context)
        .sink("mysql", sinks::mysql::MysqlSink::from_context)
}

/// mimalloc: messages are allocated on one thread and freed on another, which glibc's malloc
/// handles slowly (docs/PERFORMANCE.md, "Transforms with `jq`").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<(), EnvError> {
    // The MySQL driver builds its TLS config from the process-wide provider; make it ring.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Runtime::from_env()?.launch(components())
}
