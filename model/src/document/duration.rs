//! Durations written the human way (`5ms`, `10s`, `1m 30s`) in every connector and metadata document.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// Parses `"10s"`, `"250ms"`, `"1h 5m"`; a bare `0` means zero.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(text).map_err(|e| {
        format!("invalid duration `{text}` ({e}); write it like `500ms`, `10s` or `1m`")
    })
}

/// Formats a duration the way [`parse`] reads it.
pub fn format(d: Duration) -> String {
    if d.is_zero() {
        "0s".to_string()
    } else {
        humantime::format_duration(d).to_string()
    }
}

pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format(*d))
}

pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Zero(u64),
    }
    match Raw::deserialize(d)? {
        Raw::Text(t) => parse(&t).map_err(serde::de::Error::custom),
        Raw::Zero(0) => Ok(Duration::ZERO),
        Raw::Zero(n) => Err(serde::de::Error::custom(format!(
            "a duration needs a unit: write `{n}ms` or `{n}s`"
        ))),
    }
}

/// The same for `Option<Duration>`.
pub mod option {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => super::serialize(d, s),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        super::deserialize(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_bare_zero() {
        assert_eq!(parse("5ms").unwrap(), Duration::from_millis(5));
        assert_eq!(parse("1m 30s").unwrap(), Duration::from_secs(90));
        assert_eq!(parse("0").unwrap(), Duration::ZERO);
        assert!(
            parse("ten seconds")
                .unwrap_err()
                .contains("invalid duration")
        );
    }

    #[test]
    fn round_trips_through_format() {
        for d in [
            Duration::ZERO,
            Duration::from_millis(5),
            Duration::from_secs(3600),
        ] {
            assert_eq!(parse(&format(d)).unwrap(), d);
        }
    }
}
