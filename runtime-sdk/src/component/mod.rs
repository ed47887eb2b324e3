//! What runtime authors build on: messages, the `Source` and `Sink` traits and their context.

pub mod allowed_path;
pub mod context;
pub mod error;
pub mod message;
pub mod traits;
pub mod written;

pub use allowed_path::check_allowed_path;
pub use context::ComponentContext;
pub use error::ComponentError;
pub use message::{Batch, Message, Origin, now_us};
pub use traits::{CURSOR_STATE, Sink, Source};
pub use written::{Rejected, Written};
