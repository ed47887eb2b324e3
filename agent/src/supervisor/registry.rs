//! Every connector's shared part ([`Slot`]) by id, read by the handle, the agent channel and
//! the status file.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use super::slot::Slot;
use super::status::ConnectorStatus;
use crate::lock::unpoisoned;

#[derive(Default)]
pub(crate) struct Registry {
    slots: RwLock<BTreeMap<String, Arc<Slot>>>,
}

impl Registry {
    pub(crate) fn get(&self, id: &str) -> Option<Arc<Slot>> {
        unpoisoned(self.slots.read()).get(id).cloned()
    }

    /// Every slot at this moment, by id.
    pub(crate) fn all(&self) -> BTreeMap<String, Arc<Slot>> {
        unpoisoned(self.slots.read()).clone()
    }

    /// Every connector's status at this moment, by id order.
    pub(crate) fn statuses(&self) -> Vec<ConnectorStatus> {
        unpoisoned(self.slots.read())
            .values()
            .map(|s| s.status())
            .collect()
    }

    /// Puts a slot in place; returns the one it replaced.
    pub(crate) fn insert(&self, id: &str, slot: Arc<Slot>) -> Option<Arc<Slot>> {
        unpoisoned(self.slots.write()).insert(id.to_string(), slot)
    }

    pub(crate) fn remove(&self, id: &str) -> Option<Arc<Slot>> {
        unpoisoned(self.slots.write()).remove(id)
    }
}
