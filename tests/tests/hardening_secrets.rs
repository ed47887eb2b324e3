//! Secrets stay off disk for other users and off every argument: literal secret values reach a
//! runtime through its environment only, state is owner-only, literals are warned about, and a
//! masked value sent back keeps the stored secret.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use support::*;

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}

/// Every file under `dir` whose content contains `needle`.
fn files_containing(dir: &Path, needle: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            let ft = e.file_type().expect("file type");
            if ft.is_dir() {
                stack.push(p);
            } else if ft.is_file()
                && std::fs::read(&p)
                    .is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
            {
                found.push(p);
            }
        }
    }
    found
}

/// Whether any process's command line contains `needle`.
fn in_any_cmdline(needle: &str) -> Option<String> {
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(b) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        if b.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            return Some(e.file_name().to_string_lossy().into_owned());
        }
    }
    None
}

#[test]
fn literal_secrets_reach_the_runtime_only_through_its_environment() {
    let mut agent = TestAgent::with_api("");
    agent.start();
    let created = agent.post_json("/connectors", &secret_connector("vault", "idle"), 201);
    let warnings = created["warnings"].to_string();
    for field in ["steps.source.config.password", "steps.sink.config.token"] {
        assert!(
            warnings.contains(field),
            "no warning for {field}: {created:#}"
        );
    }
    assert!(
        warnings.contains("${env:"),
        "the warning says what to write: {warnings}"
    );
    assert_no_secret(&created.to_string(), "the create response");
    let c = agent.wait_state("vault", "running");
    let pid = pid_of(&c);

    for secret in [SOURCE_SECRET, SINK_SECRET, ENV_SECRET] {
        assert_eq!(
            in_any_cmdline(secret),
            None,
            "{secret} is in a command line"
        );
    }
    // The runtime got the values in its (owner-only) environment and resolved them: it runs.
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    let environ = String::from_utf8_lossy(&environ);
    for secret in [SOURCE_SECRET, SINK_SECRET, ENV_SECRET] {
        assert!(
            environ.contains(secret),
            "{secret} is not in the runtime's environment"
        );
    }
    assert!(environ.contains("CONNECT_SECRET_1="), "{environ}");
    assert!(
        agent
            .agent_log()
            .contains("a secret field holds a literal value"),
        "the agent logs the literal: {}",
        agent.agent_log()
    );

    let state = agent.state_dir();
    assert_eq!(mode(&state), 0o700, "the state directory is owner-only");
    let holders = files_containing(&state, SOURCE_SECRET);
    assert!(
        !holders.is_empty(),
        "the state keeps the secret for restarts"
    );
    for f in holders {
        assert_eq!(mode(&f) & 0o077, 0, "{} is readable by others", f.display());
    }

    // Modes loosened by an older agent or an operator are tightened at the next start.
    agent.stop();
    std::fs::set_permissions(&state, std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = state.join("agent.json");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    agent.start();
    agent.wait_state("vault", "running");
    assert_eq!(mode(&state), 0o700);
    assert_eq!(mode(&file), 0o600);
}

#[test]
fn a_masked_secret_sent_back_keeps_the_stored_value() {
    let mut agent = TestAgent::with_api("");
    agent.start();
    agent.post_json("/connectors", &secret_connector("keep", "idle"), 201);
    let shown = agent.get_json("/connectors/keep/configs/active", 200);
    let mut config = shown["config"].clone();
    assert_eq!(config["steps"]["source"]["config"]["password"], "******");
    config["description"] = "edited, secrets as shown".into();
    let added = agent.post_json("/connectors/keep/configs", &config.to_string(), 201);
    let version = added["version"].as_u64().expect("version");

    let state: serde_json::Value = serde_json::from_slice(
        &std::fs::read(agent.state_dir().join("agent.json")).expect("agent.json"),
    )
    .expect("state JSON");
    let stored = state["connectors"]["keep"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["version"].as_u64() == Some(version))
        .expect("the new version")["config"]
        .clone();
    assert_eq!(stored["description"], "edited, secrets as shown");
    assert_eq!(
        stored["steps"]["source"]["config"]["password"],
        SOURCE_SECRET
    );
    assert_eq!(stored["steps"]["sink"]["config"]["token"], SINK_SECRET);
    assert_eq!(stored["env"]["SOME_KEY"], ENV_SECRET);

    // A masked value where nothing is stored is refused, naming the field.
    let fresh = secret_connector("fresh", "idle").replace(SOURCE_SECRET, "\"******\"");
    let v = agent.post_json("/connectors", &fresh, 400);
    assert_error(&v, "invalid_config");
    assert!(
        v["details"]
            .to_string()
            .contains("steps.source.config.password"),
        "{v:#}"
    );
}
