//! Source `mqtt`: subscribes to topics with a persistent session and manual acknowledgements;
//! a QoS 1/2 message is acknowledged to the broker only in `commit`, after the downstream
//! confirmed it, so a killed runtime gets every unacknowledged message again.

use std::time::Duration;

use bytes::Bytes;
use connect_runtime_sdk::component::now_us;
use connect_runtime_sdk::model::duration;
use connect_runtime_sdk::{Batch, ComponentContext, ComponentError, Message, Source, async_trait};
use rumqttc::{AsyncClient, Event, Packet, Publish, QoS, SubscribeReasonCode};
use serde::Deserialize;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::{Connection, TOPIC_HEADER, default_client_id, qos};
use crate::pending::Pending;

/// Received messages buffered between the connection task and `poll`; a full buffer stops
/// reading from the socket (TCP backpressure to the broker).
const BUFFER: usize = 8192;
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
    pub(crate) fn check(&self) -> Result<QoS, ComponentError> {
        if self.topics.is_empty() || self.topics.iter().any(String::is_empty) {
            return Err(ComponentError::invalid_config(
                "topics: list at least one topic filter, e.g. [\"sensors/#\"]",
            ));
        }
        qos(self.qos)
    }
}

type Received = Result<Publish, String>;

pub(crate) struct MqttSource {
    config: MqttSourceConfig,
    client_id: String,
    qos: QoS,
    client: Option<AsyncClient>,
    rx: Option<mpsc::Receiver<Received>>,
    task: Option<JoinHandle<()>>,
    /// Per batch: the QoS 1/2 messages to acknowledge once it is confirmed.
    pending: Pending<Publish>,
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
            client_id: self.client_id.clone(),
            clean_session: self.config.clean_session,
            username: self.config.username.as_deref(),
            password: self.config.password.as_deref(),
            keep_alive: self.config.keep_alive,
            ca_file: self.config.ca_file.as_deref(),
        }
    }

    fn message(&self, p: Publish) -> Message {
        let topic = p.topic;
        Message {
            payload: p.payload,
            key: self
                .config
                .key_from_topic
                .then(|| Bytes::from(topic.clone().into_bytes())),
            headers: [(TOPIC_HEADER.to_string(), topic)].into(),
            timestamp_us: now_us(),
            ..Message::default()
        }
    }
}

/// Drives the connection: forwards publishes, reports the first CONNACK (or failure) and ends
/// at the first connection error (the runtime then restarts; the broker redelivers).
async fn drive(
    mut eventloop: rumqttc::EventLoop,
    tx: mpsc::Sender<Received>,
    connected: oneshot::Sender<Result<bool, String>>,
) {
    let mut connected = Some(connected);
    loop {
        let failure = match eventloop.poll().await {
            Ok(Event::Incoming(Packet::Publish(p))) => {
                if tx.send(Ok(p)).await.is_err() {
                    return;
                }
                continue;
            }
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                if let Some(c) = connected.take() {
                    let _ = c.send(Ok(ack.session_present));
                }
                continue;
            }
            Ok(Event::Incoming(Packet::SubAck(ack)))
                if ack.return_codes.contains(&SubscribeReasonCode::Failure) =>
            {
                "the broker refused a subscription; check the topic filters and the client's permissions".to_string()
            }
            Ok(_) => continue,
            Err(e) => e.to_string(),
        };
        match connected.take() {
            Some(c) => {
                let _ = c.send(Err(failure));
            }
            None => {
                let _ = tx.send(Err(failure)).await;
            }
        }
        return;
    }
}

#[async_trait]
impl Source for MqttSource {
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        let mut options = self.connection().options()?;
        options.set_manual_acks(true);
        let (client, eventloop) = AsyncClient::new(options, REQUESTS);
        for topic in &self.config.topics {
            client
                .subscribe(topic.clone(), self.qos)
                .await
                .map_err(ComponentError::restart)?;
        }
        let (tx, rx) = mpsc::channel(BUFFER);
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
        tracing::info!(client_id = %self.client_id, session_present = session, topics = ?self.config.topics, "subscribed");
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
        let mut received = Vec::with_capacity(max.min(BUFFER));
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
            if p.qos != QoS::AtMostOnce {
                acks.push(Publish {
                    dup: p.dup,
                    qos: p.qos,
                    retain: false,
                    topic: String::new(),
                    pkid: p.pkid,
                    payload: Bytes::new(),
                });
            }
            messages.push(self.message(p));
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
            let _ = client.disconnect().await;
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
