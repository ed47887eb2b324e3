//! The agent's logs and traces: log lines to stderr as before, and — with the `otlp` feature,
//! when `OTEL_EXPORTER_OTLP_ENDPOINT` or `[telemetry] endpoint` is set — spans of API requests,
//! reloads and connector starts exported over OTLP/HTTP as service `connect-agent`, the start
//! span's W3C trace context handed to the runtime it starts.

#[cfg(feature = "otlp")]
mod export;
pub(crate) mod http;
mod start;

#[cfg(feature = "otlp")]
use std::sync::atomic::{AtomicBool, Ordering};

use tracing_subscriber::prelude::*;
use tracing_subscriber::{EnvFilter, Layer, Registry, filter};

use crate::config::TelemetrySection;

pub(crate) use start::StartSpan;

/// The target of every exported span. The log lines never show these spans, so log output is
/// the same with or without an endpoint; the exporter sees nothing else.
pub(crate) const TARGET: &str = "connect.trace";

/// The service name of the agent's spans.
#[cfg(feature = "otlp")]
pub(crate) const SERVICE: &str = "connect-agent";

#[cfg(feature = "otlp")]
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Whether spans are exported (the API skips its per-request span otherwise).
#[cfg(feature = "otlp")]
pub(crate) fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// Flushes the exported spans when dropped: drop it after the async runtime.
pub struct Guard {
    #[cfg(feature = "otlp")]
    provider: Option<opentelemetry_sdk::trace::SdkTracerProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        #[cfg(feature = "otlp")]
        if let Some(provider) = self.provider.take()
            && let Err(e) = provider.shutdown()
        {
            eprintln!("warning: could not flush the agent's spans to the OTLP endpoint: {e}");
        }
    }
}

/// The OTLP endpoint the agent exports to: `[telemetry]` when enabled with an endpoint (the one
/// runtimes get), else `OTEL_EXPORTER_OTLP_ENDPOINT` (which runtimes inherit).
pub(crate) fn endpoint(
    config: &TelemetrySection,
    env: &dyn Fn(&str) -> Option<String>,
) -> Option<String> {
    if config.enabled && !config.endpoint.trim().is_empty() {
        return Some(config.endpoint.trim().to_string());
    }
    env(connect_model::contract::env::vars::OTEL_ENDPOINT).filter(|e| !e.trim().is_empty())
}

/// Installs the global subscriber. Call it before the async runtime starts: the exporter owns a
/// blocking HTTP client on the batch exporter's own thread.
pub fn init(level: &str, config: &TelemetrySection) -> Guard {
    let filter = EnvFilter::try_from_env("CONNECT_AGENT_LOG")
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let not_traces = filter::filter_fn(|m| m.target() != TARGET);
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_filter(filter)
        .with_filter(not_traces);
    #[cfg_attr(not(feature = "otlp"), allow(unused_mut))]
    let mut layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> = vec![fmt.boxed()];
    let endpoint = endpoint(config, &|name| std::env::var(name).ok());
    #[cfg(feature = "otlp")]
    let mut guard = Guard { provider: None };
    #[cfg(not(feature = "otlp"))]
    let guard = Guard {};
    let mut problem = None;
    match endpoint {
        #[cfg(feature = "otlp")]
        Some(endpoint) => match export::provider(&endpoint) {
            Ok(provider) => {
                layers.push(export::layer(&provider));
                guard.provider = Some(provider);
                EXPORTING.store(true, Ordering::Relaxed);
            }
            Err(e) => problem = Some(format!("OTLP export disabled: {e}")),
        },
        #[cfg(not(feature = "otlp"))]
        Some(_) => {
            problem = Some(
                "an OTLP endpoint is set but this agent was built without its `otlp` feature: it exports no spans (runtimes still do)".to_string(),
            )
        }
        None => {}
    }
    let _ = tracing_subscriber::registry().with(layers).try_init();
    if let Some(problem) = problem {
        tracing::warn!("{problem}");
    }
    guard
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_endpoint_wins_when_enabled_and_the_variable_is_the_fallback() {
        let env = |v: Option<&'static str>| move |_: &str| v.map(str::to_string);
        let on = TelemetrySection {
            enabled: true,
            endpoint: "http://collector:4318".into(),
            ..TelemetrySection::default()
        };
        assert_eq!(
            endpoint(&on, &env(Some("http://other:4318"))).as_deref(),
            Some("http://collector:4318")
        );
        let off = TelemetrySection {
            enabled: false,
            ..on.clone()
        };
        assert_eq!(endpoint(&off, &env(None)), None);
        assert_eq!(
            endpoint(&off, &env(Some("http://other:4318"))).as_deref(),
            Some("http://other:4318")
        );
        assert_eq!(endpoint(&off, &env(Some("  "))), None);
    }
}
