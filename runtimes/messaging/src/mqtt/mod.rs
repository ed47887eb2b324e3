//! MQTT (3.1.1) through `rumqttc`: the connection options both components share, and the
//! `mqtt.topic` header.

pub(crate) mod sink;
pub(crate) mod source;

use std::time::Duration;

use connect_runtime_sdk::ComponentError;
use rumqttc::{MqttOptions, QoS, TlsConfiguration, Transport};

use crate::endpoint::Endpoint;

/// The header that carries a received message's MQTT topic.
pub(crate) const TOPIC_HEADER: &str = "mqtt.topic";

/// The largest packet MQTT allows (the protocol's limit), in both directions.
const MAX_PACKET: usize = 268_435_455;

/// Connection settings shared by the source and the sink.
pub(crate) struct Connection<'a> {
    pub(crate) url: &'a str,
    pub(crate) client_id: String,
    pub(crate) clean_session: bool,
    pub(crate) username: Option<&'a str>,
    pub(crate) password: Option<&'a str>,
    pub(crate) keep_alive: Duration,
    pub(crate) ca_file: Option<&'a str>,
}

impl Connection<'_> {
    pub(crate) fn options(&self) -> Result<MqttOptions, ComponentError> {
        let endpoint = Endpoint::parse(self.url, ("mqtt", "mqtts"), (1883, 8883))
            .map_err(ComponentError::invalid_config)?;
        let mut options = MqttOptions::new(&self.client_id, endpoint.host, endpoint.port);
        options
            .set_clean_session(self.clean_session)
            .set_keep_alive(self.keep_alive.max(Duration::from_secs(1)))
            .set_max_packet_size(MAX_PACKET, MAX_PACKET);
        match (self.username, self.password) {
            (Some(u), p) => {
                options.set_credentials(u, p.unwrap_or_default());
            }
            (None, Some(_)) => {
                return Err(ComponentError::invalid_config(
                    "password is set without username; set both",
                ));
            }
            (None, None) => {}
        }
        if endpoint.tls {
            let config =
                crate::tls::client_config(self.ca_file).map_err(ComponentError::invalid_config)?;
            options.set_transport(Transport::tls_with_config(TlsConfiguration::Rustls(config)));
        }
        Ok(options)
    }
}

/// `0`, `1` or `2` as a QoS.
pub(crate) fn qos(level: u8) -> Result<QoS, ComponentError> {
    rumqttc::qos(level)
        .map_err(|_| ComponentError::invalid_config(format!("qos {level}: use 0, 1 or 2")))
}

/// The default client id: derived from the connector id so a restarted runtime resumes its
/// persistent session.
pub(crate) fn default_client_id(connector: &str, role: &str) -> String {
    format!("connect-{connector}-{role}")
}
