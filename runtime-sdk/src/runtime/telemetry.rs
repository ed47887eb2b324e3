//! Logging and tracing for runtimes: info and below to stdout, warnings and errors to stderr (or
//! all to stderr when stdout carries data), as text or JSON; spans exported over OTLP/HTTP when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set.

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing::Level;
use tracing_subscriber::fmt::writer::MakeWriterExt;
use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::contract::{LogFormat, RuntimeSettings};

/// Flushes exported spans when dropped (at process exit, outside the async runtime).
pub(crate) struct TelemetryGuard(Option<SdkTracerProvider>);

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.0.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("warning: could not flush traces to the OTLP endpoint: {e}");
        }
    }
}

/// Installs the global subscriber; later calls (in-process tests) keep the first one.
/// Call it outside the async runtime: the OTLP exporter owns a blocking HTTP client.
pub(crate) fn init(
    settings: &RuntimeSettings,
    service: &str,
    stdout_is_data: bool,
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
    let (otel, provider) = match settings
        .otel_endpoint
        .as_deref()
        .map(|e| otlp(e, settings.otel_service_name.as_deref().unwrap_or(service)))
    {
        Some(Ok(provider)) => {
            let tracer = provider.tracer("connect-runtime");
            (
                Some(tracing_opentelemetry::layer().with_tracer(tracer).boxed()),
                Some(provider),
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
    TelemetryGuard(provider)
}

fn otlp(
    endpoint: &str,
    service: &str,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/traces", endpoint.trim_end_matches('/')))
        .build()?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(service.to_string())
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .build())
}
