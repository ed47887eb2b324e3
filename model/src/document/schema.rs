//! The JSON Schema of the connector document, generated from the document types' `JsonSchema`
//! derives (the same types serde decodes), written to `docs/connector.schema.json` for editors.

use serde_json::Value;

/// Where the checked-in copy lives, relative to the repository root.
pub const SCHEMA_FILE: &str = "docs/connector.schema.json";

/// The schema of a connector document as the agent reads it (defaults make fields optional).
pub fn connector_schema() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .for_deserialize()
        .into_generator();
    let mut schema = generator
        .into_root_schema_for::<super::ConnectorConfig>()
        .to_value();
    if let Some(root) = schema.as_object_mut() {
        root.insert(
            "$id".into(),
            "https://github.com/connect-iggy/connect/docs/connector.schema.json".into(),
        );
        root.insert("title".into(), "connect connector document".into());
        root.insert(
            "description".into(),
            "One connector: a runtime and its steps (source|consumer, transformer, sink|producer). \
             Generated from the connect-model types; a component's `config` is checked against its \
             own schema (GET /runtimes/{name}/sources|sinks/{component}/schema)."
                .into(),
        );
    }
    schema
}

#[cfg(test)]
mod tests {
    /// `UPDATE_SCHEMA=1 cargo test -p connect-model connector_schema` rewrites the file.
    #[test]
    fn connector_schema_file_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join(super::SCHEMA_FILE);
        let current = serde_json::to_string_pretty(&super::connector_schema()).unwrap() + "\n";
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::write(&path, &current).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == current,
            "{} is stale; regenerate it with UPDATE_SCHEMA=1 cargo test -p connect-model connector_schema",
            super::SCHEMA_FILE
        );
    }
}
