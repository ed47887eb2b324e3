//! Sink `nats`: publishes to a subject made from a template. Core NATS (at-most-once: flushed
//! to the server, never confirmed) or, with `jetstream: true`, a batch counts as written only
//! when every PubAck arrived; `Nats-Msg-Id` from the message id lets the stream drop the
//! duplicates of a batch sent again.

use std::time::Duration;

use async_nats::jetstream;
use async_nats::jetstream::context::PublishAckFuture;
use connect_runtime_sdk::component::message::Origin;
use connect_runtime_sdk::document::duration;
use connect_runtime_sdk::{ComponentContext, ComponentError, Message, Sink, Written, async_trait};
use serde::Deserialize;

use super::{Connection, MSG_ID_HEADER, headers_out};
use crate::template::Template;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NatsSinkConfig {
    pub(crate) url: String,
    pub(crate) subject: String,
    pub(crate) jetstream: bool,
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
    #[serde(with = "duration")]
    pub(crate) ack_timeout: Duration,
}

pub(crate) struct NatsSink {
    config: NatsSinkConfig,
    subject: Template,
    connector: String,
    client: Option<async_nats::Client>,
    js: Option<jetstream::Context>,
}

impl NatsSink {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        let config: NatsSinkConfig = ctx.config()?;
        Self::new(config, ctx.connector().id.as_str())
    }

    pub(crate) fn new(config: NatsSinkConfig, connector: &str) -> Result<Self, ComponentError> {
        let subject = Template::parse(&config.subject)
            .map_err(|e| ComponentError::invalid_config(format!("subject: {e}")))?;
        let sink = Self {
            config,
            subject,
            connector: connector.to_string(),
            client: None,
            js: None,
        };
        sink.connection().check()?;
        Ok(sink)
    }

    fn connection(&self) -> Connection<'_> {
        Connection {
            url: &self.config.url,
            username: self.config.username.as_deref(),
            password: self.config.password.as_deref(),
            token: self.config.token.as_deref(),
            ca_file: self.config.ca_file.as_deref(),
            connect_timeout: self.config.connect_timeout,
            name: format!("connect-{}-sink", self.connector),
        }
    }

    /// The id JetStream de-duplicates on: the message's own `Nats-Msg-Id` header, else its
    /// position in Iggy (stable across redelivery); messages made by a source have none.
    fn msg_id(&self, m: &Message) -> Option<String> {
        if let Some(id) = m.headers.get(MSG_ID_HEADER) {
            return Some(id.clone());
        }
        match m.origin {
            Origin::Iggy { partition, offset } => {
                Some(format!("{}-{partition}-{offset}", self.connector))
            }
            Origin::Source => None,
        }
    }

    async fn publish(&self, batch: &[Message]) -> Result<Written, String> {
        let client = self.client.as_ref().expect("opened");
        let mut written = Written::all();
        let mut acks: Vec<PublishAckFuture> = Vec::new();
        for (i, m) in batch.iter().enumerate() {
            let subject = match self.subject.render(m) {
                Ok(s) if valid_subject(&s) => s,
                Ok(s) => {
                    written.reject(
                        i,
                        "nats.subject",
                        format!(
                            "`{s}` is not a subject to publish to (empty, or with spaces, * or >)"
                        ),
                    );
                    continue;
                }
                Err(e) => {
                    written.reject(i, "nats.subject", e);
                    continue;
                }
            };
            let mut headers = headers_out(&m.headers);
            match &self.js {
                Some(js) => {
                    if let Some(id) = self.msg_id(m) {
                        headers.insert(MSG_ID_HEADER, id.as_str());
                    }
                    let ack = js
                        .publish_with_headers(subject, headers, m.payload.clone())
                        .await
                        .map_err(|e| e.to_string())?;
                    acks.push(ack);
                }
                None => client
                    .publish_with_headers(subject, headers, m.payload.clone())
                    .await
                    .map_err(|e| e.to_string())?,
            }
        }
        let timeout = self.config.ack_timeout;
        let confirmed = async {
            if acks.is_empty() {
                client.flush().await.map_err(|e| e.to_string())
            } else {
                futures::future::try_join_all(
                    acks.into_iter().map(std::future::IntoFuture::into_future),
                )
                .await
                .map(drop)
                .map_err(|e| e.to_string())
            }
        };
        match tokio::time::timeout(timeout, confirmed).await {
            Ok(Ok(())) => Ok(written),
            Ok(Err(e)) => Err(e),
            Err(_) => Err(format!("not confirmed within {timeout:?}")),
        }
    }
}

/// A subject a message can be published to.
fn valid_subject(s: &str) -> bool {
    !s.is_empty()
        && !s.contains(char::is_whitespace)
        && s.split('.').all(|t| !t.is_empty() && t != "*" && t != ">")
}

#[async_trait]
impl Sink for NatsSink {
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        let client = self.connection().connect().await?;
        if self.config.jetstream {
            let mut js = jetstream::new(client.clone());
            js.set_timeout(self.config.ack_timeout);
            self.js = Some(js);
        }
        self.client = Some(client);
        Ok(())
    }

    async fn write(
        &mut self,
        _ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        self.publish(batch).await.map_err(|e| {
            ComponentError::retry(format!(
                "NATS server {}: {e}; the batch is sent again",
                self.config.url
            ))
        })
    }

    async fn close(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        if let Some(client) = self.client.take() {
            let _ = tokio::time::timeout(Duration::from_secs(2), client.flush()).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn subjects_with_wildcards_or_gaps_are_not_publishable() {
        assert!(super::valid_subject("a.b.c"));
        for bad in ["", "a..b", "a.*", "a.>", "a b"] {
            assert!(!super::valid_subject(bad), "{bad}");
        }
    }
}
