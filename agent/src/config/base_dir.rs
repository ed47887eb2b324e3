//! The one rule for relative paths in the agent's config (`[runtimes] paths`, `bin_dirs` and
//! `allowed_paths`,
//! `[state] path`, `[connectors] config_dir`, `[logs] path`, `[supervisor] socket`, TLS files),
//! whether written in the file or given by a `CONNECT_*` override: they resolve against the
//! agent's base directory — the parent of `.connect/` when the file is `.connect/agent.toml`
//! (the project root), otherwise the config file's directory, and with no config file the
//! current directory.

use std::path::{Path, PathBuf};

use super::{AgentConfig, ConfigSource};

/// The base directory for this config source.
pub(super) fn of(source: &ConfigSource) -> PathBuf {
    let here = || std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    match source {
        ConfigSource::Defaults => here(),
        ConfigSource::File(file) => {
            let file = std::path::absolute(file).unwrap_or_else(|_| file.clone());
            let dir = file.parent().map(Path::to_path_buf).unwrap_or_else(here);
            if dir.file_name().is_some_and(|n| n == ".connect") {
                dir.parent().map(Path::to_path_buf).unwrap_or(dir)
            } else {
                dir
            }
        }
    }
}

/// Makes every relative path of `config` absolute against `base`.
pub(super) fn resolve(config: &mut AgentConfig, base: &Path) {
    let path = |p: &mut PathBuf| {
        if !p.as_os_str().is_empty() && p.is_relative() {
            *p = base.join(&*p);
        }
    };
    let text = |p: &mut String| {
        if !p.is_empty() && Path::new(p.as_str()).is_relative() {
            *p = base.join(p.as_str()).display().to_string();
        }
    };
    path(&mut config.state.path);
    path(&mut config.connectors.config_dir);
    path(&mut config.logs.path);
    path(&mut config.supervisor.socket);
    config.runtimes.paths.iter_mut().for_each(path);
    config.runtimes.bin_dirs.iter_mut().for_each(path);
    config.runtimes.allowed_paths.iter_mut().for_each(path);
    text(&mut config.iggy.tls.ca_file);
    text(&mut config.http.tls.cert_file);
    text(&mut config.http.tls.key_file);
    config.base_dir = base.to_path_buf();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(file: &Path, text: &str, env: &[(&str, &str)]) -> AgentConfig {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
        let env: std::collections::BTreeMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        super::super::load(&ConfigSource::File(file.to_path_buf()), &|k| {
            env.get(k).cloned()
        })
        .unwrap()
    }

    #[test]
    fn relative_paths_resolve_against_the_project_root_or_the_file_s_directory() {
        let root = tempfile::tempdir().unwrap();
        let text = "[state]\npath = \"st\"\n[runtimes]\npaths = [\"runtimes\"]\nbin_dirs = [\"target/release\", \"/abs/bin\"]\n[connectors]\nconfig_dir = \".connect/connectors\"\n";
        // .connect/agent.toml: the project root (the parent of .connect/).
        let c = load(&root.path().join("proj/.connect/agent.toml"), text, &[]);
        let proj = root.path().join("proj");
        assert_eq!(c.base_dir, proj);
        assert_eq!(c.state.path, proj.join("st"));
        assert_eq!(c.runtimes.paths, [proj.join("runtimes")]);
        assert_eq!(
            c.runtimes.bin_dirs,
            [proj.join("target/release"), PathBuf::from("/abs/bin")]
        );
        assert_eq!(c.connectors.config_dir, proj.join(".connect/connectors"));
        // Any other file: its own directory; overrides follow the same rule.
        let c = load(
            &root.path().join("etc/agent.toml"),
            text,
            &[("CONNECT_STATE_PATH", "other-state")],
        );
        assert_eq!(c.state.path, root.path().join("etc/other-state"));
    }
}
