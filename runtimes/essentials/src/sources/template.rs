//! The `generate` payload template, split once into literal parts and placeholders so that
//! rendering a message is a few buffer appends.

use std::fmt::Write as _;

/// One piece of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Seq,
    Now,
    Uuid,
}

/// A parsed payload template (`{{seq}}`, `{{now}}`, `{{uuid}}`).
#[derive(Debug, Clone)]
pub(crate) struct Template {
    parts: Vec<Part>,
    uses_now: bool,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum TemplateError {
    #[error("unknown placeholder `{{{{{0}}}}}`; use {{{{seq}}}}, {{{{now}}}} or {{{{uuid}}}}")]
    Unknown(String),
}

impl Template {
    pub(crate) fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            literal.push_str(&rest[..start]);
            let part = match after[..end].trim() {
                "seq" => Part::Seq,
                "now" => Part::Now,
                "uuid" => Part::Uuid,
                other => return Err(TemplateError::Unknown(other.to_string())),
            };
            if !literal.is_empty() {
                parts.push(Part::Literal(std::mem::take(&mut literal)));
            }
            parts.push(part);
            rest = &after[end + 2..];
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        let uses_now = parts.contains(&Part::Now);
        Ok(Self { parts, uses_now })
    }

    /// An upper estimate of one rendered message, for reserving buffer space.
    pub(crate) fn size_hint(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Literal(s) => s.len(),
                Part::Seq => 20,
                Part::Now => 27,
                Part::Uuid => 36,
            })
            .sum()
    }

    /// Whether rendering needs the current time (so a batch reads the clock once).
    pub(crate) fn uses_now(&self) -> bool {
        self.uses_now
    }

    /// Appends the message numbered `seq` to `out`; `now` is the RFC 3339 time to insert.
    pub(crate) fn render(&self, seq: u64, now: &str, out: &mut Vec<u8>) {
        for part in &self.parts {
            match part {
                Part::Literal(s) => out.extend_from_slice(s.as_bytes()),
                Part::Seq => push_u64(out, seq),
                Part::Now => out.extend_from_slice(now.as_bytes()),
                Part::Uuid => {
                    let mut buf = uuid::Uuid::encode_buffer();
                    out.extend_from_slice(
                        uuid::Uuid::new_v4()
                            .hyphenated()
                            .encode_lower(&mut buf)
                            .as_bytes(),
                    );
                }
            }
        }
    }
}

/// Decimal digits of `n` without going through `fmt`.
fn push_u64(out: &mut Vec<u8>, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[i..]);
}

/// The current time as RFC 3339 in UTC with microseconds.
pub(crate) fn now_rfc3339() -> String {
    let mut s = String::with_capacity(27);
    let _ = write!(
        s,
        "{}",
        humantime::format_rfc3339_micros(std::time::SystemTime::now())
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: &str, seq: u64) -> String {
        let mut out = Vec::new();
        Template::parse(t)
            .unwrap()
            .render(seq, "2026-01-01T00:00:00.000000Z", &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn renders_every_placeholder() {
        assert_eq!(render(r#"{"seq": {{seq}}}"#, 1), r#"{"seq": 1}"#);
        assert_eq!(
            render("{{ seq }}-{{seq}}", 18446744073709551615),
            "18446744073709551615-18446744073709551615"
        );
        assert_eq!(render("at {{now}}", 0), "at 2026-01-01T00:00:00.000000Z");
        let id = render("{{uuid}}", 0);
        assert_eq!(
            uuid::Uuid::parse_str(&id).unwrap().get_version_num(),
            4,
            "{id}"
        );
        assert_ne!(render("{{uuid}}", 0), id, "each message gets its own uuid");
    }

    #[test]
    fn keeps_unclosed_braces_and_literals() {
        assert_eq!(render("no placeholders", 5), "no placeholders");
        assert_eq!(render("open {{seq", 5), "open {{seq");
        assert_eq!(render("{}", 5), "{}");
        assert!(!Template::parse("x").unwrap().uses_now());
        assert!(Template::parse("{{now}}").unwrap().uses_now());
    }

    #[test]
    fn unknown_placeholders_are_errors_that_list_the_known_ones() {
        let err = Template::parse("{{sequence}}").unwrap_err();
        assert_eq!(err, TemplateError::Unknown("sequence".into()));
        assert!(err.to_string().contains("{{seq}}"), "{err}");
    }

    #[test]
    fn now_is_rfc3339_utc() {
        let now = now_rfc3339();
        assert!(humantime::parse_rfc3339(&now).is_ok(), "{now}");
        assert!(now.ends_with('Z'), "{now}");
    }
}
