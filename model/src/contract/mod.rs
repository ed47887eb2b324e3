//! The runtime contract (docs/runtime-contract.md): invocation, environment, exit codes,
//! secret references and the agent channel's messages. The agent and the SDK share these types.

pub mod agent_message;
pub mod allowed_paths;
pub mod env;
pub mod exit_code;
pub mod invocation;
pub mod secret_ref;

pub use agent_message::{AgentMessage, CONTRACT_VERSION, Counters, EventLevel};
pub use allowed_paths::{AllowedPaths, PathOutside};
pub use env::{Env, ProcessEnv};
pub use exit_code::ExitCode;
pub use invocation::Invocation;
