//! The Iggy runtime's `postgres_sink` and `postgres_source` plugins onto the `sql` runtime:
//! `postgres` for the sink, `sql_query` per polled table or `postgres_cdc` for the source.

use serde_json::{Map, Value, json};

use super::plugins::{Rule, Target, apply, simple};
use super::translate::Findings;

pub(super) fn sink(cfg: &Map<String, Value>, found: &mut Findings) -> Target {
    let mut t = simple(
        "postgres",
        cfg,
        &[
            ("connection_string", Rule::To("url")),
            ("target_table", Rule::To("table")),
            ("batch_size", Rule::Handled),
            ("max_connections", Rule::Tuning),
            (
                "auto_create_table",
                Rule::Only(
                    json!(false),
                    "connect creates a table from steps.sink.config.create_table (its columns and types); add it",
                ),
            ),
            (
                "include_metadata",
                Rule::Only(
                    json!(false),
                    "connect writes message fields (or the whole message to jsonb_column), no Iggy metadata columns",
                ),
            ),
            (
                "include_checksum",
                Rule::Only(json!(false), "connect writes no checksum column"),
            ),
            (
                "include_origin_timestamp",
                Rule::Only(json!(false), "connect writes no origin timestamp column"),
            ),
            ("payload_format", Rule::Handled),
        ],
        found,
    );
    t.batch_length = cfg
        .get("batch_size")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok());
    match cfg.get("payload_format").and_then(Value::as_str) {
        Some("json" | "jsonb") => {
            t.variants[0].1.insert("jsonb_column".into(), json!("payload"));
            found.remark(
                "plugin_config.payload_format: the whole message goes to the jsonb column `payload`".into(),
            );
        }
        None => {}
        Some(other) => found.missing(
            "plugin_config.payload_format",
            &format!("connect writes JSON messages (to columns, or whole to jsonb_column); `{other}` has no counterpart"),
        ),
    }
    t
}

pub(super) fn source(cfg: &Map<String, Value>, found: &mut Findings) -> Option<Target> {
    let mode = cfg.get("mode").and_then(Value::as_str).unwrap_or("polling");
    let common = [
        ("connection_string", Rule::To("url")),
        ("mode", Rule::Handled),
        ("tables", Rule::Handled),
        ("batch_size", Rule::Handled),
        ("max_connections", Rule::Tuning),
        (
            "snake_case_columns",
            Rule::Only(json!(false), "connect keeps column names as they are"),
        ),
        (
            "include_metadata",
            Rule::Only(
                json!(false),
                "connect produces the row (or change) itself, without an Iggy metadata envelope",
            ),
        ),
    ];
    let tables: Vec<String> = cfg
        .get("tables")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let batch_length = cfg
        .get("batch_size")
        .and_then(Value::as_u64)
        .and_then(|n| u32::try_from(n).ok());
    match mode {
        "cdc" => {
            let mut rules: Vec<(&str, Rule)> = common.into_iter().collect();
            rules.push(("poll_interval", Rule::To("poll_interval")));
            let mut config = apply("postgres_cdc", cfg, &rules, found);
            config.insert("tables".into(), json!(tables));
            let key = cfg_key(cfg);
            config.insert("slot".into(), json!(key));
            config.insert("publication".into(), json!(key));
            found.remark(format!(
                "plugin_config.mode = \"cdc\": connect reads replication slot and publication `{key}` (created when missing)"
            ));
            Some(Target {
                runtime: "sql".into(),
                component: "postgres_cdc".into(),
                variants: vec![(None, config)],
                batch_length,
            })
        }
        "polling" => {
            let mut rules: Vec<(&str, Rule)> = common.into_iter().collect();
            rules.push(("poll_interval", Rule::To("interval")));
            rules.push(("tracking_column", Rule::To("cursor_column")));
            rules.push(("initial_offset", Rule::To("cursor_start")));
            let base = apply("sql_query", cfg, &rules, found);
            let column = base
                .get("cursor_column")
                .and_then(Value::as_str)
                .unwrap_or("id")
                .to_string();
            if !base.contains_key("cursor_column") {
                found.remark(
                    "plugin_config.tracking_column: not given; connect polls by `id`".into(),
                );
            }
            if tables.is_empty() {
                found.invalid("plugin_config.tables", "give at least one table to poll");
            }
            let variants = tables
                .iter()
                .map(|table| {
                    let mut c = base.clone();
                    c.insert("cursor_column".into(), json!(column));
                    c.insert(
                        "query".into(),
                        json!(format!(
                            "SELECT * FROM {table} WHERE {column} > $1 ORDER BY {column} LIMIT $2"
                        )),
                    );
                    (Some(table.replace('.', "-")), c)
                })
                .collect();
            Some(Target {
                runtime: "sql".into(),
                component: "sql_query".into(),
                variants,
                batch_length,
            })
        }
        other => {
            found.missing(
                "plugin_config.mode",
                &format!("`{other}` has no counterpart (connect: polling → sql_query, cdc → postgres_cdc)"),
            );
            None
        }
    }
}

