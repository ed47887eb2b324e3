//! An Iggy runtime connector config (a TOML file's table, or the body of `POST
//! /sinks|sources/{key}/configs`) as connect connector documents: `[[streams]]` become
//! `consumer`/`producer` steps (one connector per topic), `transforms` the transformer list,
//! the plugin and its `plugin_config` a runtime component. What has no counterpart is named
//! with its field path; nothing is dropped silently.

use connect_model::ConnectorConfig;
use serde_json::{Map, Value, json};

use super::plugins;

/// Which side of Iggy the connector is on, as the Iggy runtime's `type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IggyKind {
    Sink,
    Source,
}

impl IggyKind {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Sink => "sink",
            Self::Source => "source",
        }
    }
}

/// One field and why it is reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Finding {
    pub field: String,
    pub reason: String,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// What a translation found besides the documents.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    /// Fields connect has no counterpart for.
    pub missing: Vec<Finding>,
    /// Fields that are not valid Iggy config.
    pub invalid: Vec<Finding>,
    /// Things said for the record (a split into several connectors, a disabled transform).
    pub remarks: Vec<String>,
}

impl Findings {
    pub(crate) fn missing(&mut self, field: &str, reason: &str) {
        self.missing.push(Finding {
            field: field.to_string(),
            reason: reason.to_string(),
        });
    }

    pub(crate) fn invalid(&mut self, field: &str, reason: &str) {
        self.invalid.push(Finding {
            field: field.to_string(),
            reason: reason.to_string(),
        });
    }

    pub(crate) fn remark(&mut self, text: String) {
        self.remarks.push(text);
    }

    /// Nothing missing and nothing invalid.
    pub(crate) fn clean(&self) -> bool {
        self.missing.is_empty() && self.invalid.is_empty()
    }
}

/// The connect documents of one Iggy connector config (as JSON values, decoded by the caller
/// through the one decode path), one per topic; empty when the plugin has no counterpart.
#[derive(Debug, Default)]
pub(crate) struct Translation {
    pub documents: Vec<Value>,
    pub findings: Findings,
}

/// Top-level fields of an Iggy connector config.
/// (`active` is part of the runtime's answers; a body copied from one may carry it.)
const TOP_LEVEL: [&str; 13] = [
    "active",
    "type",
    "key",
    "enabled",
    "version",
    "name",
    "path",
    "transforms",
    "streams",
    "plugin_config_format",
    "plugin_config",
    "verbose",
    "benchmark",
];

/// The Iggy plugin a `path` names: `target/release/libiggy_connector_stdout_sink.so` →
/// `stdout_sink`.
pub(crate) fn plugin_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = [".so", ".dylib", ".dll"]
        .iter()
        .find_map(|ext| file.strip_suffix(ext))
        .unwrap_or(file);
    let stem = stem.strip_prefix("lib").unwrap_or(stem);
    stem.strip_prefix("iggy_connector_")
        .unwrap_or(stem)
        .to_string()
}

