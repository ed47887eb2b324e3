//! NATS: the JetStream source loses nothing across SIGKILLs and keeps stream order; core NATS
//! delivers while running (at-most-once: no claim across restarts); the JetStream sink
//! survives a server restart.

use std::collections::BTreeSet;
use std::time::Duration;

use async_nats::jetstream::{self, consumer, stream};
use futures::StreamExt;
use nix::sys::signal::Signal;

use crate::servers::{self, Kind, Server};
use crate::support::{
    Messaging, WAIT, assert_delivery, payload, redis_fill, redis_seqs, seq_of, wait_for_len,
};
use connect_tests::wait_for;

fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

async fn js(url: &str) -> jetstream::Context {
    jetstream::new(
        async_nats::connect(url)
            .await
            .expect("connect to the test nats-server"),
    )
}

/// Creates a file-backed stream capturing `subjects`.
pub fn create_stream(url: &str, name: &str, subjects: &[&str]) {
    block_on(async {
        js(url)
            .await
            .get_or_create_stream(stream::Config {
                name: name.into(),
                subjects: subjects.iter().map(|s| s.to_string()).collect(),
                ..Default::default()
            })
            .await
            .unwrap();
    });
}

/// Publishes test messages `range` to JetStream, waiting for every PubAck.
pub fn js_publish(url: &str, subject: &str, range: std::ops::Range<u64>) {
    block_on(async {
        let js = js(url).await;
        let mut acks = Vec::new();
        for s in range {
            acks.push(
                js.publish(subject.to_string(), payload(s).into())
                    .await
                    .unwrap(),
            );
        }
        for a in acks {
            a.await.unwrap();
        }
    });
}

/// The seqs of every message in a stream, in stream order.
pub fn stream_seqs(url: &str, name: &str) -> Vec<u64> {
    block_on(async {
        let js = js(url).await;
        let mut stream = js.get_stream(name).await.unwrap();
        let total = stream.info().await.unwrap().state.messages;
        let consumer = stream
            .create_consumer(consumer::pull::Config {
                ack_policy: consumer::AckPolicy::None,
                ..Default::default()
            })
            .await
            .unwrap();
        let mut seqs = Vec::new();
        let mut messages = consumer.messages().await.unwrap();
        while (seqs.len() as u64) < total {
            let m = tokio::time::timeout(Duration::from_secs(30), messages.next())
                .await
                .expect("stream messages within 30s")
                .unwrap()
                .unwrap();
            seqs.push(seq_of(&m.payload));
        }
        seqs
    })
}

/// How many messages a stream holds (0 while it does not exist).
pub fn stream_len(url: &str, name: &str) -> u64 {
    block_on(async {
        let js = js(url).await;
        match js.get_stream(name).await {
            Ok(mut s) => s.info().await.map_or(0, |i| i.state.messages),
            Err(_) => 0,
        }
    })
}

/// Why JetStream → Redis: the Redis stream records exactly what was confirmed, in order.
#[test]
fn jetstream_source_loses_nothing_across_three_sigkills() {
    const N: u64 = 50_000;
    let (url, rec) = (servers::nats().url(), servers::redis().url());
    create_stream(&url, "KILLS", &["kills.>"]);
    let run = Messaging::new(
        "nats-kills",
        &format!(
            "  source: {{ type: nats, config: {{ url: '{url}', stream: KILLS, durable: bridge, create_stream: true, subjects: ['kills.>'] }} }}\n  sink: {{ type: redis_streams, config: {{ url: '{rec}', stream: nats-kills-out }} }}\n"
        ),
    );
    let feeder = {
        let url = url.clone();
        std::thread::spawn(move || {
            for start in (0..N).step_by(1000) {
                js_publish(&url, "kills.a", start..start + 1000);
                std::thread::sleep(Duration::from_millis(40));
            }
        })
    };
    for threshold in [6_000, 18_000, 30_000] {
        let mut running = run.spawn();
        wait_for_len(&rec, "nats-kills-out", threshold, &mut running, || {
            run.logs()
        });
        running.kill(|| run.logs());
    }
    feeder.join().unwrap();
    let mut running = run.spawn();
    wait_for(WAIT, "every message in the output", || {
        running.assert_running(|| run.logs());
        let distinct: BTreeSet<u64> = redis_seqs(&rec, "nats-kills-out").into_iter().collect();
        (distinct.len() as u64 == N).then_some(())
    });
    assert_eq!(running.terminate(), Some(0), "{}", run.logs());
    assert_delivery(&redis_seqs(&rec, "nats-kills-out"), N, 3);
}

