//! NATS through `async-nats`: the connection both components share and the mapping between
//! NATS headers and message headers.

pub(crate) mod sink;
pub(crate) mod source;

use std::collections::BTreeMap;
use std::time::Duration;

use async_nats::{HeaderMap, HeaderName, HeaderValue};
use connect_runtime_sdk::ComponentError;

use crate::endpoint::Endpoint;

/// The header that carries a received message's NATS subject.
pub(crate) const SUBJECT_HEADER: &str = "nats.subject";
/// JetStream's de-duplication header.
pub(crate) const MSG_ID_HEADER: &str = "Nats-Msg-Id";

/// Credentials and TLS settings shared by the source and the sink.
pub(crate) struct Connection<'a> {
    pub(crate) url: &'a str,
    pub(crate) username: Option<&'a str>,
    pub(crate) password: Option<&'a str>,
    pub(crate) token: Option<&'a str>,
    pub(crate) ca_file: Option<&'a str>,
    pub(crate) connect_timeout: Duration,
    pub(crate) name: String,
}

impl Connection<'_> {
    /// Checks the settings without connecting.
    pub(crate) fn check(&self) -> Result<Endpoint, ComponentError> {
        if self.password.is_some() && self.username.is_none() {
            return Err(ComponentError::invalid_config(
                "password is set without username; set both",
            ));
        }
        Endpoint::parse(self.url, ("nats", "tls"), (4222, 4222))
            .map_err(ComponentError::invalid_config)
    }

    pub(crate) async fn connect(&self) -> Result<async_nats::Client, ComponentError> {
        let endpoint = self.check()?;
        let mut options = async_nats::ConnectOptions::new()
            .name(&self.name)
            .connection_timeout(self.connect_timeout)
            .max_reconnects(None);
        if let (Some(u), p) = (self.username, self.password) {
            options = options.user_and_password(u.to_string(), p.unwrap_or_default().to_string());
        }
        if let Some(t) = self.token {
            options = options.token(t.to_string());
        }
        if endpoint.tls {
            let config =
                crate::tls::client_config(self.ca_file).map_err(ComponentError::invalid_config)?;
            options = options
                .require_tls(true)
                .tls_client_config((*config).clone());
        }
        let address = format!("{}:{}", endpoint.host, endpoint.port);
        let address = if endpoint.tls {
            format!("tls://{address}")
        } else {
            format!("nats://{address}")
        };
        options.connect(address).await.map_err(|e| {
            ComponentError::retry(format!(
                "NATS server {}: {e}; check that it runs and the credentials",
                self.url
            ))
        })
    }
}

/// NATS headers as message headers (the first value of a repeated header).
pub(crate) fn headers_in(headers: Option<&HeaderMap>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(h) = headers {
        for (name, values) in h.iter() {
            if let Some(v) = values.first() {
                out.insert(name.to_string(), v.as_str().to_string());
            }
        }
    }
    out
}

/// Message headers as NATS headers; names or values NATS cannot carry are left out.
pub(crate) fn headers_out(headers: &BTreeMap<String, String>) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (k, v) in headers {
        if k == SUBJECT_HEADER {
            continue;
        }
        if let (Ok(name), Ok(value)) = (k.parse::<HeaderName>(), v.parse::<HeaderValue>()) {
            out.insert(name, value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_map_both_ways_and_unfit_ones_are_left_out() {
        let m: BTreeMap<String, String> = [
            ("a".to_string(), "1".to_string()),
            ("bad:name".to_string(), "x".to_string()),
            ("b".to_string(), "two\nlines".to_string()),
            (SUBJECT_HEADER.to_string(), "s".to_string()),
        ]
        .into();
        let out = headers_out(&m);
        let back = headers_in(Some(&out));
        assert_eq!(back, [("a".to_string(), "1".to_string())].into());
    }
}
