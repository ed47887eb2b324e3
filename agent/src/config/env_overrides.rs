//! `CONNECT_<SECTION>_<KEY>` variables override single keys of the file (`CONNECT_STATE_PATH`,
//! `CONNECT_IGGY_TLS_ENABLED`); the known names come from the defaults, so none is forgotten.

use toml::{Table, Value};

use super::AgentConfig;

/// The `CONNECT_<SECTION>_<KEY>` name of every setting.
fn setting_names() -> Vec<String> {
    let defaults = Table::try_from(AgentConfig::default()).expect("the default config serializes");
    let mut leaves = Vec::new();
    collect(&defaults, &mut Vec::new(), &mut leaves);
    leaves
        .into_iter()
        .map(|(path, _)| format!("CONNECT_{}", path.join("_").to_ascii_uppercase()))
        .collect()
}

/// A warning for every `CONNECT_*` name among `names` that is neither a setting nor one of the
/// variables that belong to others, naming the nearest setting.
pub(crate) fn unknown_variables<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let settings = setting_names();
    let names: Vec<&str> = names.collect();
    let iggy = super::iggy_keys::variable_warnings(&names, &settings);
    names
        .into_iter()
        .filter(|n| n.starts_with("CONNECT_"))
        .filter(|n| !settings.iter().any(|s| s == n) && !super::belongs_to_others(n))
        .map(|n| {
            let nearest = settings
                .iter()
                .min_by_key(|s| strsim::levenshtein(n, s))
                .expect("there are settings");
            format!("{n} is not a setting of the agent and is ignored; did you mean {nearest}?")
        })
        .chain(iggy)
        .collect()
}

/// Sets every overridden key in `table`; returns every bad value at once.
pub(super) fn apply(
    table: &mut Table,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), Vec<String>> {
    let defaults = Table::try_from(AgentConfig::default()).expect("the default config serializes");
    let mut leaves = Vec::new();
    collect(&defaults, &mut Vec::new(), &mut leaves);
    let mut errors = Vec::new();
    for (path, default) in leaves {
        let name = format!("CONNECT_{}", path.join("_").to_ascii_uppercase());
        let alias = super::iggy_keys::alias_of(&name);
        let Some(raw) = env(&name).or_else(|| alias.and_then(|a| env(&a))) else {
            continue;
        };
        let value = match default {
            Value::Boolean(_) => match raw.trim().to_ascii_lowercase().as_str() {
                "true" | "1" => Value::Boolean(true),
                "false" | "0" => Value::Boolean(false),
                _ => {
                    errors.push(format!("  {name}: `{raw}` is not true or false"));
                    continue;
                }
            },
            Value::Integer(_) => raw
                .trim()
                .parse::<i64>()
                .map(Value::Integer)
                .unwrap_or(Value::String(raw)),
            Value::Array(_) => Value::Array(
                raw.split(list_separator(&name))
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Value::String(s.into()))
                    .collect(),
            ),
            _ => Value::String(raw),
        };
        set(table, &path, value);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Lists of paths are colon-separated, like `PATH`; other lists comma-separated.
fn list_separator(name: &str) -> char {
    if name == "CONNECT_RUNTIMES_ALLOWED_PATHS" {
        connect_model::contract::allowed_paths::SEPARATOR
    } else {
        ','
    }
}

fn collect(table: &Table, prefix: &mut Vec<String>, out: &mut Vec<(Vec<String>, Value)>) {
    for (k, v) in table {
        prefix.push(k.clone());
        match v {
            Value::Table(t) => collect(t, prefix, out),
            other => out.push((prefix.clone(), other.clone())),
        }
        prefix.pop();
    }
}

fn set(table: &mut Table, path: &[String], value: Value) {
    let (last, parents) = path.split_last().expect("leaf paths are never empty");
    let mut t = table;
    for p in parents {
        let entry = t
            .entry(p.clone())
            .or_insert_with(|| Value::Table(Table::new()));
        if !entry.is_table() {
            *entry = Value::Table(Table::new());
        }
        t = entry.as_table_mut().expect("made a table above");
    }
    t.insert(last.clone(), value);
}

#[cfg(test)]
mod tests {
    use super::unknown_variables;

    #[test]
    fn unknown_names_are_warned_with_the_nearest_setting_and_others_names_are_not() {
        let warnings = unknown_variables(
            [
                "CONNECT_HTTP_PORT",
                "CONNECT_HTTP_ADDRESS",
                "CONNECT_AGENT_URL",
                "CONNECT_API_KEY",
                "CONNECT_STATE_DIR",
                "CONNECT_LOG_LEVEL",
                "CONNECT_TEST_IGGY_ADDRESS",
                "CONNECT_CONFIG_PATH",
                "PATH",
            ]
            .into_iter(),
        );
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].starts_with("CONNECT_HTTP_PORT is not a setting")
                && warnings[0].contains("CONNECT_HTTP_"),
            "{warnings:?}"
        );
    }
}
