//! Sink `redis_streams`: `XADD`s each message to a stream, one pipeline per batch, trimmed
//! with `MAXLEN ~` when `maxlen` is set; a batch counts as written when the pipeline's replies
//! arrived. A failed connection is dropped and the batch sent again on a new one.

use std::time::Duration;

use connect_runtime_sdk::document::duration;
use connect_runtime_sdk::{ComponentContext, ComponentError, Message, Sink, Written, async_trait};
use redis::aio::MultiplexedConnection;
use serde::Deserialize;

use super::{Connection, ID_HEADER, is_transient};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RedisSinkConfig {
    pub(crate) url: String,
    pub(crate) stream: String,
    pub(crate) maxlen: u64,
    pub(crate) payload_field: String,
    pub(crate) key_field: String,
    #[serde(default)]
    pub(crate) username: Option<String>,
    #[serde(default)]
    pub(crate) password: Option<String>,
    #[serde(with = "duration")]
    pub(crate) timeout: Duration,
}

pub(crate) struct RedisSink {
    config: RedisSinkConfig,
    conn: Option<MultiplexedConnection>,
}

impl RedisSink {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        Self::new(ctx.config()?)
    }

    pub(crate) fn new(config: RedisSinkConfig) -> Result<Self, ComponentError> {
        if config.stream.is_empty() {
            return Err(ComponentError::invalid_config("stream: name the stream"));
        }
        let sink = Self { config, conn: None };
        sink.connection().client()?;
        Ok(sink)
    }

    fn connection(&self) -> Connection<'_> {
        Connection {
            url: &self.config.url,
            username: self.config.username.as_deref(),
            password: self.config.password.as_deref(),
            timeout: self.config.timeout,
        }
    }

    fn pipeline(&self, batch: &[Message]) -> redis::Pipeline {
        let c = &self.config;
        let mut pipe = redis::pipe();
        for m in batch {
            let cmd = pipe.cmd("XADD").arg(&c.stream);
            if c.maxlen > 0 {
                cmd.arg("MAXLEN").arg("~").arg(c.maxlen);
            }
            cmd.arg("*").arg(&c.payload_field).arg(&m.payload[..]);
            if let Some(k) = &m.key {
                cmd.arg(&c.key_field).arg(&k[..]);
            }
            for (name, value) in &m.headers {
                if name != &c.payload_field && name != &c.key_field && name != ID_HEADER {
                    cmd.arg(name).arg(value);
                }
            }
            pipe.ignore();
        }
        pipe
    }
}

#[async_trait]
impl Sink for RedisSink {
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        self.conn = Some(self.connection().connect(Duration::ZERO).await?);
        Ok(())
    }

    async fn write(
        &mut self,
        _ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        if self.conn.is_none() {
            self.conn = Some(self.connection().connect(Duration::ZERO).await?);
        }
        let pipe = self.pipeline(batch);
        let conn = self.conn.as_mut().expect("connected above");
        match pipe.query_async::<()>(conn).await {
            Ok(()) => Ok(Written::all()),
            Err(e) if is_transient(&e) => {
                self.conn = None;
                Err(ComponentError::retry(format!(
                    "Redis {}: {e}; the batch is sent again on a new connection",
                    self.config.url
                )))
            }
            Err(e) => Err(ComponentError::restart(format!(
                "Redis refused XADD to `{}`: {e}; check that the key is a stream and the user may write it",
                self.config.stream
            ))),
        }
    }
}
