//! What can go wrong in the CLI, each with the exit code scripts can rely on and a message that
//! says what to do.

use std::process::ExitCode;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error(
        "cannot reach the agent at {url}: {reason}; start it with [http] enabled = true, or point --url / CONNECT_AGENT_URL at it"
    )]
    Unreachable { url: String, reason: String },
    #[error(
        "the agent refused the request: missing or wrong API key; pass --api-key or set CONNECT_API_KEY"
    )]
    Unauthorized,
    #[error("{message}{}", details_text(.details))]
    Refused {
        status: u16,
        message: String,
        details: Vec<String>,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Other(String),
}

fn details_text(details: &[String]) -> String {
    details.iter().map(|d| format!("\n  {d}")).collect()
}

/// Exit codes: 1 the agent refused or failed the request, 2 usage, 3 agent unreachable,
/// 4 unauthorized, 5 invalid connector documents, 6 anything else.
impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Self::Refused { .. } => 1,
            Self::Usage(_) => 2,
            Self::Unreachable { .. } => 3,
            Self::Unauthorized => 4,
            Self::Invalid(_) => 5,
            Self::Other(_) => 6,
        })
    }
}
