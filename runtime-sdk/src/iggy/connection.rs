//! Connects to Iggy: the runtime's `CONNECT_IGGY_*` defaults merged with a step's own `iggy`
//! override, signed in with username/password or a personal access token, over TCP with optional
//! TLS (rustls, through the iggy crate's options).

use ::iggy::prelude::{AutoLogin, Client, Credentials, IggyClient};

use crate::component::ComponentError;
use crate::document::IggyConnection;
use crate::runtime::IggyDefaults;

use super::retry::Retry;

/// How a client signs in.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum Auth {
    Password { username: String, password: String },
    Token(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Password { username, .. } => write!(
                f,
                "Password {{ username: {username:?}, password: {} }}",
                crate::metadata::MASK
            ),
            Self::Token(_) => write!(f, "Token({})", crate::metadata::MASK),
        }
    }
}

/// Everything needed to open one connection, after merging defaults and override.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IggySettings {
    pub address: String,
    pub auth: Auth,
    pub tls_enabled: bool,
    pub tls_ca_file: Option<String>,
    pub tls_domain: Option<String>,
}

impl IggySettings {
    /// The step's override wins field by field. Credentials are taken as a unit: a token in the
    /// override replaces the default username/password and vice versa; `tls` likewise.
    pub(crate) fn resolve(defaults: &IggyDefaults, step: Option<&IggyConnection>) -> Self {
        let step = step.cloned().unwrap_or_default();
        let auth = match (&step.token, &step.username, &step.password) {
            (Some(token), _, _) => Auth::Token(token.clone()),
            (None, None, None) => match &defaults.token {
                Some(token) => Auth::Token(token.clone()),
                None => Auth::Password {
                    username: defaults.username.clone(),
                    password: defaults.password.clone(),
                },
            },
            (None, username, password) => Auth::Password {
                username: username
                    .clone()
                    .unwrap_or_else(|| defaults.username.clone()),
                password: password
                    .clone()
                    .unwrap_or_else(|| defaults.password.clone()),
            },
        };
        let (tls_enabled, tls_ca_file, tls_domain) = match step.tls {
            Some(tls) => (tls.enabled, tls.ca_file, tls.domain),
            None => (
                defaults.tls_enabled,
                defaults
                    .tls_ca_file
                    .as_ref()
                    .map(|p| p.display().to_string()),
                defaults.tls_domain.clone(),
            ),
        };
        Self {
            address: step.address.unwrap_or_else(|| defaults.address.clone()),
            auth,
            tls_enabled,
            tls_ca_file,
            tls_domain,
        }
    }

    /// A client that signs in on every (re)connect. It dials once per failed request; the
    /// components pace further attempts with their own backoff ([`Retry`]).
    pub(crate) fn client(&self) -> Result<IggyClient, ComponentError> {
        let credentials = match &self.auth {
            Auth::Password { username, password } => {
                Credentials::UsernamePassword(username.clone(), password.clone().into())
            }
            Auth::Token(token) => Credentials::PersonalAccessToken(token.clone().into()),
        };
        let mut tcp = IggyClient::builder()
            .with_tcp()
            .with_server_address(self.address.clone())
            .with_auto_sign_in(AutoLogin::Enabled(credentials))
            .with_reconnection_max_retries(Some(0))
            .with_no_delay()
            .with_tls_enabled(self.tls_enabled);
        if let Some(domain) = &self.tls_domain {
            tcp = tcp.with_tls_domain(domain.clone());
        }
        if let Some(ca) = &self.tls_ca_file {
            tcp = tcp.with_tls_ca_file(ca.clone());
        }
        tcp.build().map_err(|e| {
            ComponentError::invalid_config(format!(
                "cannot configure the iggy client for {}: {e}; check the address and tls settings",
                self.address
            ))
        })
    }

    /// Builds a client and connects it (signing in), retrying while the server is unreachable.
    pub(crate) async fn connect(
        &self,
        retry: &mut Retry<'_>,
    ) -> Result<IggyClient, ComponentError> {
        let client = self.client()?;
        loop {
            match client.connect().await {
                Ok(()) => {
                    retry.recovered();
                    tracing::info!(address = %self.address, "connected to iggy");
                    return Ok(client);
                }
                Err(e) => retry.failed(e).await?,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::IggyTls;

    fn defaults() -> IggyDefaults {
        IggyDefaults {
            address: "127.0.0.1:8090".into(),
            username: "iggy".into(),
            password: "secret".into(),
            token: None,
            tls_enabled: true,
            tls_ca_file: Some("/etc/ca.pem".into()),
            tls_domain: None,
        }
    }

    #[test]
    fn defaults_apply_without_an_override() {
        let s = IggySettings::resolve(&defaults(), None);
        assert_eq!(s.address, "127.0.0.1:8090");
        assert_eq!(
            s.auth,
            Auth::Password {
                username: "iggy".into(),
                password: "secret".into()
            }
        );
        assert!(s.tls_enabled);
        assert_eq!(s.tls_ca_file.as_deref(), Some("/etc/ca.pem"));
    }

    #[test]
    fn an_override_token_replaces_default_credentials() {
        let step = IggyConnection {
            address: Some("other:9090".into()),
            token: Some("pat".into()),
            tls: Some(IggyTls::default()),
            ..IggyConnection::default()
        };
        let s = IggySettings::resolve(&defaults(), Some(&step));
        assert_eq!(s.address, "other:9090");
        assert_eq!(s.auth, Auth::Token("pat".into()));
        assert!(!s.tls_enabled && s.tls_ca_file.is_none());
    }

    #[test]
    fn a_default_token_applies_unless_the_step_gives_credentials() {
        let d = IggyDefaults {
            token: Some("agent-pat".into()),
            ..defaults()
        };
        assert_eq!(
            IggySettings::resolve(&d, None).auth,
            Auth::Token("agent-pat".into())
        );
        let step = IggyConnection {
            username: Some("bob".into()),
            ..IggyConnection::default()
        };
        assert_eq!(
            IggySettings::resolve(&d, Some(&step)).auth,
            Auth::Password {
                username: "bob".into(),
                password: "secret".into()
            }
        );
    }

    #[test]
    fn debug_output_masks_secrets() {
        let s = IggySettings::resolve(&defaults(), None);
        assert!(!format!("{s:?}").contains("secret"));
        assert!(!format!("{:?}", Auth::Token("pat-value".into())).contains("pat-value"));
    }

    #[test]
    fn builds_a_client_without_connecting() {
        let s = IggySettings::resolve(
            &defaults(),
            Some(&IggyConnection {
                tls: Some(IggyTls::default()),
                ..IggyConnection::default()
            }),
        );
        assert!(s.client().is_ok());
    }
}
