//! The `apirt` test runtime's definitions, whose components declare secret fields, and the
//! secret values that must never appear in anything the agent shows.

#![allow(dead_code)]

/// Values that must never appear in a response.
pub const SOURCE_SECRET: &str = "s3cr3t-source-password";
pub const SINK_SECRET: &str = "s3cr3t-sink-token";
pub const ENV_SECRET: &str = "s3cr3t-env-value";
pub const IGGY_SECRET: &str = "s3cr3t-iggy-password";

pub(super) const APIRT_SOURCE: &str = r#"model_version: "1"
name: behave
label: Behave
kind: source
status: experimental
description: The test runtime's source, with a secret field.
fields:
  - name: mode
    label: Mode
    type: string
    default: idle
    constraints:
      - enum: [idle, flood, invalid, crash, exit0]
  - name: lines
    label: Lines printed by flood
    type: int
    default: 0
  - name: password
    label: Password
    type: string
    optional: true
    secret: true
"#;

pub(super) const APIRT_SINK: &str = r#"model_version: "1"
name: discard
label: Discard
kind: sink
status: experimental
description: Drops everything; has a secret token.
fields:
  - name: token
    label: Token
    type: string
    optional: true
    secret: true
"#;

/// An `apirt` connector (source→sink) carrying every kind of secret.
pub fn secret_connector(id: &str, mode: &str) -> String {
    format!(
        "id: {id}\nruntime: apirt\ndescription: has secrets\nsteps:\n  source: {{ type: behave, config: {{ mode: {mode}, password: {SOURCE_SECRET} }} }}\n  sink: {{ type: discard, config: {{ token: {SINK_SECRET} }} }}\nenv:\n  SOME_KEY: {ENV_SECRET}\n"
    )
}

/// Fails when any secret of [`secret_connector`] appears in `text`.
pub fn assert_no_secret(text: &str, what: &str) {
    for s in [SOURCE_SECRET, SINK_SECRET, ENV_SECRET, IGGY_SECRET] {
        assert!(!text.contains(s), "{what} leaks a secret ({s}): {text}");
    }
}
