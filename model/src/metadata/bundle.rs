//! A runtime's whole `.connect` directory: its manifest plus its source and sink definitions,
//! read from disk (by the agent) or embedded in the binary (by the runtime itself).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::component_spec::{ComponentSpec, SpecKind};
use super::manifest::RuntimeManifest;
use crate::document::ComponentKind;
use crate::validation::FieldErrors;

#[derive(Debug, thiserror::Error)]
pub enum MetadataError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not valid YAML for this file: {message}")]
    Syntax { path: PathBuf, message: String },
    #[error("{path}: invalid definition:\n{errors}")]
    Invalid { path: PathBuf, errors: FieldErrors },
}

/// The parsed `.connect` directory of one runtime.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct RuntimeMetadata {
    pub runtime: RuntimeManifest,
    pub sources: BTreeMap<String, ComponentSpec>,
    pub sinks: BTreeMap<String, ComponentSpec>,
}

impl RuntimeMetadata {
    /// Reads `<dir>/runtime.yml`, `<dir>/sources/*.yml` and `<dir>/sinks/*.yml` (also `.yaml`).
    pub fn load_dir(dir: &Path) -> Result<Self, MetadataError> {
        let read = |p: &Path| {
            std::fs::read_to_string(p).map_err(|source| MetadataError::Read {
                path: p.to_path_buf(),
                source,
            })
        };
        let manifest_path = dir.join("runtime.yml");
        let mut files = vec![(manifest_path.clone(), read(&manifest_path)?)];
        for sub in ["sources", "sinks"] {
            let d = dir.join(sub);
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            let mut paths: Vec<_> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| is_yaml(p))
                .collect();
            paths.sort();
            for p in paths {
                let text = read(&p)?;
                files.push((p, text));
            }
        }
        Self::from_files(files.iter().map(|(p, t)| (p.as_path(), t.as_str())))
    }

    /// Reads a `.connect` directory embedded with [`include_dir::include_dir!`].
    pub fn from_embedded(dir: &include_dir::Dir<'_>) -> Result<Self, MetadataError> {
        let mut files: Vec<(PathBuf, &str)> = Vec::new();
        collect_embedded(dir, &mut files);
        Self::from_files(files.iter().map(|(p, t)| (p.as_path(), *t)))
    }

    /// Parses files named relative to the `.connect` directory (`runtime.yml`, `sources/x.yml`).
    fn from_files<'a>(
        files: impl Iterator<Item = (&'a Path, &'a str)>,
    ) -> Result<Self, MetadataError> {
        let mut runtime = None;
        let mut sources = BTreeMap::new();
        let mut sinks = BTreeMap::new();
        for (path, text) in files {
            let parent = path
                .parent()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str())
                .unwrap_or("");
            if path.file_name().and_then(|n| n.to_str()) == Some("runtime.yml")
                && parent != "sources"
                && parent != "sinks"
            {
                let m: RuntimeManifest = parse(path, text)?;
                invalid_if_any(path, m.validate())?;
                runtime = Some(m);
                continue;
            }
            let (expected, map) = match parent {
                "sources" => (SpecKind::Source, &mut sources),
                "sinks" => (SpecKind::Sink, &mut sinks),
                _ => continue,
            };
            let spec: ComponentSpec = parse(path, text)?;
            let mut errors = spec.validate();
            if spec.kind != expected {
                errors.push(
                    "kind",
                    format!("a file under {parent}/ must have kind {:?}", expected).to_lowercase(),
                );
            }
            if map.contains_key(&spec.name) {
                errors.push(
                    "name",
                    format!("another file already defines `{}`", spec.name),
                );
            }
            invalid_if_any(path, errors)?;
            map.insert(spec.name.clone(), spec);
        }
        let runtime = runtime.ok_or_else(|| MetadataError::Read {
            path: PathBuf::from("runtime.yml"),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "every .connect directory needs a runtime.yml",
            ),
        })?;
        Ok(Self {
            runtime,
            sources,
            sinks,
        })
    }

    pub fn component(&self, kind: ComponentKind, name: &str) -> Option<&ComponentSpec> {
        match kind {
            ComponentKind::Source => self.sources.get(name),
            ComponentKind::Sink => self.sinks.get(name),
        }
    }

    pub fn components(&self, kind: ComponentKind) -> &BTreeMap<String, ComponentSpec> {
        match kind {
            ComponentKind::Source => &self.sources,
            ComponentKind::Sink => &self.sinks,
        }
    }
}

fn is_yaml(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
}

fn collect_embedded<'a>(dir: &'a include_dir::Dir<'a>, out: &mut Vec<(PathBuf, &'a str)>) {
    for f in dir.files() {
        if is_yaml(f.path())
            && let Some(text) = f.contents_utf8()
        {
            out.push((f.path().to_path_buf(), text));
        }
    }
    for d in dir.dirs() {
        collect_embedded(d, out);
    }
}

fn parse<T: serde::de::DeserializeOwned>(path: &Path, text: &str) -> Result<T, MetadataError> {
    let value: serde_json::Value =
        crate::yaml::from_str(text).map_err(|e| MetadataError::Syntax {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    serde_path_to_error::deserialize(value).map_err(|e| MetadataError::Syntax {
        path: path.to_path_buf(),
        message: format!("{}: {}", e.path(), e.inner()),
    })
}

fn invalid_if_any(path: &Path, errors: FieldErrors) -> Result<(), MetadataError> {
    if errors.is_empty() {
        Ok(())
    } else {
        Err(MetadataError::Invalid {
            path: path.to_path_buf(),
            errors,
        })
    }
}
