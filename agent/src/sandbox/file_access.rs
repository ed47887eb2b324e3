//! `[runtimes] allowed_paths` at validation: every literal path field of a connector (component
//! fields of type `path`, the dead-letter file) must resolve inside an allowed root or the
//! connector's own state directory, relative paths against the agent's base directory (the
//! runtimes' working directory). References are checked by the runtime once resolved.

use std::path::{Path, PathBuf};

use connect_model::ConnectorConfig;
use connect_model::RuntimeMetadata;
use connect_model::contract::AllowedPaths;
use connect_model::metadata::check_paths;
use connect_model::validation::FieldErrors;

use crate::config::AgentConfig;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileAccess {
    pub allowed: AllowedPaths,
    /// `<state>/connectors`: a connector's state directory is `<state_root>/<id>`.
    pub state_root: PathBuf,
    pub base: PathBuf,
}

impl FileAccess {
    /// The policy of this config; `None` when `allowed_paths` is empty (any path).
    pub(crate) fn from_config(config: &AgentConfig) -> Option<Self> {
        if config.runtimes.allowed_paths.is_empty() {
            return None;
        }
        let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
        Some(Self {
            allowed: AllowedPaths::new(config.runtimes.allowed_paths.iter().map(|p| absolute(p))),
            state_root: absolute(&config.state.path.join("connectors")),
            base: absolute(if config.base_dir.as_os_str().is_empty() {
                Path::new(".")
            } else {
                &config.base_dir
            }),
        })
    }

    /// The roots a runtime is given in `CONNECT_ALLOWED_PATHS`: the allowed ones and its state directory.
    pub(crate) fn for_runtime(&self, state_dir: &Path) -> AllowedPaths {
        self.allowed.with(state_dir)
    }

    /// Every path field of `config` outside the allowed roots and its state directory.
    pub(crate) fn check(
        &self,
        config: &ConnectorConfig,
        metadata: &RuntimeMetadata,
    ) -> FieldErrors {
        let state_dir = self.state_root.join(config.id.as_str());
        check_paths(config, metadata, &self.allowed, &state_dir, &self.base)
    }
}
