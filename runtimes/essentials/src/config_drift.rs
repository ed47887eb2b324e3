//! Keeps the `.connect` definitions and the config types in step with the SDK's definition
//! checks, and the repository's `examples/` for this runtime valid.

use connect_runtime_sdk::embed_connect;
use connect_runtime_sdk::testing::check_definitions;

use crate::sinks::file::FileSinkConfig;
use crate::sinks::http::HttpSink;
use crate::sinks::stdout::StdoutConfig;
use crate::sources::file::FileSourceConfig;
use crate::sources::generate::Generate;
use crate::sources::http::HttpPoll;

#[test]
fn definitions_match_the_config_types_and_the_examples() {
    check_definitions(embed_connect!())
        .source_built("generate", |c| Generate::new(c, None))
        .source_built("http", HttpPoll::new)
        .source::<FileSourceConfig>("file")
        .sink::<StdoutConfig>("stdout")
        .sink::<FileSinkConfig>("file")
        .sink_built("http", HttpSink::new)
        .examples(concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples"))
        .registered(&crate::components())
        .crate_version(env!("CARGO_PKG_VERSION"))
        .check();
}
