//! Source `mqtt`: subscribes to topics (MQTT 3.1.1 or 5) with a persistent session and manual
//! acknowledgements; a QoS 1/2 message is acknowledged to the broker only in `commit`, after
//! the downstream confirmed it, so a killed runtime gets every unacknowledged message again.

use std::time::Duration;

use bytes::Bytes;
use connect_runtime_sdk::component::now_us;
use connect_runtime_sdk::document::duration;
use connect_runtime_sdk::{Batch, ComponentContext, ComponentError, Message, Source, async_trait};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::client::{Ack, Client, Happened, Received};
use super::{Connection, Protocol, TOPIC_HEADER, check_qos, default_client_id};
use crate::pending::Pending;

/// Messages taken from the buffer per `poll` at most (besides the pipeline's `max`).
const POLL_MAX: usize = 8192;
/// Room for acknowledgements: at most 65,535 QoS 1/2 messages (packet ids) are unacknowledged
/// at once, so queueing acks never waits on the connection task.
const REQUESTS: usize = 65_536 + 1024;
/// How long `poll` waits for a first message before returning an empty batch (which lets the
/// pipeline commit confirmed cursors while the topics are quiet).
const IDLE: Duration = Duration::from_millis(100);

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MqttSourceConfig {
    pub(crate) url: String,
    pub(crate) protocol: Protocol,
    pub(crate) topics: Vec<String>,
    pub(crate) qos: u8,
    #[serde(default)]
    pub(crate) client_id: Option<String>,
    pub(crate) clean_session: bool,
    pub(crate) key_from_topic: bool,
    #[serde(default)]
    pub(crate) username: Option<String>,
    #[serde(default)]
    pub(crate) password: Option<String>,
    #[serde(with = "duration")]
    pub(crate) keep_alive: Duration,
    #[serde(with = "duration")]
    pub(crate) connect_timeout: Duration,
    #[serde(default)]
    pub(crate) ca_file: Option<String>,
}

impl MqttSourceConfig {
    pub(crate) fn check(&self) -> Result<u8, ComponentError> {
        if self.topics.is_empty() || self.topics.iter().any(String::is_empty) {
            return Err(ComponentError::invalid_config(
                "topics: list at least one topic filter, e.g. [\"sensors/#\"]",
            ));
        }
        check_qos(self.qos)
    }
}

type Delivered = Result<Received, String>;

pub(crate) struct MqttSource {
    config: MqttSourceConfig,
    client_id: String,
    qos: u8,
    client: Option<Client>,
    /// Received messages. Unbounded on purpose: the connection task must never wait (it also
    /// sends the acknowledgements and pings); the broker bounds what is unacknowledged
    /// (QoS 1/2: at most 65,535 packet ids; mosquitto `max_inflight_messages`; MQTT 5
    /// receive maximum).
    rx: Option<mpsc::UnboundedReceiver<Delivered>>,
    task: Option<JoinHandle<()>>,
    /// Per batch: the QoS 1/2 messages to acknowledge once it is confirmed.
    pending: Pending<Ack>,
}

impl MqttSource {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        let config: MqttSourceConfig = ctx.config()?;
        Self::new(config, ctx.connector().id.as_str())
    }

    pub(crate) fn new(config: MqttSourceConfig, connector: &str) -> Result<Self, ComponentError> {
        let qos = config.check()?;
        let client_id = config
            .client_id
            .clone()
            .unwrap_or_else(|| default_client_id(connector, "source"));
        Ok(Self {
            config,
            client_id,
            qos,
            client: None,
            rx: None,
            task: None,
            pending: Pending::default(),
        })
    }

    fn connection(&self) -> Connection<'_> {
        Connection {
            url: &self.config.url,
            protocol: self.config.protocol,
            client_id: self.client_id.clone(),
            clean_session: self.config.clean_session,
            username: self.config.username.as_deref(),
            password: self.config.password.as_deref(),
            keep_alive: self.config.keep_alive,
            ca_file: self.config.ca_file.as_deref(),
        }
    }

    fn message(&self, topic: String, payload: Bytes, properties: Vec<(String, String)>) -> Message {
        let mut headers: std::collections::BTreeMap<String, String> =
            properties.into_iter().collect();
        let key = self
            .config
            .key_from_topic
            .then(|| Bytes::from(topic.clone().into_bytes()));
        headers.insert(TOPIC_HEADER.to_string(), topic);
        Message {
            payload,
            key,
            headers,
            timestamp_us: now_us(),
            ..Message::default()
        }
    }
}

