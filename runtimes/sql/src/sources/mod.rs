//! The polling source of the runtime (change data capture lives in `cdc`).

pub(crate) mod query;
