//! The Iggy connectors runtime's own config keys and variables, so its `config.toml` starts
//! the agent: a named list of keys connect does not have (warned, then ignored; every other
//! unknown key stays an error), `IGGY_CONNECTORS_<SECTION>_<KEY>` as deprecated aliases of
//! `CONNECT_<SECTION>_<KEY>`, and its per-connector variables reported as unsupported.

use toml::Table;

/// Iggy runtime keys without a counterpart here (dotted paths), and what to use instead.
pub(crate) const IGGY_ONLY_KEYS: [(&str, &str); 10] = [
    (
        "http.metrics",
        "the agent always serves Prometheus text at GET /metrics",
    ),
    (
        "logging",
        "set the log format and level in [logs] format and level",
    ),
    (
        "telemetry.logs",
        "set the OTLP endpoint in [telemetry] endpoint",
    ),
    (
        "telemetry.traces",
        "set the OTLP endpoint in [telemetry] endpoint",
    ),
    (
        "connectors.base_url",
        "connect reads connectors from [connectors] config_dir only",
    ),
    (
        "connectors.timeout",
        "connect reads connectors from [connectors] config_dir only",
    ),
    (
        "connectors.request_headers",
        "connect reads connectors from [connectors] config_dir only",
    ),
    (
        "connectors.url_templates",
        "connect reads connectors from [connectors] config_dir only",
    ),
    (
        "connectors.response",
        "connect reads connectors from [connectors] config_dir only",
    ),
    (
        "connectors.retry",
        "connect reads connectors from [connectors] config_dir only",
    ),
];

/// The prefix of the Iggy runtime's variables.
pub(crate) const IGGY_PREFIX: &str = "IGGY_CONNECTORS_";

/// Removes the keys of [`IGGY_ONLY_KEYS`] present in `table`; one warning per key removed.
pub(crate) fn strip(table: &mut Table) -> Vec<String> {
    let mut warnings = Vec::new();
    for (path, instead) in IGGY_ONLY_KEYS {
        let (parent, leaf) = match path.rsplit_once('.') {
            Some((p, l)) => (Some(p), l),
            None => (None, path),
        };
        let holder = match parent {
            None => Some(&mut *table),
            Some(p) => table.get_mut(p).and_then(toml::Value::as_table_mut),
        };
        if holder.and_then(|t| t.remove(leaf)).is_some() {
            warnings.push(format!(
                "[{path}] is an Iggy connectors runtime setting connect does not have and is ignored; {instead}"
            ));
        }
    }
    warnings
}

/// The Iggy name of a `CONNECT_<SECTION>_<KEY>` setting variable.
pub(crate) fn alias_of(connect_name: &str) -> Option<String> {
    connect_name
        .strip_prefix("CONNECT_")
        .map(|rest| format!("{IGGY_PREFIX}{rest}"))
}

/// A warning for every `IGGY_CONNECTORS_*` name among `names`: a deprecated alias of a
/// setting in `settings`, a per-connector variable (unsupported), or an unknown one.
pub(crate) fn variable_warnings(names: &[&str], settings: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for name in names {
        let Some(rest) = name.strip_prefix(IGGY_PREFIX) else {
            continue;
        };
        let ours = format!("CONNECT_{rest}");
        if rest.starts_with("SINK_") || rest.starts_with("SOURCE_") {
            out.push(format!(
                "{name} is one of the Iggy runtime's per-connector variables, which connect does not support and ignores; put the value in the connector document (`connect-agent import iggy` writes them), with ${{env:…}} references for secrets"
            ));
        } else if settings.contains(&ours) || ours == super::CONFIG_PATH_VAR {
            out.push(format!(
                "{name} is deprecated: it is read as {ours}; rename it (a {ours} that is also set wins)"
            ));
        } else {
            out.push(format!(
                "{name} is not a setting connect knows and is ignored"
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_iggy_keys_are_stripped_and_warned_and_nothing_else() {
        let mut table: Table = toml::from_str(
            "[http]\nenabled = true\n[http.metrics]\nenabled = false\n[logging]\nformat = \"text\"\n[telemetry]\nenabled = false\n[telemetry.logs]\nendpoint = \"x\"\n[state]\npaht = \"typo\"\n",
        )
        .unwrap();
        let warnings = strip(&mut table);
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].starts_with("[http.metrics]"), "{warnings:?}");
        assert!(table["http"].get("metrics").is_none());
        assert!(table.get("logging").is_none());
        assert!(
            table["state"].get("paht").is_some(),
            "a typo is not an Iggy key"
        );
    }

    #[test]
    fn iggy_variables_are_aliases_or_reported() {
        let settings = vec!["CONNECT_HTTP_ADDRESS".to_string()];
        let w = variable_warnings(
            &[
                "IGGY_CONNECTORS_HTTP_ADDRESS",
                "IGGY_CONNECTORS_SINK_STDOUT_ENABLED",
                "IGGY_CONNECTORS_NOPE",
                "PATH",
            ],
            &settings,
        );
        assert_eq!(w.len(), 3, "{w:?}");
        assert!(w[0].contains("deprecated") && w[0].contains("CONNECT_HTTP_ADDRESS"));
        assert!(w[1].contains("per-connector") && w[1].contains("does not support"));
        assert!(w[2].contains("not a setting"));
        assert_eq!(
            alias_of("CONNECT_STATE_PATH").as_deref(),
            Some("IGGY_CONNECTORS_STATE_PATH")
        );
    }
}
