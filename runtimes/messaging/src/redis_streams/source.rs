//! Source `redis_streams`: reads a stream with a consumer group (`XREADGROUP`), first taking
//! over the group's pending entries (`XAUTOCLAIM`, in id order) after a restart, and `XACK`s
//! entries only in `commit`, after the downstream confirmed them (at-least-once).

use std::time::Duration;

use connect_runtime_sdk::document::duration;
use connect_runtime_sdk::{Batch, ComponentContext, ComponentError, Source, async_trait};
use redis::Value;
use redis::aio::MultiplexedConnection;
use serde::Deserialize;

use super::{Connection, Entry, entries, into_bytes, message};
use crate::pending::Pending;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RedisSourceConfig {
    pub(crate) url: String,
    pub(crate) stream: String,
    pub(crate) group: String,
    #[serde(default)]
    pub(crate) consumer: Option<String>,
    pub(crate) start: String,
    #[serde(with = "duration")]
    pub(crate) block: Duration,
    pub(crate) payload_field: String,
    pub(crate) key_field: String,
    #[serde(default)]
    pub(crate) username: Option<String>,
    #[serde(default)]
    pub(crate) password: Option<String>,
    #[serde(with = "duration")]
    pub(crate) timeout: Duration,
}

pub(crate) struct RedisSource {
    config: RedisSourceConfig,
    consumer: String,
    conn: Option<MultiplexedConnection>,
    /// The `XAUTOCLAIM` position while pending entries are being taken over; `None` once
    /// reading new entries.
    claiming: Option<String>,
    pending: Pending<String>,
}

fn failed(what: &str, e: redis::RedisError) -> ComponentError {
    ComponentError::restart(format!(
        "Redis {what}: {e}; the runtime restarts and unacknowledged entries come again"
    ))
}

impl RedisSource {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        let config: RedisSourceConfig = ctx.config()?;
        Self::new(config, ctx.connector().id.as_str())
    }

    pub(crate) fn new(config: RedisSourceConfig, connector: &str) -> Result<Self, ComponentError> {
        if config.start != "0" && config.start != "$" {
            return Err(ComponentError::invalid_config(
                "start: \"0\" (the whole stream) or \"$\" (new entries only)",
            ));
        }
        let consumer = config
            .consumer
            .clone()
            .unwrap_or_else(|| format!("connect-{connector}"));
        let source = Self {
            config,
            consumer,
            conn: None,
            claiming: Some("0-0".to_string()),
            pending: Pending::default(),
        };
        source.connection().client()?;
        Ok(source)
    }

    fn connection(&self) -> Connection<'_> {
        Connection {
            url: &self.config.url,
            username: self.config.username.as_deref(),
            password: self.config.password.as_deref(),
            timeout: self.config.timeout,
        }
    }

    fn batch(&mut self, entries: Vec<Entry>, extra_acks: Vec<String>) -> Batch {
        let (p, k) = (&self.config.payload_field, &self.config.key_field);
        let mut ids: Vec<String> = entries.iter().map(|e| e.id.clone()).collect();
        ids.extend(extra_acks);
        let messages = entries.into_iter().map(|e| message(e, p, k)).collect();
        Batch {
            messages,
            cursor: Some(self.pending.push(ids)),
        }
    }
}

/// `XAUTOCLAIM`'s reply: the next start, the claimed entries, the ids deleted meanwhile.
fn autoclaim_reply(reply: Value) -> Option<(String, Vec<Entry>, Vec<String>)> {
    let Value::Array(mut parts) = reply else {
        return None;
    };
    if parts.len() < 2 {
        return None;
    }
    let deleted = match parts.get_mut(2).map(std::mem::take) {
        Some(Value::Array(ids)) => ids
            .into_iter()
            .filter_map(|v| String::from_utf8(into_bytes(v)?).ok())
            .collect(),
        _ => Vec::new(),
    };
    let claimed = entries(std::mem::take(&mut parts[1]));
    let next = String::from_utf8(into_bytes(std::mem::take(&mut parts[0]))?).ok()?;
    Some((next, claimed, deleted))
}

