//! The metadata validator (types, required, defaults, each constraint kind, unknown keys), the
//! Synadia-format compatibility of `.connect` files, and secret masking.

use serde_json::{Value, json};

use super::*;
use crate::document::decode;

/// A Synadia runtime's component file as that project writes them (Bloblang-era fields,
/// `render_hint`, `path`, list-form constraints with `preset`, `scanner` types).
const SYNADIA_SOURCE: &str = r#"
model_version: "1"
kind: source
label: NATS JetStream
name: nats_jetstream
status: preview
icon: data:image/svg+xml;base64,PHN2Zy8+
description: |-
  Reads messages from a NATS JetStream stream.
fields:
  - path: urls
    name: urls
    label: URLs
    type: string
    kind: list
    description: |-
      A list of URLs to connect to.
    examples:
      - nats://127.0.0.1:4222
  - path: subject
    name: subject
    label: Subject
    type: string
    optional: true
    constraints:
      - regex: "^[a-z.>*]+$"
  - path: deliver
    name: deliver
    label: Deliver
    type: string
    default: all
    optional: true
    constraints:
      - enum: [all, last, new]
  - path: max_ack_pending
    name: max_ack_pending
    label: Max Ack Pending
    type: int
    default: 1024
    optional: true
    constraints:
      - range: { gte: 1, lte: 65535 }
  - path: auth
    name: auth
    label: Auth
    type: object
    optional: true
    fields:
      - path: auth.user_jwt
        name: user_jwt
        label: User JWT
        type: string
        optional: true
        secret: true
      - path: auth.nkey
        name: nkey
        label: NKey
        type: string
        optional: true
        secret: true
        constraints:
          - preset: nkey
  - path: scanner
    name: scanner
    label: Scanner
    type: scanner
    optional: true
    render_hint: sourcecode
"#;

const SYNADIA_RUNTIME: &str = r#"
model_version: "1"
name: vanilla
label: Vanilla
version: 0.0.1
image: ghcr.io/synadia-io/connect-runtime-vanilla:latest
author:
  name: Synadia
  email: code@synadia.com
  url: https://synadia.com
description: |-
  The vanilla runtime serves as an example of what a simple runtime might look like.
"#;

fn spec() -> ComponentSpec {
    let s: ComponentSpec = crate::yaml::from_str(SYNADIA_SOURCE).unwrap();
    assert!(s.validate().is_empty(), "{}", s.validate());
    s
}

fn check(config: Value) -> Result<serde_json::Map<String, Value>, Vec<String>> {
    let Value::Object(m) = config else {
        panic!("object")
    };
    validate_config(&spec().fields, &m, "config")
        .map_err(|e| e.iter().map(|e| e.to_string()).collect())
}

#[test]
fn synadia_files_parse_unchanged() {
    let s = spec();
    assert_eq!(s.kind, SpecKind::Source);
    assert_eq!(s.status, Status::Preview);
    assert_eq!(s.field("urls").unwrap().kind, FieldKind::List);
    assert_eq!(s.field("auth").unwrap().fields.len(), 2);
    let m: RuntimeManifest = crate::yaml::from_str(SYNADIA_RUNTIME).unwrap();
    assert!(m.validate().is_empty());
    assert_eq!(m.author.email.as_deref(), Some("code@synadia.com"));
}

#[test]
fn a_whole_dot_connect_directory_loads_and_names_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("sources")).unwrap();
    std::fs::create_dir_all(dir.path().join("sinks")).unwrap();
    std::fs::write(dir.path().join("runtime.yml"), SYNADIA_RUNTIME).unwrap();
    std::fs::write(
        dir.path().join("sources/nats_jetstream.yml"),
        SYNADIA_SOURCE,
    )
    .unwrap();
    let md = RuntimeMetadata::load_dir(dir.path()).unwrap();
    assert_eq!(md.runtime.name, "vanilla");
    assert!(
        md.component(crate::document::ComponentKind::Source, "nats_jetstream")
            .is_some()
    );

    // A source definition filed under sinks/ is refused with the file's path.
    std::fs::write(dir.path().join("sinks/wrong.yaml"), SYNADIA_SOURCE).unwrap();
    let err = RuntimeMetadata::load_dir(dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("sinks/wrong.yaml") && err.contains("kind"),
        "{err}"
    );

    std::fs::write(
        dir.path().join("sinks/wrong.yaml"),
        "name: x\nlabel: X\nkind: sink\nstatus: stable\ncolour: red\n",
    )
    .unwrap();
    let err = RuntimeMetadata::load_dir(dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("sinks/wrong.yaml") && err.contains("colour"),
        "{err}"
    );
}

