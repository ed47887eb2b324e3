//! The one argument a component gets: its config, state store, cancellation and counters.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

use super::error::ComponentError;
use crate::document::ConnectorConfig;
use crate::runtime::{Context, Metrics};
use crate::state::StateStore;

#[derive(Debug, Clone)]
pub struct ComponentContext {
    pub(crate) config: Map<String, Value>,
    pub(crate) path: String,
    pub(crate) state: StateStore,
    pub(crate) runtime: Context,
}

impl ComponentContext {
    /// Built by the pipeline for the step at `path` (`steps.source`).
    pub(crate) fn new(runtime: &Context, path: &str, config: Map<String, Value>) -> Self {
        Self {
            config,
            path: path.to_string(),
            state: StateStore::new(runtime.state_dir()),
            runtime: runtime.clone(),
        }
    }

    /// The component's `config`, validated against its definition, defaults filled in, secrets resolved.
    pub fn raw_config(&self) -> &Map<String, Value> {
        &self.config
    }

    /// The config decoded into the component's own type.
    pub fn config<T: DeserializeOwned>(&self) -> Result<T, ComponentError> {
        serde_path_to_error::deserialize(Value::Object(self.config.clone())).map_err(|e| {
            ComponentError::invalid_config(format!(
                "{}.config.{}: {}",
                self.path,
                e.path(),
                e.inner()
            ))
        })
    }

    /// The cursor [`Source::commit`](super::Source::commit) saved last (by default), or `None`
    /// on the first run: where a source resumes.
    pub fn load_cursor<T: DeserializeOwned>(&self) -> Result<Option<T>, ComponentError> {
        Ok(self.state.load(super::traits::CURSOR_STATE)?)
    }

    /// Durable state of this connector (`CONNECT_STATE_DIR`).
    pub fn state(&self) -> &StateStore {
        &self.state
    }

    /// Waits `wait`, or less when the runtime is asked to stop; `true` when the whole wait passed.
    pub async fn sleep(&self, wait: std::time::Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(wait) => true,
            () = self.cancellation().cancelled() => false,
        }
    }

    pub fn cancellation(&self) -> &CancellationToken {
        self.runtime.cancellation()
    }

    pub fn metrics(&self) -> &Metrics {
        self.runtime.metrics()
    }

    pub fn connector(&self) -> &ConnectorConfig {
        self.runtime.connector()
    }

    /// The runtime-level context (settings, agent channel).
    pub fn runtime(&self) -> &Context {
        &self.runtime
    }
}
