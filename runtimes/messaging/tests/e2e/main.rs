//! End-to-end tests of the `messaging` binary: the real process, real brokers from Debian
//! (private instances on free ports), real SIGKILLs and broker restarts.

mod bridge;
mod mqtt;
mod nats;
mod redis_streams;
mod servers;
mod support;
