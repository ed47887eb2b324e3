//! The command-line client of the agent API.
