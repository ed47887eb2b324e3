//! A real OTLP/HTTP receiver for the tracing test: an HTTP/1.1 server on a free port that
//! decodes `ExportTraceServiceRequest` and `ExportMetricsServiceRequest` protobuf bodies and
//! hands them to the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::{KeyValue, any_value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

/// One decoded export request.
pub enum Export {
    Traces(ExportTraceServiceRequest),
    Metrics(ExportMetricsServiceRequest),
    /// A request the receiver could not take, with the reason.
    Bad(String),
}

pub struct Collector {
    pub endpoint: String,
    rx: mpsc::Receiver<Export>,
    pub received: Vec<Export>,
}

impl Collector {
    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the OTLP receiver");
        let endpoint = format!("http://{}", listener.local_addr().expect("address"));
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                let tx = tx.clone();
                std::thread::spawn(move || serve(stream, &tx));
            }
        });
        Self {
            endpoint,
            rx,
            received: Vec::new(),
        }
    }

    /// Keeps receiving until `done` holds for what arrived, for at most `limit`; fails with
    /// `what` and a summary of what did arrive.
    pub fn wait_until(&mut self, limit: Duration, what: &str, done: impl Fn(&[Export]) -> bool) {
        let deadline = Instant::now() + limit;
        while !done(&self.received) {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.rx.recv_timeout(left) {
                Ok(export) => self.received.push(export),
                Err(_) => panic!(
                    "the OTLP receiver did not get {what} within {limit:?}; it got:\n{}",
                    summary(&self.received)
                ),
            }
        }
    }
}

/// Requests on one connection (the exporters keep connections alive).
fn serve(stream: TcpStream, tx: &mpsc::Sender<Export>) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut writer = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        let mut length = 0usize;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':')
                && name.eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0u8; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let export = match path.as_str() {
            "/v1/traces" => ExportTraceServiceRequest::decode(body.as_slice())
                .map(Export::Traces)
                .unwrap_or_else(|e| Export::Bad(format!("{path}: {e}"))),
            "/v1/metrics" => ExportMetricsServiceRequest::decode(body.as_slice())
                .map(Export::Metrics)
                .unwrap_or_else(|e| Export::Bad(format!("{path}: {e}"))),
            other => Export::Bad(format!("unexpected path {other}")),
        };
        let _ = tx.send(export);
        let ok =
            b"HTTP/1.1 200 OK\r\ncontent-type: application/x-protobuf\r\ncontent-length: 0\r\n\r\n";
        if writer.write_all(ok).is_err() {
            return;
        }
    }
}

/// The `service.name` of a resource.
pub fn service(resource: Option<&Resource>) -> String {
    resource
        .and_then(|r| attribute(&r.attributes, "service.name"))
        .unwrap_or_default()
}

/// A string or integer attribute as text.
pub fn attribute(attributes: &[KeyValue], key: &str) -> Option<String> {
    let value = attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?;
    match value.value.as_ref()? {
        any_value::Value::StringValue(s) => Some(s.clone()),
        any_value::Value::IntValue(i) => Some(i.to_string()),
        any_value::Value::BoolValue(b) => Some(b.to_string()),
        other => Some(format!("{other:?}")),
    }
}

fn summary(received: &[Export]) -> String {
    let mut lines = Vec::new();
    for export in received {
        match export {
            Export::Traces(t) => {
                for rs in &t.resource_spans {
                    let names: Vec<_> = rs
                        .scope_spans
                        .iter()
                        .flat_map(|s| &s.spans)
                        .map(|s| s.name.as_str())
                        .collect();
                    lines.push(format!(
                        "  spans of {}: {names:?}",
                        service(rs.resource.as_ref())
                    ));
                }
            }
            Export::Metrics(m) => {
                for rm in &m.resource_metrics {
                    let names: Vec<_> = rm
                        .scope_metrics
                        .iter()
                        .flat_map(|s| &s.metrics)
                        .map(|m| m.name.as_str())
                        .collect();
                    lines.push(format!(
                        "  metrics of {}: {names:?}",
                        service(rm.resource.as_ref())
                    ));
                }
            }
            Export::Bad(reason) => lines.push(format!("  bad request: {reason}")),
        }
    }
    if lines.is_empty() {
        "  nothing".into()
    } else {
        lines.join("\n")
    }
}
