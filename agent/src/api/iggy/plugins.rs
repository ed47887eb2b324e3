//! The Iggy runtime's plugins and their `plugin_config` fields onto connect's runtime
//! components: `stdout_sink` → essentials `stdout`, `random_source` → essentials `generate`,
//! `http_sink` → essentials `http`, `postgres_sink` → sql `postgres`, `postgres_source` → sql
//! `sql_query` (polling) or `postgres_cdc` (cdc). Every other field is named as missing.

use serde_json::{Map, Value, json};

use super::translate::{Findings, IggyKind};

/// A runtime component and its config; several `variants` (by id suffix) when one Iggy
/// connector becomes several connect connectors (one per polled table).
#[derive(Debug)]
pub(crate) struct Target {
    pub runtime: String,
    pub component: String,
    pub variants: Vec<(Option<String>, Map<String, Value>)>,
    /// The component step's `batch_length`.
    pub batch_length: Option<u32>,
}

/// What happens to one Iggy field.
enum Rule {
    /// Same meaning under connect's name.
    To(&'static str),
    /// Without effect at this value; any other value has no counterpart (the reason says why).
    Only(Value, &'static str),
    /// A tuning knob connect sizes itself: said, not missing.
    Tuning,
    /// Taken over by the plugin's own mapping below.
    Handled,
}

/// The Iggy plugins connect can take over, by plugin name.
pub(crate) const SUPPORTED: [&str; 5] = [
    "stdout_sink",
    "random_source",
    "http_sink",
    "postgres_sink",
    "postgres_source",
];

/// Maps `plugin`'s config; `None` (with the reason in `found`) when connect has no counterpart.
pub(crate) fn map(
    plugin: &str,
    kind: IggyKind,
    cfg: &Map<String, Value>,
    found: &mut Findings,
) -> Option<Target> {
    let expected = match plugin {
        "stdout_sink" | "http_sink" | "postgres_sink" => IggyKind::Sink,
        "random_source" | "postgres_source" => IggyKind::Source,
        other => {
            found.missing(
                "path",
                &format!(
                    "the plugin `{other}` has no counterpart in connect (it takes over {})",
                    SUPPORTED.join(", ")
                ),
            );
            return None;
        }
    };
    if expected != kind {
        found.invalid(
            "type",
            &format!("the plugin `{plugin}` is a {}", expected.name()),
        );
        return None;
    }
    match plugin {
        "stdout_sink" => Some(simple(
            "stdout",
            cfg,
            &[(
                "print_payload",
                Rule::Only(
                    json!(true),
                    "connect's stdout sink always writes the payload (format payload or json)",
                ),
            )],
            found,
        )),
        "random_source" => Some(simple(
            "generate",
            cfg,
            &[
                ("interval", Rule::To("interval")),
                ("max_count", Rule::To("count")),
                (
                    "messages_range",
                    Rule::Only(
                        Value::Null,
                        "generate makes one message per interval (or as fast as the sink confirms with interval 0)",
                    ),
                ),
                (
                    "payload_size",
                    Rule::Only(
                        Value::Null,
                        "generate's payload is a template; set steps.source.config.payload",
                    ),
                ),
            ],
            found,
        )),
        "http_sink" => Some(http(cfg, found)),
        "postgres_sink" => Some(postgres_sink(cfg, found)),
        _ => postgres_source(cfg, found),
    }
}

/// Applies `rules` to every field of `cfg`; a field without a rule is missing.
fn apply(
    component: &str,
    cfg: &Map<String, Value>,
    rules: &[(&str, Rule)],
    found: &mut Findings,
) -> Map<String, Value> {
    let mut out = Map::new();
    for (k, v) in cfg {
        let path = format!("plugin_config.{k}");
        match rules.iter().find(|(name, _)| name == k).map(|(_, r)| r) {
            Some(Rule::To(ours)) => {
                out.insert((*ours).to_string(), v.clone());
            }
            Some(Rule::Only(ok, reason)) => {
                if v != ok {
                    found.missing(&path, reason);
                }
            }
            Some(Rule::Tuning) => found.remark(format!(
                "{path}: a tuning knob connect sizes itself; not carried over"
            )),
            Some(Rule::Handled) => {}
            None => found.missing(
                &path,
                &format!("connect's `{component}` has no counterpart for it"),
            ),
        }
    }
    out
}

fn simple(
    component: &str,
    cfg: &Map<String, Value>,
    rules: &[(&str, Rule)],
    found: &mut Findings,
) -> Target {
    let runtime = if component.starts_with("postgres") || component == "sql_query" {
        "sql"
    } else {
        "essentials"
    };
    Target {
        runtime: runtime.into(),
        component: component.into(),
        variants: vec![(None, apply(component, cfg, rules, found))],
        batch_length: None,
    }
}

fn http(cfg: &Map<String, Value>, found: &mut Findings) -> Target {
    let mut t = simple(
        "http",
        cfg,
        &[
            ("url", Rule::To("url")),
            ("method", Rule::To("method")),
            ("headers", Rule::To("headers")),
            ("timeout", Rule::To("timeout")),
            ("batch_mode", Rule::To("batch_mode")),
            ("success_status_codes", Rule::To("success_codes")),
            ("max_retries", Rule::To("max_retries")),
            ("retry_delay", Rule::To("initial_backoff")),
            ("max_retry_delay", Rule::To("max_backoff")),
            (
                "retry_backoff_multiplier",
                Rule::Only(json!(2), "connect's backoff doubles the delay each retry"),
            ),
            (
                "include_metadata",
                Rule::Only(
                    json!(false),
                    "connect sends the payload itself, without an Iggy metadata envelope",
                ),
            ),
            (
                "include_checksum",
                Rule::Only(json!(false), "connect sends no checksum"),
            ),
            (
                "include_origin_timestamp",
                Rule::Only(json!(false), "connect sends no origin timestamp"),
            ),
            (
                "health_check_enabled",
                Rule::Only(
                    json!(false),
                    "connect has no health-check request; failed writes are retried",
                ),
            ),
            ("health_check_method", Rule::Tuning),
            (
                "tls_danger_accept_invalid_certs",
                Rule::Only(json!(false), "connect always verifies certificates"),
            ),
            ("max_payload_size_bytes", Rule::Tuning),
            ("max_connections", Rule::Tuning),
            ("verbose_logging", Rule::Tuning),
        ],
        found,
    );
    let config = &mut t.variants[0].1;
    if let Some(mode) = config
        .get("batch_mode")
        .and_then(Value::as_str)
        .map(str::to_string)
    {
        match mode.as_str() {
            "individual" => {
                config.insert("batch_mode".into(), json!("single"));
            }
            "ndjson" | "json_array" => {}
            other => {
                config.remove("batch_mode");
                found.missing(
                    "plugin_config.batch_mode",
                    &format!(
                        "`{other}` has no counterpart (connect: individual, ndjson, json_array)"
                    ),
                );
            }
        }
    }
    if let Some(m) = config
        .get("method")
        .and_then(Value::as_str)
        .map(str::to_string)
        && !matches!(m.as_str(), "POST" | "PUT" | "PATCH")
    {
        found.missing(
            "plugin_config.method",
            &format!("connect's http sink sends POST, PUT or PATCH, not {m}"),
        );
        config.remove("method");
    }
    t
}

fn postgres_sink(cfg: &Map<String, Value>, found: &mut Findings) -> Target {
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

fn postgres_source(cfg: &Map<String, Value>, found: &mut Findings) -> Option<Target> {
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
    format!("connect_{name}")
}
