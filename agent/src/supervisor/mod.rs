//! Supervision of connector runtimes: one task per connector behind a cloneable [`Agent`]
//! handle that an HTTP API or the daemon's signal handler drives.

mod backoff;
mod changes;
mod child;
mod handle;
mod launch;
mod process;
mod slot;
mod spawner;
mod status;
mod task;

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

pub(crate) use changes::Changes;
pub use handle::api_ops::RecordSummary;
pub use handle::{Agent, AgentError, ConnectorMetrics, ReloadReport, Totals};
pub use status::{ConnectorStatus, HeartbeatInfo, State};

/// Every connector's shared part, by id; read by the agent channel and the handle.
pub(crate) type Registry = RwLock<BTreeMap<String, Arc<slot::Slot>>>;
