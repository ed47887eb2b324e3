//! The OpenAPI 3.1 document of the API, generated (aide) from the routes of
//! `router::api_routes`, the handlers' extractors and the schemas their types derive
//! (schemars), then completed from the layers every route passes: API-key auth, the CSRF rule,
//! path-parameter rules. docs/openapi.json is this document; a test checks it is current.

mod bodies;
pub(crate) mod inputs;
pub(crate) mod ops;
mod post;

use std::sync::OnceLock;

use aide::openapi::{Info, OpenApi};
use serde_json::Value;

/// `GET /openapi.json`.
pub(crate) async fn serve() -> axum::response::Response {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    let doc = DOCUMENT.get_or_init(document);
    axum::response::IntoResponse::into_response(axum::Json(doc))
}

/// The whole document.
pub fn document() -> Value {
    aide::generate::reset_context();
    aide::generate::infer_responses(false);
    aide::generate::extract_schemas(true);
    aide::generate::in_context(|ctx| {
        // Responses are what the handlers serialize: `skip_serializing_if` fields are optional.
        ctx.schema = schemars::generate::SchemaSettings::draft07()
            .with(|s| {
                s.inline_subschemas = false;
                s.definitions_path = "#/components/schemas/".into();
            })
            .for_serialize()
            .into_generator();
    });
    let mut api = OpenApi {
        info: Info {
            title: "connect agent API".into(),
            version: super::system::VERSION.into(),
            description: Some(
                "Operate connect connectors. Send `api-key: KEY` or `Authorization: Bearer KEY` \
                 when the agent has an [http] api_key; `/`, `/health`, `/ready`, `/openapi.json` \
                 and the dashboard under `/ui` need no key. Generated from the agent's routes and \
                 types: regenerate docs/openapi.json with `UPDATE_OPENAPI=1 cargo test -p \
                 connect-agent openapi`."
                    .into(),
            ),
            ..Default::default()
        },
        ..Default::default()
    };
    let _router = super::router::api_routes().finish_api(&mut api);
    let mut doc = serde_json::to_value(&api).expect("the document serializes");
    post::complete(&mut doc);
    doc
}

#[cfg(test)]
mod tests {
    /// `UPDATE_OPENAPI=1 cargo test -p connect-agent openapi` rewrites docs/openapi.json.
    #[test]
    fn checked_in_document_is_current() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/openapi.json");
        let current = serde_json::to_string_pretty(&super::document()).unwrap() + "\n";
        if std::env::var_os("UPDATE_OPENAPI").is_some() {
            std::fs::write(&path, &current).unwrap();
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == current,
            "docs/openapi.json is stale; regenerate it with UPDATE_OPENAPI=1 cargo test -p connect-agent openapi"
        );
    }

    #[test]
    fn open_routes_need_no_key_and_the_others_say_401() {
        let doc = super::document();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let open = op["security"] == serde_json::json!([]);
                let expected = crate::api::auth::is_open(path);
                assert_eq!(open, expected, "{method} {path}");
                assert_eq!(
                    op["responses"].get("401").is_some(),
                    !expected,
                    "{method} {path}"
                );
            }
        }
        for path in [
            "/",
            "/health",
            "/ready",
            "/openapi.json",
            "/ui",
            "/ui/{path}",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path} is documented");
        }
    }

    #[test]
    fn every_route_documents_its_statuses_bodies_and_parameters() {
        let doc = super::document();
        let op = |m: &str, p: &str| doc["paths"][p][m].clone();
        assert!(op("post", "/connectors")["responses"].get("201").is_some());
        for a in ["start", "stop", "restart"] {
            let o = op("post", &format!("/connectors/{{id}}/{a}"));
            assert!(o["responses"].get("202").is_some(), "{a}");
        }
        let create = op("post", "/connectors");
        for code in ["400", "403", "409", "413", "415", "503"] {
            assert!(create["responses"].get(code).is_some(), "create {code}");
        }
        let body = &create["requestBody"]["content"];
        assert!(body.get("application/json").is_some() && body.get("application/yaml").is_some());
        let names = |o: &Value| -> Vec<String> {
            o["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .map(|p| p["name"].as_str().unwrap().to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        use serde_json::Value;
        assert_eq!(
            names(&op("get", "/connectors")),
            ["direction", "runtime", "state"]
        );
        let logs = names(&op("get", "/connectors/{id}/logs"));
        for q in ["id", "tail", "stream", "follow"] {
            assert!(logs.contains(&q.to_string()), "logs {q}");
        }
        assert!(names(&op("get", "/connectors/{id}/configs/plugin")).contains(&"format".into()));
        assert!(names(&op("delete", "/connectors/{id}")).contains(&"keep_state".into()));
        let id = op("get", "/connectors/{id}")["parameters"][0]["schema"]["pattern"].clone();
        assert_eq!(id, connect_model::document::id::ID_PATTERN);
        let schemas = doc["components"]["schemas"].as_object().unwrap();
        for (name, schema) in schemas {
            assert!(
                schema != &serde_json::json!({ "type": "object" }),
                "{name} is a bare object"
            );
        }
        assert!(
            schemas.contains_key("ConnectorDetails") && schemas.contains_key("ConnectorDocument")
        );
    }
}
