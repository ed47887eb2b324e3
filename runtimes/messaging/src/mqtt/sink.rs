//! Sink `mqtt`: publishes each message (MQTT 3.1.1 or 5; with 5 the headers as user
//! properties) to a topic made from a template; with QoS 1/2 a batch counts as written only
//! when every PUBACK (PUBCOMP) arrived. A failed connection is dropped and the batch retried
//! on a fresh one (duplicates possible, nothing lost).

use std::time::Duration;

use connect_runtime_sdk::document::duration;
use connect_runtime_sdk::{ComponentContext, ComponentError, Message, Sink, Written, async_trait};
use serde::Deserialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::client::{Client, Happened};
use super::{Connection, Protocol, check_qos, default_client_id};
use crate::template::Template;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MqttSinkConfig {
    pub(crate) url: String,
    pub(crate) protocol: Protocol,
    pub(crate) topic: String,
    pub(crate) qos: u8,
    pub(crate) retain: bool,
    #[serde(default)]
    pub(crate) client_id: Option<String>,
    #[serde(default)]
    pub(crate) username: Option<String>,
    #[serde(default)]
    pub(crate) password: Option<String>,
    #[serde(with = "duration")]
    pub(crate) keep_alive: Duration,
    #[serde(with = "duration")]
    pub(crate) connect_timeout: Duration,
    #[serde(with = "duration")]
    pub(crate) ack_timeout: Duration,
    pub(crate) max_inflight: u16,
    #[serde(default)]
    pub(crate) ca_file: Option<String>,
}

/// What the connection task has seen since it connected.
#[derive(Debug, Clone, Default)]
struct Progress {
    connected: bool,
    /// PUBLISH packets written to the socket.
    sent: u64,
    /// PUBACK (QoS 1) or PUBCOMP (QoS 2) packets received.
    confirmed: u64,
    failure: Option<String>,
}

struct Live {
    client: Client,
    task: JoinHandle<()>,
    progress: watch::Receiver<Progress>,
    /// Messages published on this connection so far.
    published: u64,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) struct MqttSink {
    config: MqttSinkConfig,
    client_id: String,
    topic: Template,
    qos: u8,
    live: Option<Live>,
}

