//! The connect agent binary: `connect-agent start` runs the daemon; `status` reads its view.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use connect_agent::{cli, daemon};

#[derive(Debug, Parser)]
#[command(
    name = "connect-agent",
    version,
    about = "Supervises connect connector runtimes"
)]
struct Cli {
    #[command(flatten)]
    client: cli::ClientArgs,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the agent: supervise every connector of the config dir until SIGTERM/SIGINT.
    Start {
        /// The agent's TOML config (default: $CONNECT_CONFIG_PATH, then .connect/agent.toml, then built-in defaults).
        #[arg(long, short)]
        config: Option<PathBuf>,
    },
    /// Print the agent's numbers and every connector, from its API (with --config: from the
    /// status file the agent writes, no API needed).
    Status {
        #[arg(long, short)]
        config: Option<PathBuf>,
        /// Print the raw JSON document.
        #[arg(long)]
        json: bool,
    },
    #[command(flatten)]
    Client(cli::Command),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if !matches!(cli.command, Cmd::Start { .. }) {
        // A client command whose reader went away (`| head -1`) ends quietly, killed by
        // SIGPIPE (status 141 in a shell) like other Unix tools, instead of panicking on the
        // failed write. The daemon keeps ignoring it: a client leaving must not stop it.
        // SAFETY: restoring a signal's default disposition before any thread is started.
        unsafe {
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
        }
    }
    let result = match cli.command {
        Cmd::Start { config } => daemon::run(config),
        Cmd::Status {
            config: None,
            json: false,
        } => return cli::status(&cli.client),
        Cmd::Status { config, json } => daemon::print_status(config, json),
        Cmd::Client(command) => {
            return cli::run(command, &cli.client, <Cli as clap::CommandFactory>::command);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", describe(&e));
            ExitCode::FAILURE
        }
    }
}

/// The error and its causes, each said once: a cause already part of a message is not repeated.
fn describe(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}
