//! A few long-lived threads that fork runtimes. A fork+exec blocks its thread until the child
//! has exec'd, which under load takes milliseconds: done here, it never stalls the async
//! workers. PR_SET_PDEATHSIG follows the thread that forked, so these threads never exit.

use std::sync::mpsc;
use std::sync::{Arc, Mutex};

use super::child::{self, ChildEnv, LaunchSpec, SpawnError, Spawned};

type Job = Box<dyn FnOnce() + Send>;

#[derive(Debug)]
pub(crate) struct Spawner {
    jobs: mpsc::Sender<Job>,
}

impl Spawner {
    /// Starts `threads` forking threads bound to the current tokio runtime.
    pub(crate) fn start(threads: usize) -> Self {
        let (jobs, rx) = mpsc::channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        let handle = tokio::runtime::Handle::current();
        for i in 0..threads {
            let rx = rx.clone();
            let handle = handle.clone();
            std::thread::Builder::new()
                .name(format!("spawner-{i}"))
                .stack_size(256 * 1024)
                .spawn(move || {
                    // tokio's child reaping needs the runtime's context.
                    let _runtime = handle.enter();
                    // Low fd numbers, taken before the runtimes' fds fill the table; on failure
                    // the first spawn tries again and reports the error.
                    let _ = super::child_fds::reserve();
                    loop {
                        let job = crate::lock::unpoisoned(rx.lock()).recv();
                        match job {
                            Ok(job) => job(),
                            // Exiting would SIGKILL every child this thread forked.
                            Err(_) => loop {
                                std::thread::park();
                            },
                        }
                    }
                })
                .expect("cannot start a spawner thread");
        }
        Self { jobs }
    }

    pub(crate) async fn spawn(
        &self,
        id: &str,
        instance: &str,
        spec: &LaunchSpec,
        env: &Arc<ChildEnv>,
    ) -> Result<Spawned, SpawnError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (id, instance, spec, env) = (
            id.to_string(),
            instance.to_string(),
            spec.clone(),
            env.clone(),
        );
        let job: Job = Box::new(move || {
            let _ = tx.send(child::spawn(&id, &instance, &spec, &env));
        });
        if self.jobs.send(job).is_err() {
            return Err(SpawnError::NoSpawner);
        }
        rx.await.unwrap_or(Err(SpawnError::NoSpawner))
    }
}
