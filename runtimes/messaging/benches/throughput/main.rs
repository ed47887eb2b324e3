//! Throughput of the release `messaging` binary per system, 100-byte messages, beside a floor
//! measured in the same run: Debian's own benchmark tool where it ships one (`redis-benchmark`),
//! else a minimal publisher or subscriber written with the same client crate. Run with
//! `cargo bench -p messaging --bench throughput` (`BENCH_MESSAGES`, default 200000;
//! `BENCH_BATCH`, the connectors' `batch_length`, default 1000).
//!
//! Source cases drain a prefilled broker into the `redis_streams` sink of a separate Redis;
//! sink cases are fed by the `redis_streams` source from a prefilled stream (this runtime has no
//! generator). Each time runs from process start until the destination holds every message.

mod mqtt;
#[allow(dead_code)]
#[path = "../../tests/e2e/servers.rs"]
mod servers;
#[allow(dead_code)]
#[path = "../../tests/e2e/support.rs"]
mod support;

use std::time::{Duration, Instant};

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;
use servers::{Kind, Server};
use support::{Messaging, payload, redis_conn, redis_fill, redis_len};

pub(crate) struct Row {
    pub(crate) system: &'static str,
    pub(crate) case: &'static str,
    pub(crate) runtime: f64,
    pub(crate) floor: f64,
    pub(crate) floor_name: &'static str,
}

pub(crate) fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

