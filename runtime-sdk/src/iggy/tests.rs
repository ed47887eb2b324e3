//! The producer and consumer steps against a real Iggy server, gated on
//! `CONNECT_TEST_IGGY_ADDRESS` (credentials iggy/iggy); without it each test prints SKIPPED.
//!
//! Every test uses its own stream, created by the producer step itself (`create_topic: true`).
//! Servers that refuse the 0.11 client's `CreateTopic` options get the compatible request
//! (`topic_compat`); a topic made beforehand by other means works as well.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::json;

use crate::component::{ComponentContext, ComponentError, Message, Origin, Sink, Source};
use crate::document::{ConsumerStep, ProducerStep};
use crate::runtime::Context;
use crate::runtime::RuntimeSettings;

use super::{IggySink, IggySource};

const WAIT: Duration = Duration::from_secs(20);

fn address(test: &str) -> Option<String> {
    match std::env::var("CONNECT_TEST_IGGY_ADDRESS") {
        Ok(a) if !a.trim().is_empty() => Some(a),
        _ => {
            // Straight to the process's stderr, past the test harness's capture, so the skip
            // shows in every run.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("SKIPPED {test}: set CONNECT_TEST_IGGY_ADDRESS=host:port of an Iggy server (credentials iggy/iggy)\n").as_bytes(),
            );
            None
        }
    }
}

struct Setup {
    ctx: ComponentContext,
    stream: String,
    _dir: tempfile::TempDir,
}

fn setup(address: &str) -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let env: BTreeMap<String, String> =
        [("CONNECT_IGGY_ADDRESS".to_string(), address.to_string())].into();
    let settings = RuntimeSettings::from_env(&env).unwrap();
    let connector = crate::document::decode::from_str(
        "id: iggy-test\nruntime: test\nsteps:\n  source: { type: x }\n  sink: { type: y }\n",
    )
    .unwrap();
    let runtime = Context::for_tests(settings, connector, dir.path().to_path_buf());
    let stream = format!(
        "connect-test-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    Setup {
        ctx: ComponentContext::new(&runtime, "steps.test", Default::default()),
        stream,
        _dir: dir,
    }
}

fn producer_step(stream: &str, topic: &str, extra: serde_json::Value) -> ProducerStep {
    let mut v = json!({"stream": stream, "topic": topic, "create_topic": true});
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    serde_json::from_value(v).unwrap()
}

fn consumer_step(stream: &str, topic: &str, group: &str, extra: serde_json::Value) -> ConsumerStep {
    let mut v = json!({"stream": stream, "topic": topic, "consumer_group": group});
    v.as_object_mut()
        .unwrap()
        .extend(extra.as_object().cloned().unwrap_or_default());
    serde_json::from_value(v).unwrap()
}

async fn open_sink(ctx: &ComponentContext, step: &ProducerStep) -> IggySink {
    let mut sink = IggySink::new(ctx, step).unwrap();
    sink.open(ctx)
        .await
        .unwrap_or_else(|e| panic!("opening the producer failed: {e}"));
    sink
}

async fn open_source(ctx: &ComponentContext, step: &ConsumerStep) -> IggySource {
    let mut source = IggySource::new(ctx, step).unwrap();
    source
        .open(ctx)
        .await
        .unwrap_or_else(|e| panic!("opening the consumer failed: {e}"));
    source
}

fn numbered(range: std::ops::Range<u32>) -> Vec<Message> {
    range
        .map(|i| Message::new(format!("{{\"seq\":{i}}}")))
        .collect()
}

/// Polls until `n` messages arrived (committing each batch when asked), within [`WAIT`].
async fn consume(
    ctx: &ComponentContext,
    source: &mut IggySource,
    n: usize,
    commit: bool,
) -> Vec<Message> {
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + WAIT;
    while out.len() < n {
        let batch = tokio::time::timeout_at(deadline, source.poll(ctx, 1000))
            .await
            .unwrap_or_else(|_| {
                panic!("only {} of {n} messages arrived within {WAIT:?}", out.len())
            })
            .unwrap()
            .expect("the consumer never finishes");
        assert!(batch.cursor.is_some(), "every batch carries a cursor");
        if commit {
            source.commit(ctx, batch.cursor.unwrap()).await.unwrap();
        }
        out.extend(batch.messages);
    }
    out
}

