//! Between the pipeline's [`Message`] and Iggy's message: payloads move without copying, headers
//! become Iggy string headers, the key travels in the `connect-key` header, the timestamp in the
//! origin timestamp.

use std::collections::BTreeMap;

use ::iggy::prelude::{HeaderKey, HeaderKind, HeaderValue, IggyMessage};
use bytes::Bytes;

use crate::component::{ComponentError, Message, Origin};

/// The user header that carries [`Message::key`] through Iggy.
pub(crate) const KEY_HEADER: &str = "connect-key";

/// An Iggy message for `message`; headers Iggy cannot carry (empty values, names or values
/// longer than 255 bytes) are left out and counted in `dropped_headers`.
pub(crate) fn to_iggy(
    message: &Message,
    dropped_headers: &mut u64,
) -> Result<IggyMessage, ComponentError> {
    let headers = if message.headers.is_empty() && message.key.is_none() {
        None
    } else {
        let mut map = BTreeMap::new();
        for (name, value) in &message.headers {
            match (
                HeaderKey::try_from(name.as_str()),
                HeaderValue::try_from(value.as_str()),
            ) {
                (Ok(k), Ok(v)) => {
                    map.insert(k, v);
                }
                _ => *dropped_headers += 1,
            }
        }
        if let Some(key) = &message.key {
            match (
                HeaderKey::try_from(KEY_HEADER),
                HeaderValue::try_from(key.as_ref()),
            ) {
                (Ok(k), Ok(v)) => {
                    map.insert(k, v);
                }
                _ => *dropped_headers += 1,
            }
        }
        (!map.is_empty()).then_some(map)
    };
    let mut out = IggyMessage::builder()
        .payload(message.payload.clone())
        .maybe_user_headers(headers)
        .build()
        .map_err(|e| {
            ComponentError::restart(format!(
                "a message of {} bytes cannot be sent to iggy ({e}); iggy needs a non-empty payload within its size limit",
                message.payload.len()
            ))
        })?;
    if message.timestamp_us > 0 {
        out.header.origin_timestamp = message.timestamp_us;
    }
    Ok(out)
}

/// The pipeline message for one polled Iggy message of `partition`.
pub(crate) fn from_iggy(message: IggyMessage, partition: u32) -> Message {
    let mut headers = BTreeMap::new();
    let mut key = None;
    if message.user_headers.is_some()
        && let Ok(Some(map)) = message.user_headers_map()
    {
        for (k, v) in map {
            let name = header_text(k.kind(), &k.value(), || k.to_string_value());
            if name == KEY_HEADER {
                key = Some(v.value());
            } else {
                headers.insert(
                    name,
                    header_text(v.kind(), &v.value(), || v.to_string_value()),
                );
            }
        }
    }
    Message {
        origin: Origin::Iggy {
            partition,
            offset: message.header.offset,
        },
        timestamp_us: if message.header.origin_timestamp > 0 {
            message.header.origin_timestamp
        } else {
            message.header.timestamp
        },
        payload: message.payload,
        headers,
        key,
    }
}

fn header_text(kind: HeaderKind, bytes: &Bytes, other: impl FnOnce() -> String) -> String {
    match kind {
        HeaderKind::String | HeaderKind::Raw => String::from_utf8_lossy(bytes).into_owned(),
        _ => other(),
    }
}

/// A stream, topic or consumer-group name from a step as an Iggy identifier; `field` names the
/// step key in the error.
pub(crate) fn name(
    field: &str,
    value: &str,
) -> Result<::iggy::prelude::Identifier, ComponentError> {
    ::iggy::prelude::Identifier::named(value).map_err(|e| {
        ComponentError::invalid_config(format!("{field} `{value}` is not a valid iggy name: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_payload_headers_key_and_timestamp() {
        let m = Message::new("hello")
            .with_key("user-7")
            .with_header("kind", "greeting");
        let mut dropped = 0;
        let mut iggy = to_iggy(&m, &mut dropped).unwrap();
        assert_eq!(dropped, 0);
        iggy.header.offset = 41;
        let back = from_iggy(iggy, 3);
        assert_eq!(back.payload, m.payload);
        assert_eq!(back.key, m.key);
        assert_eq!(back.headers, m.headers);
        assert_eq!(back.timestamp_us, m.timestamp_us);
        assert_eq!(
            back.origin,
            Origin::Iggy {
                partition: 3,
                offset: 41
            }
        );
    }

    #[test]
    fn a_plain_message_gets_no_user_headers() {
        let iggy = to_iggy(&Message::new("x"), &mut 0).unwrap();
        assert!(iggy.user_headers.is_none());
    }

    #[test]
    fn headers_iggy_cannot_carry_are_counted() {
        let m = Message::new("x")
            .with_header("empty", "")
            .with_header("ok", "1");
        let mut dropped = 0;
        let iggy = to_iggy(&m, &mut dropped).unwrap();
        assert_eq!(dropped, 1);
        assert_eq!(from_iggy(iggy, 0).headers.len(), 1);
    }

    #[test]
    fn an_empty_payload_is_refused_with_a_reason() {
        let err = to_iggy(&Message::new(""), &mut 0).unwrap_err();
        assert!(err.to_string().contains("non-empty payload"), "{err}");
    }
}
