//! TLS for the API from `[http.tls]`: PEM certificate chain and key, rustls with ring only.

use std::path::Path;
use std::sync::Arc;

use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::config::HttpTlsSection;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("[http.tls] {field} `{path}` cannot be read as PEM: {reason}; point it at a PEM file")]
    Pem {
        field: &'static str,
        path: String,
        reason: String,
    },
    #[error("[http.tls] the certificate and key do not form a usable TLS config: {0}")]
    Config(String),
}

pub(crate) fn config(t: &HttpTlsSection) -> Result<RustlsConfig, TlsError> {
    let certs = CertificateDer::pem_file_iter(Path::new(&t.cert_file))
        .and_then(|it| it.collect::<Result<Vec<_>, _>>())
        .map_err(|e| TlsError::Pem {
            field: "cert_file",
            path: t.cert_file.clone(),
            reason: e.to_string(),
        })?;
    if certs.is_empty() {
        return Err(TlsError::Pem {
            field: "cert_file",
            path: t.cert_file.clone(),
            reason: "no certificate in it".into(),
        });
    }
    let key = PrivateKeyDer::from_pem_file(Path::new(&t.key_file)).map_err(|e| TlsError::Pem {
        field: "key_file",
        path: t.key_file.clone(),
        reason: e.to_string(),
    })?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut server = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| TlsError::Config(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(server)))
}
