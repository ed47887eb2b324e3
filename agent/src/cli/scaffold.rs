//! `connect-agent runtime new NAME`: a runtime crate to start from — manifest, one example source
//! and sink with their config types and `.connect` definitions, the definition check, an example
//! connector and a README — written whole or not at all.

use std::path::{Path, PathBuf};

use super::error::CliError;

const FILES: [(&str, &str); 7] = [
    ("Cargo.toml", include_str!("scaffold/Cargo.toml.tmpl")),
    ("src/main.rs", include_str!("scaffold/main.rs.tmpl")),
    (
        ".connect/runtime.yml",
        include_str!("scaffold/runtime.yml.tmpl"),
    ),
    (
        ".connect/sources/ticks.yml",
        include_str!("scaffold/ticks.yml.tmpl"),
    ),
    (
        ".connect/sinks/print.yml",
        include_str!("scaffold/print.yml.tmpl"),
    ),
    (
        "examples/ticks.yml",
        include_str!("scaffold/example.yml.tmpl"),
    ),
    ("README.md", include_str!("scaffold/README.md.tmpl")),
];

/// Writes the crate for runtime `name` into `dir` (default `./NAME`); returns the directory.
pub(super) fn create(
    name: &str,
    dir: Option<PathBuf>,
    sdk_path: Option<PathBuf>,
) -> Result<PathBuf, CliError> {
    check_name(name)?;
    let dir = dir.unwrap_or_else(|| PathBuf::from(name));
    let dir = std::path::absolute(&dir).map_err(|e| io_error(&dir, &e))?;
    if dir.exists()
        && dir
            .read_dir()
            .map_err(|e| io_error(&dir, &e))?
            .next()
            .is_some()
    {
        return Err(CliError::Usage(format!(
            "{} exists and is not empty; choose another --dir",
            dir.display()
        )));
    }
    let sdk = sdk_dependency(&dir, sdk_path)?;
    let parent = dir.parent().unwrap_or(Path::new("/"));
    std::fs::create_dir_all(parent).map_err(|e| io_error(parent, &e))?;
    // Everything goes into a temporary directory beside the target, renamed into place at the
    // end: a failure leaves nothing half-written.
    let staging = parent.join(format!(".{name}.new-{}", std::process::id()));
    let written = write_all(&staging, name, &sdk).and_then(|()| {
        if dir.exists() {
            std::fs::remove_dir(&dir).map_err(|e| io_error(&dir, &e))?;
        }
        std::fs::rename(&staging, &dir).map_err(|e| io_error(&dir, &e))
    });
    if written.is_err() {
        let _ = std::fs::remove_dir_all(&staging);
    }
    written.map(|()| dir)
}

fn write_all(root: &Path, name: &str, sdk: &str) -> Result<(), CliError> {
    for (file, template) in FILES {
        let path = root.join(file);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(|e| io_error(p, &e))?;
        }
        let text = template.replace("{{name}}", name).replace("{{sdk}}", sdk);
        std::fs::write(&path, text).map_err(|e| io_error(&path, &e))?;
    }
    Ok(())
}

/// Runtime names become binary and crate names: lowercase letters, digits, `-` and `_`.
fn check_name(name: &str) -> Result<(), CliError> {
    let ok = name.len() <= 63
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(CliError::Usage(format!(
            "`{name}` is not a runtime name: use up to 63 lowercase letters, digits, `-` and `_`, starting with a letter"
        )))
    }
}

/// The SDK as a path dependency when given or when `dir` lies inside a connect repository,
/// else the published version this agent was built with.
fn sdk_dependency(dir: &Path, sdk_path: Option<PathBuf>) -> Result<String, CliError> {
    let path = match sdk_path {
        Some(p) => {
            let p = std::path::absolute(&p).map_err(|e| io_error(&p, &e))?;
            if !p.join("Cargo.toml").is_file() {
                return Err(CliError::Usage(format!(
                    "--sdk-path {}: no Cargo.toml there; point it at the repository's runtime-sdk/ directory",
                    p.display()
                )));
            }
            Some(p)
        }
        None => dir
            .ancestors()
            .map(|a| a.join("runtime-sdk"))
            .find(|sdk| is_sdk(sdk)),
    };
    Ok(match path {
        Some(p) => format!("{{ path = {:?} }}", p.display().to_string()),
        None => format!("\"{}\"", env!("CARGO_PKG_VERSION")),
    })
}

fn is_sdk(dir: &Path) -> bool {
    std::fs::read_to_string(dir.join("Cargo.toml"))
        .is_ok_and(|t| t.contains("name = \"connect-runtime-sdk\""))
}

fn io_error(path: &Path, e: &std::io::Error) -> CliError {
    CliError::Other(format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scaffold_holds_valid_definitions_and_a_valid_example() {
        let root = tempfile::tempdir().unwrap();
        let dir = create("my-rt", Some(root.path().join("my-rt")), None).unwrap();
        let metadata = connect_model::RuntimeMetadata::load_dir(&dir.join(".connect")).unwrap();
        assert_eq!(metadata.runtime.name, "my-rt");
        let example = std::fs::read_to_string(dir.join("examples/ticks.yml")).unwrap();
        let config = connect_model::document::decode::from_str(&example).unwrap();
        connect_model::metadata::validate_connector(&config, &metadata).unwrap();
        let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
        assert!(
            manifest.contains("connect-runtime-sdk = \"") || manifest.contains("path ="),
            "{manifest}"
        );
        assert!(matches!(
            create("my-rt", Some(dir.clone()), None),
            Err(CliError::Usage(_))
        ));
        assert!(matches!(
            create("Bad Name", None, None),
            Err(CliError::Usage(_))
        ));
        let leftovers: Vec<_> = std::fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers, ["my-rt"], "no staging directory is left behind");
    }
}