#[test]
fn core_nats_source_delivers_what_is_published_while_it_runs() {
    let (url, rec) = (servers::nats().url(), servers::redis().url());
    let run = Messaging::new(
        "nats-core",
        &format!(
            "  source: {{ type: nats, config: {{ url: '{url}', subject: 'core.>' }} }}\n  sink: {{ type: redis_streams, config: {{ url: '{rec}', stream: nats-core-out }} }}\n"
        ),
    );
    let mut running = run.spawn();
    wait_for(WAIT, "the pipeline to run", || {
        running.assert_running(|| run.logs());
        run.logs().contains("pipeline running").then_some(())
    });
    block_on(async {
        let client = async_nats::connect(&url).await.unwrap();
        let mut headers = async_nats::HeaderMap::new();
        headers.insert("origin", "test");
        for s in 0..2_000 {
            client
                .publish_with_headers("core.a", headers.clone(), payload(s).into())
                .await
                .unwrap();
        }
        client.flush().await.unwrap();
    });
    wait_for_len(&rec, "nats-core-out", 2_000, &mut running, || run.logs());
    assert_eq!(running.terminate(), Some(0), "{}", run.logs());
    assert_eq!(
        redis_seqs(&rec, "nats-core-out"),
        (0..2_000).collect::<Vec<_>>()
    );
    // Headers and the subject travel with the message (the Redis sink writes them as fields).
    let mut c = crate::support::redis_conn(&rec);
    let first: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
        .arg("nats-core-out")
        .arg("-")
        .arg("+")
        .arg("COUNT")
        .arg(1)
        .query(&mut c)
        .unwrap();
    let fields = &first.ids[0].map;
    assert_eq!(
        fields.get("origin"),
        Some(&redis::Value::BulkString(b"test".to_vec()))
    );
    assert_eq!(
        fields.get("nats.subject"),
        Some(&redis::Value::BulkString(b"core.a".to_vec()))
    );
}

#[test]
fn jetstream_sink_reconnects_after_a_server_restart_and_loses_nothing() {
    const M: u64 = 20_000;
    let feed = servers::redis().url();
    let mut target = Server::new(Kind::Nats, true);
    let url = target.url();
    create_stream(&url, "OUT", &["out.>"]);
    redis_fill(&feed, "nats-restart-in", 0..M);
    let run = Messaging::new(
        "nats-restart",
        &format!(
            "  source: {{ type: redis_streams, config: {{ url: '{feed}', stream: nats-restart-in }} }}\n  sink: {{ type: nats, config: {{ url: '{url}', subject: out.x, jetstream: true, ack_timeout: 3s }}, batch_length: 200 }}\n"
        ),
    );
    let mut running = run.spawn();
    wait_for(WAIT, "4000 messages in stream OUT", || {
        running.assert_running(|| run.logs());
        (stream_len(&url, "OUT") >= 4_000).then_some(())
    });
    target.stop(Signal::SIGTERM);
    target.start();
    // The client reconnects by itself and sends again what the server did not acknowledge.
    wait_for(WAIT, "every message after the restart", || {
        running.assert_running(|| run.logs());
        let complete = stream_len(&url, "OUT") >= M
            && stream_seqs(&url, "OUT")
                .into_iter()
                .collect::<BTreeSet<_>>()
                .len() as u64
                == M;
        complete.then_some(())
    });
    assert_eq!(running.terminate(), Some(0), "{}", run.logs());
    // Nothing lost. Order is not claimed here: the client resends what it had buffered when
    // the server went away, and a batch whose PubAcks did not all come is sent again, so the
    // batch in flight at the restart may land out of order (and, without a `Nats-Msg-Id`,
    // twice).
    let seqs = stream_seqs(&url, "OUT");
    let distinct: BTreeSet<u64> = seqs.iter().copied().collect();
    assert_eq!(
        distinct,
        (0..M).collect::<BTreeSet<_>>(),
        "every message is in the stream"
    );
    assert!(
        run.logs().contains("event: disconnected"),
        "the sink never saw the server go away:\n{}",
        run.logs()
    );
}
