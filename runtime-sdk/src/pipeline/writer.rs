//! The output half of the driver: gathers transformed source batches into sink writes (by size
//! and linger), retries failed writes with backoff, hands rejected messages to the error policy
//! (stop, or dead-letter), and publishes the cursor of every source batch once it, its dead
//! letters and all earlier ones are confirmed.

use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::batching::Batching;
use super::dead_letter::{DeadLetters, Stage};
use super::retry::RetryPolicy;
use crate::component::{ComponentContext, ComponentError, Message, Origin, Sink, Written};

/// One source batch after the transform chain.
#[derive(Debug)]
pub(crate) struct Item {
    pub messages: Vec<Message>,
    pub cursor: Option<Value>,
    /// When the reader got the batch from the source (for the batch latency counter).
    pub received: Instant,
    /// Dead letters of messages the transform chain failed on (`tolerance: all`).
    pub dead: Vec<Message>,
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
    pub dead_letters: DeadLetters,
}

/// The messages gathered for the writes of one round, with the cursor of each source batch.
#[derive(Default)]
struct Pending {
    messages: Vec<Message>,
    /// `(end, cursor)`: messages before index `end` came with this batch cursor.
    batches: Vec<(usize, Option<Value>)>,
    dead: Vec<Message>,
    cursor: Option<Value>,
}

impl Pending {
    fn absorb(&mut self, item: Item) {
        if self.messages.is_empty() {
            self.messages = item.messages;
        } else {
            self.messages.extend(item.messages);
        }
        self.batches
            .push((self.messages.len(), item.cursor.clone()));
        if self.dead.is_empty() {
            self.dead = item.dead;
        } else {
            self.dead.extend(item.dead);
        }
        if item.cursor.is_some() {
            self.cursor = item.cursor;
        }
    }

    /// The cursor of the source batch message `index` came with.
    fn cursor_of(&self, index: usize) -> Option<&Value> {
        self.batches
            .iter()
            .find(|(end, _)| index < *end)
            .and_then(|(_, c)| c.as_ref())
    }

    fn clear(&mut self) {
        self.messages.clear();
        self.batches.clear();
        self.dead.clear();
        self.cursor = None;
    }
}

impl Writer {
    /// Runs until the reader hangs up and everything received is written, or a write fails.
    /// Gives the sink back for `close`.
    pub(crate) async fn run(mut self) -> (Box<dyn Sink>, Result<(), WriteFailure>) {
        let result = self.write_all().await;
        if result.is_err() {
            self.failed.cancel();
        }
        self.dead_letters.close().await;
        (self.sink, result)
    }

    async fn write_all(&mut self) -> Result<(), WriteFailure> {
        let max = self.batching.write_max;
        let mut pending = Pending::default();
        pending.messages.reserve(max);
        while let Some(first) = self.rx.recv().await {
            let started = first.received;
            pending.absorb(first);
            self.gather(&mut pending).await;
            let mut letters = std::mem::take(&mut pending.dead);
            for (n, chunk) in pending.messages.chunks(max).enumerate() {
                let written = self.write_with_retry(chunk).await?;
                let mut delivered = chunk.len();
                let mut bytes: usize = chunk.iter().map(|m| m.payload.len()).sum();
                if !written.is_complete() {
                    let refused = self.refused(chunk, &written)?;
                    for r in refused {
                        let message = &chunk[r.index];
                        delivered -= 1;
                        bytes -= message.payload.len();
                        letters.push(self.dead_letters.letter(
                            message,
                            Stage::Sink,
                            &r.class,
                            &r.reason,
                            pending.cursor_of(n * max + r.index),
                        ));
                    }
                }
                let metrics = self.ctx.metrics();
                metrics.record_out(delivered as u64, bytes as u64);
                metrics.record_batch(started.elapsed());
            }
            if !letters.is_empty() {
                self.write_dead_letters(&letters).await?;
            }
            if pending.cursor.is_some() {
                self.confirmed.send_replace(pending.cursor.take());
            }
            pending.clear();
        }
        Ok(())
    }

