//! Redis Streams through the `redis` crate: the connection both components share and the
//! mapping between stream entries and messages.

pub(crate) mod sink;
pub(crate) mod source;

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

pub(crate) fn into_bytes(v: Value) -> Option<Vec<u8>> {
    match v {
        Value::BulkString(b) => Some(b),
        Value::SimpleString(s) => Some(s.into_bytes()),
        Value::Int(i) => Some(i.to_string().into_bytes()),
        _ => None,
    }
}

/// A stream entry as read, its field values owned (no copies on the way to a message).
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) id: String,
    fields: Vec<(Vec<u8>, Vec<u8>)>,
}

/// The entries of a reply's entry list (`[[id, [field, value, …]], …]`); entries without
/// fields (deleted) keep their id with no fields.
pub(crate) fn entries(list: Value) -> Vec<Entry> {
    let Value::Array(items) = list else {
        return Vec::new();
    };
    items
        .into_iter()
        .filter_map(|item| {
            let Value::Array(mut parts) = item else {
                return None;
            };
            if parts.len() != 2 {
                return None;
            }
            let fields = parts.pop()?;
            let id = String::from_utf8(into_bytes(parts.pop()?)?).ok()?;
            let mut flat = match fields {
                Value::Array(f) => f.into_iter(),
                _ => Vec::new().into_iter(),
            };
            let mut fields = Vec::with_capacity(flat.len() / 2);
            while let (Some(k), Some(v)) = (flat.next(), flat.next()) {
                if let (Some(k), Some(v)) = (into_bytes(k), into_bytes(v)) {
                    fields.push((k, v));
                }
            }
            Some(Entry { id, fields })
        })
        .collect()
}

/// An entry as a message: `payload_field` is the payload, `key_field` the key, every other
/// field a header, and the entry id the header `redis.id`.
pub(crate) fn message(entry: Entry, payload_field: &str, key_field: &str) -> Message {
    let mut m = Message {
        timestamp_us: now_us(),
        ..Message::default()
    };
    for (name, value) in entry.fields {
        if name == payload_field.as_bytes() {
            m.payload = Bytes::from(value);
        } else if name == key_field.as_bytes() {
            m.key = Some(Bytes::from(value));
        } else {
            m.headers.insert(
                String::from_utf8_lossy(&name).into_owned(),
                String::from_utf8_lossy(&value).into_owned(),
            );
        }
    }
    m.headers.insert(ID_HEADER.to_string(), entry.id);
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
        let bulk = |s: &str| Value::BulkString(s.as_bytes().to_vec());
        let reply = Value::Array(vec![
            Value::Array(vec![
                bulk("1-0"),
                Value::Array(vec![
                    bulk("payload"),
                    bulk("{\"a\":1}"),
                    bulk("key"),
                    bulk("k1"),
                    bulk("source"),
                    bulk("edge"),
                ]),
            ]),
            Value::Array(vec![bulk("2-0"), Value::Nil]),
        ]);
        let mut list = entries(reply).into_iter();
        let m = message(list.next().unwrap(), "payload", "key");
        assert_eq!(&m.payload[..], b"{\"a\":1}");
        assert_eq!(m.key.as_deref(), Some(&b"k1"[..]));
        assert_eq!(m.headers["source"], "edge");
        assert_eq!(m.headers[ID_HEADER], "1-0");
        let deleted = list.next().unwrap();
        assert_eq!(deleted.id, "2-0");
        assert!(list.next().is_none());
    }
}
