//! The HTTP client of the CLI: the agent's URL and API key, JSON in and out, and the API's
//! error body turned into a [`CliError`].

use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use reqwest::blocking::{Client as Http, RequestBuilder, Response};
use serde_json::Value;

use super::error::CliError;

pub struct Client {
    http: Http,
    base: String,
    api_key: Option<String>,
}

impl Client {
    /// A client of the agent at `url` (http:// or https://); `ca_file` adds PEM certificates
    /// to trust, for an agent with a self-signed or private-CA certificate.
    pub fn new(
        url: &str,
        api_key: Option<String>,
        ca_file: Option<&Path>,
        timeout: Option<Duration>,
    ) -> Result<Self, CliError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(CliError::Usage(format!(
                "{url}: give the agent's address as http://host:port or https://host:port"
            )));
        }
        let mut builder = Http::builder();
        if let Some(path) = ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                CliError::Usage(format!("--ca-file {}: cannot read it: {e}", path.display()))
            })?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| {
                CliError::Usage(format!(
                    "--ca-file {}: not PEM certificates: {e}",
                    path.display()
                ))
            })?;
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder
            .timeout(timeout)
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| CliError::Other(format!("cannot set up the HTTP client: {e}")))?;
        Ok(Self {
            http,
            base: url.trim_end_matches('/').to_string(),
            api_key: api_key.filter(|k| !k.is_empty()),
        })
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let r = self.http.request(method, format!("{}{path}", self.base));
        match &self.api_key {
            Some(k) => r.header("api-key", k),
            None => r,
        }
    }

    /// Sends, and turns transport failures and error statuses into [`CliError`]s.
    pub fn send(&self, r: RequestBuilder) -> Result<Response, CliError> {
        let response = r.send().map_err(|e| CliError::Unreachable {
            url: self.base.clone(),
            reason: root_cause(&e),
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        if status.as_u16() == 401 {
            return Err(CliError::Unauthorized);
        }
        let body: Value = response.json().unwrap_or(Value::Null);
        let message = body["message"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| format!("the agent answered {status}"));
        let details = match &body["details"] {
            Value::Array(items) => items
                .iter()
                .map(|d| match (d["path"].as_str(), d["reason"].as_str()) {
                    (Some(p), Some(r)) if !p.is_empty() => format!("{p}: {r}"),
                    (_, Some(r)) => r.to_string(),
                    _ => d.to_string(),
                })
                .collect(),
            _ => Vec::new(),
        };
        Err(CliError::Refused {
            status: status.as_u16(),
            message: super::cli_words::in_cli_words(&message),
            details,
        })
    }

    pub fn get(&self, path: &str) -> Result<Value, CliError> {
        self.json(self.request(Method::GET, path))
    }

    pub fn post(&self, path: &str, body: Option<String>) -> Result<Value, CliError> {
        let mut r = self.request(Method::POST, path);
        if let Some(b) = body {
            r = r.header("content-type", content_type(&b)).body(b);
        }
        self.json(r)
    }

    pub fn put_json(&self, path: &str, body: &Value) -> Result<Value, CliError> {
        self.json(self.request(Method::PUT, path).json(body))
    }

    pub fn delete(&self, path: &str) -> Result<Value, CliError> {
        self.json(self.request(Method::DELETE, path))
    }

    fn json(&self, r: RequestBuilder) -> Result<Value, CliError> {
        let response = self.send(r)?;
        response
            .json()
            .map_err(|e| CliError::Other(format!("the agent's answer is not JSON: {e}")))
    }
}

fn content_type(body: &str) -> &'static str {
    if body.trim_start().starts_with('{') {
        "application/json"
    } else {
        "application/yaml"
    }
}

/// The innermost error: "Connection refused (os error 111)" rather than reqwest's outer text.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = e;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}
