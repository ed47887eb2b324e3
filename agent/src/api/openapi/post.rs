//! What every route has from the layers rather than its handler, added to the generated
//! document: operation ids, path-parameter rules, the API-key requirement (and its 401) except
//! on the open routes, the CSRF rule's 403 and 415 on state-changing methods, and the connector
//! document's schema (the model's, as in docs/connector.schema.json).

use serde_json::{Map, Value, json};

use super::inputs::CONNECTOR_DOCUMENT;
use crate::api::auth;

/// The rule of a path parameter, by name.
fn path_schema(name: &str) -> Value {
    use connect_model::document::id::ID_PATTERN;
    match name {
        "id" | "key" => json!({ "type": "string", "pattern": ID_PATTERN }),
        "name" => json!({ "type": "string", "pattern": "^[a-z0-9][a-z0-9_-]{0,62}(:.+)?$" }),
        "version" => json!({ "type": "string", "pattern": "^[0-9]{1,9}$" }),
        _ => json!({ "type": "string" }),
    }
}

/// Every query parameter is optional, and a query has no null: the schema is the value's own.
fn optional(mut param: Value) -> Value {
    param["required"] = json!(false);
    let schema = &mut param["schema"];
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|t| t != "null");
        if types.len() == 1 {
            schema["type"] = types[0].clone();
        }
    }
    if let Some(Value::Array(any)) = schema.get("anyOf").cloned() {
        let rest: Vec<Value> = any
            .into_iter()
            .filter(|s| s != &json!({ "type": "null" }))
            .collect();
        if let [only] = rest.as_slice() {
            let description = schema.get("description").cloned();
            *schema = only.clone();
            if let Some(d) = description {
                schema["description"] = d;
            }
        }
    }
    param
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } }
    })
}

pub(super) fn complete(doc: &mut Value) {
    let paths = std::mem::take(&mut doc["paths"]);
    let mut out = Map::new();
    for (path, mut item) in paths.as_object().cloned().unwrap_or_default() {
        // OpenAPI has no wildcard segment: `/ui/{*path}` is written `/ui/{path}`.
        let path = path.replace("{*", "{");
        let params: Vec<String> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .map(str::to_string)
            .collect();
        for (method, op) in item.as_object_mut().into_iter().flatten() {
            complete_operation(&path, method, op, &params);
        }
        out.insert(path, item);
    }
    doc["paths"] = Value::Object(out);
    let schemas = &mut doc["components"]["schemas"];
    insert_connector_document(schemas);
    schemas["Error"] = serde_json::to_value(schemars::schema_for!(crate::api::error::ApiError))
        .expect("a schema serializes");
    if let Some(e) = schemas["Error"].as_object_mut() {
        e.remove("$schema");
        e.remove("title");
    }
    doc["components"]["securitySchemes"] = json!({
        "apiKey": { "type": "apiKey", "in": "header", "name": "api-key" },
        "bearer": { "type": "http", "scheme": "bearer" },
    });
    doc["security"] = json!([{ "apiKey": [] }, { "bearer": [] }]);
}

fn complete_operation(path: &str, method: &str, op: &mut Value, params: &[String]) {
    let mut id = method.to_string();
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        id.push('_');
        id.push_str(&seg.trim_matches(['{', '}']).replace(['.', '-'], "_"));
    }
    if path == "/" {
        id.push_str("_root");
    }
    op["operationId"] = json!(id);
    let mut list: Vec<Value> = params
        .iter()
        .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": path_schema(name) }))
        .collect();
    if let Some(existing) = op["parameters"].as_array() {
        list.extend(
            existing
                .iter()
                .filter(|p| p["in"] == "query")
                .cloned()
                .map(optional),
        );
    }
    if !list.is_empty() {
        op["parameters"] = Value::Array(list);
    }
    let responses = &mut op["responses"];
    if auth::is_open(path) {
        op["security"] = json!([]);
    } else {
        responses["401"] = error_response("Missing or wrong API key (when the agent has one)");
    }
    let responses = &mut op["responses"];
    if matches!(method, "post" | "put" | "delete") {
        responses["403"] =
            error_response("The request's Origin is neither the agent's nor an allowed one");
        responses["415"] = error_response("A body that is not JSON or YAML");
    }
    if params.iter().any(|p| p == "id" || p == "key") && responses.get("404").is_none() {
        responses["404"] = error_response("No connector with this id");
    }
}

/// The model's connector schema under `components.schemas`: its root as
/// `ConnectorDocument`, each of its definitions as `ConnectorDocument.<name>`.
fn insert_connector_document(schemas: &mut Value) {
    let mut root = connect_model::document::schema::connector_schema();
    let defs = root
        .as_object_mut()
        .and_then(|r| r.remove("$defs"))
        .unwrap_or_default();
    if let Some(r) = root.as_object_mut() {
        r.remove("$schema");
        r.remove("$id");
    }
    let rewrite = |mut v: Value| {
        relink(&mut v);
        v
    };
    for (name, def) in defs.as_object().cloned().unwrap_or_default() {
        schemas[format!("{CONNECTOR_DOCUMENT}.{name}")] = rewrite(def);
    }
    schemas[CONNECTOR_DOCUMENT] = rewrite(root);
}

fn relink(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if let Some(Value::String(r)) = m.get_mut("$ref")
                && let Some(name) = r.strip_prefix("#/$defs/")
            {
                *r = format!("#/components/schemas/{CONNECTOR_DOCUMENT}.{name}");
            }
            m.values_mut().for_each(relink);
        }
        Value::Array(a) => a.iter_mut().for_each(relink),
        _ => {}
    }
}
