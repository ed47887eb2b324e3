//! API-key authentication (401s, both header forms, open probes), CORS preflight and TLS with a
//! certificate generated in the test, all against a running agent.

mod support;

use support::*;

const KEY: &str = "k3y-for-tests";

#[test]
fn api_key_is_required_except_on_probes() {
    let mut agent = TestAgent::with_api(&format!("api_key = \"{KEY}\""));
    agent.start();
    let bare = client();
    let url = |p: &str| format!("{}{p}", agent.url);
    for path in ["/", "/health", "/ready", "/openapi.json"] {
        assert_eq!(
            bare.get(url(path)).send().unwrap().status(),
            200,
            "{path} must stay open"
        );
    }
    for path in [
        "/connectors",
        "/stats",
        "/metrics",
        "/runtimes",
        "/sinks",
        "/sources",
        "/connectors/x",
    ] {
        let r = bare.get(url(path)).send().unwrap();
        let v = expect(r, 401, path);
        assert_error(&v, "unauthorized");
        assert!(!v.to_string().contains(KEY));
    }
    assert_error(
        &expect(
            bare.post(url("/connectors"))
                .body(testrt_connector("a", "idle"))
                .send()
                .unwrap(),
            401,
            "POST",
        ),
        "unauthorized",
    );
    assert_error(
        &expect(bare.post(url("/reload")).send().unwrap(), 401, "reload"),
        "unauthorized",
    );
    let wrong = bare
        .get(url("/connectors"))
        .header("api-key", "k3y-for-testz")
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let short = bare
        .get(url("/connectors"))
        .header("authorization", "Bearer k3y")
        .send()
        .unwrap();
    assert_eq!(short.status(), 401);
    let basic = bare
        .get(url("/connectors"))
        .header("authorization", format!("Basic {KEY}"))
        .send()
        .unwrap();
    assert_eq!(basic.status(), 401);
    assert_eq!(
        bare.get(url("/connectors"))
            .header("api-key", KEY)
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        bare.get(url("/connectors"))
            .header("authorization", format!("Bearer {KEY}"))
            .send()
            .unwrap()
            .status(),
        200
    );
}

#[test]
fn cors_preflight_follows_the_config() {
    let mut agent = TestAgent::with_api(
        "[http.cors]\nenabled = true\nallowed_methods = [\"GET\", \"POST\"]\nallowed_origins = [\"https://ui.example\"]\nallowed_headers = [\"content-type\", \"api-key\"]\n",
    );
    agent.start();
    let bare = client();
    let r = bare
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/connectors", agent.url),
        )
        .header("origin", "https://ui.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .unwrap();
    assert!(r.status().is_success(), "preflight answered {}", r.status());
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "https://ui.example");
    let methods = h["access-control-allow-methods"].to_str().unwrap();
    assert!(
        methods.contains("POST") && !methods.contains("DELETE"),
        "{methods}"
    );
    let other = bare
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/connectors", agent.url),
        )
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "GET")
        .send()
        .unwrap();
    assert!(
        other.headers().get("access-control-allow-origin").is_none(),
        "a foreign origin was allowed"
    );
    let simple = bare
        .get(format!("{}/health", agent.url))
        .header("origin", "https://ui.example")
        .send()
        .unwrap();
    assert_eq!(
        simple.headers()["access-control-allow-origin"],
        "https://ui.example"
    );
}

