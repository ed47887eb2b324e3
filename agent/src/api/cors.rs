//! CORS from `[http.cors]`, in the Iggy connectors runtime's shape (tower-http underneath).

use axum::http::{HeaderName, HeaderValue, Method};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};

use crate::config::CorsSection;

#[derive(Debug, thiserror::Error)]
pub enum CorsError {
    #[error("[http.cors] {field}: `{value}` is not valid; fix or remove it")]
    Invalid { field: &'static str, value: String },
}

/// `None` when CORS is disabled.
pub(crate) fn layer(c: &CorsSection) -> Result<Option<CorsLayer>, CorsError> {
    if !c.enabled {
        return Ok(None);
    }
    let bad = |field, value: &str| CorsError::Invalid {
        field,
        value: value.to_string(),
    };
    let nonempty = |v: &Vec<String>| {
        v.iter()
            .filter(|s| !s.trim().is_empty())
            .cloned()
            .collect::<Vec<_>>()
    };
    let mut layer = CorsLayer::new().allow_private_network(c.allow_private_network);
    let origins = nonempty(&c.allowed_origins);
    layer = if origins.iter().any(|o| o == "*") {
        layer.allow_origin(Any)
    } else {
        let list = origins
            .iter()
            .map(|o| HeaderValue::from_str(o).map_err(|_| bad("allowed_origins", o)))
            .collect::<Result<Vec<_>, _>>()?;
        layer.allow_origin(AllowOrigin::list(list))
    };
    let methods = nonempty(&c.allowed_methods);
    layer = if methods.is_empty() || methods.iter().any(|m| m == "*") {
        layer.allow_methods(Any)
    } else {
        let list = methods
            .iter()
            .map(|m| {
                m.to_uppercase()
                    .parse::<Method>()
                    .map_err(|_| bad("allowed_methods", m))
            })
            .collect::<Result<Vec<_>, _>>()?;
        layer.allow_methods(list)
    };
    let header_list = |field, v: &Vec<String>| {
        nonempty(v)
            .iter()
            .map(|h| h.parse::<HeaderName>().map_err(|_| bad(field, h)))
            .collect::<Result<Vec<_>, _>>()
    };
    let headers = nonempty(&c.allowed_headers);
    layer = if headers.iter().any(|h| h == "*") {
        layer.allow_headers(Any)
    } else {
        layer.allow_headers(header_list("allowed_headers", &c.allowed_headers)?)
    };
    let exposed = header_list("exposed_headers", &c.exposed_headers)?;
    if !exposed.is_empty() {
        layer = layer.expose_headers(exposed);
    }
    if c.allow_credentials {
        layer = layer.allow_credentials(true);
    }
    Ok(Some(layer))
}