/// Drives the connection: forwards publishes, reports the first CONNACK (or failure) and ends
/// at the first connection error (the runtime then restarts; the broker redelivers).
async fn drive(
    mut connection: super::client::Connection,
    tx: mpsc::UnboundedSender<Delivered>,
    connected: oneshot::Sender<Result<bool, String>>,
) {
    let mut connected = Some(connected);
    loop {
        let failure = match connection.next().await {
            Ok(Happened::Publish(p)) => {
                if tx.send(Ok(p)).is_err() {
                    return;
                }
                continue;
            }
            Ok(Happened::Connected { session_present }) => {
                if let Some(c) = connected.take() {
                    let _ = c.send(Ok(session_present));
                }
                continue;
            }
            Ok(Happened::SubscriptionRefused) => {
                "the broker refused a subscription; check the topic filters and the client's permissions".to_string()
            }
            Ok(_) => continue,
            Err(e) => e,
        };
        match connected.take() {
            Some(c) => {
                let _ = c.send(Err(failure));
            }
            None => {
                let _ = tx.send(Err(failure));
            }
        }
        return;
    }
}

#[async_trait]
impl Source for MqttSource {
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        let settings = self.connection().settings(true, 100, REQUESTS)?;
        let (client, eventloop) = super::client::connect(settings);
        for topic in &self.config.topics {
            client
                .subscribe(topic, self.qos)
                .await
                .map_err(ComponentError::restart)?;
        }
        let (tx, rx) = mpsc::unbounded_channel();
        let (ctx_tx, ctx_rx) = oneshot::channel();
        self.task = Some(tokio::spawn(drive(eventloop, tx, ctx_tx)));
        let url = &self.config.url;
        let session = match tokio::time::timeout(self.config.connect_timeout, ctx_rx).await {
            Ok(Ok(Ok(present))) => present,
            Ok(Ok(Err(e))) => {
                return Err(ComponentError::retry(format!(
                    "MQTT broker {url}: {e}; check that it runs and accepts this client"
                )));
            }
            _ => {
                return Err(ComponentError::retry(format!(
                    "MQTT broker {url}: no CONNACK within {:?}; check the url",
                    self.config.connect_timeout
                )));
            }
        };
        tracing::info!(client_id = %self.client_id, protocol = ?self.config.protocol, session_present = session, topics = ?self.config.topics, "subscribed");
        self.client = Some(client);
        self.rx = Some(rx);
        Ok(())
    }

    async fn poll(
        &mut self,
        ctx: &ComponentContext,
        max: usize,
    ) -> Result<Option<Batch>, ComponentError> {
        let rx = self.rx.as_mut().expect("opened before poll");
        let first = tokio::select! {
            m = rx.recv() => m,
            _ = tokio::time::sleep(IDLE) => return Ok(Some(Batch::default())),
            _ = ctx.cancellation().cancelled() => return Ok(Some(Batch::default())),
        };
        let max = max.min(POLL_MAX);
        let mut received = Vec::with_capacity(max);
        let mut next = first;
        loop {
            match next {
                Some(Ok(p)) => received.push(p),
                Some(Err(e)) => {
                    return Err(ComponentError::restart(format!(
                        "MQTT connection lost: {e}; the runtime restarts and the broker redelivers what was not acknowledged"
                    )));
                }
                None => return Err(ComponentError::restart("MQTT connection task ended")),
            }
            if received.len() >= max {
                break;
            }
            next = match rx.try_recv() {
                Ok(m) => Some(m),
                Err(_) => break,
            };
        }
        let mut acks = Vec::new();
        let mut messages = Vec::with_capacity(received.len());
        for p in received {
            acks.extend(p.ack);
            messages.push(self.message(p.topic, p.payload, p.properties));
        }
        let cursor = self.pending.push(acks);
        Ok(Some(Batch {
            messages,
            cursor: Some(cursor),
        }))
    }

    async fn commit(
        &mut self,
        _ctx: &ComponentContext,
        cursor: serde_json::Value,
    ) -> Result<(), ComponentError> {
        let Some(client) = &self.client else {
            return Ok(());
        };
        for p in self.pending.take_through(&cursor) {
            client.ack(&p).await.map_err(|e| {
                ComponentError::restart(format!("MQTT acknowledgement not sent: {e}"))
            })?;
        }
        Ok(())
    }

    async fn close(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        if let Some(client) = self.client.take() {
            // Queued after the last acknowledgements, so those reach the broker first.
            client.disconnect().await;
        }
        // Received messages are dropped (never acknowledged: the broker keeps them) while the
        // task sends what is queued and ends.
        if let (Some(task), Some(mut rx)) = (self.task.take(), self.rx.take()) {
            let drain = async { while rx.recv().await.is_some() {} };
            let ended = async { tokio::join!(task, drain) };
            if tokio::time::timeout(Duration::from_secs(2), ended)
                .await
                .is_err()
            {
                tracing::warn!("the MQTT connection did not close in time");
            }
        }
        Ok(())
    }
}
