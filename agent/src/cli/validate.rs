//! `connect-agent validate FILE...`: offline, through the SDK's decode and the runtimes'
//! `.connect` definitions found by the agent config; every error of every file, then exit 5.

use std::path::PathBuf;

use connect_model::metadata::literal_secrets;

use super::error::CliError;
use crate::catalog::RestartDefaults;
use crate::config;
use crate::document_check::DocumentCheck;
use crate::runtimes::RuntimeRegistry;

pub(super) fn run(files: &[PathBuf], config_flag: Option<PathBuf>) -> Result<(), CliError> {
    let env = |name: &str| std::env::var(name).ok();
    let source = config::locate(config_flag.as_deref(), &env);
    let agent_config = config::load(&source, &env).map_err(|e| CliError::Usage(e.to_string()))?;
    let runtimes = RuntimeRegistry::scan(&agent_config.runtimes).with_file_access(&agent_config);
    let check = DocumentCheck {
        defaults: RestartDefaults {
            initial_backoff: agent_config.supervisor.initial_backoff,
            max_backoff: agent_config.supervisor.max_backoff,
        },
        runtimes: &runtimes,
    };
    let mut failed = 0;
    for file in files {
        let problems = problems_of(file, check);
        if problems.is_empty() {
            println!("{}: ok", file.display());
        } else {
            failed += 1;
            for p in problems {
                eprintln!("{}: {p}", file.display());
            }
        }
    }
    if failed > 0 {
        return Err(CliError::Invalid(format!(
            "{failed} of {} files are invalid",
            files.len()
        )));
    }
    Ok(())
}

/// Every problem of one file, as `path: reason` lines.
fn problems_of(file: &PathBuf, check: DocumentCheck<'_>) -> Vec<String> {
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return vec![format!("cannot read the file: {e}")],
    };
    match check.text(&text) {
        Ok(config) => {
            // Valid, but worth saying: on stderr, the file still counts as ok.
            let metadata = check
                .runtimes
                .resolve(&config.runtime)
                .ok()
                .map(|e| e.metadata.clone());
            for path in literal_secrets(&config, metadata.as_deref()) {
                eprintln!(
                    "{}: warning: {}",
                    file.display(),
                    crate::supervisor::literal_warning(&path)
                );
            }
            Vec::new()
        }
        Err(e) => e.field_errors().iter().map(ToString::to_string).collect(),
    }
}
