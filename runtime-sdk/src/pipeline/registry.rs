//! `Components`: the sources and sinks a runtime offers, by type name, plus its `.connect`
//! metadata. It is the runtime's `Workload` (see `driver`): launching it runs the pipeline.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::retry::RetryPolicy;
use crate::component::{ComponentContext, ComponentError, Sink, Source};
use crate::document::ComponentKind;
use crate::metadata::RuntimeMetadata;

pub(crate) type SourceFactory = Arc<
    dyn Fn(&ComponentContext) -> Result<Box<dyn Source>, ComponentError> + Send + Sync + 'static,
>;
pub(crate) type SinkFactory =
    Arc<dyn Fn(&ComponentContext) -> Result<Box<dyn Sink>, ComponentError> + Send + Sync + 'static>;

/// The registry of a runtime:
///
/// ```ignore
/// Runtime::from_env()?.launch(Components::new(meta).source("generate", Generate::new).sink("file", File::new))
/// ```
pub struct Components {
    pub(crate) metadata: RuntimeMetadata,
    pub(crate) sources: BTreeMap<String, SourceFactory>,
    pub(crate) sinks: BTreeMap<String, SinkFactory>,
    pub(crate) stdout_sinks: BTreeSet<String>,
    pub(crate) retry: RetryPolicy,
}

impl Components {
    pub fn new(metadata: RuntimeMetadata) -> Self {
        Self {
            metadata,
            sources: BTreeMap::new(),
            sinks: BTreeMap::new(),
            stdout_sinks: BTreeSet::new(),
            retry: RetryPolicy::default(),
        }
    }

    /// Registers source `name`; `factory` builds it from its (validated) config.
    pub fn source<S, F>(mut self, name: &str, factory: F) -> Self
    where
        S: Source,
        F: Fn(&ComponentContext) -> Result<S, ComponentError> + Send + Sync + 'static,
    {
        self.sources.insert(
            name.to_string(),
            Arc::new(move |ctx| factory(ctx).map(|s| Box::new(s) as Box<dyn Source>)),
        );
        self
    }

    /// Registers sink `name`.
    pub fn sink<S, F>(mut self, name: &str, factory: F) -> Self
    where
        S: Sink,
        F: Fn(&ComponentContext) -> Result<S, ComponentError> + Send + Sync + 'static,
    {
        self.sinks.insert(
            name.to_string(),
            Arc::new(move |ctx| factory(ctx).map(|s| Box::new(s) as Box<dyn Sink>)),
        );
        self
    }

    /// Registers sink `name` that writes data to stdout; with it the runtime logs to stderr only.
    pub fn sink_on_stdout<S, F>(mut self, name: &str, factory: F) -> Self
    where
        S: Sink,
        F: Fn(&ComponentContext) -> Result<S, ComponentError> + Send + Sync + 'static,
    {
        self.stdout_sinks.insert(name.to_string());
        self.sink(name, factory)
    }

    /// How failed sink writes and source polls are retried (default: [`RetryPolicy::default`]).
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Every mismatch between the registered components and the `.connect` definitions; a
    /// runtime's unit test should assert this is empty.
    pub fn mismatches(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (kind, registered) in [
            (
                ComponentKind::Source,
                self.sources.keys().collect::<BTreeSet<_>>(),
            ),
            (
                ComponentKind::Sink,
                self.sinks.keys().collect::<BTreeSet<_>>(),
            ),
        ] {
            let defined: BTreeSet<_> = self.metadata.components(kind).keys().collect();
            for name in defined.difference(&registered) {
                out.push(format!(
                    "{} `{name}` is defined in .connect but not registered",
                    kind.step_name()
                ));
            }
            for name in registered.difference(&defined) {
                out.push(format!(
                    "{} `{name}` is registered but has no .connect/{}/ definition",
                    kind.step_name(),
                    kind.dir_name()
                ));
            }
        }
        out
    }
}
