//! The MQTT cases of the throughput benchmark: a QoS 1 persistent-session source draining a
//! backlog and a QoS 1 sink, beside a minimal `rumqttc` subscriber and publisher.

use std::time::{Duration, Instant};

use rumqttc::{Client, Event, MqttOptions, Packet, QoS};

use crate::servers::{Kind, Server};
use crate::support::{Messaging, payload, redis_len};
use crate::{Row, feed_steps, rate, sink_steps, time_run};

fn mqtt_options(id: &str, port: u16, clean: bool) -> MqttOptions {
    let mut o = MqttOptions::new(id, "127.0.0.1", port);
    o.set_inflight(1000)
        .set_clean_session(clean)
        .set_max_packet_size(1 << 20, 1 << 20);
    o
}

/// QoS 1 publishes of `n` messages until every PUBACK: the publisher floor.
fn mqtt_publish(port: u16, topic: &'static str, n: u64) -> f64 {
    let (client, mut conn) = Client::new(mqtt_options("bench-pub", port, true), 1000);
    let start = Instant::now();
    let publisher = std::thread::spawn(move || {
        for _ in 0..n {
            client
                .publish(topic, QoS::AtLeastOnce, false, payload(0))
                .unwrap();
        }
        client
    });
    let mut acked = 0;
    for e in conn.iter() {
        if let Event::Incoming(Packet::PubAck(_)) = e.unwrap() {
            acked += 1;
            if acked == n {
                break;
            }
        }
    }
    let r = rate(n, start.elapsed());
    let _ = publisher.join().unwrap().disconnect();
    r
}

/// A QoS 1 persistent-session subscriber: subscribes (and leaves) when `count` is 0, else
/// counts `count` messages from connect; the subscriber floor.
fn mqtt_subscribe(port: u16, id: &str, filter: &str, count: u64) -> f64 {
    let (client, mut conn) = Client::new(mqtt_options(id, port, false), 100);
    client.subscribe(filter, QoS::AtLeastOnce).unwrap();
    let start = Instant::now();
    let mut got = 0;
    for e in conn.iter() {
        match e.unwrap() {
            Event::Incoming(Packet::SubAck(_)) if count == 0 => break,
            Event::Incoming(Packet::Publish(_)) => {
                got += 1;
                if got == count {
                    break;
                }
            }
            _ => {}
        }
    }
    let _ = client.disconnect();
    rate(count, start.elapsed())
}

pub(crate) fn mqtt(n: u64, feed: &str, rec: &str) -> Vec<Row> {
    let broker = Server::new(Kind::Mosquitto, false);
    let (url, port) = (broker.url(), broker.port);
    let source = format!(
        "  source: {{ type: mqtt, config: {{ url: '{url}', topics: ['bsrc/#'], client_id: bench-src }} }}\n"
    );
    // Persistent sessions first, so the prefilled messages wait for both subscribers.
    let session = Messaging::new(
        "bench-mqtt-session",
        &(source.clone() + &sink_steps(rec, "mqtt-session")),
    );
    let mut running = session.spawn();
    connect_tests::wait_for(Duration::from_secs(30), "the subscription", || {
        running.assert_running(|| session.logs());
        session.logs().contains("subscribed").then_some(())
    });
    assert_eq!(running.terminate(), Some(0), "{}", session.logs());
    mqtt_subscribe(port, "bench-floor", "bsrc/#", 0);
    let floor_pub = mqtt_publish(port, "bsrc/a", n);
    let d = time_run(
        "bench-mqtt-src",
        source + &sink_steps(rec, "mqtt-out"),
        || redis_len(rec, "mqtt-out") >= n,
    );
    let floor_sub = mqtt_subscribe(port, "bench-floor", "bsrc/#", n);
    // Sink: counted by a QoS 1 subscriber.
    let (tx, rx) = std::sync::mpsc::channel();
    let counter = std::thread::spawn(move || {
        let (client, mut conn) = Client::new(mqtt_options("bench-count", port, true), 100);
        client.subscribe("bsink/#", QoS::AtLeastOnce).unwrap();
        let mut got = 0;
        for e in conn.iter() {
            match e.unwrap() {
                Event::Incoming(Packet::SubAck(_)) => tx.send(()).unwrap(),
                Event::Incoming(Packet::Publish(_)) => {
                    got += 1;
                    if got == n {
                        return;
                    }
                }
                _ => {}
            }
        }
    });
    rx.recv().unwrap();
    let d_sink = time_run(
        "bench-mqtt-sink",
        feed_steps(feed, "mqtt-sink")
            + &format!("  sink: {{ type: mqtt, config: {{ url: '{url}', topic: bsink/x }} }}\n"),
        || counter.is_finished(),
    );
    vec![
        Row {
            system: "mqtt",
            case: "mqtt source (QoS 1) → redis_streams",
            runtime: rate(n, d),
            floor: floor_sub,
            floor_name: "QoS 1 subscriber (rumqttc)",
        },
        Row {
            system: "mqtt",
            case: "redis_streams → mqtt sink (QoS 1)",
            runtime: rate(n, d_sink),
            floor: floor_pub,
            floor_name: "QoS 1 publisher, 1000 in flight (rumqttc)",
        },
    ]
}
