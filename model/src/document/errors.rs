//! The `errors` block of a connector: what happens to a message refused for its content (a
//! transform error, a sink's per-message rejection) and where tolerated failures go.

use serde::{Deserialize, Serialize};

use super::iggy_steps::ProducerStep;
use crate::validation::FieldErrors;

/// The runtime contract version that introduced the `errors` block; the agent refuses the block
/// for a runtime whose manifest declares an older `contract_version`.
pub const ERRORS_CONTRACT_VERSION: u32 = 2;

/// Upper bound of `errors.retries`.
pub const MAX_RETRIES: u32 = 100;

/// Whether a content failure stops the connector or is set aside.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Tolerance {
    /// A message the sink rejects stops the connector (exit 78, naming the message); a transform
    /// error drops the message and counts it failed. Today's behaviour.
    #[default]
    None,
    /// Every content failure goes to the dead-letter destination (or is dropped and counted when
    /// there is none) and the connector goes on.
    All,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorPolicy {
    #[serde(default)]
    pub tolerance: Tolerance,
    /// Further attempts of a batch whose write failed transiently (a connection, a 5xx, a
    /// timeout), after the first; default: the runtime's retry policy (4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// Log each dead-lettered message (id, offset, error) at warn.
    #[serde(default = "default_log")]
    pub log: bool,
    /// Where tolerated failures go; omitted: they are dropped and counted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter: Option<DeadLetter>,
}

fn default_log() -> bool {
    true
}

impl Default for ErrorPolicy {
    fn default() -> Self {
        Self {
            tolerance: Tolerance::default(),
            retries: None,
            log: default_log(),
            dead_letter: None,
        }
    }
}

/// The dead-letter destination: exactly one of an Iggy topic or a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadLetter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub producer: Option<ProducerStep>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<DeadLetterFile>,
}

/// Newline-delimited JSON, one `{"payload", "key", "headers"}` object per dead-lettered message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterFile {
    pub path: String,
}

impl ErrorPolicy {
    pub(crate) fn validate(&self, errors: &mut FieldErrors) {
        if let Some(r) = self.retries
            && r > MAX_RETRIES
        {
            errors.push(
                "errors.retries",
                format!("must be between 0 and {MAX_RETRIES}, got {r}"),
            );
        }
        let Some(dl) = &self.dead_letter else { return };
        if self.tolerance == Tolerance::None {
            errors.push(
                "errors.dead_letter",
                "only used with `tolerance: all`; set `tolerance: all` or remove dead_letter",
            );
        }
        match (&dl.producer, &dl.file) {
            (Some(p), None) => p.validate("errors.dead_letter.producer", errors),
            (None, Some(f)) => {
                if f.path.trim().is_empty() {
                    errors.push("errors.dead_letter.file.path", "must not be empty");
                }
            }
            _ => errors.push(
                "errors.dead_letter",
                "give exactly one of producer (an Iggy topic) or file",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::document::decode::from_str;

    const HEAD: &str = "id: x\nruntime: r\nsteps:\n  source: { type: a }\n  sink: { type: b }\n";

    #[test]
    fn the_block_decodes_with_defaults_and_both_destinations() {
        let c = from_str(&format!(
            "{HEAD}errors:\n  tolerance: all\n  dead_letter:\n    producer: {{ stream: dlq, topic: cat-facts }}\n"
        ))
        .unwrap();
        let e = c.errors.unwrap();
        assert_eq!(e.tolerance, super::Tolerance::All);
        assert!(e.log && e.retries.is_none());
        assert_eq!(e.dead_letter.unwrap().producer.unwrap().topic, "cat-facts");
        let c = from_str(&format!(
            "{HEAD}errors: {{ tolerance: all, retries: 2, log: false, dead_letter: {{ file: {{ path: /tmp/d.ndjson }} }} }}\n"
        ))
        .unwrap();
        let e = c.errors.unwrap();
        assert_eq!((e.retries, e.log), (Some(2), false));
        assert_eq!(e.dead_letter.unwrap().file.unwrap().path, "/tmp/d.ndjson");
        assert!(from_str(HEAD).unwrap().errors.is_none());
    }

    #[test]
    fn every_problem_is_reported_with_its_path() {
        let paths = |doc: &str| -> Vec<String> {
            from_str(&format!("{HEAD}{doc}"))
                .unwrap_err()
                .field_errors()
                .iter()
                .map(|e| e.path.clone())
                .collect()
        };
        assert_eq!(
            paths("errors: { retries: 1000, dead_letter: { file: { path: '' } } }\n"),
            [
                "errors.retries",
                "errors.dead_letter",
                "errors.dead_letter.file.path"
            ]
        );
        assert_eq!(
            paths(
                "errors: { tolerance: all, dead_letter: { file: { path: /x }, producer: { stream: s, topic: t } } }\n"
            ),
            ["errors.dead_letter"]
        );
        assert_eq!(
            paths(
                "errors: { tolerance: all, dead_letter: { producer: { stream: '', topic: t } } }\n"
            ),
            ["errors.dead_letter.producer.stream"]
        );
        assert_eq!(paths("errors: { tolerance: some }\n"), ["errors.tolerance"]);
        assert_eq!(paths("errors: { tolerence: all }\n"), ["errors.tolerence"]);
    }
}
