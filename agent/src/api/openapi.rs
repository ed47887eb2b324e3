//! The OpenAPI 3 document of the API, generated from the route table below (kept beside the
//! router; a test checks that every entry answers and that docs/openapi.json is this document).

use serde_json::{Map, Value, json};

/// (method, path, tag, summary, request body kind).
pub(crate) const ROUTES: &[(&str, &str, &str, &str, Body)] = &[
    (
        "get",
        "/",
        "agent",
        "Welcome message with the agent's version (no key needed)",
        Body::None,
    ),
    (
        "get",
        "/health",
        "agent",
        "Liveness (no key needed)",
        Body::None,
    ),
    (
        "get",
        "/ready",
        "agent",
        "Readiness: config loaded and state dir writable (no key needed)",
        Body::None,
    ),
    (
        "get",
        "/stats",
        "iggy",
        "Iggy-compatible runtime stats: process, CPU, memory, per-connector counters",
        Body::None,
    ),
    (
        "get",
        "/system/stats",
        "agent",
        "Agent pid, version, uptime, CPU, memory and connector counts by state",
        Body::None,
    ),
    (
        "get",
        "/metrics",
        "agent",
        "Prometheus text format, `connect_` prefix",
        Body::None,
    ),
    (
        "post",
        "/reload",
        "agent",
        "Re-read the runtimes and the config dir",
        Body::None,
    ),
    ("get", "/openapi.json", "agent", "This document", Body::None),
    (
        "get",
        "/connectors",
        "connectors",
        "List connectors; filters: state, runtime, direction",
        Body::None,
    ),
    (
        "post",
        "/connectors",
        "connectors",
        "Create a connector from a JSON or YAML document (409 if the id exists)",
        Body::Connector,
    ),
    (
        "post",
        "/connectors/validate",
        "connectors",
        "Dry run: every problem of a document, with paths",
        Body::Connector,
    ),
    (
        "get",
        "/connectors/{id}",
        "connectors",
        "Status, masked config and metrics of a connector",
        Body::None,
    ),
    (
        "delete",
        "/connectors/{id}",
        "connectors",
        "Stop and delete; a config-dir connector stays hidden until its file changes or is removed",
        Body::None,
    ),
    (
        "post",
        "/connectors/{id}/start",
        "connectors",
        "Desired running, durably; start it",
        Body::None,
    ),
    (
        "post",
        "/connectors/{id}/stop",
        "connectors",
        "Desired stopped, durably; stop it",
        Body::None,
    ),
    (
        "post",
        "/connectors/{id}/restart",
        "connectors",
        "Restart it",
        Body::None,
    ),
    (
        "get",
        "/connectors/{id}/configs",
        "configs",
        "Every config version (secrets masked)",
        Body::None,
    ),
    (
        "post",
        "/connectors/{id}/configs",
        "configs",
        "Add a config version (not activated)",
        Body::Connector,
    ),
    (
        "get",
        "/connectors/{id}/configs/active",
        "configs",
        "The active config version",
        Body::None,
    ),
    (
        "put",
        "/connectors/{id}/configs/active",
        "configs",
        "Activate a version ({\"version\": N}); restarts this connector only",
        Body::Version,
    ),
    (
        "get",
        "/connectors/{id}/configs/plugin",
        "configs",
        "Component configs of the active version; format=json|yaml|toml|text",
        Body::None,
    ),
    (
        "get",
        "/connectors/{id}/configs/{version}",
        "configs",
        "One config version",
        Body::None,
    ),
    (
        "get",
        "/connectors/{id}/transforms",
        "configs",
        "The transforms of the active version",
        Body::None,
    ),
    (
        "get",
        "/connectors/{id}/logs",
        "logs",
        "Last lines (tail=N, stream=stdout|stderr); follow=true streams new lines as SSE",
        Body::None,
    ),
    (
        "get",
        "/runtimes",
        "runtimes",
        "Runtimes the agent found",
        Body::None,
    ),
    (
        "get",
        "/runtimes/{name}",
        "runtimes",
        "A runtime's manifest and components",
        Body::None,
    ),
    (
        "get",
        "/runtimes/{name}/sources/{component}",
        "runtimes",
        "Field definitions of a source component",
        Body::None,
    ),
    (
        "get",
        "/runtimes/{name}/sinks/{component}",
        "runtimes",
        "Field definitions of a sink component",
        Body::None,
    ),
    (
        "get",
        "/runtimes/{name}/sources/{component}/schema",
        "runtimes",
        "JSON Schema of a source component's config, from its field definitions",
        Body::None,
    ),
    (
        "get",
        "/runtimes/{name}/sinks/{component}/schema",
        "runtimes",
        "JSON Schema of a sink component's config, from its field definitions",
        Body::None,
    ),
    (
        "get",
        "/sinks",
        "iggy",
        "Iggy-compatible: connectors that consume from Iggy",
        Body::None,
    ),
    (
        "get",
        "/sinks/{key}",
        "iggy",
        "Iggy-compatible: sink details",
        Body::None,
    ),
    (
        "get",
        "/sinks/{key}/configs",
        "iggy",
        "Iggy-compatible: config versions of a sink",
        Body::None,
    ),
    (
        "post",
        "/sinks/{key}/configs",
        "iggy",
        "Iggy-compatible: add a config version from an Iggy connector config (translated)",
        Body::Connector,
    ),
    (
        "get",
        "/sinks/{key}/configs/{version}",
        "iggy",
        "Iggy-compatible: one config version",
        Body::None,
    ),
    (
        "get",
        "/sinks/{key}/configs/active",
        "iggy",
        "Iggy-compatible: the active config",
        Body::None,
    ),
    (
        "put",
        "/sinks/{key}/configs/active",
        "iggy",
        "Iggy-compatible: activate a version",
        Body::Version,
    ),
    (
        "get",
        "/sinks/{key}/configs/plugin",
        "iggy",
        "Iggy-compatible: the component config alone; format=json|yaml|toml|text",
        Body::None,
    ),
    (
        "get",
        "/sinks/{key}/transforms",
        "iggy",
        "Iggy-compatible: transforms",
        Body::None,
    ),
    (
        "post",
        "/sinks/{key}/restart",
        "iggy",
        "Iggy-compatible: restart; 204 once the new process is up",
        Body::None,
    ),
    (
        "get",
        "/sources",
        "iggy",
        "Iggy-compatible: connectors that produce to Iggy",
        Body::None,
    ),
    (
        "get",
        "/sources/{key}",
        "iggy",
        "Iggy-compatible: source details",
        Body::None,
    ),
    (
        "get",
        "/sources/{key}/configs",
        "iggy",
        "Iggy-compatible: config versions of a source",
        Body::None,
    ),
    (
        "post",
        "/sources/{key}/configs",
        "iggy",
        "Iggy-compatible: add a config version from an Iggy connector config (translated)",
        Body::Connector,
    ),
    (
        "get",
        "/sources/{key}/configs/{version}",
        "iggy",
        "Iggy-compatible: one config version",
        Body::None,
    ),
    (
        "get",
        "/sources/{key}/configs/active",
        "iggy",
        "Iggy-compatible: the active config",
        Body::None,
    ),
    (
        "put",
        "/sources/{key}/configs/active",
        "iggy",
        "Iggy-compatible: activate a version",
        Body::Version,
    ),
    (
        "get",
        "/sources/{key}/configs/plugin",
        "iggy",
        "Iggy-compatible: the component config alone; format=json|yaml|toml|text",
        Body::None,
    ),
    (
        "get",
        "/sources/{key}/transforms",
        "iggy",
        "Iggy-compatible: transforms",
        Body::None,
    ),
    (
        "post",
        "/sources/{key}/restart",
        "iggy",
        "Iggy-compatible: restart; 204 once the new process is up",
        Body::None,
    ),
];

