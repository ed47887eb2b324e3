//! The `consumer` step: reads a topic as a member of a consumer group with auto-commit off, and
//! stores a partition's offset only when [`Source::commit`] says the sink confirmed it.
//!
//! The pipeline may poll the next batch while the previous one is still being written, so the
//! source keeps its own read position per partition (`positions`) and polls explicit offsets;
//! the server's stored offset is only where a partition starts the first time this process
//! reads it. A batch's cursor is cumulative — the last polled offset of every partition so far —
//! so committing any later cursor also covers the earlier ones.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use ::iggy::prelude::{
    Client, Consumer, ConsumerGroupClient, ConsumerOffsetClient, Identifier, IggyClient, IggyError,
    MessageClient, NO_ASSIGNED_PARTITION, PollingStrategy, TopicClient,
};
use async_trait::async_trait;

use super::connection::IggySettings;
use super::convert;
use super::retry::Retry;
use crate::component::{Batch, ComponentContext, ComponentError, Source};
use crate::document::{ConsumerStep, StartFrom};

/// The `consumer` step as a [`Source`]; runtimes whose own components read Iggy (the `vanilla`
/// runtime's `iggy` source) use it directly.
pub struct IggySource {
    step: ConsumerStep,
    settings: IggySettings,
    stream: Identifier,
    topic: Identifier,
    consumer: Consumer,
    client: Option<IggyClient>,
    /// Next offset to read, per partition this process has read (or `start: last` pinned).
    positions: HashMap<u32, u64>,
    /// Last offset handed to the pipeline, per partition; the cursor of every batch.
    polled: BTreeMap<u32, u64>,
    /// Last offset stored on the server, per partition.
    committed: HashMap<u32, u64>,
    /// When an empty assignment was last reported.
    idle_reported: Option<Instant>,
    /// `start: last`: where partitions without a stored offset begin, fixed at the first join.
    pinned: Option<HashMap<u32, u64>>,
}

const IDLE_REPORT_EVERY: Duration = Duration::from_secs(60);

impl IggySource {
    /// Reads the step; connects in `open`.
    pub fn new(ctx: &ComponentContext, step: &ConsumerStep) -> Result<Self, ComponentError> {
        let settings = IggySettings::resolve(&ctx.runtime().settings().iggy, step.iggy.as_ref());
        Ok(Self {
            stream: convert::name("stream", &step.stream)?,
            topic: convert::name("topic", &step.topic)?,
            consumer: Consumer::group(convert::name("consumer_group", &step.consumer_group)?),
            step: step.clone(),
            settings,
            client: None,
            positions: HashMap::new(),
            polled: BTreeMap::new(),
            committed: HashMap::new(),
            idle_reported: None,
            pinned: None,
        })
    }

    fn client(&self) -> Result<&IggyClient, ComponentError> {
        self.client
            .as_ref()
            .ok_or_else(|| ComponentError::restart("the iggy consumer was used before open"))
    }

