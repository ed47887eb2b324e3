//! Supervision of connector runtimes: one task per connector behind a cloneable [`Agent`]
//! handle that an HTTP API or the daemon's signal handler drives.

mod changes;
pub(crate) mod channel;
mod child;
mod child_fds;
mod handle;
mod launch;
mod mailbox;
mod output;
mod process;
mod registry;
mod scratch;
mod slot;
mod spawner;
mod status;
pub(crate) mod status_file;
mod task;
mod ticket;

pub(crate) use child::check_argument_size;
pub(crate) use child_fds::close_inherited_on_exec;
pub use handle::{Agent, AgentError, ConnectorMetrics, RecordSummary, ReloadReport, Totals};
pub(crate) use launch::literal_warning;
pub use status::{ConnectorStatus, Health, HeartbeatInfo, State};
pub use ticket::Ticket;
