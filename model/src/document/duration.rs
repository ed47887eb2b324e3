//! Durations written the human way (`5ms`, `10s`, `1m 30s`) in every connector and metadata document.

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serializer};

/// Parses `"10s"`, `"250ms"`, `"1h 5m"`; a bare `0` means zero.
pub fn parse(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(text).map_err(|_| {
        format!("invalid duration `{text}`: expected a duration like 500ms, 10s, 1m or 1h 30m")
    })
}

/// The contract's one canonical form: an integer and one unit (`ms`, `s`, `m`, `h`), the
/// largest unit that states the duration exactly (`2400ms`, `90s`, `5m`, `0s`); sub-millisecond
/// parts round up to the next millisecond. Strict parsers (Go's `time.ParseDuration`) read it.
pub fn format(d: Duration) -> String {
    let ms = d.as_nanos().div_ceil(1_000_000);
    if ms == 0 {
        return "0s".to_string();
    }
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// The JSON Schema of a duration field: text with units, or a bare `0`.
pub fn schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "description": "A duration: an integer and a unit (`ms`, `s`, `m`, `h`), several parts allowed (`1m 30s`), or a bare 0",
        "oneOf": [
            { "type": "string", "pattern": "^\\s*(0|([0-9]+\\s*[a-zA-Z]+\\s*)+)$" },
            { "const": 0 }
        ]
    })
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

#[cfg(test)]
mod canonical_tests {
    use super::*;

    #[test]
    fn formats_one_integer_and_one_unit_that_parse_back() {
        let ms = Duration::from_millis;
        for (d, text) in [
            (Duration::ZERO, "0s"),
            (ms(2400), "2400ms"),
            (ms(1000), "1s"),
            (ms(90_000), "90s"),
            (ms(300_000), "5m"),
            (ms(7_200_000), "2h"),
            (Duration::from_micros(1500), "2ms"),
        ] {
            assert_eq!(format(d), text);
            assert_eq!(
                parse(text).unwrap(),
                d.max(ms(d.as_nanos().div_ceil(1_000_000) as u64))
            );
        }
    }

    #[test]
    fn a_bad_duration_says_what_is_expected_without_parser_jargon() {
        let e = parse("fast").unwrap_err();
        assert!(e.contains("expected a duration like 500ms, 10s, 1m"), "{e}");
        assert!(!e.contains(" at 0"), "{e}");
    }
}
