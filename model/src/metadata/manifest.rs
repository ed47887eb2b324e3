//! `.connect/runtime.yml`: who a runtime is, where its image lives, who wrote it.

use serde::{Deserialize, Serialize};

use crate::validation::FieldErrors;

/// The only `model_version` this SDK reads.
pub const MODEL_VERSION: &str = "1";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RuntimeManifest {
    pub model_version: String,
    pub name: String,
    pub label: String,
    pub version: String,
    /// `docker:REF`, `nex:REF` or a bare reference (a Docker image).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    pub author: Author,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metrics: Option<MetricsEndpoint>,
    /// File name of the runtime binary next to `.connect/` (default: `name`). An extension of
    /// Synadia's format that lets the agent run runtimes as local processes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executable: Option<String>,
    /// The runtime's own components reach Iggy with the agent's default connection
    /// (`CONNECT_IGGY_*`), so the agent passes its Iggy credentials to every connector of the
    /// runtime, not only to those with a `consumer` or `producer` step.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub uses_iggy: bool,
    /// The runtime contract version the runtime speaks (default 1); the agent refuses document
    /// keys a runtime of an older version does not understand (`errors` needs 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract_version: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Author {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MetricsEndpoint {
    pub port: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}

/// Where the image of a runtime lives, by the prefix of `image`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "reference", rename_all = "lowercase")]
pub enum ImageRef<'a> {
    Docker(&'a str),
    Nex(&'a str),
}

impl RuntimeManifest {
    pub fn image_ref(&self) -> Option<ImageRef<'_>> {
        let image = self.image.as_deref()?;
        Some(if let Some(r) = image.strip_prefix("docker:") {
            ImageRef::Docker(r)
        } else if let Some(r) = image.strip_prefix("nex:") {
            ImageRef::Nex(r)
        } else {
            ImageRef::Docker(image)
        })
    }

    /// The runtime contract version the runtime declares; 1 when `runtime.yml` does not say.
    pub fn contract_version(&self) -> u32 {
        self.contract_version.unwrap_or(1)
    }

    /// The binary's file name.
    pub fn executable(&self) -> &str {
        self.executable.as_deref().unwrap_or(&self.name)
    }

    pub(crate) fn validate(&self) -> FieldErrors {
        let mut errors = FieldErrors::default();
        if self.model_version != MODEL_VERSION {
            errors.push(
                "model_version",
                format!(
                    "must be \"{MODEL_VERSION}\", got \"{}\"",
                    self.model_version
                ),
            );
        }
        if crate::document::id::RuntimeRef::try_from(self.name.clone())
            .map(|r| r.version().is_some())
            .unwrap_or(true)
        {
            errors.push("name", "use 1 to 63 characters of a-z, 0-9, `_` and `-`");
        }
        if !is_semver(&self.version) {
            errors.push(
                "version",
                format!("`{}` is not a SemVer version like 1.2.3", self.version),
            );
        }
        if self.author.name.trim().is_empty() {
            errors.push("author.name", "must not be empty");
        }
        if let Some(ImageRef::Docker("") | ImageRef::Nex("")) = self.image_ref() {
            errors.push("image", "the image reference after the prefix is empty");
        }
        if let Some(v) = self.contract_version
            && (v == 0 || v > crate::contract::CONTRACT_VERSION)
        {
            errors.push(
                "contract_version",
                format!(
                    "must be between 1 and {} (the newest contract this build knows), got {v}",
                    crate::contract::CONTRACT_VERSION
                ),
            );
        }
        if let Some(exe) = &self.executable
            && (exe.is_empty() || exe.contains('/'))
        {
            errors.push("executable", "must be a plain file name next to .connect/");
        }
        errors
    }
}

fn is_semver(v: &str) -> bool {
    let core = v.split(['-', '+']).next().unwrap_or("");
    let parts: Vec<_> = core.split('.').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_prefixes_select_the_kind() {
        let mut m: RuntimeManifest = crate::yaml::from_str(
            "model_version: \"1\"\nname: vanilla\nlabel: Vanilla\nversion: 0.0.1\nauthor: {name: x}\nimage: nex:IMAGES/vanilla/latest\n",
        )
        .unwrap();
        assert_eq!(m.image_ref(), Some(ImageRef::Nex("IMAGES/vanilla/latest")));
        m.image = Some("ghcr.io/x:latest".into());
        assert_eq!(m.image_ref(), Some(ImageRef::Docker("ghcr.io/x:latest")));
        m.image = Some("docker:ghcr.io/x".into());
        assert_eq!(m.image_ref(), Some(ImageRef::Docker("ghcr.io/x")));
        assert!(m.validate().is_empty());
        assert_eq!(m.executable(), "vanilla");
    }

    #[test]
    fn rejects_bad_versions_and_names() {
        let m: RuntimeManifest = crate::yaml::from_str(
            "model_version: \"2\"\nname: Bad/Name\nlabel: x\nversion: one\nauthor: {name: \"\"}\nexecutable: ../x\n",
        )
        .unwrap();
        let paths: Vec<_> = m.validate().iter().map(|e| e.path.clone()).collect();
        assert_eq!(
            paths,
            [
                "model_version",
                "name",
                "version",
                "author.name",
                "executable"
            ]
        );
    }
}
