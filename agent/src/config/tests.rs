//! Config loading: defaults, file values, environment overrides and field-level errors.

use std::collections::HashMap;
use std::time::Duration;

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k: &str| map.get(k).cloned()
}

#[test]
fn no_file_gives_working_defaults() {
    let c = load(&ConfigSource::Defaults, &env_of(&[])).unwrap();
    // Without a file, relative paths resolve against the current directory.
    let here = std::env::current_dir().unwrap();
    assert_eq!(c.state.path, here.join("connect-state"));
    assert_eq!(c.connectors.config_dir, here.join(".connect/connectors"));
    assert_eq!(c.supervisor.grace_period, Duration::from_secs(10));
    assert_eq!(c.socket_path(), here.join("connect-state/agent.sock"));
}

#[test]
fn file_values_and_env_overrides_combine() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.toml");
    std::fs::write(
        &path,
        "[iggy]\naddress = \"iggy:8090\"\n[iggy.tls]\nenabled = false\n[supervisor]\ngrace_period = \"2s\"\n[logs]\nmax_file_size = \"1MiB\"\n",
    )
    .unwrap();
    let env = env_of(&[
        ("CONNECT_IGGY_TLS_ENABLED", "true"),
        ("CONNECT_STATE_PATH", "/var/lib/connect"),
        ("CONNECT_LOGS_FILES_KEPT", "5"),
        ("CONNECT_RUNTIMES_PATHS", "a, b"),
        ("CONNECT_SUPERVISOR_HEARTBEAT_TIMEOUT", "30s"),
    ]);
    let c = load(&ConfigSource::File(path), &env).unwrap();
    assert_eq!(c.iggy.address, "iggy:8090");
    assert!(c.iggy.tls.enabled);
    assert_eq!(c.state.path, PathBuf::from("/var/lib/connect"));
    assert_eq!(c.logs.files_kept, 5);
    assert_eq!(c.logs.max_file_size, ByteSize(1024 * 1024));
    assert_eq!(
        c.runtimes.paths,
        [dir.path().join("a"), dir.path().join("b")]
    );
    assert_eq!(c.supervisor.grace_period, Duration::from_secs(2));
    assert_eq!(c.supervisor.heartbeat_timeout, Duration::from_secs(30));
}

#[test]
fn errors_name_the_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.toml");
    std::fs::write(&path, "[supervisor]\ngrace_period = \"soon\"\n").unwrap();
    let err = load(&ConfigSource::File(path.clone()), &env_of(&[]))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("agent.toml") && err.contains("supervisor.grace_period"),
        "{err}"
    );

    std::fs::write(&path, "[state]\npaht = \"x\"\n").unwrap();
    let err = load(&ConfigSource::File(path), &env_of(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("paht"), "{err}");

    let err = load(
        &ConfigSource::Defaults,
        &env_of(&[("CONNECT_HTTP_ENABLED", "maybe")]),
    )
    .unwrap_err()
    .to_string();
    assert!(err.contains("CONNECT_HTTP_ENABLED"), "{err}");
}

#[test]
fn cluster_keys_come_from_the_file_or_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agent.toml");
    std::fs::write(&path, "[cluster]\nmembers = 3\nordinal = 1\n").unwrap();
    let c = load(&ConfigSource::File(path.clone()), &env_of(&[])).unwrap();
    assert_eq!((c.cluster.members, c.cluster.ordinal()), (3, 1));
    let env = env_of(&[
        ("CONNECT_CLUSTER_MEMBERS", "2"),
        ("CONNECT_CLUSTER_ORDINAL", ""),
        ("HOSTNAME", "connect-agent-1"),
    ]);
    let c = load(&ConfigSource::File(path.clone()), &env).unwrap();
    assert_eq!((c.cluster.members, c.cluster.ordinal()), (2, 1));
    let env = env_of(&[("CONNECT_CLUSTER_ORDINAL", "7")]);
    let e = load(&ConfigSource::File(path.clone()), &env)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("field `cluster.ordinal`") && e.contains("members = 3"),
        "{e}"
    );
    let env = env_of(&[("CONNECT_CLUSTER_ORDINAL", "two")]);
    let e = load(&ConfigSource::File(path), &env)
        .unwrap_err()
        .to_string();
    assert!(e.contains("cluster.ordinal") && e.contains("`two`"), "{e}");
    let c = load(&ConfigSource::Defaults, &env_of(&[])).unwrap();
    assert_eq!((c.cluster.members, c.cluster.ordinal()), (1, 0));
}