    fn retry<'a>(&'a self, ctx: &'a ComponentContext, what: &'static str) -> Retry<'a> {
        Retry::new(what, &self.settings.address, ctx.cancellation()).reporting(ctx.runtime())
    }

    /// Creates the group when missing and joins it; a fresh membership forgets read positions,
    /// since partitions may have moved to other members meanwhile.
    async fn join(&mut self, ctx: &ComponentContext) -> Result<(), ComponentError> {
        let client = self.client()?;
        let mut retry = self.retry(ctx, "joining the consumer group");
        loop {
            let attempt = async {
                if client
                    .get_consumer_group(&self.stream, &self.topic, &self.consumer.id)
                    .await?
                    .is_none()
                {
                    match client
                        .create_consumer_group(&self.stream, &self.topic, &self.step.consumer_group)
                        .await
                    {
                        Ok(_) | Err(IggyError::ConsumerGroupNameAlreadyExists(..)) => {}
                        Err(e) => return Err(e),
                    }
                }
                client
                    .join_consumer_group(&self.stream, &self.topic, &self.consumer.id)
                    .await
            };
            match attempt.await {
                Ok(()) => break,
                Err(
                    IggyError::StreamIdNotFound(..)
                    | IggyError::StreamNameNotFound(..)
                    | IggyError::TopicIdNotFound(..)
                    | IggyError::TopicNameNotFound(..),
                ) => {
                    return Err(ComponentError::retry(format!(
                        "topic `{}` of stream `{}` does not exist on iggy server {}; create it, or start the connector that produces to it with create_topic: true",
                        self.step.topic, self.step.stream, self.settings.address
                    )));
                }
                Err(e) => retry.failed(e).await?,
            }
        }
        self.positions.clear();
        if self.step.start == StartFrom::Last {
            // Pinned once: a rejoin must not skip what arrived since the first join.
            if self.pinned.is_none() {
                self.pinned = Some(self.end_positions().await);
            }
            for (p, o) in self.pinned.iter().flatten() {
                if !self.committed.contains_key(p) {
                    self.positions.insert(*p, *o);
                }
            }
        }
        tracing::info!(stream = %self.step.stream, topic = %self.step.topic, group = %self.step.consumer_group, "joined consumer group");
        Ok(())
    }

    /// `start: last`: partitions the group never stored an offset for begin after their
    /// current last message instead of at the oldest one.
    async fn end_positions(&self) -> HashMap<u32, u64> {
        let mut out = HashMap::new();
        let Some(client) = self.client.as_ref() else {
            return out;
        };
        let Ok(Some(topic)) = client.get_topic(&self.stream, &self.topic).await else {
            return out;
        };
        for p in topic.partitions.iter().filter(|p| p.messages_count > 0) {
            match client
                .get_consumer_offset(&self.consumer, &self.stream, &self.topic, Some(p.id))
                .await
            {
                Ok(None) => {
                    out.insert(p.id, p.current_offset + 1);
                }
                Ok(Some(_)) => {}
                Err(e) => {
                    tracing::debug!(partition = p.id, error = %e, "no stored offset readable; reading from the group's position")
                }
            }
        }
        out
    }

    /// Says (at most once a minute) that the group gave this member no partition, which
    /// otherwise looks like an idle topic.
    fn report_idle_member(&mut self) {
        if self
            .idle_reported
            .is_some_and(|t| t.elapsed() < IDLE_REPORT_EVERY)
        {
            return;
        }
        self.idle_reported = Some(Instant::now());
        tracing::warn!(
            group = %self.step.consumer_group,
            topic = %self.step.topic,
            "the consumer group assigns no partition to this member: more members than partitions, or a member that is gone still holds them; waiting for a rebalance"
        );
    }

    /// Stores `offset` for `partition`; `false` when the partition is no longer this member's
    /// (another member re-reads from the last stored offset: duplicates, never loss).
    async fn store(
        &mut self,
        ctx: &ComponentContext,
        partition: u32,
        offset: u64,
    ) -> Result<bool, ComponentError> {
        let mut retry = Retry::new(
            "storing the consumer offset",
            &self.settings.address,
            ctx.cancellation(),
        )
        .reporting(ctx.runtime());
        let client = self
            .client
            .as_ref()
            .ok_or_else(|| ComponentError::restart("the iggy consumer was used before open"))?;
        loop {
            match client
                .store_consumer_offset(
                    &self.consumer,
                    &self.stream,
                    &self.topic,
                    Some(partition),
                    offset,
                )
                .await
            {
                Ok(()) => return Ok(true),
                Err(e) if super::retry::is_connection_error(&e) => retry.failed(e).await?,
                Err(e) => {
                    tracing::warn!(partition, offset, error = %e, "offset not stored; the partition is re-read from the last stored offset");
                    return Ok(false);
                }
            }
        }
    }
}

#[async_trait]
impl Source for IggySource {
    async fn open(&mut self, ctx: &ComponentContext) -> Result<(), ComponentError> {
        let mut retry = self.retry(ctx, "connecting the consumer");
        let client = self.settings.connect(&mut retry).await?;
        self.client = Some(client);
        self.join(ctx).await
    }

