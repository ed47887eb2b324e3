//! The one place that touches the YAML library, so it can be swapped (serde_yaml is unmaintained upstream).

/// A YAML syntax or shape error, with the line and column where known.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct YamlError(String);

/// Parses YAML (a superset of JSON) into any deserializable value.
pub fn from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml::from_str(text).map_err(|e| YamlError(e.to_string()))
}

/// Renders a value as a YAML document.
pub fn to_string<T: serde::Serialize>(value: &T) -> Result<String, YamlError> {
    serde_yaml::to_string(value).map_err(|e| YamlError(e.to_string()))
}
