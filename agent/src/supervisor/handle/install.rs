//! Putting a connector in place: a new task with its slot, the new version handed to the task
//! that already runs it, or a failed slot that says why it cannot run.

use std::path::PathBuf;
use std::sync::Arc;

use connect_model::ConnectorConfig;

use super::Agent;
use crate::lock::unpoisoned;
use crate::logs::{Stream, StreamCapture};
use crate::placement::Decision;
use crate::store::Desired;
use crate::supervisor::child::LaunchSpec;
use crate::supervisor::mailbox::Mailbox;
use crate::supervisor::slot::{Command, Slot};
use crate::supervisor::status::{ConnectorStatus, State};
use crate::supervisor::task::Task;

/// One connector to put in place.
pub(super) struct Install<'a> {
    pub config: &'a ConnectorConfig,
    /// The config file it came from; none for connectors created through the API.
    pub file: Option<PathBuf>,
    /// Whether it should run.
    pub run: bool,
    pub version: u32,
    /// How to launch it, or why it cannot run.
    pub spec: Result<LaunchSpec, String>,
    /// The active version changed: a task that already runs it restarts with the new one.
    pub changed: bool,
}

impl Agent {
    pub(super) fn install(&self, install: Install<'_>) {
        let Install {
            config,
            file,
            run,
            version,
            spec,
            changed,
        } = install;
        let id = config.id.as_str();
        let runtime = config.runtime.to_string();
        match crate::placement::decide(config, &self.inner.config.cluster, file.is_some()) {
            Decision::Here => {}
            Decision::Elsewhere(owner) => {
                return self.install_elsewhere(id, &runtime, file, run, version, owner);
            }
            Decision::Nowhere(reason) => {
                tracing::error!("connector `{id}` cannot run: {reason}");
                return self.install_failed(id, &runtime, file, version, reason);
            }
        }
        let spec = match spec {
            Ok(s) => s,
            Err(message) => return self.install_failed(id, &runtime, file, version, message),
        };
        if let Some(slot) = self.inner.registry.get(id)
            && slot.mailbox.is_some()
        {
            if changed {
                slot.update(|s| s.runtime = runtime);
                slot.send(Command::Reconfigure(Box::new(spec), run));
            }
            return;
        }
        let desired = if run {
            Desired::Running
        } else {
            Desired::Stopped
        };
        let status = ConnectorStatus::new(id, &runtime, file, desired, version);
        let slot = Arc::new(self.new_slot(status, Some(Mailbox::default())));
        let task = Task {
            id: id.to_string(),
            slot: slot.clone(),
            sup: self.inner.sup.clone(),
            spec,
        };
        self.inner.registry.insert(id, slot);
        // On the supervisor's runtime, whichever runtime the caller (the API) runs on.
        unpoisoned(self.inner.tasks.lock()).spawn_on(task.run(run), &self.inner.supervision);
    }

    /// A connector another agent of the cluster runs: its config stays here (stored,
    /// versioned, editable), it shows as `placed_elsewhere` with `placed_on`, and a task that
    /// ran it here (before its placement changed) stops.
    fn install_elsewhere(
        &self,
        id: &str,
        runtime: &str,
        file: Option<PathBuf>,
        run: bool,
        version: u32,
        owner: u32,
    ) {
        let desired = if run {
            Desired::Running
        } else {
            Desired::Stopped
        };
        if let Some(slot) = self.inner.registry.get(id)
            && slot.mailbox.is_none()
            && slot.status().placed_on == Some(owner)
        {
            slot.update(|s| {
                s.runtime = runtime.to_string();
                s.file = file;
                s.desired = desired;
                s.version = version;
            });
            return;
        }
        tracing::info!(
            "connector `{id}` runs on agent {owner} of the cluster; this agent (agent {}) keeps its config only",
            self.inner.config.cluster.ordinal()
        );
        let mut status = ConnectorStatus::new(id, runtime, file, desired, version);
        status.state = State::PlacedElsewhere;
        status.placed_on = Some(owner);
        status.refresh_health();
        let slot = Arc::new(self.new_slot(status, None));
        if let Some(old) = self.inner.registry.insert(id, slot) {
            old.send(Command::Remove);
        }
        self.inner.changed.bump();
    }

    /// A connector that cannot run: shown as failed with the reason; a running task for the id stops.
    pub(super) fn install_failed(
        &self,
        id: &str,
        runtime: &str,
        file: Option<PathBuf>,
        version: u32,
        message: String,
    ) {
        let mut status = ConnectorStatus::new(id, runtime, file, Desired::Running, version);
        status.state = State::Failed;
        status.error = Some(message);
        status.refresh_health();
        let slot = Arc::new(self.new_slot(status, None));
        if let Some(old) = self.inner.registry.insert(id, slot) {
            old.send(Command::Remove);
        }
        self.inner.changed.bump();
    }

    fn new_slot(&self, status: ConnectorStatus, mailbox: Option<Mailbox>) -> Slot {
        let dir = self.inner.config.logs_dir();
        let capture = |stream: Stream| {
            StreamCapture::new(
                dir.join(format!("{}.{}.log", status.id, stream.name())),
                &self.inner.limits,
            )
        };
        let (out, err) = (capture(Stream::Stdout), capture(Stream::Stderr));
        Slot::new(status, out, err, mailbox, self.inner.changed.clone())
    }
}
