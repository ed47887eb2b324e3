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
pub(super) enum Rule {
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
        "postgres_sink" => Some(super::postgres::sink(cfg, found)),
        _ => super::postgres::source(cfg, found),
    }
}

/// Applies `rules` to every field of `cfg`; a field without a rule is missing.
pub(super) fn apply(
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

pub(super) fn simple(
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

#[cfg(test)]
mod tests {
    use super::*;

    fn run(plugin: &str, kind: IggyKind, cfg: Value) -> (Option<Target>, Findings) {
        let mut found = Findings::default();
        let t = map(plugin, kind, cfg.as_object().unwrap(), &mut found);
        (t, found)
    }

    fn missing(found: &Findings) -> Vec<&str> {
        found.missing.iter().map(|m| m.field.as_str()).collect()
    }

    #[test]
    fn the_http_sink_maps_its_fields_and_names_the_rest() {
        let (t, found) = run(
            "http_sink",
            IggyKind::Sink,
            json!({"url": "https://x/ingest", "method": "POST", "batch_mode": "individual",
                   "success_status_codes": [200], "retry_delay": "1s", "max_retry_delay": "30s",
                   "retry_backoff_multiplier": 3, "include_metadata": true, "max_connections": 10,
                   "headers": {"A": "b"}}),
        );
        let c = &t.unwrap().variants[0].1;
        assert_eq!(c["batch_mode"], "single");
        assert_eq!(c["success_codes"], json!([200]));
        assert_eq!(c["initial_backoff"], "1s");
        assert_eq!(c["headers"], json!({"A": "b"}));
        assert_eq!(
            missing(&found),
            [
                "plugin_config.include_metadata",
                "plugin_config.retry_backoff_multiplier"
            ]
        );
        assert!(found.remarks.iter().any(|r| r.contains("max_connections")));
    }

    #[test]
    fn an_unknown_plugin_or_the_wrong_side_has_no_counterpart() {
        let (t, found) = run("quickwit_sink", IggyKind::Sink, json!({}));
        assert!(t.is_none());
        assert_eq!(missing(&found), ["path"]);
        assert!(found.missing[0].reason.contains("quickwit_sink"));
        let (t, found) = run("stdout_sink", IggyKind::Source, json!({}));
        assert!(t.is_none() && found.invalid[0].field == "type");
    }
}