/// One HTTP/1.1 GET over rustls (ring), trusting only `ca_pem`; returns status and body.
fn https_get(url: &str, ca_pem: &[u8], path: &str) -> Result<(u16, String), String> {
    use rustls::pki_types::pem::PemObject;
    use std::io::{Read, Write};
    use std::sync::Arc;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem) {
        roots
            .add(cert.map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_root_certificates(roots)
    .with_no_client_auth();
    let address = url.trim_start_matches("https://");
    let conn = rustls::ClientConnection::new(Arc::new(config), "localhost".try_into().unwrap())
        .map_err(|e| e.to_string())?;
    let tcp = std::net::TcpStream::connect(address).map_err(|e| e.to_string())?;
    tcp.set_read_timeout(Some(WAIT)).unwrap();
    let mut tls = rustls::StreamOwned::new(conn, tcp);
    write!(
        tls,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    match tls.read_to_end(&mut raw) {
        Ok(_) => {}
        // Servers may close without close_notify; what arrived is the whole answer.
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof && !raw.is_empty() => {}
        Err(e) => return Err(e.to_string()),
    }
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or(format!("no status line in {text}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

#[test]
fn tls_with_a_generated_certificate() {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .expect("generate a certificate");
    let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()])
        .expect("generate another certificate");
    let dir = tempfile::tempdir().unwrap();
    let (cert_file, key_file) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_file, cert.cert.pem()).unwrap();
    std::fs::write(&key_file, cert.signing_key.serialize_pem()).unwrap();
    let mut agent = TestAgent::with_api(&format!(
        "api_key = \"{KEY}\"\n[http.tls]\nenabled = true\ncert_file = \"{}\"\nkey_file = \"{}\"\n",
        cert_file.display(),
        key_file.display()
    ));
    agent.start();
    assert!(agent.url.starts_with("https://"), "{}", agent.url);
    let ca = cert.cert.pem();
    let (status, body) =
        https_get(&agent.url, ca.as_bytes(), "/health").expect("GET /health over TLS");
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("healthy"), "{body}");
    // Auth applies over TLS as well.
    let (status, body) =
        https_get(&agent.url, ca.as_bytes(), "/connectors").expect("GET /connectors over TLS");
    assert_eq!(status, 401, "{body}");
    // A client that does not trust the certificate is refused, and plain HTTP gets no answer.
    assert!(
        https_get(&agent.url, other.cert.pem().as_bytes(), "/health").is_err(),
        "an untrusted certificate was accepted"
    );
    // The CLI reaches a TLS agent when told which certificate to trust, and not otherwise.
    std::fs::write(dir.path().join("ca.pem"), &ca).unwrap();
    // The certificate names `localhost`, so the CLI must use that name.
    let by_name = agent.url.replace("127.0.0.1", "localhost");
    let cli = |extra: &[&str]| {
        std::process::Command::new(connect_tests::workspace_bin("connect-agent"))
            .args([
                "connector",
                "list",
                "-o",
                "json",
                "--url",
                &by_name,
                "--api-key",
                KEY,
            ])
            .args(extra)
            .env_remove("CONNECT_AGENT_CA_FILE")
            .output()
            .unwrap()
    };
    let ca_arg = dir.path().join("ca.pem").display().to_string();
    let trusted = cli(&["--ca-file", &ca_arg]);
    assert!(
        trusted.status.success(),
        "{}",
        String::from_utf8_lossy(&trusted.stderr)
    );
    assert!(
        String::from_utf8_lossy(&trusted.stdout)
            .trim_start()
            .starts_with('[')
    );
    let untrusted = cli(&[]);
    assert!(
        !untrusted.status.success(),
        "the CLI trusted an unknown certificate"
    );
    let plain = agent.url.replace("https://", "http://");
    let r = client().get(format!("{plain}/health")).send();
    assert!(
        r.is_err() || r.unwrap().status() != 200,
        "plain HTTP was served on the TLS port"
    );
}

#[test]
fn a_bad_tls_config_fails_the_start_with_a_clear_message() {
    let mut agent = TestAgent::with_api(
        "[http.tls]\nenabled = true\ncert_file = \"/nonexistent/cert.pem\"\nkey_file = \"/nonexistent/key.pem\"\n",
    );
    let log_path = agent.log_path();
    let child = std::process::Command::new(connect_tests::workspace_bin("connect-agent"))
        .args(["start", "--config"])
        .arg(&agent.config)
        .stdout(std::fs::File::create(&log_path).unwrap())
        .stderr(std::fs::File::create(log_path.with_extension("err")).unwrap())
        .spawn()
        .unwrap();
    agent.child = Some(child);
    let status = connect_tests::wait_for(WAIT, "the agent to exit", || {
        agent.child.as_mut().unwrap().try_wait().unwrap()
    });
    assert!(!status.success());
    let err = std::fs::read_to_string(log_path.with_extension("err")).unwrap();
    assert!(
        err.contains("cert_file") && err.contains("/nonexistent/cert.pem"),
        "{err}"
    );
    agent.child = None;
}
