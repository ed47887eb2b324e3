//! The `producer` step: sends each batch to a topic and returns only once the server confirmed
//! it, creating the stream and topic first when `create_topic` asks for it.

use std::collections::BTreeMap;

use ::iggy::prelude::{
    Client, Identifier, IggyClient, IggyError, IggyMessage, MessageClient,
    Partitioning as IggyPartitioning, StreamClient, TopicClient, TopicCreateOptions, TopicDetails,
};
use async_trait::async_trait;

use super::connection::IggySettings;
use super::convert;
use super::retry::Retry;
use crate::component::{ComponentContext, ComponentError, Message, Sink, Written};
use crate::document::{Partitioning, ProducerStep};

/// The `producer` step as a [`Sink`]; runtimes whose own components write to Iggy (the `vanilla`
/// runtime's `iggy` sink) use it directly.
pub struct IggySink {
    step: ProducerStep,
    settings: IggySettings,
    stream: Identifier,
    topic: Identifier,
    client: Option<IggyClient>,
    /// Partitions of the topic, for `partitioning: key`.
    partitions: u32,
}

impl IggySink {
    /// Reads the step; connects in `open`.
    pub fn new(ctx: &ComponentContext, step: &ProducerStep) -> Result<Self, ComponentError> {
        Ok(Self {
            stream: convert::name("stream", &step.stream)?,
            topic: convert::name("topic", &step.topic)?,
            settings: IggySettings::resolve(&ctx.runtime().settings().iggy, step.iggy.as_ref()),
            step: step.clone(),
            client: None,
            partitions: 1,
        })
    }

    fn missing(&self, reason: &str) -> ComponentError {
        ComponentError::retry(format!(
            "topic `{}` of stream `{}` does not exist on iggy server {}{reason}",
            self.step.topic, self.step.stream, self.settings.address
        ))
    }

    /// The topic's details, creating stream and topic when allowed. A server that refuses the
    /// creation is fine as long as the topic exists (made beforehand by an administrator).
    async fn ensure_topic(
        &self,
        client: &IggyClient,
        retry: &mut Retry<'_>,
    ) -> Result<TopicDetails, ComponentError> {
        loop {
            match self.try_ensure_topic(client).await {
                Ok(Ok(t)) => return Ok(t),
                Ok(Err(reason)) => return Err(self.missing(&reason)),
                Err(e) => retry.failed(e).await?,
            }
        }
    }

    /// `Ok(Err(reason))` when the topic is missing and cannot be created.
    async fn try_ensure_topic(
        &self,
        client: &IggyClient,
    ) -> Result<Result<TopicDetails, String>, IggyError> {
        if let Some(t) = get_topic(client, &self.stream, &self.topic).await? {
            return Ok(Ok(t));
        }
        if !self.step.create_topic {
            return Ok(Err(
                "; create it or set create_topic: true on the producer".into()
            ));
        }
        if client.get_stream(&self.stream).await?.is_none() {
            match client.create_stream(&self.step.stream).await {
                Ok(_) => tracing::info!(stream = %self.step.stream, "created stream"),
                Err(IggyError::StreamNameAlreadyExists(_)) => {}
                Err(e) if super::retry::is_connection_error(&e) => return Err(e),
                Err(e) => {
                    return Ok(Err(format!(
                        " and creating stream `{}` failed ({e}); create it beforehand",
                        self.step.stream
                    )));
                }
            }
        }
        let options = TopicCreateOptions {
            partitions_count: Some(self.step.partitions),
            ..TopicCreateOptions::default()
        };
        let refused = match client
            .create_topic(&self.stream, &self.step.topic, &options)
            .await
        {
            Ok(t) => {
                tracing::info!(stream = %self.step.stream, topic = %self.step.topic, partitions = self.step.partitions, "created topic");
                return Ok(Ok(t));
            }
            Err(e) if super::retry::is_connection_error(&e) => return Err(e),
            Err(IggyError::UnsupportedOptionKey(key)) => {
                tracing::debug!(%key, "the server predates a topic option; creating the topic without it");
                match super::topic_compat::create_topic_without_durability(
                    client,
                    &self.stream,
                    &self.step.topic,
                    self.step.partitions,
                )
                .await
                {
                    Ok(()) => {
                        tracing::info!(stream = %self.step.stream, topic = %self.step.topic, partitions = self.step.partitions, "created topic")
                    }
                    Err(e) if super::retry::is_connection_error(&e) => return Err(e),
                    Err(e) => tracing::debug!(error = %e, "creating the topic failed"),
                }
                IggyError::UnsupportedOptionKey(key)
            }
            Err(e) => e,
        };
        // Created meanwhile by someone else, or refused by a server that has it already.
        Ok(match get_topic(client, &self.stream, &self.topic).await? {
            Some(t) => Ok(t),
            None => Err(format!(
                " and the server refused to create it ({refused}); create it beforehand"
            )),
        })
    }

