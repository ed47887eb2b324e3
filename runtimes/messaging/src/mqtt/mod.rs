//! MQTT 3.1.1 and 5 through `rumqttc`: the connection settings both components share, and the
//! `mqtt.topic` header.

mod client;
pub(crate) mod sink;
pub(crate) mod source;

use std::time::Duration;

use connect_runtime_sdk::ComponentError;
use rumqttc::{TlsConfiguration, Transport};

pub(crate) use client::Protocol;
use client::Settings;

use crate::endpoint::Endpoint;

/// The header that carries a received message's MQTT topic.
pub(crate) const TOPIC_HEADER: &str = "mqtt.topic";

/// Connection settings shared by the source and the sink.
pub(crate) struct Connection<'a> {
    pub(crate) url: &'a str,
    pub(crate) protocol: Protocol,
    pub(crate) client_id: String,
    pub(crate) clean_session: bool,
    pub(crate) username: Option<&'a str>,
    pub(crate) password: Option<&'a str>,
    pub(crate) keep_alive: Duration,
    pub(crate) ca_file: Option<&'a str>,
}

impl Connection<'_> {
    /// Checks the settings (no I/O besides reading `ca_file`) and makes the client's.
    pub(crate) fn settings(
        &self,
        manual_acks: bool,
        inflight: u16,
        requests: usize,
    ) -> Result<Settings, ComponentError> {
        let endpoint = Endpoint::parse(self.url, ("mqtt", "mqtts"), (1883, 8883))
            .map_err(ComponentError::invalid_config)?;
        let credentials = match (self.username, self.password) {
            (Some(u), p) => Some((u.to_string(), p.unwrap_or_default().to_string())),
            (None, Some(_)) => {
                return Err(ComponentError::invalid_config(
                    "password is set without username; set both",
                ));
            }
            (None, None) => None,
        };
        let transport = if endpoint.tls {
            let config =
                crate::tls::client_config(self.ca_file).map_err(ComponentError::invalid_config)?;
            Some(Transport::tls_with_config(TlsConfiguration::Rustls(config)))
        } else {
            None
        };
        Ok(Settings {
            protocol: self.protocol,
            client_id: self.client_id.clone(),
            host: endpoint.host,
            port: endpoint.port,
            clean_session: self.clean_session,
            credentials,
            keep_alive: self.keep_alive.max(Duration::from_secs(1)),
            transport,
            manual_acks,
            inflight,
            requests,
        })
    }
}

/// Checks a QoS level.
pub(crate) fn check_qos(level: u8) -> Result<u8, ComponentError> {
    if level <= 2 {
        Ok(level)
    } else {
        Err(ComponentError::invalid_config(format!(
            "qos {level}: use 0, 1 or 2"
        )))
    }
}

/// The default client id: derived from the connector id so a restarted runtime resumes its
/// persistent session.
pub(crate) fn default_client_id(connector: &str, role: &str) -> String {
    format!("connect-{connector}-{role}")
}
