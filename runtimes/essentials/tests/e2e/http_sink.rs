//! The `http` sink against a real local server: batch modes, 429/5xx retried with backoff and
//! Retry-After until delivered, a server that is down for a while, refusals and giving up.

use std::collections::BTreeSet;
use std::time::Duration;

use connect_runtime_sdk::ExitCode;

use crate::http_server::{HANG, TestServer};
use crate::support::{RuntimeRun, essentials, free_port};

fn generate_to_http(count: u64, sink_config: &str) -> RuntimeRun {
    essentials(&format!(
        "  source: {{ type: generate, config: {{ count: {count} }} }}\n  sink:\n    type: http\n    config: {{ {sink_config}, initial_backoff: 50ms, max_backoff: 200ms }}\n"
    ))
}

/// The `seq` of every generated message in an NDJSON, JSON-array or single body.
fn seqs_in(body: &str) -> Vec<u64> {
    let value: serde_json::Value = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    let items: Vec<serde_json::Value> = match value {
        serde_json::Value::Array(items) => items,
        serde_json::Value::Object(_) => vec![value],
        _ => body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    };
    items.iter().map(|v| v["seq"].as_u64().unwrap()).collect()
}

#[test]
fn ndjson_batches_are_retried_on_5xx_and_429_honouring_retry_after() {
    let server = TestServer::start(0, &[(500, None), (429, Some("1")), (502, None)], |_| {
        String::new()
    });
    let run = generate_to_http(
        50,
        &format!("url: '{}', batch_mode: ndjson", server.url("/ingest")),
    );
    assert_eq!(run.spawn().wait().code(), Some(0), "{}", run.stderr());

    let received = server.received();
    let statuses: Vec<_> = received.iter().take(4).map(|r| r.status).collect();
    assert_eq!(statuses, [500, 429, 502, 200]);
    let waited = received[2].at - received[1].at;
    assert!(
        waited >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured; retried after {waited:?}"
    );
    assert!(
        received
            .iter()
            .all(|r| r.method == "POST" && r.headers["content-type"] == "application/x-ndjson")
    );
    let delivered: Vec<u64> = server
        .delivered_bodies()
        .iter()
        .flat_map(|b| seqs_in(b))
        .collect();
    assert_eq!(
        delivered,
        (1..=50).collect::<Vec<_>>(),
        "every message delivered once, in order"
    );
}

#[test]
fn single_mode_sends_one_request_per_message() {
    let server = TestServer::start(0, &[], |_| String::new());
    let run = generate_to_http(
        5,
        &format!(
            "url: '{}', method: PUT, batch_mode: single, headers: {{ X-Token: abc }}",
            server.url("/one")
        ),
    );
    assert_eq!(run.spawn().wait().code(), Some(0), "{}", run.stderr());
    let received = server.received();
    assert_eq!(received.len(), 5);
    assert!(
        received
            .iter()
            .all(|r| r.method == "PUT" && r.headers["x-token"] == "abc")
    );
    let bodies = server.delivered_bodies();
    assert_eq!(
        bodies,
        (1..=5)
            .map(|n| format!(r#"{{"seq": {n}}}"#))
            .collect::<Vec<_>>()
    );
}

#[test]
fn json_array_mode_sends_a_json_array_per_batch() {
    let server = TestServer::start(0, &[], |_| String::new());
    let run = generate_to_http(
        5,
        &format!("url: '{}', batch_mode: json_array", server.url("/array")),
    );
    assert_eq!(run.spawn().wait().code(), Some(0), "{}", run.stderr());
    let bodies = server.delivered_bodies();
    assert!(bodies.iter().all(|b| b.starts_with('[')), "{bodies:?}");
    let delivered: Vec<u64> = bodies.iter().flat_map(|b| seqs_in(b)).collect();
    assert_eq!(delivered, [1, 2, 3, 4, 5]);
}

#[test]
fn waits_for_a_server_that_is_down_for_a_while() {
    let port = free_port();
    let run = generate_to_http(
        20,
        &format!("url: 'http://127.0.0.1:{port}/late', batch_mode: ndjson, max_retries: 0"),
    );
    let mut running = run.spawn();
    run.wait_for_log("delivery failed; retrying", 3);
    let server = TestServer::start(port, &[], |_| String::new());
    assert_eq!(running.wait().code(), Some(0), "{}", run.stderr());
    let delivered: BTreeSet<u64> = server
        .delivered_bodies()
        .iter()
        .flat_map(|b| seqs_in(b))
        .collect();
    assert_eq!(
        delivered,
        (1..=20).collect(),
        "everything arrives once the server is up"
    );
}

#[test]
fn a_refusal_stops_the_runtime_without_retrying_or_a_restart() {
    let server = TestServer::start(0, &[(400, None)], |_| String::new());
    let run = generate_to_http(
        3,
        &format!("url: '{}', batch_mode: ndjson", server.url("/strict")),
    );
    assert_eq!(
        run.spawn().wait().code(),
        Some(ExitCode::InvalidConfig.code()),
        "a refused message would be refused again after a restart: {}",
        run.stderr()
    );
    assert_eq!(server.received().len(), 1, "a 400 is not retried");
    assert!(
        run.stderr().contains("refuses this content") && run.stderr().contains("http.400"),
        "{}",
        run.stderr()
    );
}

#[test]
fn gives_up_after_max_retries() {
    let server = TestServer::start(
        0,
        &[(500, None), (500, None), (500, None), (500, None)],
        |_| String::new(),
    );
    let run = generate_to_http(
        3,
        &format!(
            "url: '{}', batch_mode: ndjson, max_retries: 2",
            server.url("/down")
        ),
    );
    assert_eq!(
        run.spawn().wait().code(),
        Some(ExitCode::Transient.code()),
        "{}",
        run.stderr()
    );
    assert_eq!(server.received().len(), 3, "one try and two retries");
    assert!(
        run.stderr().contains("gave up after 2 retries"),
        "{}",
        run.stderr()
    );
}

#[test]
fn a_request_that_times_out_is_retried() {
    let server = TestServer::start(0, &[(HANG, None)], |_| String::new());
    let run = generate_to_http(
        4,
        &format!(
            "url: '{}', batch_mode: ndjson, timeout: 300ms",
            server.url("/slow")
        ),
    );
    assert_eq!(run.spawn().wait().code(), Some(0), "{}", run.stderr());
    let statuses: Vec<_> = server.received().iter().map(|r| r.status).collect();
    assert_eq!(
        statuses,
        [HANG, 200],
        "the hung request was abandoned and sent again"
    );
    let delivered: Vec<u64> = server
        .delivered_bodies()
        .iter()
        .flat_map(|b| seqs_in(b))
        .collect();
    assert_eq!(delivered, [1, 2, 3, 4]);
    assert!(
        run.stderr().contains("delivery failed; retrying"),
        "{}",
        run.stderr()
    );
}
