//! Destination templates (`devices/{{key}}/cmd`): a topic, subject or stream name made per
//! message from its key and headers.

use connect_runtime_sdk::Message;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum TemplateError {
    #[error("unclosed `{{{{` in `{0}`; close it with `}}}}`")]
    Unclosed(String),
    #[error("unknown placeholder `{{{{{0}}}}}`; use `{{{{key}}}}` or `{{{{header.NAME}}}}`")]
    Unknown(String),
    #[error("the message has no key for `{{{{key}}}}`")]
    NoKey,
    #[error("the message has no header `{0}`")]
    NoHeader(String),
    #[error("the key is not UTF-8 text")]
    KeyNotText,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Key,
    Header(String),
}

/// A parsed template; a plain name is a template without placeholders.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    parts: Vec<Part>,
    /// The whole text when there is no placeholder (no rendering needed).
    fixed: Option<String>,
}

impl Template {
    pub(crate) fn parse(text: &str) -> Result<Self, TemplateError> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            if start > 0 {
                parts.push(Part::Text(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find("}}")
                .ok_or_else(|| TemplateError::Unclosed(text.to_string()))?;
            let name = after[..end].trim();
            parts.push(match name {
                "key" => Part::Key,
                h if h.starts_with("header.") && h.len() > 7 => Part::Header(h[7..].to_string()),
                other => return Err(TemplateError::Unknown(other.to_string())),
            });
            rest = &after[end + 2..];
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_string()));
        }
        let fixed = match parts.as_slice() {
            [] => Some(String::new()),
            [Part::Text(t)] => Some(t.clone()),
            _ => None,
        };
        Ok(Self { parts, fixed })
    }

    /// The destination name for `message`.
    pub(crate) fn render(&self, message: &Message) -> Result<String, TemplateError> {
        if let Some(fixed) = &self.fixed {
            return Ok(fixed.clone());
        }
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Key => {
                    let key = message.key.as_ref().ok_or(TemplateError::NoKey)?;
                    out.push_str(std::str::from_utf8(key).map_err(|_| TemplateError::KeyNotText)?);
                }
                Part::Header(h) => out.push_str(
                    message
                        .headers
                        .get(h)
                        .ok_or_else(|| TemplateError::NoHeader(h.clone()))?,
                ),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_key_and_headers() {
        let t = Template::parse("devices/{{key}}/{{ header.kind }}").unwrap();
        let m = Message::new("x").with_key("d1").with_header("kind", "cmd");
        assert_eq!(t.render(&m).unwrap(), "devices/d1/cmd");
        assert_eq!(t.render(&Message::new("x")), Err(TemplateError::NoKey));
        assert_eq!(Template::parse("a.b").unwrap().render(&m).unwrap(), "a.b");
    }

    #[test]
    fn bad_templates_say_what_to_write() {
        assert!(matches!(
            Template::parse("a/{{key"),
            Err(TemplateError::Unclosed(_))
        ));
        let err = Template::parse("{{seq}}").unwrap_err();
        assert!(err.to_string().contains("{{key}}"), "{err}");
    }
}
