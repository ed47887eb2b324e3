//! One span per connector start, from spawn to the runtime's `ready` (or to the end of the
//! attempt when it never gets there), and the W3C trace context (`TRACEPARENT`, `TRACESTATE`)
//! that makes the runtime's spans its children.

use tracing::Span;
use tracing::field::Empty;

use super::TARGET;

/// A start in progress; dropped without [`StartSpan::ready`], it ends as a failed start.
pub(crate) struct StartSpan {
    span: Span,
    ended: bool,
}

impl StartSpan {
    pub(crate) fn begin(connector: &str, instance: &str, version: u32) -> Self {
        let span = tracing::info_span!(
            target: TARGET,
            parent: None,
            "connector.start",
            connector.id = %connector,
            connector.version = version,
            connector.instance = %instance,
            outcome = Empty,
            otel.status_code = Empty,
            otel.status_description = Empty,
        );
        Self { span, ended: false }
    }

    /// The runtime reported ready: the span ends here.
    pub(crate) fn ready(mut self) {
        self.span.record("outcome", "ready");
        self.ended = true;
    }

    /// The start failed before a process existed.
    pub(crate) fn failed(mut self, error: &str) {
        self.fail(error);
    }

    fn fail(&mut self, reason: &str) {
        self.span.record("outcome", "failed");
        self.span.record("otel.status_code", "ERROR");
        self.span.record("otel.status_description", reason);
        self.ended = true;
    }

    /// `TRACEPARENT` (and `TRACESTATE` when there is one) for the runtime's environment; empty
    /// when spans are not exported.
    pub(crate) fn trace_context(&self) -> Vec<(String, String)> {
        #[cfg(feature = "otlp")]
        {
            use opentelemetry::propagation::TextMapPropagator as _;
            use tracing_opentelemetry::OpenTelemetrySpanExt as _;
            let mut carrier = std::collections::HashMap::new();
            opentelemetry_sdk::propagation::TraceContextPropagator::new()
                .inject_context(&self.span.context(), &mut carrier);
            carrier
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.to_ascii_uppercase(), v))
                .collect()
        }
        #[cfg(not(feature = "otlp"))]
        Vec::new()
    }
}

impl Drop for StartSpan {
    fn drop(&mut self) {
        if !self.ended {
            self.fail("the runtime ended before it reported ready");
        }
    }
}
