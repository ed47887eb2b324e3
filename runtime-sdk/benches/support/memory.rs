//! The benchmarks' in-memory source: `count` copies of one payload (shared `Bytes`, no copies),
//! with the number sent so far as the cursor.

use bytes::Bytes;
use connect_runtime_sdk::{Batch, ComponentContext, ComponentError, Message, Source, async_trait};

pub struct Memory {
    left: u64,
    sent: u64,
    payload: Bytes,
}

impl Memory {
    pub fn new(count: u64, payload: Bytes) -> Self {
        Self {
            left: count,
            sent: 0,
            payload,
        }
    }
}

#[async_trait]
impl Source for Memory {
    async fn poll(
        &mut self,
        _: &ComponentContext,
        max: usize,
    ) -> Result<Option<Batch>, ComponentError> {
        if self.left == 0 {
            return Ok(None);
        }
        let n = self.left.min(max as u64);
        let ts = connect_runtime_sdk::component::now_us();
        let messages = (0..n)
            .map(|_| Message {
                payload: self.payload.clone(),
                timestamp_us: ts,
                ..Message::default()
            })
            .collect();
        self.left -= n;
        self.sent += n;
        Ok(Some(Batch {
            messages,
            cursor: Some(self.sent.into()),
        }))
    }
}