    /// The rejections of a write, each message once; stops the connector when the policy does
    /// not tolerate them (`tolerance: none`) or the sink named a message outside the batch.
    fn refused(
        &self,
        chunk: &[Message],
        written: &Written,
    ) -> Result<Vec<crate::component::Rejected>, WriteFailure> {
        let mut seen = std::collections::BTreeSet::new();
        let mut refused = Vec::with_capacity(written.rejected().len());
        for r in written.rejected() {
            if r.index >= chunk.len() {
                return Err(WriteFailure::Failed(ComponentError::restart(format!(
                    "the sink rejected message {} of a batch of {}; this is a bug in the sink",
                    r.index,
                    chunk.len()
                ))));
            }
            if seen.insert(r.index) {
                refused.push(r.clone());
            }
        }
        if !self.dead_letters.tolerates() {
            let first = &refused[0];
            self.ctx.metrics().record_failed(refused.len() as u64);
            let message = describe(&chunk[first.index], first.index);
            return Err(WriteFailure::Rejected(format!(
                "the sink refused {message} ({}): {}; {} of {} messages in the batch were refused. Fix the data, or set `errors: {{tolerance: all}}` with a dead_letter destination to set such messages aside",
                first.class,
                first.reason,
                refused.len(),
                chunk.len()
            )));
        }
        Ok(refused)
    }

    /// Writes dead letters with the sink's retry policy; the cursor moves only after this.
    async fn write_dead_letters(&mut self, letters: &[Message]) -> Result<(), WriteFailure> {
        let mut attempt = 1;
        loop {
            let error = match self.dead_letters.write(letters).await {
                Ok(()) => {
                    self.ctx
                        .metrics()
                        .record_dead_lettered(letters.len() as u64);
                    return Ok(());
                }
                Err(e) => e,
            };
            self.ctx.metrics().record_error(&error);
            let cancelled = self.ctx.cancellation().is_cancelled();
            if !error.is_retryable() || !self.retry.retries_after(attempt) || cancelled {
                if cancelled && error.is_retryable() {
                    return Err(WriteFailure::Abandoned);
                }
                tracing::error!(error = %error, attempts = attempt, messages = letters.len(), "dead-letter write failed; the batch stays unconfirmed");
                return Err(WriteFailure::Failed(ComponentError::restart(format!(
                    "dead-letter destination: {error}"
                ))));
            }
            let wait: Duration = self.retry.backoff(attempt);
            tracing::warn!(error = %error, attempt, retry_in = ?wait, "dead-letter write failed; retrying");
            if !self.ctx.sleep(wait).await {
                return Err(WriteFailure::Abandoned);
            }
            attempt += 1;
        }
    }

    /// Adds further items until the write is full, the linger expires or the reader hangs up.
    async fn gather(&mut self, pending: &mut Pending) {
        let deadline = tokio::time::Instant::now() + self.batching.linger;
        while pending.messages.len() < self.batching.write_max {
            match self.rx.try_recv() {
                Ok(item) => {
                    pending.absorb(item);
                    continue;
                }
                Err(mpsc::error::TryRecvError::Disconnected) => return,
                Err(mpsc::error::TryRecvError::Empty) if self.batching.linger.is_zero() => return,
                Err(mpsc::error::TryRecvError::Empty) => {}
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(item)) => pending.absorb(item),
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

/// Names a message for an operator: its Iggy position, or its place in a source batch, its key
/// and the start of its payload.
fn describe(message: &Message, index: usize) -> String {
    let key = message
        .key
        .as_ref()
        .map(|k| format!(", key {:?}", String::from_utf8_lossy(k)))
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&message.payload);
    let mut preview: String = text.chars().take(PREVIEW_CHARS).collect();
    if text.chars().nth(PREVIEW_CHARS).is_some() {
        preview.push('…');
    }
    match message.origin {
        Origin::Iggy { partition, offset } => {
            format!(
                "the message at partition {partition} offset {offset}{key}, payload {preview:?}"
            )
        }
        Origin::Source => format!("message {index} of the batch{key}, payload {preview:?}"),
    }
}

/// Characters of a refused message's payload shown in the error.
const PREVIEW_CHARS: usize = 120;
