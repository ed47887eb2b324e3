//! The contract's environment: every variable name the agent may set, and the `Env` trait
//! through which a runtime reads them (a map in tests).

use std::collections::BTreeMap;

/// Where variables come from: the process, or a map in tests.
pub trait Env {
    fn var(&self, name: &str) -> Option<String>;
    /// Every variable name, to spot unknown `CONNECT_*` ones.
    fn names(&self) -> Vec<String>;
}

/// The real process environment.
pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
    fn names(&self) -> Vec<String> {
        std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .collect()
    }
}

impl<S: std::hash::BuildHasher> Env for std::collections::HashMap<String, String, S> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
    fn names(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
}

impl Env for BTreeMap<String, String> {
    fn var(&self, name: &str) -> Option<String> {
        self.get(name).cloned()
    }
    fn names(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
}

/// The variables of the contract, in one place (docs/runtime-contract.md lists the same).
pub mod vars {
    pub const CONNECTOR_ID: &str = "CONNECT_CONNECTOR_ID";
    pub const INSTANCE_ID: &str = "CONNECT_INSTANCE_ID";
    pub const STATE_DIR: &str = "CONNECT_STATE_DIR";
    pub const LOG_LEVEL: &str = "CONNECT_LOG_LEVEL";
    pub const LOG_FORMAT: &str = "CONNECT_LOG_FORMAT";
    pub const IGGY_ADDRESS: &str = "CONNECT_IGGY_ADDRESS";
    pub const IGGY_USERNAME: &str = "CONNECT_IGGY_USERNAME";
    pub const IGGY_PASSWORD: &str = "CONNECT_IGGY_PASSWORD";
    pub const IGGY_TOKEN: &str = "CONNECT_IGGY_TOKEN";
    pub const IGGY_TLS_ENABLED: &str = "CONNECT_IGGY_TLS_ENABLED";
    pub const IGGY_TLS_CA_FILE: &str = "CONNECT_IGGY_TLS_CA_FILE";
    pub const IGGY_TLS_DOMAIN: &str = "CONNECT_IGGY_TLS_DOMAIN";
    pub const AGENT_SOCKET: &str = "CONNECT_AGENT_SOCKET";
    pub const SHUTDOWN_TIMEOUT: &str = "CONNECT_SHUTDOWN_TIMEOUT";
    pub const HEARTBEAT_INTERVAL: &str = "CONNECT_HEARTBEAT_INTERVAL";
    pub const OTEL_ENDPOINT: &str = "OTEL_EXPORTER_OTLP_ENDPOINT";
    pub const OTEL_SERVICE_NAME: &str = "OTEL_SERVICE_NAME";
    /// W3C trace context of the agent's start span: the runtime's root span is its child.
    pub const TRACEPARENT: &str = "TRACEPARENT";
    pub const TRACESTATE: &str = "TRACESTATE";

    /// Prefix of the variables carrying a connector's literal secrets (`CONNECT_SECRET_1`, …),
    /// which its config references as `${env:CONNECT_SECRET_<n>}`.
    pub const SECRET_PREFIX: &str = "CONNECT_SECRET_";

    /// Every `CONNECT_*` variable a runtime reads.
    pub const ALL: &[&str] = &[
        CONNECTOR_ID,
        INSTANCE_ID,
        STATE_DIR,
        LOG_LEVEL,
        LOG_FORMAT,
        IGGY_ADDRESS,
        IGGY_USERNAME,
        IGGY_PASSWORD,
        IGGY_TOKEN,
        IGGY_TLS_ENABLED,
        IGGY_TLS_CA_FILE,
        IGGY_TLS_DOMAIN,
        AGENT_SOCKET,
        SHUTDOWN_TIMEOUT,
        HEARTBEAT_INTERVAL,
    ];
}
