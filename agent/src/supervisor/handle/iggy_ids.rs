//! The stable number of each connector that the Iggy-compatible API shows as `id`: given
//! once, in order of first sight, kept in the agent's state and never reused.

use std::collections::BTreeMap;

use super::{Agent, AgentError};

impl Agent {
    /// Every connector's number, giving the next free ones to connectors that have none yet
    /// (and storing them durably before answering).
    pub async fn numeric_ids(&self) -> Result<BTreeMap<String, u32>, AgentError> {
        let mut store = self.inner.store.lock().await;
        let doc = &mut store.doc;
        let first = doc.numeric_ids.values().max().map_or(1, |n| n + 1);
        let missing: Vec<String> = doc
            .connectors
            .keys()
            .filter(|k| !doc.numeric_ids.contains_key(*k))
            .cloned()
            .collect();
        for (n, key) in (first..).zip(&missing) {
            doc.numeric_ids.insert(key.clone(), n);
        }
        let ids = doc.numeric_ids.clone();
        if !missing.is_empty() {
            store.save()?;
        }
        Ok(ids)
    }
}