/// Asserts that nothing arrives for a while (bounded: there is no event for absence).
async fn assert_nothing_more(ctx: &ComponentContext, source: &mut IggySource) {
    if let Ok(polled) =
        tokio::time::timeout(Duration::from_millis(750), source.poll(ctx, 1000)).await
    {
        let batch = polled.unwrap().expect("the consumer never finishes");
        panic!(
            "expected no more messages, got {} starting at {:?}",
            batch.messages.len(),
            batch.messages.first().map(|m| &m.origin)
        );
    }
}

fn payloads(messages: &[Message]) -> Vec<String> {
    messages
        .iter()
        .map(|m| String::from_utf8_lossy(&m.payload).into_owned())
        .collect()
}

#[tokio::test]
async fn produced_messages_are_consumed_in_order_and_stored_offsets_hold() {
    let Some(address) = address("produced_messages_are_consumed_in_order_and_stored_offsets_hold")
    else {
        return;
    };
    let s = setup(&address);
    let mut sink = open_sink(&s.ctx, &producer_step(&s.stream, "events", json!({}))).await;
    let sent = numbered(0..2500);
    for chunk in sent.chunks(1000) {
        assert!(sink.write(&s.ctx, chunk).await.unwrap().is_complete());
    }

    let group = consumer_step(&s.stream, "events", "readers", json!({"batch_length": 700}));
    let mut source = open_source(&s.ctx, &group).await;
    let got = consume(&s.ctx, &mut source, 2500, true).await;
    assert_eq!(payloads(&got), payloads(&sent));
    let offsets: Vec<_> = got
        .iter()
        .map(|m| match m.origin {
            Origin::Iggy { offset, .. } => offset,
            Origin::Source => panic!("an iggy message has an iggy origin"),
        })
        .collect();
    assert_eq!(offsets, (0..2500).collect::<Vec<u64>>());
    source.close(&s.ctx).await.unwrap();

    // The same group resumes after the stored offset: nothing old, then only the new message.
    let mut again = open_source(&s.ctx, &group).await;
    assert_nothing_more(&s.ctx, &mut again).await;
    assert!(
        sink.write(&s.ctx, &numbered(2500..2501))
            .await
            .unwrap()
            .is_complete()
    );
    let next = consume(&s.ctx, &mut again, 1, true).await;
    assert_eq!(payloads(&next), ["{\"seq\":2500}"]);
    again.close(&s.ctx).await.unwrap();
    sink.close(&s.ctx).await.unwrap();
}

#[tokio::test]
async fn uncommitted_batches_are_delivered_again() {
    let Some(address) = address("uncommitted_batches_are_delivered_again") else {
        return;
    };
    let s = setup(&address);
    let mut sink = open_sink(&s.ctx, &producer_step(&s.stream, "events", json!({}))).await;
    assert!(
        sink.write(&s.ctx, &numbered(0..30))
            .await
            .unwrap()
            .is_complete()
    );
    let group = consumer_step(&s.stream, "events", "readers", json!({"batch_length": 10}));

    // Read two batches, confirm only the first.
    let mut first = open_source(&s.ctx, &group).await;
    let a = first.poll(&s.ctx, 10).await.unwrap().unwrap();
    let b = first.poll(&s.ctx, 10).await.unwrap().unwrap();
    assert_eq!(
        payloads(&b.messages)[0],
        "{\"seq\":10}",
        "the next poll continues without a commit"
    );
    first.commit(&s.ctx, a.cursor.unwrap()).await.unwrap();
    first.close(&s.ctx).await.unwrap();

    let mut second = open_source(&s.ctx, &group).await;
    let got = consume(&s.ctx, &mut second, 20, true).await;
    assert_eq!(
        payloads(&got),
        payloads(&numbered(10..30)),
        "the unconfirmed batch comes again"
    );
    second.close(&s.ctx).await.unwrap();
}

#[tokio::test]
async fn start_last_reads_only_messages_produced_afterwards() {
    let Some(address) = address("start_last_reads_only_messages_produced_afterwards") else {
        return;
    };
    let s = setup(&address);
    let mut sink = open_sink(&s.ctx, &producer_step(&s.stream, "events", json!({}))).await;
    assert!(
        sink.write(&s.ctx, &numbered(0..5))
            .await
            .unwrap()
            .is_complete()
    );

    let mut last = open_source(
        &s.ctx,
        &consumer_step(&s.stream, "events", "tail", json!({"start": "last"})),
    )
    .await;
    assert!(
        sink.write(&s.ctx, &numbered(5..6))
            .await
            .unwrap()
            .is_complete()
    );
    assert_eq!(
        payloads(&consume(&s.ctx, &mut last, 1, true).await),
        ["{\"seq\":5}"]
    );

    let mut first = open_source(
        &s.ctx,
        &consumer_step(&s.stream, "events", "all", json!({"start": "first"})),
    )
    .await;
    assert_eq!(consume(&s.ctx, &mut first, 6, true).await.len(), 6);
}

