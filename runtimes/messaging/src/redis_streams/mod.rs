//! Redis Streams through the `redis` crate: the connection both components share and the
//! mapping between stream entries and messages.

pub(crate) mod sink;
pub(crate) mod source;

use std::collections::HashMap;
use std::time::Duration;

use bytes::Bytes;
use connect_runtime_sdk::component::now_us;
use connect_runtime_sdk::{ComponentError, Message};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, IntoConnectionInfo, Value};

use crate::endpoint::Endpoint;

/// The header that carries a received entry's id.
pub(crate) const ID_HEADER: &str = "redis.id";

/// Connection settings shared by the source and the sink.
pub(crate) struct Connection<'a> {
    pub(crate) url: &'a str,
    pub(crate) username: Option<&'a str>,
    pub(crate) password: Option<&'a str>,
    /// The longest a command may take (plus any blocking time of a read).
    pub(crate) timeout: Duration,
}

impl Connection<'_> {
    /// Checks the settings without connecting.
    pub(crate) fn client(&self) -> Result<redis::Client, ComponentError> {
        Endpoint::parse(self.url, ("redis", "rediss"), (6379, 6379))
            .map_err(ComponentError::invalid_config)?;
        let mut info = self
            .url
            .into_connection_info()
            .map_err(|e| ComponentError::invalid_config(format!("url `{}`: {e}", self.url)))?;
        let mut settings = info.redis_settings().clone();
        if let Some(u) = self.username {
            settings = settings.set_username(u);
        }
        if let Some(p) = self.password {
            settings = settings.set_password(p);
        }
        info = info.set_redis_settings(settings);
        redis::Client::open(info)
            .map_err(|e| ComponentError::invalid_config(format!("url `{}`: {e}", self.url)))
    }

    pub(crate) async fn connect(
        &self,
        extra: Duration,
    ) -> Result<MultiplexedConnection, ComponentError> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout + extra));
        self.client()?
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .map_err(|e| {
                ComponentError::retry(format!(
                    "Redis {}: {e}; check that it runs and the credentials",
                    self.url
                ))
            })
    }
}

fn bytes_of(v: &Value) -> Option<Bytes> {
    match v {
        Value::BulkString(b) => Some(Bytes::copy_from_slice(b)),
        Value::SimpleString(s) => Some(Bytes::copy_from_slice(s.as_bytes())),
        Value::Int(i) => Some(Bytes::from(i.to_string())),
        _ => None,
    }
}

/// An entry as a message: `payload_field` is the payload, `key_field` the key, every other
/// field a header, and the entry id the header `redis.id`.
pub(crate) fn message(
    id: &str,
    fields: &HashMap<String, Value>,
    payload_field: &str,
    key_field: &str,
) -> Message {
    let mut m = Message {
        timestamp_us: now_us(),
        ..Message::default()
    };
    for (name, value) in fields {
        let Some(b) = bytes_of(value) else { continue };
        if name == payload_field {
            m.payload = b;
        } else if name == key_field {
            m.key = Some(b);
        } else {
            m.headers
                .insert(name.clone(), String::from_utf8_lossy(&b).into_owned());
        }
    }
    m.headers.insert(ID_HEADER.to_string(), id.to_string());
    m
}

/// Whether retrying on a new connection may help.
pub(crate) fn is_transient(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_timeout() || e.is_connection_dropped() || e.code() == Some("LOADING")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_becomes_payload_key_and_headers() {
        let fields: HashMap<String, Value> = [
            (
                "payload".to_string(),
                Value::BulkString(b"{\"a\":1}".to_vec()),
            ),
            ("key".to_string(), Value::BulkString(b"k1".to_vec())),
            ("source".to_string(), Value::BulkString(b"edge".to_vec())),
        ]
        .into();
        let m = message("1-0", &fields, "payload", "key");
        assert_eq!(&m.payload[..], b"{\"a\":1}");
        assert_eq!(m.key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(m.headers["source"], "edge");
        assert_eq!(m.headers[ID_HEADER], "1-0");
    }
}
