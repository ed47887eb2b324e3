//! The error policy end to end: a real agent runs the `essentials` runtime with a `generate`
//! source and an `http` sink against a real local server that answers 400 for every 100th
//! message. With `tolerance: all` those messages land in a file dead-letter destination with the
//! error headers while everything else is delivered and the connector keeps running; with
//! `tolerance: none` the first one stops the connector (exit 78) without a restart loop. A
//! runtime that declares an older contract gets its `errors` block refused.

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use connect_tests::workspace_bin;
use serde_json::Value;
use support::{TestAgent, WAIT};

/// Messages the connector makes; every 100th is refused.
const COUNT: u64 = 1_000;

/// Every `(seq, status)` the server answered.
type Seen = Arc<Mutex<Vec<(u64, u16)>>>;

/// A loopback HTTP server answering 400 to every message whose `seq` is a multiple of 100 and
/// 200 to the others, recording each `(seq, status)`.
struct RefusingServer {
    runtime: Option<tokio::runtime::Runtime>,
    url: String,
    seen: Seen,
}

impl RefusingServer {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind(("127.0.0.1", 0)))
            .unwrap();
        let url = format!("http://{}/ingest", listener.local_addr().unwrap());
        let app = Router::new().fallback(answer).with_state(seen.clone());
        runtime.spawn(async move { axum::serve(listener, app).await });
        Self {
            runtime: Some(runtime),
            url,
            seen,
        }
    }

    /// The seqs answered with `status`, in arrival order.
    fn seqs(&self, status: u16) -> Vec<u64> {
        let seen = self.seen.lock().unwrap();
        seen.iter().filter(|s| s.1 == status).map(|s| s.0).collect()
    }
}

impl Drop for RefusingServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

async fn answer(State(seen): State<Seen>, body: Bytes) -> StatusCode {
    let seq = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["seq"].as_u64());
    let Some(seq) = seq else {
        return StatusCode::UNPROCESSABLE_ENTITY;
    };
    let status = if seq % 100 == 0 {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    seen.lock().unwrap().push((seq, status.as_u16()));
    status
}

/// An agent with its API that also knows the workspace's runtimes (`essentials`).
fn agent() -> TestAgent {
    let agent = TestAgent::with_api("");
    let runtimes = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runtimes");
    let bins = workspace_bin("essentials").parent().unwrap().to_path_buf();
    agent.add_runtimes(&runtimes, &bins);
    agent
}

/// `generate` (one message every 2ms, so the run lasts a couple of seconds) → `http` (one
/// request per message), with `errors` as given.
fn connector(id: &str, url: &str, errors: &str) -> String {
    format!(
        "id: {id}\nruntime: essentials\nsteps:\n  source: {{ type: generate, config: {{ count: {COUNT}, interval: 2ms }} }}\n  sink: {{ type: http, config: {{ url: '{url}', batch_mode: single }} }}\n{errors}"
    )
}

