//! The two traits a runtime author implements: [`Source`] (data in) and [`Sink`] (data out).

use async_trait::async_trait;

use super::context::ComponentContext;
use super::error::ComponentError;
use super::message::{Batch, Message};
use super::written::Written;

/// Produces batches of messages from an external system.
///
/// The pipeline calls `poll` again only after the previous batch is delivered or buffered;
/// a source should wait (honouring `ctx.cancellation()`) when it has nothing. Confirmed cursors
/// are committed between polls, so a source that can stay idle for long should return an empty
/// batch now and then (the `file` source does every poll interval) to let them become durable.
#[async_trait]
pub trait Source: Send + 'static {
    /// Connects to the external system; called once before the first `poll`, before the
    /// runtime reports `ready`. Construction (the registered factory) only reads config.
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        Ok(())
    }

    /// The next batch (at most `max` messages), or `Ok(None)` when the source is finished.
    async fn poll(
        &mut self,
        ctx: &ComponentContext,
        max: usize,
    ) -> Result<Option<Batch>, ComponentError>;

    /// Makes `cursor` durable; called after every message of its batch was confirmed downstream.
    /// The default saves it in the state store, from which the source reads it when built.
    async fn commit(
        &mut self,
        ctx: &ComponentContext,
        cursor: serde_json::Value,
    ) -> Result<(), ComponentError> {
        ctx.state().save_async(CURSOR_STATE, cursor).await?;
        Ok(())
    }

    /// Called once when the pipeline stops.
    async fn close(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        Ok(())
    }
}

/// The state document under which [`Source::commit`] saves the cursor by default.
pub const CURSOR_STATE: &str = "source-cursor";

/// Delivers messages to an external system.
#[async_trait]
pub trait Sink: Send + 'static {
    /// Connects to the external system; called once before the first `write`.
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        Ok(())
    }

    /// Delivers the batch; returns only once it is confirmed (written, acknowledged).
    ///
    /// `Ok(Written::all())` confirms every message. A message the destination refuses for its
    /// content (a constraint violation, an HTTP 400) is reported with [`Written::reject`] while
    /// the others count as delivered; the connector's error policy handles it (today: the runtime
    /// stops with exit 78 naming the message). An error means none of the batch counts as
    /// delivered: the destination failed, not the messages, and the pipeline retries the batch.
    async fn write(
        &mut self,
        ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError>;

    /// Called once when the pipeline stops, after the last confirmed batch.
    async fn close(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        Ok(())
    }
}
