//! The `http` source against a real local server: JSON arrays split into messages, 429/5xx
//! retried with backoff and Retry-After, a server that is down for a while, a refusal.

use std::time::Duration;

use crate::http_server::TestServer;
use crate::support::{RuntimeRun, essentials, free_port, wait_for_lines};

fn http_to_file(url: &str, split: bool) -> RuntimeRun {
    essentials(&format!(
        "  source:\n    type: http\n    config: {{ url: '{url}', interval: 20ms, split: {split}, initial_backoff: 50ms, max_backoff: 200ms }}\n  sink: {{ type: file, config: {{ path: '{{dir}}/out.ndjson' }} }}\n"
    ))
}

#[test]
fn splits_arrays_and_retries_5xx_and_429_honouring_retry_after() {
    let server = TestServer::start(0, &[(500, None), (429, Some("1")), (503, None)], |n| {
        format!(r#"[{{"n": {}}}, {{"n": {}}}]"#, 2 * n, 2 * n + 1)
    });
    let run = http_to_file(&server.url("/facts"), true);
    let running = run.spawn();
    let lines = wait_for_lines(&run.path("out.ndjson"), 6);
    assert_eq!(running.terminate().code(), Some(0), "{}", run.stderr());

    let expected: Vec<_> = (0..6).map(|n| format!(r#"{{"n":{n}}}"#)).collect();
    assert_eq!(
        lines[..6],
        expected[..],
        "each array element is one message, in order"
    );
    let received = server.received();
    let statuses: Vec<_> = received.iter().take(4).map(|r| r.status).collect();
    assert_eq!(statuses, [500, 429, 503, 200]);
    assert!(
        received
            .iter()
            .all(|r| r.method == "GET" && r.path == "/facts")
    );
    let waited = received[2].at - received[1].at;
    assert!(
        waited >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured; retried after {waited:?}"
    );
    assert!(
        run.stderr().contains("poll failed; retrying"),
        "{}",
        run.stderr()
    );
}

#[test]
fn waits_for_a_server_that_is_down_for_a_while() {
    let port = free_port();
    let run = http_to_file(&format!("http://127.0.0.1:{port}/fact"), false);
    let running = run.spawn();
    run.wait_for_log("poll failed; retrying", 3);
    let _server = TestServer::start(port, &[], |n| format!(r#"{{"fact": {n}}}"#));
    let lines = wait_for_lines(&run.path("out.ndjson"), 2);
    assert_eq!(running.terminate().code(), Some(0), "{}", run.stderr());
    assert_eq!(
        lines[..2],
        [r#"{"fact": 0}"#, r#"{"fact": 1}"#],
        "the body is one message when not split"
    );
}

#[test]
fn a_refused_request_stops_the_runtime_for_a_restart() {
    let server = TestServer::start(0, &[(404, None)], |_| "[]".into());
    let run = http_to_file(&server.url("/missing"), false);
    let status = run.spawn().wait();
    let stderr = run.stderr();
    assert_eq!(
        status.code(),
        Some(connect_runtime_sdk::ExitCode::Transient.code()),
        "{stderr}"
    );
    assert!(
        stderr.contains("404") && stderr.contains("check the url"),
        "{stderr}"
    );
}

#[test]
fn a_large_array_is_emitted_in_order_across_batches() {
    let server = TestServer::start(0, &[], |n| {
        let items: Vec<String> = (0..2500).map(|i| (n * 2500 + i).to_string()).collect();
        format!("[{}]", items.join(","))
    });
    let run = http_to_file(&server.url("/many"), true);
    let running = run.spawn();
    let lines = wait_for_lines(&run.path("out.ndjson"), 2500);
    assert_eq!(running.terminate().code(), Some(0), "{}", run.stderr());
    let expected: Vec<String> = (0..lines.len()).map(|i| i.to_string()).collect();
    assert_eq!(
        lines, expected,
        "the elements of consecutive responses, in order"
    );
}