    /// Sends one group of messages, reconnecting while the server is away. A resend after a
    /// lost reply can duplicate messages (at-least-once), never lose them.
    async fn send(
        &self,
        ctx: &ComponentContext,
        partitioning: &IggyPartitioning,
        messages: &mut [IggyMessage],
    ) -> Result<(), ComponentError> {
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| ComponentError::restart("the iggy producer was used before open"))?;
        let mut retry = Retry::new(
            "sending messages",
            &self.settings.address,
            ctx.cancellation(),
        )
        .reporting(ctx.runtime());
        for chunk in messages.chunks_mut(self.step.batch_length as usize) {
            loop {
                match client
                    .send_messages(&self.stream, &self.topic, partitioning, chunk)
                    .await
                {
                    Ok(_) => {
                        retry.recovered();
                        break;
                    }
                    Err(
                        e @ (IggyError::TopicIdNotFound(..)
                        | IggyError::TopicNameNotFound(..)
                        | IggyError::StreamIdNotFound(..)
                        | IggyError::StreamNameNotFound(..)),
                    ) => {
                        tracing::debug!(error = %e, "topic vanished");
                        return Err(self.missing("; it was deleted while the connector ran"));
                    }
                    Err(e) => retry.failed(e).await?,
                }
            }
        }
        Ok(())
    }
}

async fn get_topic(
    client: &IggyClient,
    stream: &Identifier,
    topic: &Identifier,
) -> Result<Option<TopicDetails>, IggyError> {
    match client.get_topic(stream, topic).await {
        Err(
            IggyError::StreamIdNotFound(..)
            | IggyError::StreamNameNotFound(..)
            | IggyError::TopicIdNotFound(..)
            | IggyError::TopicNameNotFound(..)
            | IggyError::ResourceNotFound(..),
        ) => Ok(None),
        other => other,
    }
}

/// The partition of a keyed message: Iggy's own key hash, so keys land where Iggy's
/// `messages_key` partitioning would put them.
fn key_partition(key: &[u8], partitions: u32) -> u32 {
    iggy_common::calculate_32(key) % partitions.max(1)
}

#[async_trait]
impl Sink for IggySink {
    async fn open(&mut self, ctx: &ComponentContext) -> Result<(), ComponentError> {
        let mut retry = Retry::new(
            "connecting the producer",
            &self.settings.address,
            ctx.cancellation(),
        )
        .reporting(ctx.runtime());
        let client = self.settings.connect(&mut retry).await?;
        let topic = self.ensure_topic(&client, &mut retry).await?;
        self.partitions = topic.partitions_count.max(1);
        self.client = Some(client);
        Ok(())
    }

    async fn write(
        &mut self,
        ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        let mut dropped_headers = 0;
        match self.step.partitioning {
            Partitioning::Balanced => {
                let mut messages = batch
                    .iter()
                    .map(|m| convert::to_iggy(m, &mut dropped_headers))
                    .collect::<Result<Vec<_>, _>>()?;
                if !messages.is_empty() {
                    self.send(ctx, &IggyPartitioning::balanced(), &mut messages)
                        .await?;
                }
            }
            Partitioning::Key => {
                let mut unkeyed = Vec::new();
                let mut keyed: BTreeMap<u32, Vec<IggyMessage>> = BTreeMap::new();
                for m in batch {
                    let iggy = convert::to_iggy(m, &mut dropped_headers)?;
                    match &m.key {
                        Some(k) => keyed
                            .entry(key_partition(k, self.partitions))
                            .or_default()
                            .push(iggy),
                        None => unkeyed.push(iggy),
                    }
                }
                for (partition, mut messages) in keyed {
                    self.send(
                        ctx,
                        &IggyPartitioning::partition_id(partition),
                        &mut messages,
                    )
                    .await?;
                }
                if !unkeyed.is_empty() {
                    self.send(ctx, &IggyPartitioning::balanced(), &mut unkeyed)
                        .await?;
                }
            }
        }
        if dropped_headers > 0 {
            tracing::warn!(
                dropped_headers,
                "headers with empty values or more than 255 bytes were not sent; iggy cannot carry them"
            );
        }
        Ok(Written::all())
    }

    async fn close(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        if let Some(client) = self.client.take() {
            let _ =
                tokio::time::timeout(std::time::Duration::from_secs(2), client.shutdown()).await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_stable_partitions_within_range() {
        for key in [&b"a"[..], b"user-42", &[0u8; 300]] {
            let p = key_partition(key, 7);
            assert!(p < 7);
            assert_eq!(p, key_partition(key, 7));
        }
        assert_eq!(key_partition(b"x", 0), 0);
        let spread: std::collections::HashSet<_> = (0..100)
            .map(|i| key_partition(format!("k{i}").as_bytes(), 4))
            .collect();
        assert_eq!(spread.len(), 4, "100 keys should cover all 4 partitions");
    }
}
