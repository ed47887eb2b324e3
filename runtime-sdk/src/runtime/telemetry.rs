//! Logging, traces and metrics for runtimes: info and below to stdout, warnings and errors to
//! stderr (or all to stderr when stdout carries data), as text or JSON; spans and the
//! pipeline counters exported over OTLP/HTTP when `OTEL_EXPORTER_OTLP_ENDPOINT` is set; the
//! root span joins the agent's trace from `TRACEPARENT`.

use std::time::Duration;

use opentelemetry::metrics::MeterProvider as _;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Level;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use super::metrics::Metrics;
use super::{LogFormat, RuntimeSettings};
use crate::contract::Counters;

/// Flushes exported spans and metrics when dropped (at process exit, outside the async runtime).
pub(crate) struct TelemetryGuard(Option<(SdkTracerProvider, SdkMeterProvider)>);

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some((traces, metrics)) = self.0.take() {
            for result in [traces.shutdown(), metrics.shutdown()] {
                if let Err(e) = result {
                    eprintln!("warning: could not flush telemetry to the OTLP endpoint: {e}");
                }
            }
        }
    }
}

/// Installs the global subscriber; later calls (in-process tests) keep the first one.
/// Call it outside the async runtime: the OTLP exporters own blocking HTTP clients.
pub(crate) fn init(
    settings: &RuntimeSettings,
    service: &str,
    stdout_is_data: bool,
    metrics: &Metrics,
) -> TelemetryGuard {
    let filter = EnvFilter::try_new(&settings.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let stderr_only = std::io::stderr;
    let split = std::io::stderr
        .with_max_level(Level::WARN)
        .or_else(std::io::stdout);
    let fmt: Box<dyn Layer<Registry> + Send + Sync> = match (settings.log_format, stdout_is_data) {
        (LogFormat::Text, false) => tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(split)
            .boxed(),
        (LogFormat::Text, true) => tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(stderr_only)
            .boxed(),
        (LogFormat::Json, false) => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(split)
            .boxed(),
        (LogFormat::Json, true) => tracing_subscriber::fmt::layer()
            .json()
            .with_writer(stderr_only)
            .boxed(),
    };
    let service = settings.otel_service_name.as_deref().unwrap_or(service);
    let exported = settings
        .otel_endpoint
        .as_deref()
        .map(|e| otlp(e, service, settings.heartbeat_interval, metrics));
    let (otel, providers) = match exported {
        Some(Ok((traces, meters))) => {
            let tracer = traces.tracer("connect-runtime");
            (
                Some(tracing_opentelemetry::layer().with_tracer(tracer).boxed()),
                Some((traces, meters)),
            )
        }
        Some(Err(e)) => {
            eprintln!("warning: OTLP export disabled: {e}");
            (None, None)
        }
        None => (None, None),
    };
    let layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> =
        [Some(fmt), otel].into_iter().flatten().collect();
    let _ = tracing_subscriber::registry()
        .with(layers.with_filter(filter))
        .try_init();
    TelemetryGuard(providers)
}

fn otlp(
    endpoint: &str,
    service: &str,
    interval: Duration,
    metrics: &Metrics,
) -> Result<(SdkTracerProvider, SdkMeterProvider), opentelemetry_otlp::ExporterBuildError> {
    let base = endpoint.trim_end_matches('/');
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service.to_string())
        .build();
    let spans = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{base}/v1/traces"))
        .build()?;
    let traces = SdkTracerProvider::builder()
        .with_batch_exporter(spans)
        .with_resource(resource.clone())
        .build();
    let exporter = opentelemetry_otlp::MetricExporter::builder()
        .with_http()
        .with_endpoint(format!("{base}/v1/metrics"))
        .build()?;
    let reader = PeriodicReader::builder(exporter)
        .with_interval(interval)
        .build();
    let meters = SdkMeterProvider::builder()
        .with_reader(reader)
        .with_resource(resource)
        .build();
    register_counters(&meters, metrics);
    Ok((traces, meters))
}

