//! The definition checks every runtime's tests run, in one line per component: the config
//! type of each component reads exactly the fields its `.connect` file declares (both ways),
//! a minimal and a full config built from the declared defaults and examples validate and
//! build, unknown keys are refused, every example connector of the runtime validates, the
//! registry registers what `.connect` defines, and `runtime.yml`'s version is the crate's.
//!
//! ```ignore
//! #[test]
//! fn definitions_match_the_config_types() {
//!     connect_runtime_sdk::testing::check_definitions(crate::components().metadata().clone())
//!         .source_built("ticks", Ticks::new)
//!         .sink::<PrintConfig>("print")
//!         .examples(concat!(env!("CARGO_MANIFEST_DIR"), "/examples"))
//!         .registered(&crate::components())
//!         .crate_version(env!("CARGO_PKG_VERSION"))
//!         .check();
//! }
//! ```

use std::collections::BTreeSet;
use std::fmt::Display;
use std::path::PathBuf;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::document::{ComponentKind, decode};
use crate::metadata::{
    FieldKind, FieldSpec, FieldType, RuntimeMetadata, config_fields, validate_config,
    validate_connector,
};

type Build = Box<dyn Fn(Value) -> Result<(), String>>;

struct Component {
    kind: ComponentKind,
    name: &'static str,
    reads: &'static [&'static str],
    build: Build,
    /// Fields left out of the full config because they exclude others.
    not_in_full: &'static [&'static str],
}

/// The checks of one runtime's definitions; add each component, then [`Definitions::check`].
pub struct Definitions {
    metadata: RuntimeMetadata,
    components: Vec<Component>,
    examples: Option<PathBuf>,
    /// Problems found by the builder steps themselves (registry, version).
    found: Vec<String>,
}

/// Starts the checks for a runtime's definitions (usually `embed_connect!()`).
pub fn check_definitions(metadata: RuntimeMetadata) -> Definitions {
    Definitions {
        metadata,
        components: Vec::new(),
        examples: None,
        found: Vec::new(),
    }
}

