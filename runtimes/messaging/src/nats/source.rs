//! Source `nats`: a core NATS subscription (at-most-once: what arrives while the runtime is
//! down is lost) or, with `stream` set, a durable JetStream pull consumer acknowledged only in
//! `commit`, after the downstream confirmed (at-least-once, in stream order across restarts).

use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, pull};
use async_nats::jetstream::message::Acker;
use async_nats::jetstream::{self, stream};
use connect_runtime_sdk::component::now_us;
use connect_runtime_sdk::document::duration;
use connect_runtime_sdk::{Batch, ComponentContext, ComponentError, Message, Source, async_trait};
use futures::{FutureExt, StreamExt};
use serde::Deserialize;

use super::{Connection, SUBJECT_HEADER, headers_in};
use crate::pending::Pending;

/// How long `poll` waits for a first message before returning an empty batch.
const IDLE: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Deliver {
    All,
    New,
    Last,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NatsSourceConfig {
    pub(crate) url: String,
    #[serde(default)]
    pub(crate) subject: Option<String>,
    #[serde(default)]
    pub(crate) stream: Option<String>,
    #[serde(default)]
    pub(crate) durable: Option<String>,
    #[serde(default)]
    pub(crate) filter_subject: Option<String>,
    pub(crate) deliver_policy: Deliver,
    pub(crate) create_stream: bool,
    #[serde(default)]
    pub(crate) subjects: Vec<String>,
    #[serde(with = "duration")]
    pub(crate) ack_wait: Duration,
    pub(crate) max_ack_pending: i64,
    #[serde(default)]
    pub(crate) username: Option<String>,
    #[serde(default)]
    pub(crate) password: Option<String>,
    #[serde(default)]
    pub(crate) token: Option<String>,
    #[serde(default)]
    pub(crate) ca_file: Option<String>,
    #[serde(with = "duration")]
    pub(crate) connect_timeout: Duration,
}

enum Reader {
    Core(async_nats::Subscriber),
    JetStream(Box<jetstream::consumer::pull::Stream>),
}

pub(crate) struct NatsSource {
    config: NatsSourceConfig,
    durable: String,
    client: Option<async_nats::Client>,
    reader: Option<Reader>,
    /// Per batch: the acker of its last message (the consumer acknowledges cumulatively).
    pending: Pending<Acker>,
}

impl NatsSource {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        let config: NatsSourceConfig = ctx.config()?;
        Self::new(config, ctx.connector().id.as_str())
    }

    pub(crate) fn new(config: NatsSourceConfig, connector: &str) -> Result<Self, ComponentError> {
        match (&config.subject, &config.stream) {
            (Some(_), None) | (None, Some(_)) => {}
            _ => {
                return Err(ComponentError::invalid_config(
                    "set exactly one of `subject` (core NATS, at-most-once) and `stream` (JetStream, at-least-once)",
                ));
            }
        }
        if config.create_stream && config.subjects.is_empty() {
            return Err(ComponentError::invalid_config(
                "create_stream: list the `subjects` the new stream captures",
            ));
        }
        if config.max_ack_pending < 1 {
            return Err(ComponentError::invalid_config(
                "max_ack_pending: at least 1",
            ));
        }
        let durable = config
            .durable
            .clone()
            .unwrap_or_else(|| format!("connect-{connector}"));
        let source = Self {
            config,
            durable,
            client: None,
            reader: None,
            pending: Pending::default(),
        };
        source.connection("").check()?;
        Ok(source)
    }

    fn connection(&self, name: &str) -> Connection<'_> {
        Connection {
            url: &self.config.url,
            username: self.config.username.as_deref(),
            password: self.config.password.as_deref(),
            token: self.config.token.as_deref(),
            ca_file: self.config.ca_file.as_deref(),
            connect_timeout: self.config.connect_timeout,
            name: name.to_string(),
        }
    }

    /// The durable consumer, positioned right after its acknowledged floor: a consumer left
    /// with unacknowledged messages (a killed runtime) is recreated there, so they come again
    /// at once and in stream order instead of after `ack_wait` behind newer ones.
    async fn consumer(
        &self,
        js: &jetstream::Context,
        stream_name: &str,
    ) -> Result<jetstream::consumer::PullConsumer, String> {
        let stream = if self.config.create_stream {
            js.get_or_create_stream(stream::Config {
                name: stream_name.to_string(),
                subjects: self.config.subjects.clone(),
                ..Default::default()
            })
            .await
            .map_err(|e| format!("cannot create stream `{stream_name}`: {e}"))?
        } else {
            js.get_stream(stream_name).await.map_err(|e| {
                format!("stream `{stream_name}`: {e}; create it or set create_stream: true")
            })?
        };
        let mut config = pull::Config {
            durable_name: Some(self.durable.clone()),
            filter_subject: self.config.filter_subject.clone().unwrap_or_default(),
            deliver_policy: match self.config.deliver_policy {
                Deliver::All => DeliverPolicy::All,
                Deliver::New => DeliverPolicy::New,
                Deliver::Last => DeliverPolicy::Last,
            },
            ack_policy: AckPolicy::All,
            ack_wait: self.config.ack_wait,
            max_ack_pending: self.config.max_ack_pending,
            ..Default::default()
        };
        let durable = &self.durable;
        match stream.consumer_info(durable).await {
            Ok(info) if info.num_ack_pending > 0 => {
                let start = info.ack_floor.stream_sequence + 1;
                tracing::info!(consumer = %durable, unacknowledged = info.num_ack_pending, from = start, "resuming after the acknowledged floor");
                stream
                    .delete_consumer(durable)
                    .await
                    .map_err(|e| format!("consumer `{durable}`: {e}"))?;
                config.deliver_policy = DeliverPolicy::ByStartSequence {
                    start_sequence: start,
                };
                stream.create_consumer(config).await.map_err(|e| e.to_string())
            }
            Ok(_) => stream
                .get_consumer::<pull::Config>(durable)
                .await
                .map_err(|e| e.to_string()),
            Err(_) => stream.create_consumer(config).await.map_err(|e| e.to_string()),
        }
        .map_err(|e| format!("consumer `{durable}` on stream `{stream_name}`: {e}"))
    }

    fn message(m: async_nats::Message) -> Message {
        let mut headers = headers_in(m.headers.as_ref());
        headers.insert(SUBJECT_HEADER.to_string(), m.subject.to_string());
        Message {
            payload: m.payload,
            headers,
            timestamp_us: now_us(),
            ..Message::default()
        }
    }
}

