//! Keeps the `.connect` definitions and the config types in step with the SDK's definition
//! checks, the repository's `examples/` for this runtime valid, and one example per component.

use std::collections::BTreeSet;
use std::path::Path;

use connect_runtime_sdk::document::{ComponentKind, decode};
use connect_runtime_sdk::embed_connect;
use connect_runtime_sdk::testing::check_definitions;

use crate::cdc::PostgresCdc;
use crate::sinks::mysql::MysqlSink;
use crate::sinks::postgres::PostgresSink;
use crate::sources::query::SqlQuery;

#[test]
fn definitions_match_the_config_types_and_the_examples() {
    check_definitions(embed_connect!())
        .source_built("postgres_cdc", PostgresCdc::new)
        .source_built("sql_query", SqlQuery::new)
        .sink_built("postgres", PostgresSink::new)
        .sink_built("mysql", MysqlSink::new)
        .examples(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"))
        .registered(&crate::components())
        .crate_version(env!("CARGO_PKG_VERSION"))
        .check();
}

#[test]
fn unknown_fields_are_rejected_by_the_config_types() {
    let err = serde_json::from_value::<crate::sinks::rows::SqlSinkConfig>(serde_json::json!({
        "url": "postgres://u@h/db", "table": "t", "mode": "insert", "colour": true
    }))
    .unwrap_err();
    assert!(err.to_string().contains("colour"), "{err}");
}

#[test]
fn every_component_has_an_example_connector() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut seen = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with("sql-") {
            continue;
        }
        let config = decode::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for (kind, step) in config.steps.components() {
            seen.insert((kind.dir_name(), step.kind.clone()));
        }
    }
    let metadata = embed_connect!();
    for kind in [ComponentKind::Source, ComponentKind::Sink] {
        for name in metadata.components(kind).keys() {
            assert!(
                seen.contains(&(kind.dir_name(), name.to_string())),
                "no examples/sql-*.yml uses the {} `{name}`",
                kind.step_name()
            );
        }
    }
}
