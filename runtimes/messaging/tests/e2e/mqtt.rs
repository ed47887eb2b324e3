//! MQTT: the QoS 1 source with a persistent session loses nothing across SIGKILLs and keeps
//! topic order; the QoS 1 sink survives a broker restart.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use nix::sys::signal::Signal;
use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

use crate::servers::{self, Kind, Server};
use crate::support::{
    Messaging, WAIT, assert_delivery, payload, redis_fill, redis_seqs, seq_of, wait_for_len,
};
use connect_tests::wait_for;

fn options(id: &str, port: u16) -> MqttOptions {
    let mut o = MqttOptions::new(id, "127.0.0.1", port);
    o.set_inflight(1000).set_max_packet_size(1 << 20, 1 << 20);
    o
}

/// Publishes test messages `range` with QoS 1 and returns once every PUBACK arrived.
pub fn mqtt_publish(port: u16, topic: &str, range: std::ops::Range<u64>) {
    let n = range.end - range.start;
    // Unique per topic and range: tests share the broker, and a second client with the same id
    // takes the session over, disconnecting the first.
    let id = format!("feeder-{}-{}", topic.replace('/', "-"), range.start);
    let (client, mut connection) = Client::new(options(&id, port), 1000);
    let topic = topic.to_string();
    let publisher = std::thread::spawn(move || {
        for s in range {
            client
                .publish(topic.as_str(), QoS::AtLeastOnce, false, payload(s))
                .unwrap();
        }
        client
    });
    let mut acked = 0;
    for event in connection.iter() {
        match event.expect("the feeder's connection") {
            Event::Incoming(Packet::PubAck(_)) => acked += 1,
            _ => continue,
        }
        if acked == n {
            break;
        }
    }
    let client = publisher.join().unwrap();
    let _ = client.disconnect();
}

/// A QoS 1 subscriber with a persistent session that reconnects through broker restarts and
/// records the seq of every message it gets.
pub struct Recorder {
    pub seqs: Arc<Mutex<Vec<u64>>>,
    stop: Arc<AtomicBool>,
}

impl Recorder {
    pub fn start(port: u16, filter: &str) -> Self {
        let mut o = options(&format!("recorder-{port}"), port);
        o.set_clean_session(false);
        let (client, mut connection) = Client::new(o, 100);
        client.subscribe(filter, QoS::AtLeastOnce).unwrap();
        let seqs = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (subscribed, wait) = mpsc::channel();
        {
            let (seqs, stop) = (seqs.clone(), stop.clone());
            std::thread::spawn(move || {
                let _client = client;
                for event in connection.iter() {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    match event {
                        Ok(Event::Incoming(Packet::Publish(p))) => {
                            seqs.lock().unwrap().push(seq_of(&p.payload))
                        }
                        Ok(Event::Incoming(Packet::SubAck(_))) => {
                            let _ = subscribed.send(());
                        }
                        Ok(_) => {}
                        // Reconnect backoff while the broker restarts.
                        Err(_) => std::thread::sleep(Duration::from_millis(100)),
                    }
                }
            });
        }
        wait.recv_timeout(WAIT).expect("the recorder's SUBACK");
        Self { seqs, stop }
    }

