//! The OTLP/HTTP span exporter of the agent: a batch exporter on its own thread (supervision
//! and the API never wait for the collector), with one warning when the collector cannot be
//! reached instead of one per batch.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
use tracing_subscriber::{Layer, Registry, filter};

use super::{SERVICE, TARGET};

/// How long one export may take; the batch thread drops the batch after it (and at exit, the
/// agent waits at most this long for the last spans).
const EXPORT_TIMEOUT: Duration = Duration::from_secs(3);

pub(super) fn provider(
    endpoint: &str,
) -> Result<SdkTracerProvider, opentelemetry_otlp::ExporterBuildError> {
    let url = format!("{}/v1/traces", endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(url.clone())
        .with_timeout(EXPORT_TIMEOUT)
        .build()?;
    let resource = opentelemetry_sdk::Resource::builder()
        .with_service_name(SERVICE)
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(WarnOnce {
            inner: exporter,
            url,
            warned: AtomicBool::new(false),
        })
        .with_resource(resource)
        .build())
}

/// The tracing layer that turns the agent's `connect.trace` spans into OTel spans.
pub(super) fn layer(provider: &SdkTracerProvider) -> Box<dyn Layer<Registry> + Send + Sync> {
    tracing_opentelemetry::layer()
        .with_tracer(provider.tracer("connect-agent"))
        .with_threads(false)
        .with_filter(filter::filter_fn(|m| m.target() == TARGET))
        .boxed()
}

/// Forwards to the OTLP exporter; the first failure is logged, later ones are not until an
/// export succeeds again.
#[derive(Debug)]
struct WarnOnce<E> {
    inner: E,
    url: String,
    warned: AtomicBool,
}

impl<E: SpanExporter> SpanExporter for WarnOnce<E> {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        let result = self.inner.export(batch).await;
        match &result {
            Ok(()) => {
                if self.warned.swap(false, Ordering::Relaxed) {
                    tracing::info!(endpoint = %self.url, "spans reach the OTLP endpoint again");
                }
            }
            Err(e) => {
                if !self.warned.swap(true, Ordering::Relaxed) {
                    tracing::warn!(endpoint = %self.url, error = %e, "cannot export spans to the OTLP endpoint; they are dropped until it answers (check [telemetry] endpoint or OTEL_EXPORTER_OTLP_ENDPOINT)");
                }
            }
        }
        result
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        self.inner.shutdown_with_timeout(timeout)
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.inner.force_flush()
    }

    fn set_resource(&mut self, resource: &opentelemetry_sdk::Resource) {
        self.inner.set_resource(resource);
    }
}
