//! `connect-agent import iggy DIR [--out DIR]`: the Iggy connectors runtime's connector TOML
//! files as connect documents, offline. Every field without a counterpart is reported per file;
//! exit 0 when every file converted, 2 when some did not (the others are still written).

mod convert;
mod iggy_files;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;

use super::error::CliError;
use crate::config;
use crate::runtimes::RuntimeRegistry;

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Convert the Iggy connectors runtime's connector files (*.toml) into connect documents.
    Iggy {
        /// The Iggy runtime's connectors directory ([connectors] config_dir).
        dir: PathBuf,
        /// Where the connect documents are written (created when missing).
        #[arg(long, default_value = ".")]
        out: PathBuf,
        /// The agent config whose [runtimes] the documents are validated against (default: as
        /// `start` finds it).
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
}

pub(super) fn run(cmd: ImportCmd) -> ExitCode {
    let ImportCmd::Iggy { dir, out, config } = cmd;
    match import(&dir, &out, config) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(2),
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}

/// `Ok(true)` when every connector file converted.
fn import(dir: &Path, out: &Path, config_flag: Option<PathBuf>) -> Result<bool, CliError> {
    let env = |name: &str| std::env::var(name).ok();
    let source = config::locate(config_flag.as_deref(), &env);
    let agent_config = config::load(&source, &env).map_err(|e| CliError::Usage(e.to_string()))?;
    let runtimes = RuntimeRegistry::scan(&agent_config.runtimes).with_file_access(&agent_config);
    let check = crate::document_check::DocumentCheck {
        defaults: crate::catalog::RestartDefaults {
            initial_backoff: agent_config.supervisor.initial_backoff,
            max_backoff: agent_config.supervisor.max_backoff,
        },
        runtimes: &runtimes,
    };
    let files = iggy_files::read_dir(dir)?;
    std::fs::create_dir_all(out).map_err(|e| {
        CliError::Usage(format!(
            "cannot create the output directory {}: {e}; pass a writable --out",
            out.display()
        ))
    })?;
    let mut converted = 0;
    let mut written = 0;
    let total = files.len();
    for file in files {
        let outcome = convert::convert(&file, out, check);
        written += outcome.written.len();
        if outcome.print(&file.name) {
            converted += 1;
        }
    }
    println!(
        "{total} Iggy connector files: {converted} converted, {} not; {written} connect documents written to {}",
        total - converted,
        out.display()
    );
    if total == 0 {
        return Err(CliError::Usage(format!(
            "{} holds no Iggy connector files (*.toml with type = \"sink\" or \"source\"); pass the Iggy runtime's [connectors] config_dir",
            dir.display()
        )));
    }
    Ok(converted == total)
}
