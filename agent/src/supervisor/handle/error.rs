//! How an operation on the [`Agent`](super::Agent) fails; each message says what to do.

use std::path::PathBuf;

use connect_model::FieldErrors;

use crate::store::StoreError;
use crate::supervisor::channel::ChannelError;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("connector `{0}` does not exist")]
    NotFound(String),
    #[error("connector `{id}` cannot run: {reason}")]
    NotRunnable { id: String, reason: String },
    #[error(
        "connector `{id}` runs on agent {owner} of the cluster, not on this one (agent {here}); start, stop or restart it through agent {owner}"
    )]
    PlacedElsewhere { id: String, owner: u32, here: u32 },
    #[error("connector `{0}` already exists; change it by adding a config version")]
    Exists(String),
    #[error("invalid connector config:\n{0}")]
    Invalid(FieldErrors),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Channel(#[from] ChannelError),
    #[error("cannot create the state directory {path}: {source}")]
    StateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
