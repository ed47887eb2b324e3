//! The input half of the driver: polls the source, runs the transform chain, hands batches to
//! the writer through the bounded channel (waiting when it is full: backpressure), and commits
//! the cursor the writer confirmed.

use std::time::Instant;

use serde_json::Value;
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::batching::COMMIT_INTERVAL;
use super::dead_letter::{Stage, letter};
use super::retry::RetryPolicy;
use super::writer::Item;
use crate::component::{Batch, ComponentContext, ComponentError, Source};
use crate::transform::Chain;

/// How the reader stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ReaderEnd {
    /// The source is finished (`poll` returned `None`).
    Finished,
    /// Shutdown was requested.
    Cancelled,
    /// The writer failed or went away.
    WriterStopped,
}

pub(crate) struct Reader {
    pub source: Box<dyn Source>,
    pub ctx: ComponentContext,
    pub chain: Chain,
    pub tx: Option<mpsc::Sender<Item>>,
    pub confirmed: watch::Receiver<Option<Value>>,
    pub poll_max: usize,
    pub retry: RetryPolicy,
    /// Cancelled by the writer when it fails.
    pub writer_failed: CancellationToken,
    /// `Some(connector id)` when transform failures are dead-lettered (`tolerance: all`); else
    /// they are dropped and counted failed.
    pub dead_letter_as: Option<String>,
    committed: Option<Value>,
    committed_at: Instant,
}

enum Wait {
    Sent,
    Confirmed,
    WriterStopped,
}

impl Reader {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        source: Box<dyn Source>,
        ctx: ComponentContext,
        chain: Chain,
        tx: mpsc::Sender<Item>,
        confirmed: watch::Receiver<Option<Value>>,
        poll_max: usize,
        retry: RetryPolicy,
        writer_failed: CancellationToken,
    ) -> Self {
        Self {
            source,
            ctx,
            chain,
            tx: Some(tx),
            confirmed,
            poll_max,
            retry,
            writer_failed,
            dead_letter_as: None,
            committed: None,
            committed_at: Instant::now(),
        }
    }

    /// Polls until the source finishes, shutdown is requested or the writer stops; then hangs
    /// up the channel so the writer drains what it holds.
    pub(crate) async fn run(&mut self) -> Result<ReaderEnd, ComponentError> {
        let result = self.read_all().await;
        self.tx = None;
        result
    }

    async fn read_all(&mut self) -> Result<ReaderEnd, ComponentError> {
        loop {
            self.commit(false).await?;
            let mut batch = match self.poll_with_retry().await? {
                Polled::Batch(b) => b,
                Polled::Finished => return Ok(ReaderEnd::Finished),
                Polled::Stopped(end) => return Ok(end),
            };
            let received = Instant::now();
            let bytes: usize = batch.messages.iter().map(|m| m.payload.len()).sum();
            self.ctx
                .metrics()
                .record_in(batch.messages.len() as u64, bytes as u64);
            let dead = match &self.dead_letter_as {
                None => {
                    self.chain.apply(&mut batch.messages, self.ctx.metrics());
                    Vec::new()
                }
                Some(connector) => self
                    .chain
                    .apply_collect(&mut batch.messages, self.ctx.metrics())
                    .into_iter()
                    .map(|f| {
                        let class = f.error.class();
                        let reason = f.error.to_string();
                        let cursor = batch.cursor.as_ref();
                        letter(
                            connector,
                            &f.message,
                            Stage::Transform,
                            class,
                            &reason,
                            cursor,
                        )
                    })
                    .collect(),
            };
            if batch.messages.is_empty() && batch.cursor.is_none() && dead.is_empty() {
                continue;
            }
            let item = Item {
                messages: batch.messages,
                cursor: batch.cursor,
                received,
                dead,
            };
            if !self.send(item).await? {
                return Ok(ReaderEnd::WriterStopped);
            }
        }
    }

    /// Sends one item, committing confirmed cursors while the channel is full. `false` when
    /// the writer is gone.
    async fn send(&mut self, item: Item) -> Result<bool, ComponentError> {
        let mut item = Some(item);
        loop {
            let Some(tx) = &self.tx else { return Ok(false) };
            let wait = tokio::select! {
                permit = tx.reserve() => match permit {
                    Ok(permit) => {
                        permit.send(item.take().expect("sent once"));
                        Wait::Sent
                    }
                    Err(_) => Wait::WriterStopped,
                },
                changed = self.confirmed.changed() => match changed {
                    Ok(()) => Wait::Confirmed,
                    Err(_) => Wait::WriterStopped,
                },
            };
            match wait {
                Wait::Sent => return Ok(true),
                Wait::WriterStopped => return Ok(false),
                Wait::Confirmed => self.commit(false).await?,
            }
        }
    }

    async fn poll_with_retry(&mut self) -> Result<Polled, ComponentError> {
        let mut attempt = 1;
        loop {
            let cancel = self.ctx.cancellation().clone();
            let polled = tokio::select! {
                biased;
                _ = cancel.cancelled() => return Ok(Polled::Stopped(ReaderEnd::Cancelled)),
                _ = self.writer_failed.cancelled() => return Ok(Polled::Stopped(ReaderEnd::WriterStopped)),
                r = self.source.poll(&self.ctx, self.poll_max) => r,
            };
            if attempt > 1 && polled.is_ok() {
                self.ctx.runtime().recovered();
            }
            let error = match polled {
                Ok(Some(batch)) => return Ok(Polled::Batch(batch)),
                Ok(None) => return Ok(Polled::Finished),
                Err(e) => e,
            };
            self.ctx.metrics().record_error(&error);
            if !error.is_retryable() || !self.retry.retries_after(attempt) {
                tracing::error!(error = %error, attempts = attempt, "source failed");
                return Err(error);
            }
            let wait = self.retry.backoff(attempt);
            tracing::warn!(error = %error, attempt, retry_in = ?wait, "source poll failed; retrying");
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = cancel.cancelled() => return Ok(Polled::Stopped(ReaderEnd::Cancelled)),
            }
            attempt += 1;
        }
    }

    /// Commits the newest confirmed cursor when it changed and, unless `force`, when the last
    /// commit is at least [`COMMIT_INTERVAL`] old.
    pub(crate) async fn commit(&mut self, force: bool) -> Result<(), ComponentError> {
        let latest = self.confirmed.borrow_and_update().clone();
        if latest.is_none() || latest == self.committed {
            return Ok(());
        }
        if !force && self.committed_at.elapsed() < COMMIT_INTERVAL {
            return Ok(());
        }
        let cursor = latest.clone().expect("checked above");
        self.source.commit(&self.ctx, cursor).await?;
        self.committed = latest;
        self.committed_at = Instant::now();
        Ok(())
    }
}

enum Polled {
    Batch(Batch),
    Finished,
    Stopped(ReaderEnd),
}
