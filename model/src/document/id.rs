//! Identifiers that end up in paths and process names: connector ids and runtime references.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A connector id: `[a-z0-9][a-z0-9_-]{0,62}`. It names state directories and log files, so it
/// can never be a path.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConnectorId(String);

impl ConnectorId {
    pub fn parse(text: &str) -> Result<Self, String> {
        check_name(text, "connector id")?;
        Ok(Self(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The connector id rule as a JSON Schema / OpenAPI pattern.
pub const ID_PATTERN: &str = "^[a-z0-9][a-z0-9_-]{0,62}$";

impl schemars::JsonSchema for ConnectorId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ConnectorId".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "1 to 63 characters of a-z, 0-9, `_` and `-`, starting with a letter or digit",
            "type": "string",
            "pattern": ID_PATTERN
        })
    }
}

impl schemars::JsonSchema for RuntimeRef {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "RuntimeRef".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A runtime name (the connector id rule), optionally pinned to a version: `essentials` or `essentials:0.1.0`",
            "type": "string",
            "pattern": "^[a-z0-9][a-z0-9_-]{0,62}(:.+)?$"
        })
    }
}

/// The rule shared by connector ids and runtime names.
fn check_name(text: &str, what: &str) -> Result<(), String> {
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return Err(format!("{what} must not be empty"));
    };
    let ok_first = first.is_ascii_lowercase() || first.is_ascii_digit();
    let ok_rest =
        chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    if !ok_first || !ok_rest || text.len() > 63 {
        return Err(format!(
            "invalid {what} `{text}`: use 1 to 63 characters of a-z, 0-9, `_` and `-`, starting with a letter or digit"
        ));
    }
    Ok(())
}

impl TryFrom<String> for ConnectorId {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        check_name(&value, "connector id")?;
        Ok(Self(value))
    }
}

impl From<ConnectorId> for String {
    fn from(id: ConnectorId) -> String {
        id.0
    }
}

impl fmt::Display for ConnectorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ConnectorId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// `essentials` or `essentials:0.1.0`: a runtime known to the agent, optionally pinned.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RuntimeRef {
    name: String,
    version: Option<String>,
}

impl RuntimeRef {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
}

impl TryFrom<String> for RuntimeRef {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let (name, version) = match value.split_once(':') {
            Some((n, "")) => {
                return Err(format!(
                    "runtime `{value}` has an empty version after `:`; write `{n}` or `{n}:1.2.3`"
                ));
            }
            Some((n, v)) => (n, Some(v.to_string())),
            None => (value.as_str(), None),
        };
        check_name(name, "runtime name")?;
        Ok(Self {
            name: name.to_string(),
            version,
        })
    }
}

impl From<RuntimeRef> for String {
    fn from(r: RuntimeRef) -> String {
        r.to_string()
    }
}

impl fmt::Display for RuntimeRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.version {
            Some(v) => write!(f, "{}:{v}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_ids_follow_the_pattern() {
        for ok in ["a", "cat-facts", "0_x", &"a".repeat(63)] {
            assert!(ConnectorId::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "Cat",
            "-a",
            "_a",
            "a/b",
            "../x",
            "a.b",
            "a b",
            &"a".repeat(64),
        ] {
            assert!(ConnectorId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn runtime_refs_split_name_and_version() {
        let r = RuntimeRef::try_from("essentials:0.1.0".to_string()).unwrap();
        assert_eq!((r.name(), r.version()), ("essentials", Some("0.1.0")));
        assert_eq!(r.to_string(), "essentials:0.1.0");
        let r = RuntimeRef::try_from("vanilla".to_string()).unwrap();
        assert_eq!(r.version(), None);
        assert!(RuntimeRef::try_from("vanilla:".to_string()).is_err());
        assert!(RuntimeRef::try_from("Bad".to_string()).is_err());
    }
}
