//! Keeps `.connect` and the code in step: every declared field is read by the component's config
//! type and every field it reads is declared, defaults and examples make working configs, and the
//! repository's `examples/` for this runtime validate.

use std::collections::BTreeSet;
use std::path::Path;

use connect_runtime_sdk::document::{ComponentKind, decode};
use connect_runtime_sdk::metadata::{
    FieldSpec, config_fields, validate_config, validate_connector,
};
use serde_json::{Map, Value};

use super::{SinkConfig, SourceConfig, server};

/// Decodes a filled-in config the way the component does and builds its Iggy connection.
type Check = fn(Value) -> Result<(), String>;

fn components() -> [(ComponentKind, &'static str, &'static [&'static str], Check); 2] {
    [
        (
            ComponentKind::Source,
            "iggy",
            config_fields::<SourceConfig>(),
            |v| {
                let c: SourceConfig = serde_json::from_value(v).map_err(|e| e.to_string())?;
                server(c.address, c.username, c.password, c.token)
                    .map(drop)
                    .map_err(|e| e.to_string())
            },
        ),
        (
            ComponentKind::Sink,
            "iggy",
            config_fields::<SinkConfig>(),
            |v| {
                let c: SinkConfig = serde_json::from_value(v).map_err(|e| e.to_string())?;
                server(c.address, c.username, c.password, c.token)
                    .map(drop)
                    .map_err(|e| e.to_string())
            },
        ),
    ]
}

fn fields(kind: ComponentKind) -> Vec<FieldSpec> {
    super::metadata()
        .component(kind, "iggy")
        .expect("the iggy component is defined")
        .fields
        .clone()
}

#[test]
fn registered_components_and_definitions_match() {
    assert_eq!(super::components().mismatches(), Vec::<String>::new());
}

#[test]
fn declared_fields_and_config_type_fields_are_the_same() {
    for (kind, name, read, _) in components() {
        let declared: BTreeSet<String> = fields(kind).into_iter().map(|f| f.name).collect();
        let read: BTreeSet<String> = read.iter().map(|s| s.to_string()).collect();
        assert_eq!(
            declared, read,
            "{kind:?} `{name}`: fields declared in .connect vs read by the config type"
        );
    }
}

#[test]
fn secrets_are_marked_secret() {
    for kind in [ComponentKind::Source, ComponentKind::Sink] {
        let secret: BTreeSet<String> = fields(kind)
            .into_iter()
            .filter(|f| f.secret)
            .map(|f| f.name)
            .collect();
        assert_eq!(
            secret,
            BTreeSet::from(["password".to_string(), "token".to_string()]),
            "{kind:?}"
        );
    }
}

/// A value for a field: its first example, else its default.
fn sample(f: &FieldSpec) -> Option<Value> {
    f.examples.first().or(f.default.as_ref()).cloned()
}

#[test]
fn minimal_and_full_configs_decode() {
    for (kind, name, _, check) in components() {
        let fields = fields(kind);
        let required: Map<String, Value> = fields
            .iter()
            .filter(|f| f.default.is_none() && !f.optional)
            .map(|f| {
                (
                    f.name.clone(),
                    sample(f).unwrap_or_else(|| panic!("{name}.{} needs an example", f.name)),
                )
            })
            .collect();
        let mut full: Map<String, Value> = fields
            .iter()
            .filter_map(|f| Some((f.name.clone(), sample(f)?)))
            .collect();
        full.remove("token"); // token and username/password exclude each other
        for (what, config) in [("minimal", required), ("full", full)] {
            let filled = validate_config(&fields, &config, "config")
                .unwrap_or_else(|e| panic!("{kind:?} {what} config is invalid:\n{e}"));
            check(Value::Object(filled))
                .unwrap_or_else(|e| panic!("{kind:?} {what} config does not decode: {e}"));
        }
    }
}

#[test]
fn unknown_fields_and_mixed_credentials_are_rejected() {
    let err = serde_json::from_value::<SinkConfig>(
        serde_json::json!({"stream": "s", "topic": "t", "partition": 2}),
    )
    .unwrap_err();
    assert!(err.to_string().contains("partition"), "{err}");
    let err = server(None, Some("u".into()), None, Some("pat".into())).unwrap_err();
    assert!(
        err.to_string()
            .contains("either token or username/password"),
        "{err}"
    );
    assert_eq!(
        server(None, None, None, None).unwrap(),
        None,
        "nothing given: the agent's server"
    );
}

#[test]
fn repository_examples_validate() {
    let m = super::metadata();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut checked = 0;
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let config = decode::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if config.runtime.name() != m.runtime.name {
            continue;
        }
        let filled =
            validate_connector(&config, &m).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        for (kind, step) in filled.steps.components() {
            let (.., check) = components()
                .into_iter()
                .find(|c| c.0 == kind && c.1 == step.kind)
                .expect("validated component exists");
            check(Value::Object(step.config.clone()))
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }
        checked += 1;
    }
    assert!(
        checked >= 2,
        "expected the vanilla examples in {}",
        dir.display()
    );
}
