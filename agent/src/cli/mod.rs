//! The command-line client in the agent binary: `connector`, `runtime`, `validate`, `status`
//! and `completions`, talking to a running agent's HTTP API (validation works offline).

mod cli_words;
mod client;
mod connectors;
mod error;
mod import;
mod output;
mod runtimes;
mod scaffold;
mod status;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

pub use client::Client;
pub use error::CliError;
pub use output::Format;

/// How to reach the agent; every client command takes these.
#[derive(Debug, Clone, Args)]
pub struct ClientArgs {
    /// The agent's API address.
    #[arg(
        long,
        global = true,
        env = "CONNECT_AGENT_URL",
        default_value = "http://127.0.0.1:8081"
    )]
    pub url: String,
    /// The agent's `[http] api_key`.
    #[arg(long, global = true, env = "CONNECT_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// PEM certificate(s) to trust for an https:// agent (e.g. its self-signed certificate).
    #[arg(long, global = true, env = "CONNECT_AGENT_CA_FILE")]
    pub ca_file: Option<std::path::PathBuf>,
    /// Output: a table for people, json or yaml for scripts.
    #[arg(long, short = 'o', global = true, value_enum, default_value = "table")]
    pub output: Format,
}

impl ClientArgs {
    fn client(&self) -> Result<Client, CliError> {
        Client::new(
            &self.url,
            self.api_key.clone(),
            self.ca_file.as_deref(),
            Some(std::time::Duration::from_secs(30)),
        )
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Manage connectors of a running agent.
    #[command(subcommand)]
    Connector(connectors::ConnectorCmd),
    /// Show the runtimes a running agent knows and their component definitions.
    #[command(subcommand)]
    Runtime(runtimes::RuntimeCmd),
    /// Check connector files offline against the runtimes' .connect definitions (every error, non-zero exit).
    Validate {
        /// Connector documents (YAML or JSON).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// The agent config whose [runtimes] are used (default: as `start` finds it).
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Convert another system's connector files into connect documents (offline).
    #[command(subcommand)]
    Import(import::ImportCmd),
    /// Check that a running agent answers `/health` (no API key needed, for container health
    /// checks): exit 0 when it does, 3 when it is unreachable.
    Health,
    /// Print shell completions.
    Completions { shell: clap_complete::Shell },
}

/// Runs a client command; errors are printed here and become the exit code.
pub fn run(command: Command, args: &ClientArgs, cli: impl FnOnce() -> clap::Command) -> ExitCode {
    let result = match command {
        Command::Connector(c) => args
            .client()
            .and_then(|client| connectors::run(c, &client, args.output)),
        Command::Runtime(c) => args
            .client()
            .and_then(|client| runtimes::run(c, &client, args.output)),
        Command::Validate { files, config } => validate::run(&files, config),
        Command::Import(c) => return import::run(c),
        Command::Health => args.client().and_then(|client| {
            let health = client.get("/health")?;
            println!("{}", output::cell(&health["status"]));
            Ok(())
        }),
        Command::Completions { shell } => {
            let mut cmd = cli();
            clap_complete::generate(shell, &mut cmd, "connect-agent", &mut std::io::stdout());
            Ok(())
        }
    };
    finish(result)
}

/// `status`: the agent's stats and every connector, from the API.
pub fn status(args: &ClientArgs) -> ExitCode {
    finish(
        args.client()
            .and_then(|client| status::run(&client, args.output)),
    )
}

fn finish(result: Result<(), CliError>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            e.exit_code()
        }
    }
}