#[test]
fn defaults_are_filled_and_valid_configs_pass() {
    let out = check(json!({"urls": ["nats://a:4222"], "auth": {"user_jwt": "jwt"}})).unwrap();
    assert_eq!(out["deliver"], json!("all"));
    assert_eq!(out["max_ack_pending"], json!(1024));
    assert!(
        !out.contains_key("subject"),
        "optional fields without default stay absent"
    );
}

#[test]
fn required_fields_and_unknown_keys_are_reported() {
    let e = check(json!({"colour": "red"})).unwrap_err();
    assert_eq!(e.len(), 2, "{e:?}");
    assert!(
        e[0].starts_with("config.colour: unknown field; expected one of: urls, subject"),
        "{e:?}"
    );
    assert!(
        e[1].starts_with("config.urls: required field is missing (a list of string)"),
        "{e:?}"
    );
    let e = check(json!({"urls": [], "auth": {"password": "x"}})).unwrap_err();
    assert!(
        e[0].starts_with("config.auth.password: unknown field"),
        "{e:?}"
    );
}

#[test]
fn types_are_checked_per_kind() {
    let e = check(json!({"urls": "nats://a", "max_ack_pending": 1.5, "auth": "x", "deliver": 3}))
        .unwrap_err();
    assert_eq!(
        e,
        [
            "config.urls: expected a list of string, got a string",
            "config.deliver: expected string, got an int",
            "config.max_ack_pending: expected int, got a float",
            "config.auth: expected object, got a string",
        ]
    );
    let e = check(json!({"urls": ["ok", 5]})).unwrap_err();
    assert_eq!(e, ["config.urls[1]: expected string, got an int"]);
}

#[test]
fn each_constraint_kind_is_enforced() {
    let e = check(json!({"urls": [], "subject": "Bad Subject"})).unwrap_err();
    assert_eq!(
        e,
        ["config.subject: `Bad Subject` does not match the pattern `^[a-z.>*]+$`"]
    );
    let e = check(json!({"urls": [], "deliver": "sometimes"})).unwrap_err();
    assert_eq!(e, ["config.deliver: must be one of: all, last, new"]);
    let e = check(json!({"urls": [], "max_ack_pending": 0})).unwrap_err();
    assert_eq!(e, ["config.max_ack_pending: must be at least 1, got 0"]);
    let e = check(json!({"urls": [], "max_ack_pending": 70000})).unwrap_err();
    assert_eq!(
        e,
        ["config.max_ack_pending: must be at most 65535, got 70000"]
    );
    // Every error at once.
    let e = check(json!({"urls": [], "subject": "X", "deliver": "y", "max_ack_pending": 0}))
        .unwrap_err();
    assert_eq!(e.len(), 3);
}

#[test]
fn exclusive_ranges_floats_durations_and_maps() {
    let fields: Vec<FieldSpec> = crate::yaml::from_str(
        r#"
- { name: ratio, label: R, type: float, constraints: { range: { gt: 0, lt: 1 } } }
- { name: every, label: E, type: duration }
- { name: headers, label: H, type: string, kind: map, optional: true }
- { name: on, label: O, type: bool, default: false }
"#,
    )
    .unwrap();
    let run = |v: Value| {
        let Value::Object(m) = v else { unreachable!() };
        validate_config(&fields, &m, "")
            .map_err(|e| e.iter().map(|e| e.to_string()).collect::<Vec<_>>())
    };
    let ok = run(json!({"ratio": 0.5, "every": "10s", "headers": {"a": "b"}})).unwrap();
    assert_eq!(ok["on"], json!(false));
    let e =
        run(json!({"ratio": 1, "every": "often", "headers": {"a": 1}, "on": "yes"})).unwrap_err();
    assert_eq!(e.len(), 4, "{e:?}");
    assert_eq!(e[0], "ratio: must be less than 1, got 1");
    assert!(e[1].starts_with("every: invalid duration `often`"), "{e:?}");
    assert_eq!(e[2], "headers.a: expected string, got an int");
    assert_eq!(e[3], "on: expected bool, got a string");
    assert_eq!(
        run(json!({"ratio": 0, "every": "0"})).unwrap_err(),
        ["ratio: must be greater than 0, got 0"]
    );
}

