//! connect's connector states onto the Iggy runtime's five (`starting | running | stopping |
//! stopped | error`), and its last error as Iggy's `{message, timestamp}`.

use super::types::ConnectorError;
use crate::supervisor::{ConnectorStatus, State};

/// The Iggy status of a connect state. A connector waiting to be restarted after a failed run
/// (`backoff`) is `error`: its last run failed, the agent will start it again. A connector
/// that finished (`completed`) is `stopped`. A connector the agent knows but does not run here
/// (placed on another agent) is `stopped` as well.
pub(crate) fn status(state: State) -> &'static str {
    match state {
        State::Starting => "starting",
        State::Running => "running",
        State::Stopping => "stopping",
        State::Stopped | State::Completed | State::PlacedElsewhere => "stopped",
        State::Backoff | State::Failed => "error",
    }
}

/// The status of a connector that may have no slot (a record without a running task).
pub(crate) fn status_of(s: Option<&ConnectorStatus>) -> &'static str {
    s.map_or("stopped", |s| status(s.state))
}

/// The last error of a connector, stamped with the time its process exited (or its state
/// last changed), in microseconds since the Unix epoch.
pub(crate) fn last_error(s: Option<&ConnectorStatus>) -> Option<ConnectorError> {
    let s = s?;
    let message = s.error.clone()?;
    let at_ms = s.exited_at_ms.unwrap_or(s.since_ms);
    Some(ConnectorError {
        message,
        timestamp: at_ms.saturating_mul(1000),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_state_maps_onto_one_of_the_five() {
        let all = [
            State::Starting,
            State::Running,
            State::Backoff,
            State::Stopping,
            State::Stopped,
            State::Completed,
            State::Failed,
            State::PlacedElsewhere,
        ];
        for s in all {
            assert!(
                ["starting", "running", "stopping", "stopped", "error"].contains(&status(s)),
                "{s:?}"
            );
        }
        assert_eq!(status(State::Backoff), "error");
        assert_eq!(status(State::Completed), "stopped");
        assert_eq!(status(State::PlacedElsewhere), "stopped");
        assert_eq!(status_of(None), "stopped");
    }
}