impl Definitions {
    /// A source whose config type is `C`; built means decoded.
    pub fn source<C: DeserializeOwned + 'static>(self, name: &'static str) -> Self {
        self.add::<C, _, _, String>(ComponentKind::Source, name, |_| Ok(()))
    }

    /// A sink whose config type is `C`; built means decoded.
    pub fn sink<C: DeserializeOwned + 'static>(self, name: &'static str) -> Self {
        self.add::<C, _, _, String>(ComponentKind::Sink, name, |_| Ok(()))
    }

    /// A source whose config type is `C`, also built (without I/O) by `build`.
    pub fn source_built<C, T, E>(
        self,
        name: &'static str,
        build: impl Fn(C) -> Result<T, E> + 'static,
    ) -> Self
    where
        C: DeserializeOwned + 'static,
        E: Display,
    {
        self.add(ComponentKind::Source, name, build)
    }

    /// A sink whose config type is `C`, also built (without I/O) by `build`.
    pub fn sink_built<C, T, E>(
        self,
        name: &'static str,
        build: impl Fn(C) -> Result<T, E> + 'static,
    ) -> Self
    where
        C: DeserializeOwned + 'static,
        E: Display,
    {
        self.add(ComponentKind::Sink, name, build)
    }

    /// The runtime's registry registers exactly the components `.connect` defines.
    pub fn registered(mut self, components: &crate::Components) -> Self {
        self.found.extend(components.mismatches());
        self
    }

    /// `runtime.yml`'s version is the crate's (`env!("CARGO_PKG_VERSION")`).
    pub fn crate_version(mut self, version: &str) -> Self {
        let declared = &self.metadata.runtime.version;
        if declared != version {
            self.found.push(format!(
                "runtime.yml says version {declared}, the crate is {version}: keep them equal"
            ));
        }
        self
    }

    /// Connector documents (`*.yml`) of which those naming this runtime must validate and build.
    pub fn examples(mut self, dir: impl Into<PathBuf>) -> Self {
        self.examples = Some(dir.into());
        self
    }

    fn add<C, T, F, E>(mut self, kind: ComponentKind, name: &'static str, build: F) -> Self
    where
        C: DeserializeOwned + 'static,
        F: Fn(C) -> Result<T, E> + 'static,
        E: Display,
    {
        self.components.push(Component {
            kind,
            name,
            reads: config_fields::<C>(),
            build: Box::new(move |v| {
                let config: C = serde_json::from_value(v).map_err(|e| e.to_string())?;
                build(config).map(drop).map_err(|e| e.to_string())
            }),
            not_in_full: &[],
        });
        self
    }

    /// Leaves these fields of the component added last out of its full config, because they
    /// exclude others (a token instead of a username and password).
    pub fn not_in_full(mut self, fields: &'static [&'static str]) -> Self {
        if let Some(c) = self.components.last_mut() {
            c.not_in_full = fields;
        }
        self
    }

    /// Runs every check; panics listing every problem found.
    pub fn check(self) {
        let mut problems = self.found.clone();
        self.check_registered(&mut problems);
        for c in &self.components {
            let Some(spec) = self.metadata.component(c.kind, c.name) else {
                continue;
            };
            self.check_fields(c, &spec.fields, &mut problems);
        }
        self.check_examples(&mut problems);
        assert!(
            problems.is_empty(),
            "the `{}` runtime's definitions and code disagree:\n  - {}",
            self.metadata.runtime.name,
            problems.join("\n  - ")
        );
    }

    fn check_registered(&self, problems: &mut Vec<String>) {
        for kind in [ComponentKind::Source, ComponentKind::Sink] {
            let defined: BTreeSet<&str> = self
                .metadata
                .components(kind)
                .keys()
                .map(String::as_str)
                .collect();
            let checked: BTreeSet<&str> = self
                .components
                .iter()
                .filter(|c| c.kind == kind)
                .map(|c| c.name)
                .collect();
            for name in defined.difference(&checked) {
                problems.push(format!(
                    "{} `{name}` is defined in .connect but not checked: add it to check_definitions",
                    kind.step_name()
                ));
            }
            for name in checked.difference(&defined) {
                problems.push(format!(
                    "{} `{name}` has no .connect/{}/{name}.yml",
                    kind.step_name(),
                    kind.dir_name()
                ));
            }
        }
    }

    fn check_fields(&self, c: &Component, fields: &[FieldSpec], problems: &mut Vec<String>) {
        let what = format!("{} `{}`", c.kind.step_name(), c.name);
        let declared: BTreeSet<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        let read: BTreeSet<&str> = c.reads.iter().copied().collect();
        for f in read.difference(&declared) {
            problems.push(format!(
                "{what}: its config type reads `{f}`, which .connect does not declare"
            ));
        }
        for f in declared.difference(&read) {
            problems.push(format!(
                "{what}: .connect declares `{f}`, which its config type does not read"
            ));
        }
        let minimal: Map<String, Value> = fields
            .iter()
            .filter(|f| f.default.is_none() && !f.optional)
            .map(|f| (f.name.clone(), sample(f)))
            .collect();
        let full: Map<String, Value> = fields
            .iter()
            .filter(|f| !c.not_in_full.contains(&f.name.as_str()))
            .map(|f| (f.name.clone(), sample(f)))
            .collect();
        for (kind, config) in [("minimal", minimal), ("full", full)] {
            let filled = match validate_config(fields, &config, "config") {
                Ok(filled) => filled,
                Err(e) => {
                    problems.push(format!(
                        "{what}: the {kind} config {config:?} is invalid: {e}"
                    ));
                    continue;
                }
            };
            if let Err(e) = (c.build)(Value::Object(filled.clone())) {
                problems.push(format!("{what}: the {kind} config does not build: {e}"));
            } else if kind == "minimal" {
                let mut unknown = filled;
                unknown.insert("__not_a_field__".into(), Value::Bool(true));
                if (c.build)(Value::Object(unknown)).is_ok() {
                    problems.push(format!(
                        "{what}: its config type accepts unknown keys; add #[serde(deny_unknown_fields)]"
                    ));
                }
            }
        }
    }

    fn check_examples(&self, problems: &mut Vec<String>) {
        let Some(dir) = &self.examples else { return };
        let mut paths: Vec<PathBuf> = match std::fs::read_dir(dir) {
            Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => return problems.push(format!("cannot read {}: {e}", dir.display())),
        };
        paths.retain(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"));
        paths.sort();
        let mut mine = 0;
        for path in paths {
            let shown = path.display();
            let text = match std::fs::read_to_string(&path) {
                Ok(t) => t,
                Err(e) => {
                    problems.push(format!("{shown}: {e}"));
                    continue;
                }
            };
            let config = match decode::from_str(&text) {
                Ok(c) => c,
                Err(e) => {
                    problems.push(format!("{shown}: {e}"));
                    continue;
                }
            };
            if config.runtime.name() != self.metadata.runtime.name {
                continue;
            }
            mine += 1;
            let filled = match validate_connector(&config, &self.metadata) {
                Ok(f) => f,
                Err(e) => {
                    problems.push(format!("{shown}: {e}"));
                    continue;
                }
            };
            for (kind, step) in filled.steps.components() {
                let c = self
                    .components
                    .iter()
                    .find(|c| c.kind == kind && c.name == step.kind);
                if let Some(c) = c
                    && let Err(e) = (c.build)(Value::Object(step.config.clone()))
                {
                    problems.push(format!("{shown}: {e}"));
                }
            }
        }
        if mine == 0 {
            problems.push(format!(
                "{} holds no example connector for this runtime",
                dir.display()
            ));
        }
    }
}