impl MqttSink {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        let config: MqttSinkConfig = ctx.config()?;
        Self::new(config, ctx.connector().id.as_str())
    }

    pub(crate) fn new(config: MqttSinkConfig, connector: &str) -> Result<Self, ComponentError> {
        let topic = Template::parse(&config.topic)
            .map_err(|e| ComponentError::invalid_config(format!("topic: {e}")))?;
        let qos = check_qos(config.qos)?;
        if config.max_inflight == 0 {
            return Err(ComponentError::invalid_config(
                "max_inflight: must be at least 1",
            ));
        }
        let client_id = config
            .client_id
            .clone()
            .unwrap_or_else(|| default_client_id(connector, "sink"));
        Ok(Self {
            config,
            client_id,
            topic,
            qos,
            live: None,
        })
    }

    /// The open connection, or a new one once the broker answered CONNACK.
    async fn connect(&mut self) -> Result<&mut Live, ComponentError> {
        if self.live.is_none() {
            let settings = Connection {
                url: &self.config.url,
                protocol: self.config.protocol,
                client_id: self.client_id.clone(),
                clean_session: true,
                username: self.config.username.as_deref(),
                password: self.config.password.as_deref(),
                keep_alive: self.config.keep_alive,
                ca_file: self.config.ca_file.as_deref(),
            }
            .settings(false, self.config.max_inflight, 1024)?;
            let (client, eventloop) = super::client::connect(settings);
            let (tx, mut progress) = watch::channel(Progress::default());
            let task = tokio::spawn(drive(eventloop, tx));
            let live = Live {
                client,
                task,
                progress: progress.clone(),
                published: 0,
            };
            let waited = tokio::time::timeout(
                self.config.connect_timeout,
                progress.wait_for(|p| p.connected || p.failure.is_some()),
            )
            .await;
            let url = &self.config.url;
            match waited {
                Ok(Ok(p)) if p.connected => {}
                Ok(Ok(p)) => {
                    return Err(ComponentError::retry(format!(
                        "MQTT broker {url}: {}; check that it runs and accepts this client",
                        p.failure.clone().unwrap_or_default()
                    )));
                }
                _ => {
                    return Err(ComponentError::retry(format!(
                        "MQTT broker {url}: no CONNACK within {:?}",
                        self.config.connect_timeout
                    )));
                }
            }
            tracing::info!(client_id = %self.client_id, "connected to the MQTT broker");
            self.live = Some(live);
        }
        Ok(self.live.as_mut().expect("set above"))
    }

    /// Publishes the batch on the live connection and waits until the broker confirmed it.
    async fn publish(&mut self, batch: &[Message]) -> Result<Written, String> {
        let (qos, retain, timeout) = (self.qos, self.config.retain, self.config.ack_timeout);
        let mut written = Written::all();
        let mut topics = Vec::with_capacity(batch.len());
        for (i, m) in batch.iter().enumerate() {
            match self.topic.render(m) {
                Ok(t) if valid_topic(&t) => topics.push(Some(t)),
                Ok(t) => {
                    written.reject(
                        i,
                        "mqtt.topic",
                        format!("`{t}` is not a topic name to publish to (empty, or with + or #)"),
                    );
                    topics.push(None);
                }
                Err(e) => {
                    written.reject(i, "mqtt.topic", e);
                    topics.push(None);
                }
            }
        }
        let live = self.live.as_mut().expect("connected");
        for (m, topic) in batch.iter().zip(topics) {
            let Some(topic) = topic else { continue };
            live.client
                .publish(topic, qos, retain, m.payload.clone(), &m.headers)
                .await?;
            live.published += 1;
        }
        let target = live.published;
        let done = live.progress.wait_for(|p| {
            p.failure.is_some()
                || if qos == 0 {
                    p.sent >= target
                } else {
                    p.confirmed >= target
                }
        });
        match tokio::time::timeout(timeout, done).await {
            Ok(Ok(p)) => match &p.failure {
                Some(f) => Err(f.clone()),
                None => Ok(written),
            },
            Ok(Err(_)) => Err("the connection task ended".into()),
            Err(_) => Err(format!("no acknowledgement within {timeout:?}")),
        }
    }
}

/// A topic name a message can be published to.
fn valid_topic(t: &str) -> bool {
    !t.is_empty() && !t.contains(['+', '#'])
}

/// Drives the connection and reports its progress; ends at the first error.
async fn drive(mut connection: super::client::Connection, tx: watch::Sender<Progress>) {
    loop {
        match connection.next().await {
            Ok(Happened::Connected { .. }) => tx.send_modify(|p| p.connected = true),
            Ok(Happened::Sent) => tx.send_modify(|p| p.sent += 1),
            Ok(Happened::Confirmed) => tx.send_modify(|p| p.confirmed += 1),
            Ok(Happened::Refused(reason)) => {
                tx.send_modify(|p| {
                    p.failure = Some(format!("the broker refused a message: {reason}"))
                });
                return;
            }
            Ok(_) => {}
            Err(e) => {
                tx.send_modify(|p| p.failure = Some(e));
                return;
            }
        }
    }
}

#[async_trait]
impl Sink for MqttSink {
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        self.connect().await.map(drop)
    }

    async fn write(
        &mut self,
        _ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        self.connect().await?;
        match self.publish(batch).await {
            Ok(written) => Ok(written),
            Err(e) => {
                self.live = None;
                Err(ComponentError::retry(format!(
                    "MQTT broker {}: {e}; the batch is sent again on a new connection",
                    self.config.url
                )))
            }
        }
    }

    async fn close(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        if let Some(live) = self.live.take() {
            live.client.disconnect().await;
            let mut progress = live.progress.clone();
            let _ = tokio::time::timeout(
                Duration::from_secs(2),
                progress.wait_for(|p| p.failure.is_some()),
            )
            .await;
        }
        Ok(())
    }
}
