//! The output half of the driver: gathers transformed source batches into sink writes (by size
//! and linger), retries failed writes with backoff, and publishes the cursor of every source
//! batch once it and all earlier ones are confirmed.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::batching::Batching;
use super::retry::RetryPolicy;
use crate::component::{ComponentContext, ComponentError, Message, Origin, Sink, Written};

/// One source batch after the transform chain.
#[derive(Debug)]
pub(crate) struct Item {
    pub messages: Vec<Message>,
    pub cursor: Option<Value>,
    /// When the reader got the batch from the source (for the batch latency counter).
    pub received: Instant,
}

/// Why the writer stopped early.
#[derive(Debug)]
pub(crate) enum WriteFailure {
    /// Retries ran out or the error was not retryable.
    Failed(ComponentError),
    /// The sink refused a message for its content; retrying or restarting cannot help.
    Rejected(String),
    /// Shutdown came while a write was failing; the batch stays unconfirmed and is replayed.
    Abandoned,
}

pub(crate) struct Writer {
    pub sink: Box<dyn Sink>,
    pub ctx: ComponentContext,
    pub rx: mpsc::Receiver<Item>,
    /// The cursor of the newest source batch confirmed with everything before it.
    pub confirmed: watch::Sender<Option<Value>>,
    pub batching: Batching,
    pub retry: RetryPolicy,
    /// Cancelled when the writer fails, so the reader stops polling.
    pub failed: CancellationToken,
}

impl Writer {
    /// Runs until the reader hangs up and everything received is written, or a write fails.
    /// Gives the sink back for `close`.
    pub(crate) async fn run(mut self) -> (Box<dyn Sink>, Result<(), WriteFailure>) {
        let result = self.write_all().await;
        if result.is_err() {
            self.failed.cancel();
        }
        (self.sink, result)
    }

    async fn write_all(&mut self) -> Result<(), WriteFailure> {
        let max = self.batching.write_max;
        let mut pending: Vec<Message> = Vec::with_capacity(max);
        while let Some(first) = self.rx.recv().await {
            let started = first.received;
            let mut cursor = None;
            absorb(first, &mut pending, &mut cursor);
            self.gather(&mut pending, &mut cursor).await;
            for chunk in pending.chunks(max) {
                let written = self.write_with_retry(chunk).await?;
                if let Some(first) = written.rejected().first() {
                    self.ctx
                        .metrics()
                        .record_failed(written.rejected().len() as u64);
                    let refused = describe(&chunk[first.index], first.index);
                    return Err(WriteFailure::Rejected(format!(
                        "the sink refused {refused} ({}): {}; {} of {} messages in the batch were refused",
                        first.class,
                        first.reason,
                        written.rejected().len(),
                        chunk.len()
                    )));
                }
                let bytes: usize = chunk.iter().map(|m| m.payload.len()).sum();
                let metrics = self.ctx.metrics();
                metrics.record_out(chunk.len() as u64, bytes as u64);
                metrics.record_batch(started.elapsed());
            }
            pending.clear();
            if cursor.is_some() {
                self.confirmed.send_replace(cursor);
            }
        }
        Ok(())
    }

    /// Adds further items until the write is full, the linger expires or the reader hangs up.
    async fn gather(&mut self, pending: &mut Vec<Message>, cursor: &mut Option<Value>) {
        let deadline = tokio::time::Instant::now() + self.batching.linger;
        while pending.len() < self.batching.write_max {
            match self.rx.try_recv() {
                Ok(item) => {
                    absorb(item, pending, cursor);
                    continue;
                }
                Err(mpsc::error::TryRecvError::Disconnected) => return,
                Err(mpsc::error::TryRecvError::Empty) if self.batching.linger.is_zero() => return,
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(item)) => absorb(item, pending, cursor),
                Ok(None) | Err(_) => return,
            }
        }
    }

    async fn write_with_retry(&mut self, chunk: &[Message]) -> Result<Written, WriteFailure> {
        let mut attempt = 1;
        loop {
            let error = match self.sink.write(&self.ctx, chunk).await {
                Ok(written) => {
                    if attempt > 1 {
                        self.ctx.runtime().recovered();
                    }
                    return Ok(written);
                }
                Err(e) => e,
            };
            let metrics = self.ctx.metrics();
            metrics.record_error(&error);
            let cancelled = self.ctx.cancellation().is_cancelled();
            if !error.is_retryable() || !self.retry.retries_after(attempt) || cancelled {
                metrics.record_failed(chunk.len() as u64);
                if cancelled && error.is_retryable() {
                    tracing::warn!(error = %error, messages = chunk.len(), "sink write failed during shutdown; the batch stays unconfirmed and is replayed after a restart");
                    return Err(WriteFailure::Abandoned);
                }
                tracing::error!(error = %error, attempts = attempt, messages = chunk.len(), "sink write failed; giving up on this batch");
                return Err(WriteFailure::Failed(error));
            }
            let wait: Duration = self.retry.backoff(attempt);
            tracing::warn!(error = %error, attempt, retry_in = ?wait, "sink write failed; retrying the same batch");
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = self.ctx.cancellation().cancelled() => {
                    metrics.record_failed(chunk.len() as u64);
                    tracing::warn!(messages = chunk.len(), "shutdown while retrying a sink write; the batch stays unconfirmed and is replayed after a restart");
                    return Err(WriteFailure::Abandoned);
                }
            }
            attempt += 1;
        }
    }
}

fn absorb(item: Item, pending: &mut Vec<Message>, cursor: &mut Option<Value>) {
    if pending.is_empty() {
        *pending = item.messages;
    } else {
        pending.extend(item.messages);
    }
    if item.cursor.is_some() {
        *cursor = item.cursor;
    }
}

/// Names a message for an operator: its Iggy position, or its place in a source batch and its key.
fn describe(message: &Message, index: usize) -> String {
    let key = message
        .key
        .as_ref()
        .map(|k| format!(", key {:?}", String::from_utf8_lossy(k)))
        .unwrap_or_default();
    match message.origin {
        Origin::Iggy { partition, offset } => {
            format!("the message at partition {partition} offset {offset}{key}")
        }
        Origin::Source => format!("message {index} of the batch{key}"),
    }
}
