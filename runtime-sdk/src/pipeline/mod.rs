//! The pipeline: the component registry a runtime launches, and the driver that moves batches
//! from `source|consumer` through the transform chain to `sink|producer`, at least once.

mod batching;
mod dead_letter;
mod dead_letter_file;
mod driver;
mod reader;
mod registry;
mod retry;
mod writer;

pub use batching::{CHANNEL_BATCHES, COMMIT_INTERVAL, DEFAULT_BATCH_LENGTH, DEFAULT_LINGER};
pub use dead_letter::{
    HEADER_CLASS, HEADER_CONNECTOR, HEADER_MESSAGE, HEADER_OFFSET, HEADER_STAGE,
};
pub use registry::Components;
pub use retry::{DEFAULT_ATTEMPTS, DEFAULT_INITIAL_BACKOFF, DEFAULT_MAX_BACKOFF, RetryPolicy};

#[cfg(test)]
mod dead_letter_iggy_tests;
#[cfg(test)]
mod dead_letter_tests;
#[cfg(test)]
mod tests;
