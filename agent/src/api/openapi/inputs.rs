//! Request bodies as the document shows them. The handlers read bodies through `api::body`
//! (JSON or YAML, size limit, nesting limit, a bounded decoding pool); these types describe that
//! once: the media types, the schema, and the statuses reading a body can answer.

use aide::OperationInput;
use aide::generate::GenContext;
use aide::openapi::{MediaType, Operation, ReferenceOr, RequestBody, SchemaObject};
use axum::Json;
use schemars::JsonSchema;

use crate::api::error::ApiError;

/// The media types every body route reads.
const MEDIA: [&str; 2] = ["application/json", "application/yaml"];

/// Name of the connector document in `components.schemas` (filled from the model's schema,
/// the one in docs/connector.schema.json, by `openapi::document`).
pub(crate) const CONNECTOR_DOCUMENT: &str = "ConnectorDocument";

fn body(ctx: &mut GenContext, operation: &mut Operation, schema: schemars::Schema, what: &str) {
    let content = MEDIA
        .iter()
        .map(|m| {
            let media = MediaType {
                schema: Some(SchemaObject {
                    json_schema: schema.clone(),
                    example: None,
                    external_docs: None,
                }),
                ..Default::default()
            };
            (m.to_string(), media)
        })
        .collect();
    operation.request_body = Some(ReferenceOr::Item(RequestBody {
        description: Some(what.to_string()),
        content,
        required: true,
        extensions: Default::default(),
    }));
    let responses = operation.responses.get_or_insert_with(Default::default);
    for (code, when) in [
        (
            400,
            "The body is not valid JSON or YAML, nests too deeply, or the document is invalid (`details` lists every field)",
        ),
        (413, "The body is larger than 1 MiB"),
        (503, "The agent is busy decoding other bodies; retry"),
    ] {
        let mut response = <Json<ApiError> as aide::OperationOutput>::operation_response(
            ctx,
            &mut Operation::default(),
        )
        .unwrap_or_default();
        response.description = when.to_string();
        responses
            .responses
            .entry(aide::openapi::StatusCode::Code(code))
            .or_insert(ReferenceOr::Item(response));
    }
}

/// A connector document, JSON or YAML.
pub(crate) struct ConnectorDocument;

impl OperationInput for ConnectorDocument {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema =
            schemars::Schema::new_ref(format!("#/components/schemas/{CONNECTOR_DOCUMENT}"));
        body(
            ctx,
            operation,
            schema,
            "A connector document (docs/connector.schema.json)",
        );
    }
}

/// A small JSON or YAML body of `T`.
pub(crate) struct JsonOrYaml<T>(std::marker::PhantomData<T>);

impl<T: JsonSchema> OperationInput for JsonOrYaml<T> {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = ctx.schema.subschema_for::<T>();
        body(ctx, operation, schema, "JSON or YAML");
    }
}

/// The Iggy connectors runtime's connector config (translated into a connect document), or a
/// connect document (with `steps`).
pub(crate) struct IggyConfig;

impl OperationInput for IggyConfig {
    fn operation_input(ctx: &mut GenContext, operation: &mut Operation) {
        let schema = schemars::json_schema!({
            "description": "An Iggy connector config (`plugin_config`, `streams`, `transforms`, ...) or a connect connector document",
            "type": "object"
        });
        body(ctx, operation, schema, "An Iggy connector config");
    }
}
