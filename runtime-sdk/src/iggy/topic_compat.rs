//! Creating a topic on an Iggy server that predates the topic durability options the 0.11
//! client always sends (it refuses them with `UnsupportedOptionKey`): the same `CreateTopic`
//! command, without those two keys, so the server applies its own defaults.

use ::iggy::prelude::{Identifier, IggyClient, IggyError, TopicCreateOptions};
use bytes::Bytes;
use iggy_binary_protocol::codes::CREATE_TOPIC_CODE;
use iggy_binary_protocol::requests::topics::CreateTopicRequest;
use iggy_binary_protocol::{WireEncode, WireName};
use iggy_common::wire_conversions::identifier_to_wire;

/// Sends `CreateTopic` with only the options the caller set (here: none but the partitions).
pub(crate) async fn create_topic_without_durability(
    client: &IggyClient,
    stream: &Identifier,
    name: &str,
    partitions: u32,
) -> Result<(), IggyError> {
    let options = TopicCreateOptions::default().to_explicit_wire(|_| false)?;
    let request = CreateTopicRequest {
        stream_id: identifier_to_wire(stream)?,
        partitions_count: partitions,
        name: WireName::new(name).map_err(|_| IggyError::InvalidFormat)?,
        options,
    };
    let payload: Bytes = request.to_bytes();
    client
        .send_binary_request(CREATE_TOPIC_CODE, payload)
        .await
        .map(|_| ())
}