#[test]
fn tolerated_rejections_go_to_the_dead_letter_file_and_the_connector_keeps_running() {
    let server = RefusingServer::start();
    let mut agent = agent();
    let dlq = agent.dir.path().join("dlq/cat-facts.ndjson");
    agent.write_connector(
        "dl",
        &connector(
            "dl",
            &server.url,
            &format!(
                "errors:\n  tolerance: all\n  dead_letter:\n    file: {{ path: {} }}\n",
                dlq.display()
            ),
        ),
    );
    agent.start();

    // Mid-run: messages were already set aside, and the connector is running all the same.
    let c = agent.wait_connector("dl", "running with a dead-lettered message", |c| {
        c["heartbeat"]["counters"]["messages_dead_lettered"]
            .as_u64()
            .is_some_and(|n| n >= 1)
            && c["state"] == "running"
    });
    assert_eq!(c["restarts"], 0);
    let c = agent.wait_state("dl", "completed");
    assert_eq!(
        (c["exit_code"].clone(), c["restarts"].clone()),
        (0.into(), 0.into())
    );

    let refused: Vec<u64> = (1..=COUNT / 100).map(|i| i * 100).collect();
    let expected: BTreeSet<u64> = (1..=COUNT).filter(|s| s % 100 != 0).collect();
    let delivered = server.seqs(200);
    assert_eq!(
        delivered.len(),
        expected.len(),
        "every other message delivered once"
    );
    assert_eq!(delivered.into_iter().collect::<BTreeSet<_>>(), expected);
    assert_eq!(
        server.seqs(400),
        refused,
        "each refused message was sent once"
    );

    let text = std::fs::read_to_string(&dlq).expect("the dead-letter file");
    let letters: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let seqs: Vec<u64> = letters
        .iter()
        .map(|l| l["payload"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, refused, "the payload is kept as JSON, in order");
    for l in &letters {
        let h = &l["headers"];
        assert_eq!(h["connect.error.stage"], "sink", "{l}");
        assert_eq!(h["connect.error.class"], "http.400", "{l}");
        assert!(
            h["connect.error.message"].as_str().unwrap().contains("400"),
            "{l}"
        );
        assert_eq!(h["connect.connector"], "dl", "{l}");
        assert!(
            !h["connect.source.offset"].as_str().unwrap().is_empty(),
            "{l}"
        );
        assert_eq!(l["key"], Value::Null);
    }

    let counters = &agent.get_json("/connectors/dl", 200)["heartbeat"]["counters"];
    assert_eq!(counters["messages_in"], COUNT, "{counters}");
    assert_eq!(counters["messages_out"], COUNT - 10, "{counters}");
    assert_eq!(counters["messages_dead_lettered"], 10, "{counters}");
    assert_eq!(counters["messages_failed"], 0, "{counters}");
    let metrics = agent.get("/metrics").text().unwrap();
    assert!(
        metrics.contains("connect_connector_messages_dead_lettered_total{connector=\"dl\"} 10"),
        "{metrics}"
    );
}

#[test]
fn tolerance_none_stops_at_the_first_rejected_message_without_restarting() {
    let server = RefusingServer::start();
    let mut agent = agent();
    agent.write_connector(
        "strict",
        &connector("strict", &server.url, "errors: { tolerance: none }\n"),
    );
    agent.start();
    let c = agent.wait_state("strict", "failed");
    assert_eq!(c["exit_code"], 78, "{c:#}");
    assert_eq!(
        c["restarts"], 0,
        "no restart loop on the same message: {c:#}"
    );
    let stderr = c["last_stderr"].to_string();
    assert!(
        stderr.contains("http.400") && stderr.contains(r#"seq\\\": 100}"#),
        "the error names the first refused message and the reason: {stderr}"
    );
    assert_eq!(server.seqs(400), [100], "the refused message was sent once");
    let counters = &c["heartbeat"]["counters"];
    assert!(
        counters["messages_out"].as_u64().unwrap() < 100,
        "the write holding the refused message is not counted as delivered: {counters}"
    );
    assert_eq!(counters["messages_dead_lettered"], 0, "{counters}");
}

#[test]
fn an_errors_block_is_refused_for_a_runtime_of_an_older_contract() {
    let mut agent = TestAgent::with_api("");
    agent.start();
    let doc = "id: sh\nruntime: shellrt\nsteps:\n  source: { type: ticker }\n  sink: { type: stdout }\nerrors: { tolerance: all }\n";
    let r = agent.post("/connectors/validate", doc);
    assert_eq!(
        r.status(),
        400,
        "an old runtime cannot honour the errors block"
    );
    let body: Value = r.json().unwrap();
    let text = body.to_string();
    assert!(
        text.contains("runtime `shellrt`")
            && text.contains("contract version 1")
            && text.contains("needs version 2"),
        "{text}"
    );
    let plain = doc.replace("errors: { tolerance: all }\n", "");
    assert_eq!(agent.post("/connectors/validate", &plain).status(), 200);
    let _ = WAIT;
}
