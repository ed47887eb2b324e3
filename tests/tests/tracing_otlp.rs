//! Traces across the process boundary: an agent exporting to a real OTLP/HTTP receiver started
//! by the test, a connector started by it — the agent's spans (`connect-agent`), the runtime's
//! root span as a child of the agent's start span (through `TRACEPARENT`), an API request span,
//! a reload span under its request, and the runtime's counters as OTLP metrics.

mod tracing_otlp {
    pub mod collector;
}
mod support;

use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::Span;
use support::{TestAgent, WAIT};
use tracing_otlp::collector::{Collector, Export, attribute, service};

/// Every span that arrived, with its service name.
fn spans(received: &[Export]) -> Vec<(String, Span)> {
    let mut all = Vec::new();
    for export in received {
        if let Export::Traces(t) = export {
            for rs in &t.resource_spans {
                let name = service(rs.resource.as_ref());
                for span in rs.scope_spans.iter().flat_map(|s| &s.spans) {
                    all.push((name.clone(), span.clone()));
                }
            }
        }
    }
    all
}

fn find<'a>(spans: &'a [(String, Span)], service: &str, name: &str) -> Option<&'a Span> {
    spans
        .iter()
        .find(|(s, span)| s == service && span.name == name)
        .map(|(_, span)| span)
}

/// Metric names per service.
fn metrics(received: &[Export], of: &str) -> Vec<String> {
    let mut names = Vec::new();
    for export in received {
        if let Export::Metrics(m) = export {
            for rm in m
                .resource_metrics
                .iter()
                .filter(|rm| service(rm.resource.as_ref()) == of)
            {
                for metric in rm.scope_metrics.iter().flat_map(|s| &s.metrics) {
                    names.push(metric.name.clone());
                }
            }
        }
    }
    names
}

/// The runtime's service name: its runtime name, or (like this test runtime, which embeds no
/// `.connect`) its program name.
const RUNTIME: &str = "connect-test-runtime";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_runtimes_spans_join_the_agents_start_span_and_both_reach_the_collector() {
    let mut collector = Collector::start();
    let mut agent = TestAgent::with_api("");
    agent.add_testrt("traced", "idle", "");
    agent.start_with_env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", &collector.endpoint)]);
    agent.wait_state("traced", "running");
    let list = agent.get("/connectors");
    assert_eq!(list.status(), 200);
    let reload = agent.post("/reload", "");
    assert!(reload.status().is_success(), "reload: {}", reload.status());
    // Stopping flushes both sides: the runtime's root span ends and its exporters flush at
    // exit, then the agent's.
    agent.stop();

    collector.wait_until(
        WAIT,
        "the agent's and the runtime's spans and metrics",
        |r| {
            let s = spans(r);
            find(&s, "connect-agent", "connector.start").is_some()
                && find(&s, "connect-agent", "GET /connectors").is_some()
                && find(&s, "connect-agent", "agent.reload").is_some()
                && find(&s, RUNTIME, "connector").is_some()
                && metrics(r, RUNTIME)
                    .iter()
                    .any(|m| m == "connect.messages.in")
        },
    );
    let received = &collector.received;
    for export in received {
        if let Export::Bad(reason) = export {
            panic!("the receiver got a request it could not decode: {reason}");
        }
    }
    let all = spans(received);

    let start = find(&all, "connect-agent", "connector.start").unwrap();
    assert_eq!(
        attribute(&start.attributes, "connector.id").as_deref(),
        Some("traced")
    );
    assert_eq!(
        attribute(&start.attributes, "outcome").as_deref(),
        Some("ready")
    );
    assert!(
        start.parent_span_id.is_empty(),
        "a start span is a root span"
    );
    assert!(start.end_time_unix_nano >= start.start_time_unix_nano);

    let root = find(&all, RUNTIME, "connector").unwrap();
    assert_eq!(
        hex(&root.trace_id),
        hex(&start.trace_id),
        "the runtime's root span is in the agent's trace"
    );
    assert_eq!(
        hex(&root.parent_span_id),
        hex(&start.span_id),
        "the runtime's root span is a child of the agent's start span"
    );
    assert_eq!(attribute(&root.attributes, "id").as_deref(), Some("traced"));

    let request = find(&all, "connect-agent", "GET /connectors").unwrap();
    assert_eq!(
        attribute(&request.attributes, "http.route").as_deref(),
        Some("/connectors")
    );
    assert_eq!(
        attribute(&request.attributes, "http.request.method").as_deref(),
        Some("GET")
    );
    assert_eq!(
        attribute(&request.attributes, "http.response.status_code").as_deref(),
        Some("200")
    );

    let reload_request =
        find(&all, "connect-agent", "POST /reload").expect("a span for the reload request");
    // The agent's own reload at startup is a root span; the API's runs under its request.
    assert!(
        all.iter().any(|(s, span)| s == "connect-agent"
            && span.name == "agent.reload"
            && span.parent_span_id == reload_request.span_id
            && span.trace_id == reload_request.trace_id),
        "no agent.reload span under the POST /reload request"
    );

    let names = metrics(received, RUNTIME);
    for expected in [
        "connect.messages.in",
        "connect.messages.out",
        "connect.batches",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    let log = agent.agent_log();
    assert!(!log.contains("cannot export spans"), "agent log:\n{log}");
}

#[test]
fn a_collector_that_is_down_costs_one_warning_and_nothing_else() {
    // A port that was free a moment ago: connections are refused.
    let endpoint = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let mut agent = TestAgent::with_api("");
    agent.add_testrt("traced", "idle", "");
    agent.start_with_env(&[
        ("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
    ]);
    agent.wait_state("traced", "running");
    // Requests keep producing spans; each batch fails to export.
    for _ in 0..5 {
        assert_eq!(agent.get("/connectors").status(), 200);
    }
    connect_tests::wait_for(
        Duration::from_secs(15),
        "the agent's warning about the collector",
        || {
            agent
                .agent_log()
                .contains("cannot export spans")
                .then_some(())
        },
    );
    for _ in 0..5 {
        assert_eq!(agent.get("/connectors").status(), 200);
    }
    let c = agent.wait_state("traced", "running");
    assert_eq!(c["restarts"], 0, "supervision went on undisturbed: {c:#}");
    agent.stop();
    let log = agent.agent_log();
    assert_eq!(
        log.matches("cannot export spans").count(),
        1,
        "one warning for a down collector; log:\n{log}"
    );
}
