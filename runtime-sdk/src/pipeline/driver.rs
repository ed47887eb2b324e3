//! The driver: builds both ends of a connector, opens them, reports ready, runs the reader and
//! the writer, then drains, commits, closes and maps the outcome to the exit code.
//!
//! Invariants: a cursor is committed only after the writer confirmed its batch and every
//! earlier one (the writer is FIFO and publishes cursors in order); a failed write is never
//! counted as delivered; exhausted retries or a permanent error end the workload with
//! `WorkloadError::Transient` (exit 75) so the agent restarts it from the last committed cursor.

use std::future::Future;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use super::batching::{Batching, CHANNEL_BATCHES};
use super::dead_letter::DeadLetters;
use super::reader::{Reader, ReaderEnd};
use super::registry::Components;
use super::writer::{WriteFailure, Writer};
use crate::component::{ComponentContext, ComponentError, Sink, Source};
use crate::document::{ConnectorConfig, Input, Output};
use crate::metadata::RuntimeMetadata;
use crate::runtime::{Context, Workload, WorkloadError};
use crate::transform::Chain;

pub(crate) async fn run(components: Components, ctx: Context) -> Result<(), WorkloadError> {
    let steps = &ctx.connector().steps;
    let chain = Chain::new(&steps.transformer)
        .map_err(|e| WorkloadError::invalid_config(format!("\n{e}")))?;
    let batching = Batching::for_steps(steps);
    let (mut source, source_ctx) = build_source(&components, &ctx)?;
    let (mut sink, sink_ctx) = build_sink(&components, &ctx)?;
    let policy = ctx.connector().errors.as_deref();
    let mut dead_letters = DeadLetters::build(policy, &ctx)?;
    let retry = match policy.and_then(|p| p.retries) {
        Some(retries) => super::RetryPolicy {
            attempts: retries.saturating_add(1),
            ..components.retry
        },
        None => components.retry,
    };

    source
        .open(&source_ctx)
        .await
        .map_err(|e| opening("source", e))?;
    if let Err(e) = sink.open(&sink_ctx).await {
        close_source(&mut source, &source_ctx).await;
        return Err(opening("sink", e));
    }
    if let Err(e) = dead_letters.open().await {
        close_sink(&mut sink, &sink_ctx).await;
        close_source(&mut source, &source_ctx).await;
        return Err(opening("dead-letter destination", e));
    }
    let dead_letter_as = dead_letters
        .tolerates()
        .then(|| ctx.connector().id.to_string());
    ctx.ready();
    tracing::info!(
        batch_length = batching.write_max,
        linger = ?batching.linger,
        transforms = steps.transformer.len(),
        "pipeline running"
    );

    let (tx, rx) = mpsc::channel(CHANNEL_BATCHES);
    let (confirmed_tx, confirmed_rx) = watch::channel(None);
    let writer_failed = CancellationToken::new();
    let writer = tokio::spawn(
        Writer {
            sink,
            ctx: sink_ctx.clone(),
            rx,
            confirmed: confirmed_tx,
            batching,
            retry,
            failed: writer_failed.clone(),
            dead_letters,
        }
        .run(),
    );
    let mut reader = Reader::new(
        source,
        source_ctx.clone(),
        chain,
        tx,
        confirmed_rx,
        batching.poll_max,
        retry,
        writer_failed,
    );
    reader.dead_letter_as = dead_letter_as;
    let read = reader.run().await;

    // The reader hung up: the writer drains what it holds. After a shutdown request that is
    // bounded, so the runtime exits before the agent's grace period ends.
    let drain_budget = drain_budget(ctx.settings().shutdown_timeout);
    let written = if ctx.cancellation().is_cancelled() {
        let abort = writer.abort_handle();
        match tokio::time::timeout(drain_budget, writer).await {
            Ok(joined) => Some(joined),
            Err(_) => {
                abort.abort();
                tracing::warn!(budget = ?drain_budget, "the sink did not finish the in-flight batches in time; they are replayed after a restart");
                None
            }
        }
    } else {
        Some(writer.await)
    };
    let (sink, write) = match written {
        Some(Ok((sink, result))) => (Some(sink), result),
        Some(Err(join)) => {
            let message = if join.is_panic() {
                "the sink panicked"
            } else {
                "the sink task was cancelled"
            };
            (
                None,
                Err(WriteFailure::Failed(ComponentError::restart(message))),
            )
        }
        None => (None, Err(WriteFailure::Abandoned)),
    };

    // Everything confirmed is committed, whatever else happened.
    let committed = reader.commit(true).await;
    close_source(&mut reader.source, &source_ctx).await;
    if let Some(mut sink) = sink {
        close_sink(&mut sink, &sink_ctx).await;
    }

    match (read, write) {
        (_, Err(WriteFailure::Failed(e))) => Err(failed("sink", e)),
        (_, Err(WriteFailure::Rejected(m))) => {
            tracing::error!(error = %m, "stopping: a message was refused for its content");
            Err(WorkloadError::Rejected(m))
        }
        (Err(e), _) => Err(failed("source", e)),
        (Ok(_), _) if committed.is_err() => Err(failed("source", committed.expect_err("checked"))),
        (Ok(ReaderEnd::Finished), Ok(())) => {
            tracing::info!("source finished; every message delivered and its position committed");
            Ok(())
        }
        (Ok(_), Ok(()) | Err(WriteFailure::Abandoned)) => Ok(()),
    }
}

