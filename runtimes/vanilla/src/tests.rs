//! Keeps `.connect` and the code in step (the SDK's definition checks), and the rules of the
//! runtime's own: secrets marked secret, a token or a username and password, never both.

use std::collections::BTreeSet;

use connect_runtime_sdk::document::ComponentKind;
use connect_runtime_sdk::embed_connect;
use connect_runtime_sdk::testing::check_definitions;

use super::{SinkConfig, SourceConfig, server};

#[test]
fn definitions_match_the_config_types_and_the_examples() {
    let connect = |address, username, password, token| server(address, username, password, token);
    check_definitions(embed_connect!())
        .source_built("iggy", move |c: SourceConfig| {
            connect(c.address, c.username, c.password, c.token)
        })
        .not_in_full(&["token"])
        .sink_built("iggy", move |c: SinkConfig| {
            connect(c.address, c.username, c.password, c.token)
        })
        .not_in_full(&["token"])
        .examples(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"))
        .registered(&crate::components())
        .crate_version(env!("CARGO_PKG_VERSION"))
        .check();
}

#[test]
fn secrets_are_marked_secret() {
    let metadata = embed_connect!();
    for kind in [ComponentKind::Source, ComponentKind::Sink] {
        let secret: BTreeSet<&str> = metadata
            .component(kind, "iggy")
            .expect("the iggy component is defined")
            .fields
            .iter()
            .filter(|f| f.secret)
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(secret, BTreeSet::from(["password", "token"]), "{kind:?}");
    }
}

#[test]
fn mixed_credentials_are_rejected() {
    let err = server(None, Some("u".into()), None, Some("pat".into())).unwrap_err();
    assert!(
        err.to_string()
            .contains("either token or username/password"),
        "{err}"
    );
    assert_eq!(
        server(None, None, None, None).unwrap(),
        None,
        "nothing given: the agent's server"
    );
}