#[test]
fn secret_references_skip_type_checks_until_resolved() {
    assert!(check(json!({"urls": [], "max_ack_pending": "${env:MAX}", "auth": {"nkey": "${file:/run/secrets/nkey}"}})).is_ok());
}

#[test]
fn definitions_with_bad_defaults_or_regexes_are_refused() {
    let bad: ComponentSpec = crate::yaml::from_str(
        r#"
name: x
label: X
kind: sink
status: stable
fields:
  - { name: n, label: N, type: int, default: "ten" }
  - { name: s, label: S, type: string, constraints: [ { regex: "(" } ] }
  - { name: n, label: Dup, type: bool }
  - { name: o, label: O, type: string, fields: [ { name: p, label: P, type: int } ] }
"#,
    )
    .unwrap();
    let paths: Vec<_> = bad.validate().iter().map(|e| e.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "fields[0].default",
            "fields[1].constraints[0].regex",
            "fields[2].name",
            "fields[3].fields"
        ]
    );
}

fn metadata() -> RuntimeMetadata {
    let mut md = RuntimeMetadata {
        runtime: crate::yaml::from_str(SYNADIA_RUNTIME).unwrap(),
        sources: Default::default(),
        sinks: Default::default(),
    };
    md.sources.insert("nats_jetstream".into(), spec());
    md
}

#[test]
fn connectors_are_validated_against_their_runtime() {
    let doc = r#"
id: jets
runtime: vanilla
steps:
  source: { type: nats_jetstream, config: { urls: [a], max_ack_pending: 0 } }
  sink: { type: nowhere }
"#;
    let c = decode::from_str(doc).unwrap();
    let e = validate_connector(&c, &metadata()).unwrap_err();
    let got: Vec<_> = e.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        got,
        ["steps.source.config.max_ack_pending", "steps.sink.type"]
    );
    assert!(e.0[1].reason.contains("has no sink `nowhere`"), "{e}");
}

#[test]
fn one_helper_masks_secrets_everywhere_a_config_is_shown() {
    let doc = r#"
id: jets
runtime: vanilla
steps:
  source: { type: nats_jetstream, config: { urls: [a], auth: { user_jwt: "eyJ", nkey: "${env:NKEY}" } } }
  producer: { stream: s, topic: t, iggy: { address: "h:8090", username: u, password: hunter2 } }
env: { API_TOKEN: abc }
"#;
    let c = decode::from_str(doc).unwrap();
    let masked = mask_connector(&c, Some(&metadata()));
    let shown = serde_json::to_string(&masked).unwrap();
    for secret in ["eyJ", "NKEY", "hunter2", "abc"] {
        assert!(!shown.contains(secret), "{secret} leaked in {shown}");
    }
    assert_eq!(
        masked.steps.source.as_ref().unwrap().config["urls"],
        json!(["a"])
    );
    assert_eq!(
        masked
            .steps
            .producer
            .as_ref()
            .unwrap()
            .iggy
            .as_ref()
            .unwrap()
            .username
            .as_deref(),
        Some("u")
    );
    // Without the runtime's definitions, secret-looking names are masked.
    let unknown = mask_connector(
        &decode::from_str(
            &doc.replace("nats_jetstream", "other")
                .replace("user_jwt", "password"),
        )
        .unwrap(),
        None,
    );
    let shown = serde_json::to_string(&unknown).unwrap();
    assert!(!shown.contains("eyJ") && shown.contains(MASK), "{shown}");
}
