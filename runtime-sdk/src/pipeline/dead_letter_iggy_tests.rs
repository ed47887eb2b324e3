//! The Iggy dead-letter destination (`errors.dead_letter.producer`) against a real Iggy server,
//! gated on `CONNECT_TEST_IGGY_ADDRESS` (credentials iggy/iggy); without it the test prints
//! SKIPPED. The dead letters are read back with the SDK's own consumer step.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering::SeqCst;
use std::time::Duration;

use super::tests::{Setup, launch};
use crate::component::{ComponentContext, Source};
use crate::contract::ExitCode;
use crate::document::ConsumerStep;
use crate::iggy::IggySource;
use crate::runtime::{Context, RuntimeSettings};

const WAIT: Duration = Duration::from_secs(20);

fn address(test: &str) -> Option<String> {
    match std::env::var("CONNECT_TEST_IGGY_ADDRESS") {
        Ok(a) if !a.trim().is_empty() => Some(a),
        _ => {
            // Past the harness's capture, so the skip shows in every run.
            let _ = std::io::Write::write_all(
                &mut std::io::stderr(),
                format!("SKIPPED {test}: set CONNECT_TEST_IGGY_ADDRESS=host:port of an Iggy server (credentials iggy/iggy) to run it\n").as_bytes(),
            );
            None
        }
    }
}

#[test]
fn rejected_messages_are_produced_to_the_dead_letter_topic_with_their_headers() {
    let Some(address) =
        address("rejected_messages_are_produced_to_the_dead_letter_topic_with_their_headers")
    else {
        return;
    };
    let stream = format!(
        "connect-dlq-{}",
        &uuid::Uuid::new_v4().simple().to_string()[..12]
    );
    let (code, shared) = launch(Setup {
        sink_rejects: Some(4_321),
        extra: format!(
            "errors:\n  tolerance: all\n  dead_letter:\n    producer: {{ stream: {stream}, topic: dead, create_topic: true, iggy: {{ address: '{address}', username: iggy, password: iggy }} }}\n"
        ),
        ..Setup::default()
    });
    assert_eq!(code, ExitCode::Success);
    assert_eq!(shared.commits.lock().unwrap().last(), Some(&10_000));

    let dir = tempfile::tempdir().unwrap();
    let env: BTreeMap<String, String> =
        [("CONNECT_IGGY_ADDRESS".to_string(), address.clone())].into();
    let connector = crate::document::decode::from_str(
        "id: dlq-reader\nruntime: test\nsteps:\n  source: { type: x }\n  sink: { type: y }\n",
    )
    .unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let runtime = Context::for_tests(
            RuntimeSettings::from_env(&env).unwrap(),
            connector,
            dir.path().to_path_buf(),
        );
        let ctx = ComponentContext::new(&runtime, "steps.consumer", Default::default());
        let step: ConsumerStep = serde_json::from_value(serde_json::json!({
            "stream": stream, "topic": "dead", "consumer_group": "readers", "start": "first"
        }))
        .unwrap();
        let mut source = IggySource::new(&ctx, &step).unwrap();
        source.open(&ctx).await.expect("opening the consumer");
        let batch = tokio::time::timeout(WAIT, async {
            loop {
                let batch = source
                    .poll(&ctx, 10)
                    .await
                    .unwrap()
                    .expect("never finishes");
                if !batch.messages.is_empty() {
                    return batch;
                }
            }
        })
        .await
        .expect("the dead letter arrives in time");
        assert_eq!(batch.messages.len(), 1);
        let letter = &batch.messages[0];
        assert_eq!(&letter.payload[..], br#"{"a":1,"n":4321}"#);
        let h = &letter.headers;
        assert_eq!(h["connect.error.stage"], "sink");
        assert_eq!(h["connect.error.class"], "test.bad");
        assert_eq!(h["connect.error.message"], "the test sink refuses it");
        assert_eq!(h["connect.connector"], "t");
        assert_eq!(h["connect.source.offset"], "4400");
        source.close(&ctx).await.unwrap();
    });
    assert_eq!(shared.written.load(SeqCst), 10_000);
}
