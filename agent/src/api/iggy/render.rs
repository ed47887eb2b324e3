//! connect's connectors in the Iggy runtime's shapes: info items, `streams` from the
//! `consumer`/`producer` steps (`topics` as a list), config versions flattened with
//! `plugin_config` = the component's `config`, and `path` = runtime binary `#` component.

use connect_model::ConnectorConfig;
use connect_model::document::{ComponentStep, duration};
use serde_json::Value;

use super::state;
use super::translate::IggyKind;
use super::types::{
    ConfigResponse, ConsumerStream, InfoResponse, ProducerStream, Streams, TransformResponse,
};
use crate::api::views::masked;
use crate::store::{ConfigVersion, ConnectorRecord, Desired};
use crate::supervisor::Agent;

/// connect passes payloads as they are; JSON transforms apply to JSON objects.
pub(crate) const SCHEMA: &str = "json";

/// The format connect shows (and by default serves) plugin configs in.
pub(crate) const PLUGIN_CONFIG_FORMAT: &str = "json";

/// The external component on this kind's side: a sink's `sink`, a source's `source`.
pub(crate) fn component(config: &ConnectorConfig, kind: IggyKind) -> Option<&ComponentStep> {
    match kind {
        IggyKind::Sink => config.steps.sink.as_ref(),
        IggyKind::Source => config.steps.source.as_ref(),
    }
}

/// `<runtime binary>#<component>` (the binary alone for an Iggy-to-Iggy pipe).
pub(crate) fn path(agent: &Agent, config: &ConnectorConfig, kind: IggyKind) -> String {
    let binary = agent
        .runtimes()
        .resolve(&config.runtime)
        .map(|e| e.binary.display().to_string())
        .unwrap_or_else(|_| config.runtime.to_string());
    match component(config, kind) {
        Some(step) => format!("{binary}#{}", step.kind),
        None => binary,
    }
}

/// The description, or the key when there is none.
pub(crate) fn name(key: &str, config: &ConnectorConfig) -> String {
    if config.description.is_empty() {
        key.to_string()
    } else {
        config.description.clone()
    }
}

pub(crate) fn info(
    agent: &Agent,
    kind: IggyKind,
    key: &str,
    id: u32,
    record: &ConnectorRecord,
) -> InfoResponse {
    let status = agent.get(key);
    let config = record.active_config();
    InfoResponse {
        id,
        key: key.to_string(),
        name: name(key, config),
        path: path(agent, config, kind),
        enabled: record.desired == Desired::Running,
        status: state::status_of(status.as_ref()),
        last_error: state::last_error(status.as_ref()),
        plugin_config_format: Some(PLUGIN_CONFIG_FORMAT.into()),
    }
}

/// `streams`: a sink's consumer (its topic as a one-item list), a source's producer.
pub(crate) fn streams(config: &ConnectorConfig, kind: IggyKind) -> Streams {
    match kind {
        IggyKind::Sink => Streams::Consumer(
            config
                .steps
                .consumer
                .iter()
                .map(|c| ConsumerStream {
                    stream: c.stream.clone(),
                    topics: vec![c.topic.clone()],
                    schema: SCHEMA,
                    avro_schema_json: None,
                    avro_schema_path: None,
                    batch_length: Some(c.batch_length),
                    poll_interval: Some(duration::format(c.poll_interval)),
                    consumer_group: Some(c.consumer_group.clone()),
                })
                .collect(),
        ),
        IggyKind::Source => Streams::Producer(
            config
                .steps
                .producer
                .iter()
                .map(|p| ProducerStream {
                    stream: p.stream.clone(),
                    topic: p.topic.clone(),
                    schema: SCHEMA,
                    avro_schema_json: None,
                    avro_schema_path: None,
                    batch_length: Some(p.batch_length),
                    linger_time: Some(duration::format(p.linger)),
                })
                .collect(),
        ),
    }
}

/// The component's `config` (secrets masked by the caller); `None` for a pipe.
pub(crate) fn plugin_config(config: &ConnectorConfig, kind: IggyKind) -> Option<Value> {
    component(config, kind).map(|s| Value::Object(s.config.clone()))
}

/// One config version, masked, as the Iggy runtime's `SinkConfig`/`SourceConfig` + `active`.
pub(crate) fn config_version(
    agent: &Agent,
    kind: IggyKind,
    key: &str,
    v: &ConfigVersion,
    active: u32,
) -> ConfigResponse {
    let config = masked(agent, &v.config);
    ConfigResponse {
        key: key.to_string(),
        enabled: config.enabled,
        version: u64::from(v.version),
        name: name(key, &config),
        path: path(agent, &config, kind),
        transforms: super::transforms::to_iggy(&config.steps.transformer),
        streams: streams(&config, kind),
        plugin_config_format: Some(PLUGIN_CONFIG_FORMAT.into()),
        plugin_config: plugin_config(&config, kind),
        verbose: false,
        benchmark: false,
        active: v.version == active,
    }
}

/// `GET .../transforms`: `[{type, config}]` from the map by name.
pub(crate) fn transforms(config: &ConnectorConfig) -> Vec<TransformResponse> {
    super::transforms::to_iggy(&config.steps.transformer)
        .unwrap_or_default()
        .into_iter()
        .map(|(kind, config)| TransformResponse { kind, config })
        .collect()
}