#[tokio::test]
async fn keyed_messages_keep_their_partition_and_order() {
    let Some(address) = address("keyed_messages_keep_their_partition_and_order") else {
        return;
    };
    let s = setup(&address);
    let step = producer_step(
        &s.stream,
        "keyed",
        json!({"partitions": 3, "partitioning": "key"}),
    );
    let mut sink = open_sink(&s.ctx, &step).await;
    let sent: Vec<Message> = (0..60)
        .map(|i| {
            Message::new(format!("{i}"))
                .with_key(format!("user-{}", i % 6))
                .with_header("n", i.to_string())
        })
        .collect();
    assert!(sink.write(&s.ctx, &sent).await.unwrap().is_complete());

    let mut source = open_source(
        &s.ctx,
        &consumer_step(&s.stream, "keyed", "readers", json!({})),
    )
    .await;
    let got = consume(&s.ctx, &mut source, 60, true).await;
    let mut by_key: BTreeMap<String, (BTreeSet<u32>, Vec<u32>)> = BTreeMap::new();
    for m in &got {
        let Origin::Iggy { partition, .. } = m.origin else {
            panic!("iggy origin")
        };
        let key = String::from_utf8(
            m.key
                .clone()
                .expect("the key travels through iggy")
                .to_vec(),
        )
        .unwrap();
        assert_eq!(
            m.headers.get("n").map(String::as_str),
            Some(std::str::from_utf8(&m.payload).unwrap())
        );
        let entry = by_key.entry(key).or_default();
        entry.0.insert(partition);
        entry
            .1
            .push(std::str::from_utf8(&m.payload).unwrap().parse().unwrap());
    }
    assert_eq!(by_key.len(), 6);
    let partitions: BTreeSet<u32> = by_key
        .values()
        .flat_map(|(p, _)| p.iter().copied())
        .collect();
    assert!(
        partitions.len() > 1,
        "6 keys over 3 partitions use more than one: {partitions:?}"
    );
    for (key, (parts, seqs)) in &by_key {
        assert_eq!(parts.len(), 1, "key {key} spread over {parts:?}");
        assert!(
            seqs.windows(2).all(|w| w[0] < w[1]),
            "key {key} out of order: {seqs:?}"
        );
        assert_eq!(seqs.len(), 10);
    }
}

#[tokio::test]
async fn an_existing_topic_is_accepted_and_a_missing_one_is_explained() {
    let Some(address) = address("an_existing_topic_is_accepted_and_a_missing_one_is_explained")
    else {
        return;
    };
    let s = setup(&address);
    open_sink(&s.ctx, &producer_step(&s.stream, "events", json!({}))).await;
    // Creating again is fine: the topic exists.
    open_sink(&s.ctx, &producer_step(&s.stream, "events", json!({}))).await;

    let mut missing = IggySink::new(
        &s.ctx,
        &producer_step(&s.stream, "absent", json!({"create_topic": false})),
    )
    .unwrap();
    let err = missing
        .open(&s.ctx)
        .await
        .expect_err("a missing topic fails to open");
    assert!(err.to_string().contains("create_topic: true"), "{err}");

    let mut consumer =
        IggySource::new(&s.ctx, &consumer_step(&s.stream, "absent", "g", json!({}))).unwrap();
    let err = consumer
        .open(&s.ctx)
        .await
        .expect_err("a missing topic fails to open");
    assert!(
        err.is_retryable() && err.to_string().contains("does not exist"),
        "{err}"
    );
}

#[tokio::test]
async fn wrong_credentials_are_a_config_error() {
    let Some(address) = address("wrong_credentials_are_a_config_error") else {
        return;
    };
    let s = setup(&address);
    let step = producer_step(
        &s.stream,
        "events",
        json!({"iggy": {"username": "iggy", "password": "not-the-password"}}),
    );
    let err = IggySink::new(&s.ctx, &step)
        .unwrap()
        .open(&s.ctx)
        .await
        .expect_err("refused");
    assert!(matches!(err, ComponentError::InvalidConfig(_)), "{err:?}");
    assert!(
        err.to_string().contains("check username/password or token"),
        "{err}"
    );
}