/// A value for a field: its first example, else its default, else one that fits its type.
fn sample(f: &FieldSpec) -> Value {
    if let Some(ex) = f.examples.first() {
        return match (f.kind, ex) {
            (FieldKind::List, v) if !v.is_array() => Value::Array(vec![v.clone()]),
            (_, v) => v.clone(),
        };
    }
    if let Some(d) = &f.default {
        return d.clone();
    }
    let one = match f.field_type {
        FieldType::Bool => Value::Bool(true),
        FieldType::Int => Value::from(1),
        FieldType::Float => Value::from(1.5),
        FieldType::Duration => Value::from("1s"),
        FieldType::Object => Value::Object(Map::new()),
        _ => Value::from("text"),
    };
    match f.kind {
        FieldKind::Scalar => one,
        FieldKind::List => Value::Array(vec![one]),
        FieldKind::Map => Value::Object(Map::from_iter([("key".to_string(), one)])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Reads {
        rate: u32,
        extra: Option<String>,
    }

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Lenient {
        rate: u32,
    }

    fn metadata() -> RuntimeMetadata {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in [
            (
                "runtime.yml",
                "model_version: \"1\"\nname: t\nlabel: T\nversion: 0.1.0\nauthor: { name: t }\n",
            ),
            (
                "sources/ticks.yml",
                "name: ticks\nlabel: Ticks\nkind: source\nstatus: experimental\nfields:\n  - { name: rate, label: Rate, type: int, default: 1 }\n  - { name: burst, label: Burst, type: int, optional: true }\n",
            ),
            (
                "sinks/print.yml",
                "name: print\nlabel: Print\nkind: sink\nstatus: experimental\nfields:\n  - { name: rate, label: Rate, type: int, default: 1 }\n",
            ),
        ] {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        RuntimeMetadata::load_dir(dir.path()).unwrap()
    }

    #[test]
    fn every_disagreement_is_named_at_once() {
        let outcome = std::panic::catch_unwind(|| {
            check_definitions(metadata())
                .source::<Reads>("ticks")
                .sink::<Lenient>("print")
                .source::<Lenient>("ghost")
                .crate_version("9.9.9")
                .check();
        });
        let message = *outcome.unwrap_err().downcast::<String>().unwrap();
        for expected in [
            "reads `extra`, which .connect does not declare",
            "declares `burst`, which its config type does not read",
            "sink `print`: its config type accepts unknown keys",
            "source `ghost` has no .connect/sources/ghost.yml",
            "runtime.yml says version 0.1.0, the crate is 9.9.9",
        ] {
            assert!(
                message.contains(expected),
                "{expected:?} missing in:\n{message}"
            );
        }
    }

    #[test]
    fn agreeing_definitions_pass() {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Ticks {
            rate: u32,
            burst: Option<u32>,
        }
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Print {
            rate: u32,
        }
        check_definitions(metadata())
            .source::<Ticks>("ticks")
            .sink::<Print>("print")
            .crate_version("0.1.0")
            .check();
    }
}
