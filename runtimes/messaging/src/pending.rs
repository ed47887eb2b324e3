//! Acknowledgement handles of the batches a source handed out, keyed by the cursor each batch
//! carries, so `Source::commit` acknowledges exactly what the downstream confirmed.

use std::collections::VecDeque;

use serde_json::Value;

/// Batches handed out and not yet acknowledged, oldest first.
#[derive(Debug)]
pub(crate) struct Pending<H> {
    next: u64,
    batches: VecDeque<(u64, Vec<H>)>,
}

impl<H> Default for Pending<H> {
    fn default() -> Self {
        Self {
            next: 1,
            batches: VecDeque::new(),
        }
    }
}

impl<H> Pending<H> {
    /// Keeps the handles of a batch; returns the cursor to hand out with it.
    pub(crate) fn push(&mut self, handles: Vec<H>) -> Value {
        let n = self.next;
        self.next += 1;
        self.batches.push_back((n, handles));
        serde_json::json!({ "batch": n })
    }

    /// Removes and returns the handles of every batch up to and including `cursor` (the
    /// pipeline commits only the newest confirmed cursor, which covers all earlier batches).
    pub(crate) fn take_through(&mut self, cursor: &Value) -> Vec<H> {
        let Some(upto) = cursor.get("batch").and_then(Value::as_u64) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        while let Some((n, _)) = self.batches.front() {
            if *n > upto {
                break;
            }
            let (_, handles) = self.batches.pop_front().expect("front exists");
            out.extend(handles);
        }
        out
    }

    /// Batches still waiting for confirmation.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.batches.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commit_takes_every_batch_up_to_its_cursor_in_order() {
        let mut p = Pending::default();
        let c1 = p.push(vec![1, 2]);
        let c2 = p.push(vec![3]);
        let c3 = p.push(vec![4, 5]);
        assert_eq!(p.take_through(&c2), [1, 2, 3]);
        assert_eq!(p.take_through(&c1), Vec::<i32>::new(), "already taken");
        assert_eq!(p.len(), 1);
        assert_eq!(p.take_through(&c3), [4, 5]);
        assert_eq!(
            p.take_through(&serde_json::json!({"other": 1})),
            Vec::<i32>::new()
        );
    }
}