/// A slot/publication name from the connection: `connect_` and the first table, made safe.
fn cfg_key(cfg: &Map<String, Value>) -> String {
    let table = cfg
        .get("tables")
        .and_then(Value::as_array)
        .and_then(|t| t.first())
        .and_then(Value::as_str)
        .unwrap_or("cdc");
    let name: String = table
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    let mut key = format!("connect_{name}");
    key.truncate(63);
    key
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::iggy::translate::IggyKind;

    fn run(plugin: &str, kind: IggyKind, cfg: Value) -> (Option<Target>, Findings) {
        let mut found = Findings::default();
        let t = super::super::plugins::map(plugin, kind, cfg.as_object().unwrap(), &mut found);
        (t, found)
    }

    fn missing(found: &Findings) -> Vec<&str> {
        found.missing.iter().map(|m| m.field.as_str()).collect()
    }

    #[test]
    fn postgres_polling_becomes_one_sql_query_per_table() {
        let (t, found) = run(
            "postgres_source",
            IggyKind::Source,
            json!({"connection_string": "postgres://u@h/db", "mode": "polling", "tables": ["users", "public.orders"],
                   "poll_interval": "1s", "batch_size": 500, "tracking_column": "id", "initial_offset": "0",
                   "max_connections": 10, "snake_case_columns": true}),
        );
        let t = t.unwrap();
        assert_eq!(
            (t.runtime.as_str(), t.component.as_str()),
            ("sql", "sql_query")
        );
        assert_eq!(t.batch_length, Some(500));
        assert_eq!(t.variants.len(), 2);
        assert_eq!(t.variants[1].0.as_deref(), Some("public-orders"));
        assert_eq!(
            t.variants[0].1["query"],
            "SELECT * FROM users WHERE id > $1 ORDER BY id LIMIT $2"
        );
        assert_eq!(t.variants[0].1["url"], "postgres://u@h/db");
        assert_eq!(t.variants[0].1["interval"], "1s");
        assert_eq!(missing(&found), ["plugin_config.snake_case_columns"]);
    }

    #[test]
    fn postgres_cdc_and_the_postgres_sink_map_what_they_can() {
        let (t, found) = run(
            "postgres_source",
            IggyKind::Source,
            json!({"connection_string": "postgres://u@h/db", "mode": "cdc", "tables": ["Orders"]}),
        );
        let t = t.unwrap();
        assert_eq!(t.component, "postgres_cdc");
        assert_eq!(t.variants[0].1["slot"], "connect_orders");
        assert!(found.clean(), "{found:?}");
        let (t, found) = run(
            "postgres_sink",
            IggyKind::Sink,
            json!({"connection_string": "postgres://u@h/db", "target_table": "t", "batch_size": 100,
                   "auto_create_table": true, "payload_format": "bytea"}),
        );
        let t = t.unwrap();
        assert_eq!(
            (t.component.as_str(), t.batch_length),
            ("postgres", Some(100))
        );
        assert_eq!(t.variants[0].1["table"], "t");
        assert_eq!(
            missing(&found),
            [
                "plugin_config.auto_create_table",
                "plugin_config.payload_format"
            ]
        );
    }
}
