//! One message's payload on its way through the chain: not JSON, parsed for the declarative
//! transforms (serde_json) or for `jq` (jaq), converted only where two kinds of step meet.

use bytes::Bytes;
use jaq_json::Val;
use serde_json::Value;

use super::TransformError;
use super::jq::Jq;

#[derive(Debug)]
pub(crate) enum Doc {
    /// Not JSON: every step passes it (a `jq` step with `on_non_json: error` fails it).
    Raw,
    Json(Value),
    Jaq(Val),
}

impl Doc {
    /// The document for the declarative transforms.
    pub(crate) fn into_json(self) -> Result<Self, TransformError> {
        match self {
            Self::Jaq(v) => {
                let mut out = Vec::new();
                Jq::write(&v, &mut out)?;
                serde_json::from_slice(&out)
                    .map(Self::Json)
                    .map_err(|e| TransformError::Jq {
                        message: format!("the output is not JSON the next step can read: {e}"),
                    })
            }
            other => Ok(other),
        }
    }

    /// The document for a `jq` step.
    pub(crate) fn into_jaq(self) -> Self {
        match self {
            Self::Json(v) => {
                let bytes = serde_json::to_vec(&v).expect("a JSON value always serializes");
                Jq::parse(&bytes).map_or(Self::Raw, Self::Jaq)
            }
            other => other,
        }
    }

    /// The payload: `original` when not JSON, else the document written as compact JSON.
    pub(crate) fn into_payload(self, original: &Bytes) -> Result<Bytes, TransformError> {
        match self {
            Self::Raw => Ok(original.clone()),
            Self::Json(v) => {
                let mut out = Vec::with_capacity(original.len() + 32);
                serde_json::to_writer(&mut out, &v).expect("a JSON value always serializes");
                Ok(Bytes::from(out))
            }
            Self::Jaq(v) => {
                let mut out = Vec::with_capacity(original.len() + 32);
                Jq::write(&v, &mut out)?;
                Ok(Bytes::from(out))
            }
        }
    }
}
