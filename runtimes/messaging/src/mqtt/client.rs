//! One face over `rumqttc`'s MQTT 3.1.1 and MQTT 5 clients, so the source and the sink are
//! written once: connect, subscribe, publish (with MQTT 5 user properties as headers),
//! acknowledge, and the connection's events reduced to what the components act on.

use std::time::Duration;

use bytes::Bytes;
use rumqttc::v5::mqttbytes::v5 as p5;
use rumqttc::{Transport, v5};

/// The protocol version a component speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub(crate) enum Protocol {
    #[serde(rename = "3.1.1")]
    V311,
    #[serde(rename = "5")]
    V5,
}

/// Everything needed to build a client of either version.
pub(crate) struct Settings {
    pub(crate) protocol: Protocol,
    pub(crate) client_id: String,
    pub(crate) host: String,
    pub(crate) port: u16,
    /// false: a persistent session (MQTT 5: clean start off, a session that never expires).
    pub(crate) clean_session: bool,
    pub(crate) credentials: Option<(String, String)>,
    pub(crate) keep_alive: Duration,
    pub(crate) transport: Option<Transport>,
    pub(crate) manual_acks: bool,
    /// Outgoing QoS 1/2 messages in flight.
    pub(crate) inflight: u16,
    pub(crate) requests: usize,
}

/// The largest packet MQTT allows (the protocol's limit), in both directions.
const MAX_PACKET: usize = 268_435_455;

pub(crate) enum Client {
    V311(rumqttc::AsyncClient),
    V5(v5::AsyncClient),
}

pub(crate) enum Connection {
    V311(Box<rumqttc::EventLoop>),
    V5(Box<v5::EventLoop>),
}

/// A received message's acknowledgement, kept until the downstream confirmed it.
pub(crate) enum Ack {
    V311(rumqttc::Publish),
    V5(p5::Publish),
}

/// A received PUBLISH.
pub(crate) struct Received {
    pub(crate) topic: String,
    pub(crate) payload: Bytes,
    /// MQTT 5 user properties.
    pub(crate) properties: Vec<(String, String)>,
    /// `None` for QoS 0.
    pub(crate) ack: Option<Ack>,
}

/// What happened on the connection, as far as the components care.
// Publish, the large variant, is also by far the most frequent: boxing it would cost an
// allocation per message.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Happened {
    Connected {
        session_present: bool,
    },
    Publish(Received),
    /// A SUBACK refusing a filter.
    SubscriptionRefused,
    /// A PUBLISH of ours written to the socket.
    Sent,
    /// A PUBACK (QoS 1) or PUBCOMP (QoS 2) confirming one of ours.
    Confirmed,
    /// An MQTT 5 PUBACK with an error reason.
    Refused(String),
    Other,
}

pub(crate) fn connect(s: Settings) -> (Client, Connection) {
    match s.protocol {
        Protocol::V311 => {
            let mut o = rumqttc::MqttOptions::new(&s.client_id, &s.host, s.port);
            o.set_clean_session(s.clean_session)
                .set_keep_alive(s.keep_alive)
                .set_max_packet_size(MAX_PACKET, MAX_PACKET)
                .set_manual_acks(s.manual_acks)
                .set_inflight(s.inflight);
            if let Some((u, p)) = s.credentials {
                o.set_credentials(u, p);
            }
            if let Some(t) = s.transport {
                o.set_transport(t);
            }
            let (c, l) = rumqttc::AsyncClient::new(o, s.requests);
            (Client::V311(c), Connection::V311(Box::new(l)))
        }
        Protocol::V5 => {
            let mut o = v5::MqttOptions::new(&s.client_id, &s.host, s.port);
            o.set_clean_start(s.clean_session)
                .set_keep_alive(s.keep_alive)
                .set_max_packet_size(Some(MAX_PACKET as u32))
                .set_manual_acks(s.manual_acks)
                .set_receive_maximum(Some(u16::MAX))
                .set_outgoing_inflight_upper_limit(s.inflight);
            if !s.clean_session {
                o.set_session_expiry_interval(Some(u32::MAX));
            }
            if let Some((u, p)) = s.credentials {
                o.set_credentials(u, p);
            }
            if let Some(t) = s.transport {
                o.set_transport(t);
            }
            let (c, l) = v5::AsyncClient::new(o, s.requests);
            (Client::V5(c), Connection::V5(Box::new(l)))
        }
    }
}

fn qos4(level: u8) -> rumqttc::QoS {
    rumqttc::qos(level).unwrap_or(rumqttc::QoS::AtLeastOnce)
}

fn qos5(level: u8) -> v5::mqttbytes::QoS {
    v5::mqttbytes::qos(level).unwrap_or(v5::mqttbytes::QoS::AtLeastOnce)
}

impl Client {
    pub(crate) async fn subscribe(&self, filter: &str, qos: u8) -> Result<(), String> {
        match self {
            Client::V311(c) => c
                .subscribe(filter, qos4(qos))
                .await
                .map_err(|e| e.to_string()),
            Client::V5(c) => c
                .subscribe(filter, qos5(qos))
                .await
                .map_err(|e| e.to_string()),
        }
    }