/// How long the writer may take to finish in-flight batches after a shutdown request: most of
/// the shutdown timeout, leaving time to commit and close.
fn drain_budget(shutdown_timeout: Duration) -> Duration {
    shutdown_timeout
        .saturating_sub(shutdown_timeout / 4)
        .max(Duration::from_millis(100))
}

fn build_source(
    components: &Components,
    ctx: &Context,
) -> Result<(Box<dyn Source>, ComponentContext), WorkloadError> {
    match ctx.connector().steps.input() {
        Input::Source(step) => {
            let cctx = ComponentContext::new(ctx, "steps.source", step.config.clone());
            let factory = components
                .sources
                .get(&step.kind)
                .ok_or_else(|| unregistered("source", &step.kind))?;
            Ok((factory(&cctx).map_err(|e| building("source", e))?, cctx))
        }
        Input::Consumer(step) => {
            let cctx = ComponentContext::new(ctx, "steps.consumer", Default::default());
            Ok((
                crate::iggy::consumer(&cctx, step).map_err(|e| building("consumer", e))?,
                cctx,
            ))
        }
    }
}

fn build_sink(
    components: &Components,
    ctx: &Context,
) -> Result<(Box<dyn Sink>, ComponentContext), WorkloadError> {
    match ctx.connector().steps.output() {
        Output::Sink(step) => {
            let cctx = ComponentContext::new(ctx, "steps.sink", step.config.clone());
            let factory = components
                .sinks
                .get(&step.kind)
                .ok_or_else(|| unregistered("sink", &step.kind))?;
            Ok((factory(&cctx).map_err(|e| building("sink", e))?, cctx))
        }
        Output::Producer(step) => {
            let cctx = ComponentContext::new(ctx, "steps.producer", Default::default());
            Ok((
                crate::iggy::producer(&cctx, step).map_err(|e| building("producer", e))?,
                cctx,
            ))
        }
    }
}

fn unregistered(kind: &str, name: &str) -> WorkloadError {
    WorkloadError::internal(format!(
        "the runtime defines {kind} `{name}` in .connect but registers no factory for it; register it with Components::{kind}"
    ))
}

fn building(step: &str, e: ComponentError) -> WorkloadError {
    tracing::error!(step, error = %e, "cannot build the {step}");
    e.into()
}

fn opening(step: &str, e: ComponentError) -> WorkloadError {
    tracing::error!(step, error = %e, "cannot open the {step}");
    e.into()
}

/// Any failure after both ends ran: invalid config stays so, everything else is transient
/// (the agent restarts the runtime from the last committed position).
fn failed(step: &str, e: ComponentError) -> WorkloadError {
    match e {
        ComponentError::InvalidConfig(m) => WorkloadError::InvalidConfig(m),
        other => WorkloadError::transient(format!("{step}: {other}")),
    }
}

async fn close_source(source: &mut Box<dyn Source>, ctx: &ComponentContext) {
    if let Err(e) = source.close(ctx).await {
        tracing::warn!(error = %e, "closing the source failed");
    }
}

async fn close_sink(sink: &mut Box<dyn Sink>, ctx: &ComponentContext) {
    if let Err(e) = sink.close(ctx).await {
        tracing::warn!(error = %e, "closing the sink failed");
    }
}

/// A runtime's component registry is its workload: the driver runs the configured pipeline.
impl Workload for Components {
    fn metadata(&self) -> Option<&RuntimeMetadata> {
        Some(&self.metadata)
    }

    fn stdout_is_data(&self, config: &ConnectorConfig) -> bool {
        config
            .steps
            .sink
            .as_ref()
            .is_some_and(|s| self.stdout_sinks.contains(&s.kind))
    }

    fn run(self, ctx: Context) -> impl Future<Output = Result<(), WorkloadError>> + Send {
        run(self, ctx)
    }
}
