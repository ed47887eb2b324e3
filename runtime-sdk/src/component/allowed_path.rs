//! The runtime's half of the file-access policy: a path field's value, references resolved,
//! must lie inside the roots the agent passed in `CONNECT_ALLOWED_PATHS` (its allowed paths
//! plus the connector's state directory). The one helper every file component calls before
//! opening a path; no variable means no policy.

use std::path::Path;

use crate::component::ComponentError;
use crate::contract::AllowedPaths;
use crate::contract::env::{Env, ProcessEnv, vars};

/// `Ok` when `path` (the value of `field`) is allowed; otherwise the runtime's config is invalid
/// (exit 78) with a message naming the field, the resolved path and the roots.
pub fn check_allowed_path(field: &str, path: &Path) -> Result<(), ComponentError> {
    check_with(&ProcessEnv, field, path)
}

pub(crate) fn check_with(env: &dyn Env, field: &str, path: &Path) -> Result<(), ComponentError> {
    let Some(roots) = env.var(vars::ALLOWED_PATHS) else {
        return Ok(());
    };
    // Relative paths mean what they mean to the kernel: against the working directory, which
    // the agent sets to its base directory.
    let base = std::env::current_dir().unwrap_or_else(|_| "/".into());
    AllowedPaths::parse(&roots)
        .check(&path.to_string_lossy(), &base)
        .map(|_| ())
        .map_err(|e| ComponentError::invalid_config(format!("{field}: {e}")))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn paths_outside_the_roots_are_invalid_config_and_no_variable_allows_all() {
        let dir = tempfile::tempdir().unwrap();
        let inside = dir.path().join("out/x.log");
        let none = BTreeMap::new();
        assert!(check_with(&none, "path", Path::new("/etc/passwd")).is_ok());
        let env = BTreeMap::from([(
            vars::ALLOWED_PATHS.to_string(),
            dir.path().display().to_string(),
        )]);
        assert!(check_with(&env, "path", &inside).is_ok());
        let e = check_with(&env, "steps.sink.config.path", Path::new("/etc/passwd")).unwrap_err();
        assert!(matches!(e, ComponentError::InvalidConfig(_)));
        let text = e.to_string();
        assert!(
            text.contains("steps.sink.config.path")
                && text.contains("/etc/passwd")
                && text.contains(&dir.path().display().to_string()),
            "{text}"
        );
    }
}
