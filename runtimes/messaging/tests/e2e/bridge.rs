//! A bridge through Iggy, gated on `CONNECT_TEST_IGGY_ADDRESS` (it prints SKIPPED without it):
//! MQTT → `mqtt` source → Iggy producer; Iggy consumer → `nats` sink (JetStream); every MQTT
//! message arrives on the NATS side, once and in order (`Nats-Msg-Id` from the Iggy offset).

use connect_tests::{iggy_address, wait_for};

use crate::mqtt::mqtt_publish;
use crate::nats::{create_stream, stream_len, stream_seqs};
use crate::servers;
use crate::support::{Messaging, WAIT};

#[test]
fn mqtt_to_iggy_to_nats_delivers_every_message() {
    let Some(iggy) = iggy_address("mqtt_to_iggy_to_nats_delivers_every_message") else {
        return;
    };
    const N: u64 = 5_000;
    let (mqtt, nats) = (servers::mosquitto(), servers::nats().url());
    let stream = format!("connect-messaging-{}", std::process::id());
    create_stream(&nats, "BRIDGE", &["bridge.>"]);
    let inlet = Messaging::new(
        "mqtt-inlet",
        &format!(
            "  source: {{ type: mqtt, config: {{ url: '{}', topics: ['bridge/#'], client_id: 'bridge-{stream}' }} }}\n  producer: {{ stream: {stream}, topic: telemetry, create_topic: true }}\n",
            mqtt.url()
        ),
    );
    let outlet = Messaging::new(
        "nats-outlet",
        &format!(
            "  consumer: {{ stream: {stream}, topic: telemetry, consumer_group: nats-outlet, start: first }}\n  sink: {{ type: nats, config: {{ url: '{nats}', subject: bridge.out, jetstream: true }} }}\n"
        ),
    );
    let env = [("CONNECT_IGGY_ADDRESS", iggy.as_str())];
    let mut a = inlet.spawn_with(&env);
    wait_for(WAIT, "the inlet to run", || {
        a.assert_running(|| inlet.logs());
        inlet.logs().contains("pipeline running").then_some(())
    });
    let mut b = outlet.spawn_with(&env);
    wait_for(WAIT, "the outlet to run", || {
        b.assert_running(|| outlet.logs());
        outlet.logs().contains("pipeline running").then_some(())
    });
    mqtt_publish(mqtt.port, "bridge/device-1", 0..N);
    wait_for(WAIT, "every message in JetStream stream BRIDGE", || {
        a.assert_running(|| inlet.logs());
        b.assert_running(|| outlet.logs());
        (stream_len(&nats, "BRIDGE") >= N).then_some(())
    });
    assert_eq!(a.terminate(), Some(0), "{}", inlet.logs());
    assert_eq!(b.terminate(), Some(0), "{}", outlet.logs());
    assert_eq!(stream_seqs(&nats, "BRIDGE"), (0..N).collect::<Vec<_>>());
}
