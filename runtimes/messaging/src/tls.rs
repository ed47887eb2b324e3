//! TLS client settings through rustls with the ring provider: the system's roots, or the CA
//! certificates of a PEM file when the component sets `ca_file`.

use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

#[derive(Debug, thiserror::Error)]
pub(crate) enum TlsError {
    #[error("ca_file `{path}`: {reason}; give a readable PEM file with the CA certificate(s)")]
    CaFile { path: String, reason: String },
    #[error("no trusted root certificates found on this system; set `ca_file`")]
    NoRoots,
    #[error("TLS setup: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Makes ring the process's rustls provider (for clients that build their own config).
pub(crate) fn install_ring_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client config trusting `ca_file` (PEM) or else the system's root certificates.
pub(crate) fn client_config(ca_file: Option<&str>) -> Result<Arc<rustls::ClientConfig>, TlsError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect::<Result<_, _>>())
                .map_err(|e| TlsError::CaFile {
                    path: path.to_string(),
                    reason: e.to_string(),
                })?;
            if certs.is_empty() {
                return Err(TlsError::CaFile {
                    path: path.to_string(),
                    reason: "no certificate in it".into(),
                });
            }
            for c in certs {
                roots.add(c)?;
            }
        }
        None => {
            for c in rustls_native_certs::load_native_certs().certs {
                let _ = roots.add(c);
            }
            if roots.is_empty() {
                return Err(TlsError::NoRoots);
            }
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(Arc::new(config))
}
