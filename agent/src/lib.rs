//! The connect agent as a library: configuration, supervision behind the cloneable
//! [`supervisor::Agent`] handle, log capture and durable state; `main.rs` is only the CLI edge.

pub mod api;
mod catalog;
pub mod cli;
mod clock;
pub mod config;
pub mod daemon;
pub(crate) mod document_check;
mod fd_budget;
mod heap;
mod lock;
pub mod logs;
mod placement;
mod private_state;
pub mod proc_stats;
pub mod runtimes;
mod sandbox;
mod sched;
pub mod store;
pub mod supervisor;
pub mod telemetry;

pub use supervisor::{
    Agent, AgentError, ConnectorMetrics, ConnectorStatus, ReloadReport, State, Ticket, Totals,
};