    /// Publishes; `headers` travel as MQTT 5 user properties (MQTT 3.1.1 has no headers).
    pub(crate) async fn publish(
        &self,
        topic: String,
        qos: u8,
        retain: bool,
        payload: Bytes,
        headers: &std::collections::BTreeMap<String, String>,
    ) -> Result<(), String> {
        match self {
            Client::V311(c) => c
                .publish_bytes(topic, qos4(qos), retain, payload)
                .await
                .map_err(|e| e.to_string()),
            Client::V5(c) => {
                let properties = p5::PublishProperties {
                    user_properties: headers
                        .iter()
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect(),
                    ..Default::default()
                };
                c.publish_bytes_with_properties(topic, qos5(qos), retain, payload, properties)
                    .await
                    .map_err(|e| e.to_string())
            }
        }
    }

    pub(crate) async fn ack(&self, ack: &Ack) -> Result<(), String> {
        match (self, ack) {
            (Client::V311(c), Ack::V311(p)) => c.ack(p).await.map_err(|e| e.to_string()),
            (Client::V5(c), Ack::V5(p)) => c.ack(p).await.map_err(|e| e.to_string()),
            _ => Err("an acknowledgement of the other protocol version".into()),
        }
    }

    pub(crate) async fn disconnect(&self) {
        let _ = match self {
            Client::V311(c) => c.disconnect().await.map_err(|e| e.to_string()),
            Client::V5(c) => c.disconnect().await.map_err(|e| e.to_string()),
        };
    }
}

impl Connection {
    /// The next event; an error ends the connection.
    pub(crate) async fn next(&mut self) -> Result<Happened, String> {
        match self {
            Connection::V311(l) => {
                use rumqttc::{Event, Outgoing, Packet, SubscribeReasonCode};
                Ok(match l.poll().await.map_err(|e| e.to_string())? {
                    Event::Incoming(Packet::Publish(p)) => Happened::Publish(Received {
                        ack: (p.qos != rumqttc::QoS::AtMostOnce).then(|| {
                            Ack::V311(rumqttc::Publish {
                                dup: p.dup,
                                qos: p.qos,
                                retain: p.retain,
                                topic: String::new(),
                                pkid: p.pkid,
                                payload: Bytes::new(),
                            })
                        }),
                        topic: p.topic,
                        payload: p.payload,
                        properties: Vec::new(),
                    }),
                    Event::Incoming(Packet::ConnAck(a)) => Happened::Connected {
                        session_present: a.session_present,
                    },
                    Event::Incoming(Packet::SubAck(a))
                        if a.return_codes.contains(&SubscribeReasonCode::Failure) =>
                    {
                        Happened::SubscriptionRefused
                    }
                    Event::Incoming(Packet::PubAck(_) | Packet::PubComp(_)) => Happened::Confirmed,
                    Event::Outgoing(Outgoing::Publish(_)) => Happened::Sent,
                    _ => Happened::Other,
                })
            }
            Connection::V5(l) => {
                use rumqttc::Outgoing;
                use v5::Event;
                use v5::mqttbytes::v5::{Packet, PubAckReason, SubscribeReasonCode};
                Ok(match l.poll().await.map_err(|e| e.to_string())? {
                    Event::Incoming(Packet::Publish(p)) => {
                        let topic = String::from_utf8_lossy(&p.topic).into_owned();
                        let properties = p
                            .properties
                            .as_ref()
                            .map(|pr| pr.user_properties.clone())
                            .unwrap_or_default();
                        Happened::Publish(Received {
                            ack: (p.qos != v5::mqttbytes::QoS::AtMostOnce).then(|| {
                                Ack::V5(p5::Publish {
                                    dup: p.dup,
                                    qos: p.qos,
                                    retain: p.retain,
                                    topic: Bytes::new(),
                                    pkid: p.pkid,
                                    payload: Bytes::new(),
                                    properties: None,
                                })
                            }),
                            topic,
                            payload: p.payload,
                            properties,
                        })
                    }
                    Event::Incoming(Packet::ConnAck(a)) => Happened::Connected {
                        session_present: a.session_present,
                    },
                    Event::Incoming(Packet::SubAck(a))
                        if a.return_codes
                            .iter()
                            .any(|c| !matches!(c, SubscribeReasonCode::Success(_))) =>
                    {
                        Happened::SubscriptionRefused
                    }
                    Event::Incoming(Packet::PubAck(a)) => match a.reason {
                        PubAckReason::Success | PubAckReason::NoMatchingSubscribers => {
                            Happened::Confirmed
                        }
                        other => Happened::Refused(format!("{other:?}")),
                    },
                    Event::Incoming(Packet::PubComp(_)) => Happened::Confirmed,
                    Event::Outgoing(Outgoing::Publish(_)) => Happened::Sent,
                    _ => Happened::Other,
                })
            }
        }
    }
}