/// `XREADGROUP`'s reply for one stream: its entries (none on a timeout).
fn read_reply(reply: Value) -> Vec<Entry> {
    let Value::Array(streams) = reply else {
        return Vec::new();
    };
    streams
        .into_iter()
        .flat_map(|s| match s {
            Value::Array(mut pair) if pair.len() == 2 => entries(pair.pop().unwrap_or_default()),
            _ => Vec::new(),
        })
        .collect()
}

#[async_trait]
impl Source for RedisSource {
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        let mut conn = self.connection().connect(self.config.block).await?;
        let created: Result<(), redis::RedisError> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&self.config.stream)
            .arg(&self.config.group)
            .arg(&self.config.start)
            .arg("MKSTREAM")
            .query_async(&mut conn)
            .await;
        match created {
            Ok(()) => {
                tracing::info!(stream = %self.config.stream, group = %self.config.group, start = %self.config.start, "consumer group created")
            }
            Err(e) if e.code() == Some("BUSYGROUP") => {}
            Err(e) => {
                return Err(ComponentError::retry(format!(
                    "Redis: cannot create group `{}` on stream `{}`: {e}",
                    self.config.group, self.config.stream
                )));
            }
        }
        self.conn = Some(conn);
        Ok(())
    }

    async fn poll(
        &mut self,
        _ctx: &ComponentContext,
        max: usize,
    ) -> Result<Option<Batch>, ComponentError> {
        let conn = self.conn.as_mut().expect("opened before poll");
        let c = &self.config;
        while let Some(from) = self.claiming.clone() {
            let reply: Value = redis::cmd("XAUTOCLAIM")
                .arg(&c.stream)
                .arg(&c.group)
                .arg(&self.consumer)
                .arg(0)
                .arg(&from)
                .arg("COUNT")
                .arg(max)
                .query_async(conn)
                .await
                .map_err(|e| failed("XAUTOCLAIM", e))?;
            let (next, claimed, deleted) = autoclaim_reply(reply).ok_or_else(|| {
                ComponentError::restart(
                    "Redis XAUTOCLAIM: an unexpected reply (Redis 6.2 or later is needed)",
                )
            })?;
            self.claiming = (next != "0-0").then_some(next);
            if !claimed.is_empty() || !deleted.is_empty() {
                tracing::info!(entries = claimed.len(), "taking over pending entries");
                // Entries deleted from the stream cannot be delivered: acknowledged with the batch.
                return Ok(Some(self.batch(claimed, deleted)));
            }
        }
        let reply: Value = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(&c.group)
            .arg(&self.consumer)
            .arg("COUNT")
            .arg(max)
            .arg("BLOCK")
            .arg(
                u64::try_from(c.block.as_millis())
                    .unwrap_or(u64::MAX)
                    .max(1),
            )
            .arg("STREAMS")
            .arg(&c.stream)
            .arg(">")
            .query_async(conn)
            .await
            .map_err(|e| failed("XREADGROUP", e))?;
        let entries = read_reply(reply);
        if entries.is_empty() {
            return Ok(Some(Batch::default()));
        }
        Ok(Some(self.batch(entries, Vec::new())))
    }

    async fn commit(
        &mut self,
        _ctx: &ComponentContext,
        cursor: serde_json::Value,
    ) -> Result<(), ComponentError> {
        let ids = self.pending.take_through(&cursor);
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        for chunk in ids.chunks(10_000) {
            let _: i64 = redis::cmd("XACK")
                .arg(&self.config.stream)
                .arg(&self.config.group)
                .arg(chunk)
                .query_async(conn)
                .await
                .map_err(|e| failed("XACK", e))?;
        }
        Ok(())
    }
}
