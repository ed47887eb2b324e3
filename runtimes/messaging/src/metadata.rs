//! The runtime's `.connect` definitions, embedded in the binary so it validates configs and
//! describes itself (`--help`) without files next to it.

use connect_runtime_sdk::RuntimeMetadata;
use include_dir::{Dir, include_dir};

static CONNECT_DIR: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/.connect");

/// The parsed definitions; the tests prove they parse, so failing here is a build defect.
pub(crate) fn load() -> RuntimeMetadata {
    RuntimeMetadata::from_embedded(&CONNECT_DIR)
        .expect("the embedded .connect definitions are valid (checked by the tests)")
}