/// Translates `cfg` for connector `key`. `current` is the connector's active config when the
/// body comes from connect's own API: a `path` it rendered (`<binary>#<component>`) keeps
/// that runtime and component and takes `plugin_config` as the component's config.
pub(crate) fn translate(
    kind: IggyKind,
    key: &str,
    cfg: &Map<String, Value>,
    current: Option<(&ConnectorConfig, &str)>,
) -> Translation {
    let mut found = Findings::default();
    for k in cfg.keys() {
        if !TOP_LEVEL.contains(&k.as_str()) {
            found.missing(k, "not a field of an Iggy connector config");
        }
    }
    if let Some(t) = cfg.get("type").and_then(Value::as_str)
        && t != kind.name()
    {
        found.invalid("type", &format!("is `{t}`, expected `{}`", kind.name()));
    }
    for flag in ["verbose", "benchmark"] {
        if cfg.get(flag).and_then(Value::as_bool) == Some(true) {
            found.missing(
                flag,
                "connect has no per-connector switch for it; raise [logs] level or read GET /connectors/{id} metrics",
            );
        }
    }
    let path = cfg.get("path").and_then(Value::as_str).unwrap_or_default();
    let plugin_config = match cfg.get("plugin_config") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            found.invalid("plugin_config", "must be a table");
            Map::new()
        }
    };
    let component = match current {
        Some((config, rendered)) if !path.is_empty() && path == rendered => {
            connect_component(config, kind, plugin_config)
        }
        _ if path.is_empty() => {
            found.invalid("path", "missing: it names the plugin to translate");
            None
        }
        _ => plugins::map(&plugin_name(path), kind, &plugin_config, &mut found),
    };
    let transformer =
        super::transforms::from_iggy(cfg.get("transforms").unwrap_or(&Value::Null), &mut found);
    let streams = super::streams::steps(kind, key, cfg.get("streams"), &mut found);
    let Some(component) = component else {
        return Translation {
            documents: Vec::new(),
            findings: found,
        };
    };
    let enabled = cfg.get("enabled").and_then(Value::as_bool).unwrap_or(true);
    let description = cfg.get("name").and_then(Value::as_str).unwrap_or_default();
    let mut documents = Vec::new();
    let many = streams.len() * component.variants.len() > 1;
    for (stream_suffix, step) in &streams {
        for (variant_suffix, config) in &component.variants {
            let mut id = key.to_string();
            if many {
                for s in [stream_suffix.as_deref(), variant_suffix.as_deref()]
                    .into_iter()
                    .flatten()
                {
                    id = format!("{id}-{s}");
                }
            }
            let mut external = json!({ "type": component.component, "config": config });
            if let Some(n) = component.batch_length {
                external["batch_length"] = json!(n);
            }
            let mut steps = Map::new();
            match kind {
                IggyKind::Sink => {
                    steps.insert("consumer".into(), step.clone());
                    steps.insert("sink".into(), external);
                }
                IggyKind::Source => {
                    steps.insert("source".into(), external);
                    steps.insert("producer".into(), step.clone());
                }
            }
            if !transformer.is_empty() {
                steps.insert("transformer".into(), Value::Array(transformer.clone()));
            }
            let mut doc = json!({
                "id": connector_id(&id),
                "runtime": component.runtime,
                "enabled": enabled,
                "steps": steps,
            });
            if !description.is_empty() {
                doc["description"] = json!(description);
            }
            documents.push(doc);
        }
    }
    if documents.len() > 1 {
        let ids: Vec<&str> = documents.iter().filter_map(|d| d["id"].as_str()).collect();
        found.remark(format!(
            "connect runs one topic (and one table) per connector: `{key}` becomes {} connectors: {}",
            documents.len(),
            ids.join(", ")
        ));
    }
    Translation {
        documents,
        findings: found,
    }
}

/// The component of a config connect rendered itself. A value still masked (as GET shows
/// secrets) keeps the active version's value.
fn connect_component(
    config: &ConnectorConfig,
    kind: IggyKind,
    mut plugin_config: Map<String, Value>,
) -> Option<plugins::Target> {
    let step = match kind {
        IggyKind::Sink => config.steps.sink.as_ref(),
        IggyKind::Source => config.steps.source.as_ref(),
    }?;
    for (k, v) in plugin_config.iter_mut() {
        if v.as_str() == Some(connect_model::metadata::MASK)
            && let Some(current) = step.config.get(k)
        {
            *v = current.clone();
        }
    }
    Some(plugins::Target {
        runtime: config.runtime.to_string(),
        component: step.kind.clone(),
        variants: vec![(None, plugin_config)],
        batch_length: step.batch_length,
    })
}

/// A valid connector id from a key and suffixes: lowercase, other characters as `-`, at most
/// 63 characters.
pub(crate) fn connector_id(text: &str) -> String {
    let mut id: String = text
        .chars()
        .map(|c| {
            let c = c.to_ascii_lowercase();
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if !id.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        id.insert(0, 'c');
    }
    id.truncate(63);
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_names_come_from_the_library_path() {
        assert_eq!(
            plugin_name("target/release/libiggy_connector_stdout_sink"),
            "stdout_sink"
        );
        assert_eq!(
            plugin_name("/opt/libiggy_connector_random_source.so"),
            "random_source"
        );
        assert_eq!(connector_id("Stdout.Sink-Topic/1"), "stdout-sink-topic-1");
    }

    #[test]
    fn a_sink_with_two_topics_becomes_two_connectors() {
        let cfg = json!({
            "type": "sink", "key": "stdout", "enabled": true, "version": 0, "name": "Stdout sink",
            "path": "target/release/libiggy_connector_stdout_sink",
            "streams": [{"stream": "s", "topics": ["a", "b"], "schema": "json", "batch_length": 100, "poll_interval": "5ms", "consumer_group": "g"}],
            "plugin_config": {"print_payload": true},
        });
        let t = translate(IggyKind::Sink, "stdout", cfg.as_object().unwrap(), None);
        assert!(t.findings.clean(), "{:?}", t.findings);
        assert_eq!(t.documents.len(), 2);
        assert_eq!(t.documents[0]["id"], "stdout-a");
        assert_eq!(t.documents[1]["steps"]["consumer"]["topic"], "b");
        assert_eq!(t.documents[0]["steps"]["consumer"]["poll_interval"], "5ms");
        assert_eq!(t.documents[0]["steps"]["sink"]["type"], "stdout");
        for d in &t.documents {
            connect_model::document::decode::from_value(d.clone()).expect("decodes");
        }
        assert!(t.findings.remarks[0].contains("stdout-a, stdout-b"));
    }
}