/// Reads one counter out of a snapshot.
type CounterField = fn(&Counters) -> u64;

/// The pipeline counters as observable OTel counters (`connect.messages.in`, …), read from the
/// same atomics the heartbeat reports.
fn register_counters(provider: &SdkMeterProvider, metrics: &Metrics) {
    let meter = provider.meter("connect-runtime");
    let counters: [(&str, &str, CounterField); 8] = [
        ("connect.messages.in", "messages read from the input", |c| {
            c.messages_in
        }),
        (
            "connect.messages.out",
            "messages confirmed by the output",
            |c| c.messages_out,
        ),
        (
            "connect.messages.filtered",
            "messages dropped by filters",
            |c| c.messages_filtered,
        ),
        (
            "connect.messages.failed",
            "messages that failed a transform",
            |c| c.messages_failed,
        ),
        (
            "connect.messages.dead_lettered",
            "messages set aside by the error policy",
            |c| c.messages_dead_lettered,
        ),
        ("connect.bytes.in", "payload bytes read", |c| c.bytes_in),
        ("connect.bytes.out", "payload bytes confirmed", |c| {
            c.bytes_out
        }),
        ("connect.batches", "batches confirmed", |c| c.batches),
    ];
    for (name, description, read) in counters {
        let metrics = metrics.clone();
        let _ = meter
            .u64_observable_counter(name)
            .with_description(description)
            .with_callback(move |observer| observer.observe(read(&metrics.snapshot()), &[]))
            .build();
    }
}

/// Makes `root` (the runtime's root span) a child of the agent's start span when the agent
/// passed W3C trace context (`TRACEPARENT`, `TRACESTATE`); without it (or without an
/// endpoint) the runtime's spans start their own trace.
pub(crate) fn join_agent_trace(root: &tracing::Span) {
    use crate::contract::env::vars;
    let Ok(parent) = std::env::var(vars::TRACEPARENT) else {
        return;
    };
    let state = std::env::var(vars::TRACESTATE).unwrap_or_default();
    match remote_parent(&parent, &state) {
        Some(cx) => {
            use tracing_opentelemetry::OpenTelemetrySpanExt as _;
            // Fails only when no OTel layer is installed (no endpoint): nothing to join then.
            let _ = root.set_parent(cx);
        }
        None => tracing::warn!(
            variable = vars::TRACEPARENT,
            value = %parent,
            "not W3C trace context (`00-<trace id>-<span id>-<flags>`); the runtime's spans start a new trace"
        ),
    }
}

/// The remote span context of a `traceparent` header, or `None` when it is not valid.
fn remote_parent(traceparent: &str, tracestate: &str) -> Option<opentelemetry::Context> {
    use opentelemetry::propagation::TextMapPropagator as _;
    use opentelemetry::trace::TraceContextExt as _;
    let mut carrier = std::collections::HashMap::new();
    carrier.insert("traceparent".to_string(), traceparent.trim().to_string());
    if !tracestate.is_empty() {
        carrier.insert("tracestate".to_string(), tracestate.to_string());
    }
    let cx = opentelemetry_sdk::propagation::TraceContextPropagator::new().extract(&carrier);
    cx.span().span_context().is_valid().then_some(cx)
}

#[cfg(test)]
mod tests {
    use opentelemetry::trace::TraceContextExt as _;

    use super::remote_parent;

    #[test]
    fn a_traceparent_becomes_the_remote_parent_and_garbage_is_refused() {
        let cx = remote_parent(
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "vendor=x",
        )
        .expect("valid traceparent");
        let span = cx.span();
        let sc = span.span_context();
        assert_eq!(
            sc.trace_id().to_string(),
            "0af7651916cd43dd8448eb211c80319c"
        );
        assert_eq!(sc.span_id().to_string(), "b7ad6b7169203331");
        assert!(sc.is_remote() && sc.is_sampled());
        assert_eq!(sc.trace_state().header(), "vendor=x");
        for bad in [
            "",
            "00-zz-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
        ] {
            assert!(remote_parent(bad, "").is_none(), "{bad}");
        }
    }
}