    async fn poll(
        &mut self,
        ctx: &ComponentContext,
        max: usize,
    ) -> Result<Option<Batch>, ComponentError> {
        let count = u32::try_from(max)
            .unwrap_or(u32::MAX)
            .clamp(1, self.step.batch_length);
        let address = self.settings.address.clone();
        let mut retry =
            Retry::new("polling messages", &address, ctx.cancellation()).reporting(ctx.runtime());
        let mut rejoined = false;
        loop {
            if ctx.cancellation().is_cancelled() {
                return Ok(None);
            }
            let positions = &self.positions;
            let strategy = |p: u32| {
                positions
                    .get(&p)
                    .map_or(PollingStrategy::next(), |o| PollingStrategy::offset(*o))
            };
            let result = self
                .client()?
                .poll_messages_with_strategy_for(
                    &self.stream,
                    &self.topic,
                    None,
                    &self.consumer,
                    &strategy,
                    count,
                    false,
                )
                .await;
            let polled = match result {
                Ok(polled) => {
                    retry.recovered();
                    rejoined = false;
                    polled
                }
                Err(IggyError::ConsumerGroupMemberNotFound(..)) if rejoined => {
                    return Err(ComponentError::retry(format!(
                        "the iggy server {} dropped this member of consumer group `{}` right after it joined",
                        self.settings.address, self.step.consumer_group
                    )));
                }
                Err(IggyError::ConsumerGroupMemberNotFound(..)) => {
                    rejoined = true;
                    tracing::info!(
                        "consumer group membership lost (reconnect or rebalance); joining again"
                    );
                    self.join(ctx).await?;
                    continue;
                }
                Err(e) => {
                    retry.failed(e).await?;
                    continue;
                }
            };
            let Some(last) = polled.messages.last().map(|m| m.header.offset) else {
                if polled.partition_id == NO_ASSIGNED_PARTITION {
                    self.report_idle_member();
                }
                tokio::select! {
                    () = tokio::time::sleep(self.step.poll_interval) => continue,
                    () = ctx.cancellation().cancelled() => return Ok(None),
                }
            };
            let partition = polled.partition_id;
            self.positions.insert(partition, last + 1);
            self.polled.insert(partition, last);
            let messages = polled
                .messages
                .into_iter()
                .map(|m| convert::from_iggy(m, partition))
                .collect();
            let cursor = self
                .polled
                .iter()
                .map(|(p, o)| (p.to_string(), serde_json::Value::from(*o)))
                .collect();
            return Ok(Some(Batch {
                messages,
                cursor: Some(serde_json::Value::Object(cursor)),
            }));
        }
    }

    async fn commit(
        &mut self,
        ctx: &ComponentContext,
        cursor: serde_json::Value,
    ) -> Result<(), ComponentError> {
        let offsets = parse_cursor(&cursor)?;
        for (partition, offset) in offsets {
            if self.committed.get(&partition).is_some_and(|c| *c >= offset) {
                continue;
            }
            if self.store(ctx, partition, offset).await? {
                self.committed.insert(partition, offset);
            } else {
                self.positions.remove(&partition);
                self.polled.remove(&partition);
            }
        }
        Ok(())
    }

    async fn close(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        if let Some(client) = self.client.take() {
            // Leaving hands the partitions to the other members at once instead of after a timeout.
            let leave = client.leave_consumer_group(&self.stream, &self.topic, &self.consumer.id);
            if let Ok(Err(e)) = tokio::time::timeout(Duration::from_secs(2), leave).await {
                tracing::debug!(error = %e, "leaving the consumer group failed");
            }
            let _ = tokio::time::timeout(Duration::from_secs(2), client.shutdown()).await;
        }
        Ok(())
    }
}

/// `{"<partition>": <last offset>}`.
fn parse_cursor(cursor: &serde_json::Value) -> Result<Vec<(u32, u64)>, ComponentError> {
    let bad = || ComponentError::restart(format!("not an iggy consumer cursor: {cursor}"));
    let map = cursor.as_object().ok_or_else(bad)?;
    map.iter()
        .map(|(p, o)| Ok((p.parse().map_err(|_| bad())?, o.as_u64().ok_or_else(bad)?)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_parse_per_partition() {
        let c = serde_json::json!({"0": 41, "3": 7});
        assert_eq!(parse_cursor(&c).unwrap(), [(0, 41), (3, 7)]);
        assert!(parse_cursor(&serde_json::json!({"x": 1})).is_err());
        assert!(parse_cursor(&serde_json::json!(5)).is_err());
    }
}
