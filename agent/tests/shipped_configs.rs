//! The configurations the repository ships (the local `.connect/` setup, `deploy/`, the
//! examples) load and validate, so a newcomer's first command and a deployment do not fail on
//! a stale key.

use std::path::{Path, PathBuf};

use connect_agent::config::{ConfigSource, load};
use connect_model::document::decode;
use connect_model::metadata::{RuntimeMetadata, validate_connector};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn no_env(_: &str) -> Option<String> {
    None
}

fn load_toml(text: &str, name: &str) {
    load_toml_with(text, name, &no_env);
}

fn load_toml_with(
    text: &str,
    name: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> connect_agent::config::AgentConfig {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, text).unwrap();
    load(&ConfigSource::File(path), env).unwrap_or_else(|e| panic!("{name} does not load: {e}"))
}

/// Validates a connector document against the runtime it names, from `runtimes/<name>/.connect`.
fn check_connector(text: &str, origin: &str) {
    let config = decode::from_str(text).unwrap_or_else(|e| panic!("{origin}: {e}"));
    let dir = repo()
        .join("runtimes")
        .join(config.runtime.name())
        .join(".connect");
    let metadata = RuntimeMetadata::load_dir(&dir).unwrap_or_else(|e| panic!("{origin}: {e}"));
    if let Err(e) = validate_connector(&config, &metadata) {
        panic!("{origin}: {e}");
    }
}

#[test]
fn the_repository_setup_and_its_connectors_are_valid() {
    load_toml(
        &std::fs::read_to_string(repo().join(".connect/agent.toml")).unwrap(),
        "agent.toml",
    );
    let mut seen = 0;
    for entry in std::fs::read_dir(repo().join(".connect/connectors")).unwrap() {
        let path = entry.unwrap().path();
        check_connector(
            &std::fs::read_to_string(&path).unwrap(),
            &path.display().to_string(),
        );
        seen += 1;
    }
    assert!(seen >= 2, "the bundled example connectors are missing");
}

#[test]
fn deploy_configs_load() {
    load_toml(
        &std::fs::read_to_string(repo().join("deploy/agent.toml")).unwrap(),
        "agent.toml",
    );
    // The Kubernetes manifest embeds an agent.toml and connector files in ConfigMaps.
    let manifest =
        std::fs::read_to_string(repo().join("deploy/kubernetes/connect-agent.yaml")).unwrap();
    let mut embedded = 0;
    let mut members = None;
    let mut replicas = None;
    for doc in manifest.split("\n---\n") {
        let value: serde_json::Value = connect_model::yaml::from_str(doc).unwrap();
        if value["kind"] == "StatefulSet" {
            replicas = value["spec"]["replicas"].as_u64();
        }
        if value["kind"] != "ConfigMap" {
            continue;
        }
        for (name, text) in value["data"].as_object().unwrap() {
            let text = text.as_str().unwrap();
            if name.ends_with(".toml") {
                // As the StatefulSet's second pod: the ordinal comes from its name.
                let pod = |k: &str| (k == "HOSTNAME").then(|| "connect-agent-1".to_string());
                let config = load_toml_with(text, name, &pod);
                assert_eq!(config.cluster.ordinal(), 1);
                members = Some(u64::from(config.cluster.members));
            } else {
                check_connector(text, &format!("deploy/kubernetes ConfigMap entry {name}"));
            }
            embedded += 1;
        }
    }
    assert_eq!(embedded, 2);
    assert_eq!(
        members, replicas,
        "[cluster] members matches the StatefulSet's replicas"
    );
}

/// Every leaf key of the default config as its path (`http.cors.enabled`).
fn leaf_paths(value: &serde_json::Value, prefix: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match value.as_object() {
        Some(map) => {
            for (k, v) in map {
                prefix.push(k.clone());
                leaf_paths(v, prefix, out);
                prefix.pop();
            }
        }
        None => out.push(prefix.clone()),
    }
}

#[test]
fn the_configuration_reference_lists_every_key_and_its_variable() {
    let doc = std::fs::read_to_string(repo().join("docs/configuration.md")).unwrap();
    let defaults = serde_json::to_value(connect_agent::config::AgentConfig::default()).unwrap();
    let mut paths = Vec::new();
    leaf_paths(&defaults, &mut Vec::new(), &mut paths);
    assert!(paths.len() > 30, "{paths:?}");
    let mut missing = Vec::new();
    for path in paths {
        let (key, section) = path.split_last().unwrap();
        let heading = format!("[{}]`", section.join("."));
        let row = format!("| `{key}` |");
        let variable = format!("`CONNECT_{}`", path.join("_").to_ascii_uppercase());
        // The row must sit under its section's heading, before the next heading.
        let documented = doc.split("\n#").any(|part| {
            part.lines().next().is_some_and(|h| h.contains(&heading))
                && part.contains(&row)
                && part.contains(&variable)
        });
        if !documented {
            missing.push(path.join("."));
        }
    }
    assert!(
        missing.is_empty(),
        "docs/configuration.md lacks these keys (a row with the key and its variable under the section's heading): {missing:?}"
    );
}

#[test]
fn the_image_runs_as_documented() {
    let dockerfile = std::fs::read_to_string(repo().join("deploy/Dockerfile")).unwrap();
    let ignore = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    assert!(ignore.lines().any(|l| l.trim() == "target/"), "{ignore}");
    // The final stage has a working directory the non-root user owns, and the base directory
    // of the config (the parent of .connect/) is that directory.
    let last = dockerfile.rsplit("FROM ").next().unwrap();
    assert!(last.contains("WORKDIR /var/lib/connect"), "{last}");
    assert!(
        last.contains("CONNECT_CONFIG_PATH=/var/lib/connect/.connect/agent.toml"),
        "{last}"
    );
    assert!(last.contains("chown -R connect /var/lib/connect"), "{last}");
    // The health check uses /health, which needs no API key.
    assert!(
        last.contains("HEALTHCHECK CMD [\"connect-agent\", \"health\""),
        "{last}"
    );
    let manifest =
        std::fs::read_to_string(repo().join("deploy/kubernetes/connect-agent.yaml")).unwrap();
    assert!(manifest.contains("imagePullPolicy: IfNotPresent"));
    assert!(manifest.contains("Service named `iggy`"));
}