/// Runs the connector from process start until `done`, then stops it; the elapsed time.
pub(crate) fn time_run(id: &str, steps: String, done: impl Fn() -> bool) -> Duration {
    let run = Messaging::new(id, &with_batch(&steps));
    let start = Instant::now();
    let mut running = run.spawn();
    loop {
        running.assert_running(|| run.logs());
        if done() {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "{id} took over 5 minutes"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = start.elapsed();
    assert_eq!(running.terminate(), Some(0), "{}", run.logs());
    elapsed
}

/// The sink's `batch_length` (which the source's follows) from `BENCH_BATCH`, default 1000.
fn with_batch(steps: &str) -> String {
    let Ok(batch) = std::env::var("BENCH_BATCH") else {
        return steps.to_string();
    };
    steps
        .lines()
        .map(|l| {
            match l
                .strip_prefix("  sink: ")
                .and_then(|r| r.strip_suffix(" }"))
            {
                Some(body) => format!("  sink: {body}, batch_length: {batch} }}\n"),
                None => format!("{l}\n"),
            }
        })
        .collect()
}

pub(crate) fn sink_steps(rec: &str, out: &str) -> String {
    format!("  sink: {{ type: redis_streams, config: {{ url: '{rec}', stream: {out} }} }}\n")
}

pub(crate) fn feed_steps(feed: &str, group: &str) -> String {
    format!(
        "  source: {{ type: redis_streams, config: {{ url: '{feed}', stream: src, group: {group} }} }}\n"
    )
}

fn redis(n: u64, feed: &str, rec: &str) -> Vec<Row> {
    // Source: XREADGROUP → pipeline → XADD, against a minimal XREADGROUP + XACK loop.
    let d = time_run(
        "bench-redis-src",
        feed_steps(feed, "rt") + &sink_steps(rec, "redis-out"),
        || redis_len(rec, "redis-out") >= n,
    );
    let mut c = redis_conn(feed);
    let _: () = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg("src")
        .arg("floor")
        .arg("0")
        .query(&mut c)
        .unwrap();
    let start = Instant::now();
    let mut read = 0;
    while read < n {
        let r: redis::streams::StreamReadReply = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg("floor")
            .arg("c")
            .arg("COUNT")
            .arg(1000)
            .arg("STREAMS")
            .arg("src")
            .arg(">")
            .query(&mut c)
            .unwrap();
        let ids: Vec<String> = r
            .keys
            .into_iter()
            .flat_map(|k| k.ids)
            .map(|e| e.id)
            .collect();
        read += ids.len() as u64;
        let _: i64 = redis::cmd("XACK")
            .arg("src")
            .arg("floor")
            .arg(&ids)
            .query(&mut c)
            .unwrap();
    }
    let floor_src = rate(n, start.elapsed());

    // Sink: into a fresh Redis, against redis-benchmark's pipelined XADD on one connection.
    let target = Server::new(Kind::Redis, false);
    let out = target.url();
    let steps = feed_steps(feed, "rt-sink")
        + &format!("  sink: {{ type: redis_streams, config: {{ url: '{out}', stream: out }} }}\n");
    let d_sink = time_run("bench-redis-sink", steps, || redis_len(&out, "out") >= n);
    let tool = servers::binary("redis-benchmark", "redis-tools");
    let report = std::process::Command::new(tool)
        .args([
            "-p",
            &target.port.to_string(),
            "-c",
            "1",
            "-P",
            "1000",
            "-q",
            "-n",
            &n.to_string(),
        ])
        .args(["XADD", "floor", "*", "payload", &payload(0)])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&report.stdout);
    let floor_sink: f64 = text
        .rsplit_once(" requests per second")
        .and_then(|(before, _)| before.split_whitespace().last()?.parse().ok())
        .unwrap_or_else(|| panic!("redis-benchmark said: {text}"));
    vec![
        Row {
            system: "redis",
            case: "redis_streams source → redis_streams",
            runtime: rate(n, d),
            floor: floor_src,
            floor_name: "XREADGROUP+XACK loop (redis crate)",
        },
        Row {
            system: "redis",
            case: "redis_streams → redis_streams sink",
            runtime: rate(n, d_sink),
            floor: floor_sink,
            floor_name: "redis-benchmark -c 1 -P 1000 XADD",
        },
    ]
}

async fn js(url: &str) -> jetstream::Context {
    jetstream::new(async_nats::connect(url).await.unwrap())
}

async fn stream_messages(url: &str, name: &str) -> u64 {
    match js(url).await.get_stream(name).await {
        Ok(mut s) => s.info().await.map_or(0, |i| i.state.messages),
        Err(_) => 0,
    }
}

fn nats(n: u64, feed: &str, rec: &str) -> Vec<Row> {
    let server = Server::new(Kind::Nats, true);
    let url = server.url();
    // The publisher floor: JetStream publishes acknowledged per 1000, as the sink does.
    let floor_pub = block_on(async {
        let js = js(&url).await;
        for (name, subject) in [("BSRC", "bsrc.>"), ("BSINK", "bsink.>")] {
            js.get_or_create_stream(stream::Config {
                name: name.into(),
                subjects: vec![subject.into()],
                ..Default::default()
            })
            .await
            .unwrap();
        }
        let start = Instant::now();
        let body = bytes::Bytes::from(payload(0));
        for _ in 0..n / 1000 {
            let mut acks = Vec::with_capacity(1000);
            for _ in 0..1000 {
                acks.push(js.publish("bsrc.a", body.clone()).await.unwrap());
            }
            for a in acks {
                a.await.unwrap();
            }
        }
        rate(n, start.elapsed())
    });
    let d = time_run(
        "bench-nats-src",
        format!(
            "  source: {{ type: nats, config: {{ url: '{url}', stream: BSRC, durable: rt }} }}\n"
        ) + &sink_steps(rec, "nats-out"),
        || redis_len(rec, "nats-out") >= n,
    );
    // The subscriber floor: a durable pull consumer acknowledging cumulatively per 1000.
    let floor_sub = block_on(async {
        let js = js(&url).await;
        let stream = js.get_stream("BSRC").await.unwrap();
        let consumer = stream
            .create_consumer(consumer::pull::Config {
                durable_name: Some("floor".into()),
                ack_policy: consumer::AckPolicy::All,
                max_ack_pending: 65536,
                ..Default::default()
            })
            .await
            .unwrap();
        let start = Instant::now();
        let mut messages = consumer
            .stream()
            .max_messages_per_batch(1000)
            .messages()
            .await
            .unwrap();
        for i in 1..=n {
            let m = messages.next().await.unwrap().unwrap();
            if i % 1000 == 0 {
                m.double_ack().await.unwrap();
            }
        }
        rate(n, start.elapsed())
    });
    let d_sink = time_run(
        "bench-nats-sink",
        feed_steps(feed, "nats-sink")
            + &format!(
                "  sink: {{ type: nats, config: {{ url: '{url}', subject: bsink.x, jetstream: true }} }}\n"
            ),
        || block_on(stream_messages(&url, "BSINK")) >= n,
    );
    vec![
        Row {
            system: "nats",
            case: "nats source (JetStream) → redis_streams",
            runtime: rate(n, d),
            floor: floor_sub,
            floor_name: "pull consumer, AckAll per 1000 (async-nats)",
        },
        Row {
            system: "nats",
            case: "redis_streams → nats sink (JetStream)",
            runtime: rate(n, d_sink),
            floor: floor_pub,
            floor_name: "JetStream publish, PubAcks per 1000 (async-nats)",
        },
    ]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: u64 = std::env::var("BENCH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let n = (n / 1000).max(1) * 1000;
    let feed_server = Server::new(Kind::Redis, false);
    let rec_server = Server::new(Kind::Redis, false);
    let (feed, rec) = (feed_server.url(), rec_server.url());
    redis_fill(&feed, "src", 0..n);
    let mut rows = redis(n, &feed, &rec);
    rows.extend(nats(n, &feed, &rec));
    rows.extend(mqtt::mqtt(n, &feed, &rec));
    let batch = std::env::var("BENCH_BATCH").unwrap_or_else(|_| "1000".into());
    println!(
        "\n{n} messages of {} bytes, batch_length {batch}, release build\n",
        payload(0).len()
    );
    println!("| system | case | runtime msg/s | floor msg/s | ratio | floor |");
    println!("|---|---|---:|---:|---:|---|");
    for r in rows {
        println!(
            "| {} | {} | {:.0} | {:.0} | {:.2} | {} |",
            r.system,
            r.case,
            r.runtime,
            r.floor,
            r.runtime / r.floor,
            r.floor_name
        );
    }
}