#[async_trait]
impl Source for NatsSource {
    async fn open(&mut self, ctx: &ComponentContext) -> Result<(), ComponentError> {
        let client = self
            .connection(&format!("connect-{}", ctx.connector().id.as_str()))
            .connect()
            .await?;
        let reader = match (&self.config.subject, &self.config.stream) {
            (Some(subject), _) => Reader::Core(
                client
                    .subscribe(subject.clone())
                    .await
                    .map_err(ComponentError::retry)?,
            ),
            (None, Some(stream)) => {
                let js = jetstream::new(client.clone());
                let consumer = self
                    .consumer(&js, stream)
                    .await
                    .map_err(ComponentError::retry)?;
                Reader::JetStream(Box::new(
                    consumer
                        .stream()
                        .max_messages_per_batch(1000)
                        .messages()
                        .await
                        .map_err(ComponentError::retry)?,
                ))
            }
            (None, None) => unreachable!("checked in new"),
        };
        self.client = Some(client);
        self.reader = Some(reader);
        Ok(())
    }

    async fn poll(
        &mut self,
        ctx: &ComponentContext,
        max: usize,
    ) -> Result<Option<Batch>, ComponentError> {
        let mut messages = Vec::new();
        match self.reader.as_mut().expect("opened before poll") {
            Reader::Core(sub) => {
                let mut next = tokio::select! {
                    m = sub.next() => m,
                    _ = tokio::time::sleep(IDLE) => return Ok(Some(Batch::default())),
                    _ = ctx.cancellation().cancelled() => return Ok(Some(Batch::default())),
                };
                while let Some(m) = next {
                    messages.push(Self::message(m));
                    if messages.len() >= max {
                        break;
                    }
                    next = sub.next().now_or_never().flatten();
                }
                if messages.is_empty() {
                    return Err(ComponentError::restart("the NATS subscription ended"));
                }
                // Core NATS has nothing to acknowledge: no cursor.
                return Ok(Some(Batch {
                    messages,
                    cursor: None,
                }));
            }
            Reader::JetStream(stream) => {
                let mut next = tokio::select! {
                    m = stream.next() => m,
                    _ = tokio::time::sleep(IDLE) => return Ok(Some(Batch::default())),
                    _ = ctx.cancellation().cancelled() => return Ok(Some(Batch::default())),
                };
                let mut last;
                loop {
                    match next {
                        Some(Ok(m)) => {
                            let (m, acker) = m.split();
                            messages.push(Self::message(m));
                            last = Some(acker);
                        }
                        Some(Err(e)) => {
                            return Err(ComponentError::restart(format!(
                                "JetStream consumer `{}`: {e}; the runtime restarts and unacknowledged messages come again",
                                self.durable
                            )));
                        }
                        None => {
                            return Err(ComponentError::restart("the JetStream consumer ended"));
                        }
                    }
                    if messages.len() >= max {
                        break;
                    }
                    match stream.next().now_or_never() {
                        Some(m) => next = m,
                        None => break,
                    }
                }
                let cursor = self.pending.push(last.into_iter().collect());
                Ok(Some(Batch {
                    messages,
                    cursor: Some(cursor),
                }))
            }
        }
    }

    async fn commit(
        &mut self,
        _ctx: &ComponentContext,
        cursor: serde_json::Value,
    ) -> Result<(), ComponentError> {
        // With AckPolicy::All the newest confirmed message acknowledges all before it.
        if let Some(acker) = self.pending.take_through(&cursor).pop() {
            acker.double_ack().await.map_err(|e| {
                ComponentError::restart(format!(
                    "JetStream acknowledgement not confirmed: {e}; the runtime restarts and the unacknowledged messages come again"
                ))
            })?;
        }
        Ok(())
    }

    async fn close(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        self.reader = None;
        if let Some(client) = self.client.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), client.flush()).await;
        }
        Ok(())
    }
}
