//! The exit-code table of the runtime contract: how a runtime tells the agent whether to restart it.

/// Exit codes a runtime uses; the agent decides on restarts from them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ExitCode {
    /// Finished (a finite source drained) or stopped cleanly on SIGTERM/SIGINT.
    Success = 0,
    /// A `CONNECT_*` variable is invalid. Not restarted: the agent's configuration must change.
    BadEnvironment = 1,
    /// Wrong arguments. Not restarted.
    Usage = 64,
    /// A bug or an unexpected state inside the runtime. Restarted per policy.
    Internal = 70,
    /// A temporary failure (a peer is down, retries exhausted). Restarted per policy.
    Transient = 75,
    /// The connector config is invalid. Not restarted until the config changes.
    InvalidConfig = 78,
}

impl ExitCode {
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The table entry for a process exit code, if it is one of ours.
    pub fn from_code(code: i32) -> Option<Self> {
        Some(match code {
            0 => Self::Success,
            1 => Self::BadEnvironment,
            64 => Self::Usage,
            70 => Self::Internal,
            75 => Self::Transient,
            78 => Self::InvalidConfig,
            _ => return None,
        })
    }

    /// Whether restarting the same config could ever help.
    pub fn is_permanent(self) -> bool {
        matches!(
            self,
            Self::BadEnvironment | Self::Usage | Self::InvalidConfig
        )
    }

    pub fn describe(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::BadEnvironment => "bad environment",
            Self::Usage => "usage error",
            Self::Internal => "internal error",
            Self::Transient => "transient failure",
            Self::InvalidConfig => "invalid config",
        }
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(c: ExitCode) -> Self {
        std::process::ExitCode::from(c as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_classify() {
        for c in [
            ExitCode::Success,
            ExitCode::BadEnvironment,
            ExitCode::Usage,
            ExitCode::Internal,
            ExitCode::Transient,
            ExitCode::InvalidConfig,
        ] {
            assert_eq!(ExitCode::from_code(c.code()), Some(c));
        }
        assert_eq!(ExitCode::from_code(2), None);
        assert!(ExitCode::InvalidConfig.is_permanent());
        assert!(!ExitCode::Transient.is_permanent());
    }
}