#[derive(Debug, Clone, Copy)]
pub(crate) enum Body {
    None,
    Connector,
    Version,
}

/// The whole document.
/// `GET /openapi.json`.
pub(crate) async fn serve() -> axum::response::Response {
    axum::response::IntoResponse::into_response(axum::Json(document()))
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for (method, path, tag, summary, body) in ROUTES {
        let params: Vec<Value> = path
            .split('/')
            .filter_map(|seg| seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        let mut op = json!({
            "tags": [tag],
            "summary": summary,
            "operationId": operation_id(method, path),
            "responses": {
                "200": { "description": "Success" },
                "default": { "description": "An error", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } },
            },
        });
        if !params.is_empty() {
            op["parameters"] = Value::Array(params);
        }
        match body {
            Body::None => {}
            Body::Connector => {
                op["requestBody"] = json!({ "required": true, "description": "A connector document", "content": {
                    "application/json": { "schema": { "type": "object" } },
                    "application/yaml": { "schema": { "type": "object" } },
                }});
            }
            Body::Version => {
                op["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": {
                    "type": "object", "required": ["version"], "properties": { "version": { "type": "integer", "minimum": 1 } }
                }}}});
            }
        }
        let entry = paths.entry(path.to_string()).or_insert_with(|| json!({}));
        entry[*method] = op;
    }
    json!({
        "openapi": "3.0.3",
        "info": { "title": "connect agent API", "version": super::system::VERSION, "description": "Operate connect connectors. Send `api-key: KEY` or `Authorization: Bearer KEY` when the agent has an api_key." },
        "paths": paths,
        "components": {
            "schemas": { "Error": { "type": "object", "required": ["code", "message", "details"], "properties": {
                "code": { "type": "string" }, "message": { "type": "string" }, "details": {}
            }}},
            "securitySchemes": {
                "apiKey": { "type": "apiKey", "in": "header", "name": "api-key" },
                "bearer": { "type": "http", "scheme": "bearer" },
            },
        },
        "security": [{ "apiKey": [] }, { "bearer": [] }],
    })
}

fn operation_id(method: &str, path: &str) -> String {
    let mut id = method.to_string();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        let seg = seg
            .trim_start_matches('{')
            .trim_end_matches('}')
            .replace(['.', '-'], "_");
        id.push('_');
        id.push_str(&seg);
    }
    if path == "/" {
        id.push_str("_root");
    }
    id
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
}