    pub fn seqs(&self) -> Vec<u64> {
        self.seqs.lock().unwrap().clone()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Why MQTT → Redis: the Redis stream records exactly what was confirmed, in order, durably;
/// an MQTT subscriber as the recorder would add its own delivery semantics to the result.
#[test]
fn qos1_source_loses_nothing_across_three_sigkills() {
    const N: u64 = 50_000;
    let broker = servers::mosquitto();
    let rec = servers::redis().url();
    let url = broker.url();
    let run = Messaging::new(
        "mqtt-kills",
        &format!(
            "  source: {{ type: mqtt, config: {{ url: '{url}', topics: ['mkills/#'], qos: 1, key_from_topic: true }} }}\n  sink: {{ type: redis_streams, config: {{ url: '{rec}', stream: mqtt-kills-out }} }}\n"
        ),
    );
    // The first run creates the persistent session, so nothing published later is missed.
    let mut running = run.spawn();
    wait_for(WAIT, "the subscription", || {
        running.assert_running(|| run.logs());
        run.logs().contains("subscribed").then_some(())
    });
    let port = broker.port;
    let feeder = std::thread::spawn(move || {
        for start in (0..N).step_by(1000) {
            mqtt_publish(port, "mkills/a", start..start + 1000);
            std::thread::sleep(Duration::from_millis(40));
        }
    });
    for threshold in [6_000, 18_000, 30_000] {
        wait_for_len(&rec, "mqtt-kills-out", threshold, &mut running, || {
            run.logs()
        });
        running.kill(|| run.logs());
        running = run.spawn();
    }
    feeder.join().unwrap();
    wait_for(WAIT, "every message in the output", || {
        running.assert_running(|| run.logs());
        let distinct: BTreeSet<u64> = redis_seqs(&rec, "mqtt-kills-out").into_iter().collect();
        (distinct.len() as u64 == N).then_some(())
    });
    assert_eq!(running.terminate(), Some(0), "{}", run.logs());
    assert_delivery(&redis_seqs(&rec, "mqtt-kills-out"), N, 3);
}

#[test]
fn qos1_sink_reconnects_after_a_broker_restart_and_loses_nothing() {
    const M: u64 = 20_000;
    let feed = servers::redis().url();
    let mut broker = Server::new(Kind::Mosquitto, true);
    let url = broker.url();
    let recorder = Recorder::start(broker.port, "out/#");
    redis_fill(&feed, "mqtt-restart-in", 0..M);
    let run = Messaging::new(
        "mqtt-restart",
        &format!(
            "  source: {{ type: redis_streams, config: {{ url: '{feed}', stream: mqtt-restart-in }} }}\n  sink: {{ type: mqtt, config: {{ url: '{url}', topic: out/x, ack_timeout: 3s }}, batch_length: 200 }}\n"
        ),
    );
    let mut running = run.spawn();
    wait_for(WAIT, "4000 messages at the recorder", || {
        running.assert_running(|| run.logs());
        (recorder.seqs().len() >= 4_000).then_some(())
    });
    broker.stop(Signal::SIGTERM);
    broker.start();
    wait_for(WAIT, "every message after the restart", || {
        running.assert_running(|| run.logs());
        let distinct: BTreeSet<u64> = recorder.seqs().into_iter().collect();
        (distinct.len() as u64 == M).then_some(())
    });
    assert_eq!(running.terminate(), Some(0), "{}", run.logs());
    assert_delivery(&recorder.seqs(), M, 2);
    assert!(
        run.logs().contains("sent again"),
        "the restart fell after the last batch; the sink never had to send again:\n{}",
        run.logs()
    );
}

/// MQTT 5 both ways: Redis → `mqtt` sink (v5) → broker → `mqtt` source (v5) → Redis; a
/// Redis field becomes a header, travels as an MQTT 5 user property and comes back as a field.
#[test]
fn mqtt5_carries_headers_as_user_properties_through_sink_and_source() {
    const M: u64 = 2_000;
    let (url, rec) = (servers::mosquitto().url(), servers::redis().url());
    let mut c = crate::support::redis_conn(&rec);
    let mut pipe = redis::pipe();
    for s in 0..M {
        pipe.cmd("XADD")
            .arg("v5-in")
            .arg("*")
            .arg("payload")
            .arg(payload(s))
            .arg("origin")
            .arg("edge-7")
            .ignore();
    }
    pipe.query::<()>(&mut c).unwrap();
    let inlet = Messaging::new(
        "mqtt5-in",
        &format!(
            "  source: {{ type: mqtt, config: {{ url: '{url}', protocol: '5', topics: ['v5/#'] }} }}\n  sink: {{ type: redis_streams, config: {{ url: '{rec}', stream: v5-out }} }}\n"
        ),
    );
    let mut a = inlet.spawn();
    wait_for(WAIT, "the MQTT 5 subscription", || {
        a.assert_running(|| inlet.logs());
        inlet.logs().contains("subscribed").then_some(())
    });
    let outlet = Messaging::new(
        "mqtt5-out",
        &format!(
            "  source: {{ type: redis_streams, config: {{ url: '{rec}', stream: v5-in }} }}\n  sink: {{ type: mqtt, config: {{ url: '{url}', protocol: '5', topic: v5/x }} }}\n"
        ),
    );
    let mut b = outlet.spawn();
    wait_for_len(&rec, "v5-out", M, &mut a, || inlet.logs());
    b.assert_running(|| outlet.logs());
    assert_eq!(b.terminate(), Some(0), "{}", outlet.logs());
    assert_eq!(a.terminate(), Some(0), "{}", inlet.logs());
    assert_eq!(redis_seqs(&rec, "v5-out"), (0..M).collect::<Vec<_>>());
    let last: redis::streams::StreamRangeReply = redis::cmd("XREVRANGE")
        .arg("v5-out")
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(1)
        .query(&mut c)
        .unwrap();
    let fields = &last.ids[0].map;
    let text = |k: &str| match fields.get(k) {
        Some(redis::Value::BulkString(b)) => String::from_utf8_lossy(b).into_owned(),
        other => panic!("field {k}: {other:?}"),
    };
    assert_eq!(
        text("origin"),
        "edge-7",
        "the header crossed MQTT 5 both ways"
    );
    assert_eq!(text("mqtt.topic"), "v5/x");
}

/// A backlog queued for the persistent session while the runtime was stopped, larger than any
/// buffer of the runtime, drains completely (the connection keeps sending acknowledgements
/// while the pipeline is busy).
#[test]
fn a_large_backlog_of_the_persistent_session_drains() {
    const M: u64 = 100_000;
    let broker = servers::mosquitto();
    let rec = servers::redis().url();
    let run = Messaging::new(
        "mqtt-backlog",
        &format!(
            "  source: {{ type: mqtt, config: {{ url: '{}', topics: ['backlog/#'] }} }}\n  sink: {{ type: redis_streams, config: {{ url: '{rec}', stream: mqtt-backlog-out }} }}\n",
            broker.url()
        ),
    );
    let mut running = run.spawn();
    wait_for(WAIT, "the subscription", || {
        running.assert_running(|| run.logs());
        run.logs().contains("subscribed").then_some(())
    });
    assert_eq!(running.terminate(), Some(0), "{}", run.logs());
    mqtt_publish(broker.port, "backlog/a", 0..M);
    let mut running = run.spawn();
    wait_for_len(&rec, "mqtt-backlog-out", M, &mut running, || run.logs());
    assert_eq!(running.terminate(), Some(0), "{}", run.logs());
    assert_eq!(
        redis_seqs(&rec, "mqtt-backlog-out"),
        (0..M).collect::<Vec<_>>()
    );
}

/// `mqtts://` through rustls (ring) trusting the broker's certificate from `ca_file`; a client
/// that does not trust it fails to start instead of talking in clear.
#[test]
fn mqtts_with_a_ca_file_delivers_and_an_untrusted_certificate_is_refused() {
    const M: u64 = 1_000;
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let tls_port = crate::support::free_port();
    let broker = Server::with_config(Kind::Mosquitto, false, |dir| {
        std::fs::write(dir.join("cert.pem"), cert.cert.pem()).unwrap();
        std::fs::write(dir.join("key.pem"), cert.signing_key.serialize_pem()).unwrap();
        format!(
            "listener {tls_port} 127.0.0.1\ncertfile {0}/cert.pem\nkeyfile {0}/key.pem\n",
            dir.display()
        )
    });
    let ca = broker.dir.join("cert.pem");
    let rec = servers::redis().url();
    let steps = |ca_file: &str| {
        format!(
            "  source: {{ type: mqtt, config: {{ url: 'mqtts://localhost:{tls_port}', topics: ['tls/#']{ca_file} }} }}\n  sink: {{ type: redis_streams, config: {{ url: '{rec}', stream: mqtts-out }} }}\n"
        )
    };
    let untrusted = Messaging::new("mqtts-untrusted", &steps(""));
    let status = untrusted.command().output().unwrap().status;
    assert_ne!(
        status.code(),
        Some(0),
        "an untrusted certificate must not connect"
    );

    let run = Messaging::new("mqtts", &steps(&format!(", ca_file: '{}'", ca.display())));
    let mut running = run.spawn();
    wait_for(WAIT, "the subscription over TLS", || {
        running.assert_running(|| run.logs());
        run.logs().contains("subscribed").then_some(())
    });
    mqtt_publish(broker.port, "tls/a", 0..M);
    wait_for_len(&rec, "mqtts-out", M, &mut running, || run.logs());
    assert_eq!(running.terminate(), Some(0), "{}", run.logs());
    assert_eq!(redis_seqs(&rec, "mqtts-out"), (0..M).collect::<Vec<_>>());
}
