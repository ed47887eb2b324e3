//! Riding out an Iggy server that went away: connection errors are retried with exponential
//! backoff (cut short by cancellation) for a bounded time; every other error is classified at once.

use std::time::{Duration, Instant};

use ::iggy::prelude::IggyError;
use tokio_util::sync::CancellationToken;

use crate::backoff::{Backoff, Delays};
use crate::component::ComponentError;

const INITIAL_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How long one operation keeps reconnecting before it reports a transient failure upwards
/// (the pipeline retries, then the agent restarts the runtime).
const DEFAULT_BUDGET: Duration = Duration::from_secs(60);

/// Backoff state for one operation against one server.
pub(crate) struct Retry<'a> {
    what: &'static str,
    address: &'a str,
    cancel: &'a CancellationToken,
    delays: Delays,
    budget: Duration,
    failing_since: Option<Instant>,
    /// Where an outage is reported as a problem (the agent shows the connector degraded).
    report_to: Option<&'a crate::runtime::Context>,
}

impl<'a> Retry<'a> {
    pub(crate) fn new(what: &'static str, address: &'a str, cancel: &'a CancellationToken) -> Self {
        Self {
            what,
            address,
            cancel,
            delays: Backoff::new(INITIAL_BACKOFF, MAX_BACKOFF).delays(),
            budget: DEFAULT_BUDGET,
            failing_since: None,
            report_to: None,
        }
    }

    /// Reports an outage to the agent (`waiting_for_iggy`) and its end.
    pub(crate) fn reporting(mut self, ctx: &'a crate::runtime::Context) -> Self {
        self.report_to = Some(ctx);
        self
    }

    #[cfg(test)]
    pub(crate) fn with_budget(mut self, budget: Duration) -> Self {
        self.budget = budget;
        self
    }

    /// Handles a failed attempt: `Ok` after waiting when the caller should try again, or the
    /// error to report.
    pub(crate) async fn failed(&mut self, error: IggyError) -> Result<(), ComponentError> {
        if !is_connection_error(&error) {
            return Err(classify(self.what, self.address, error));
        }
        let since = *self.failing_since.get_or_insert_with(Instant::now);
        if since.elapsed() >= self.budget {
            return Err(ComponentError::retry(format!(
                "{} failed: iggy server {} unreachable for {}s ({error}); check that it is running",
                self.what,
                self.address,
                since.elapsed().as_secs()
            )));
        }
        let wait = self.delays.next_delay();
        if self.delays.failures() == 1 {
            tracing::warn!(address = %self.address, error = %error, "{}: iggy server unreachable, reconnecting", self.what);
            if let Some(ctx) = self.report_to {
                ctx.problem(
                    "waiting_for_iggy",
                    &format!("waiting for iggy at {}: {error}", self.address),
                );
            }
        }
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = self.cancel.cancelled() => {
                return Err(ComponentError::retry(format!("{} abandoned: stopping while iggy server {} was unreachable", self.what, self.address)));
            }
        }
        Ok(())
    }

    /// The operation succeeded; the next failure starts a fresh backoff.
    pub(crate) fn recovered(&mut self) {
        if self.failing_since.take().is_some() {
            tracing::info!(address = %self.address, "{}: iggy server reachable again", self.what);
            if let Some(ctx) = self.report_to {
                ctx.recovered();
            }
        }
        self.delays.reset();
    }
}

/// Errors after which the same request can work once the connection is back.
pub(crate) fn is_connection_error(error: &IggyError) -> bool {
    matches!(
        error,
        IggyError::Disconnected
            | IggyError::NotConnected
            | IggyError::CannotEstablishConnection
            | IggyError::ConnectionClosed
            | IggyError::EmptyResponse
            | IggyError::StaleClient
            | IggyError::TcpError
            | IggyError::Unauthenticated
            | IggyError::TransientNotAccepted
            | IggyError::TransientNotCommitted
            | IggyError::ClientShutdown
    )
}

/// Maps an Iggy error to what the pipeline does with it, with a message that says what to do.
pub(crate) fn classify(what: &str, address: &str, error: IggyError) -> ComponentError {
    match error {
        IggyError::InvalidCredentials
        | IggyError::InvalidUsername
        | IggyError::InvalidPassword
        | IggyError::InvalidPersonalAccessToken
        | IggyError::PersonalAccessTokenExpired(..)
        | IggyError::UserInactive => ComponentError::invalid_config(format!(
            "{what}: iggy server {address} refused the credentials ({error}); check username/password or token"
        )),
        IggyError::Unauthorized => ComponentError::invalid_config(format!(
            "{what}: the iggy user lacks a permission on {address} ({error}); grant it or use another user"
        )),
        IggyError::InvalidServerAddress
        | IggyError::InvalidTlsDomain
        | IggyError::InvalidTlsCertificatePath
        | IggyError::InvalidTlsCertificate => ComponentError::invalid_config(format!(
            "{what}: cannot connect to {address} ({error}); check the address and tls settings"
        )),
        error if is_connection_error(&error) => {
            ComponentError::retry(format!("{what}: {error} ({address})"))
        }
        error => ComponentError::retry(format!("{what} failed on iggy server {address}: {error}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_a_config_problem_and_outages_are_transient() {
        assert!(
            matches!(classify("poll", "h:1", IggyError::InvalidCredentials), ComponentError::InvalidConfig(m) if m.contains("check username/password or token"))
        );
        assert!(classify("poll", "h:1", IggyError::Disconnected).is_retryable());
        assert!(is_connection_error(&IggyError::CannotEstablishConnection));
        assert!(!is_connection_error(&IggyError::InvalidCredentials));
    }

    #[tokio::test]
    async fn connection_errors_are_retried_until_the_budget_is_spent() {
        let cancel = CancellationToken::new();
        let mut retry = Retry::new("send", "h:1", &cancel).with_budget(Duration::from_millis(250));
        let mut attempts = 0;
        let err = loop {
            attempts += 1;
            if let Err(e) = retry.failed(IggyError::Disconnected).await {
                break e;
            }
        };
        assert!(attempts >= 2, "retried {attempts} times");
        assert!(
            err.is_retryable() && err.to_string().contains("unreachable"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn cancellation_ends_the_wait() {
        let cancel = CancellationToken::new();
        cancel.cancel();
        let mut retry = Retry::new("poll", "h:1", &cancel);
        let err = retry.failed(IggyError::NotConnected).await.unwrap_err();
        assert!(err.to_string().contains("stopping"), "{err}");
    }

    #[tokio::test]
    async fn other_errors_are_not_retried() {
        let cancel = CancellationToken::new();
        let mut retry = Retry::new("poll", "h:1", &cancel);
        assert!(retry.failed(IggyError::InvalidCredentials).await.is_err());
    }
}
