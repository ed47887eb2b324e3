//! How a connector's task hears from the rest of the agent: commands from the handle and news
//! from the agent channel, queued under one lock with one wake-up. Empty queues hold no memory,
//! so an idle connector pays a few words for it, not two channels' preallocated blocks.

use std::collections::VecDeque;
use std::sync::Mutex;

use tokio::sync::Notify;

use super::slot::{ChannelEvent, Command};
use crate::lock::unpoisoned;

/// Channel news kept while the task is busy; older news is dropped first (it is about liveness,
/// and the newest says as much as the older).
const EVENTS_KEPT: usize = 16;

#[derive(Debug, Default)]
pub(crate) struct Mailbox {
    queued: Mutex<Queued>,
    /// One task waits; a wake-up sent while it is not waiting is kept for its next wait.
    wake: Notify,
}

#[derive(Debug, Default)]
struct Queued {
    commands: VecDeque<Command>,
    events: VecDeque<ChannelEvent>,
}

/// What the task takes out: commands before news.
#[derive(Debug)]
pub(crate) enum Mail {
    Command(Command),
    Event(ChannelEvent),
}

impl Mailbox {
    pub(crate) fn send(&self, command: Command) {
        unpoisoned(self.queued.lock()).commands.push_back(command);
        self.wake.notify_one();
    }

    pub(crate) fn tell(&self, event: ChannelEvent) {
        {
            let mut q = unpoisoned(self.queued.lock());
            if q.events.len() == EVENTS_KEPT {
                q.events.pop_front();
            }
            q.events.push_back(event);
        }
        self.wake.notify_one();
    }

    /// The next command; news that arrives meanwhile stays queued.
    pub(crate) async fn command(&self) -> Command {
        loop {
            if let Some(c) = self.with_queues(|q| q.commands.pop_front()) {
                return c;
            }
            self.wake.notified().await;
        }
    }

    /// The next command or news. Cancel-safe: mail is only taken in the poll that returns it.
    pub(crate) async fn next(&self) -> Mail {
        loop {
            let mail = self.with_queues(|q| match q.commands.pop_front() {
                Some(c) => Some(Mail::Command(c)),
                None => q.events.pop_front().map(Mail::Event),
            });
            if let Some(m) = mail {
                return m;
            }
            self.wake.notified().await;
        }
    }

    fn with_queues<T>(&self, take: impl FnOnce(&mut Queued) -> Option<T>) -> Option<T> {
        let mut q = unpoisoned(self.queued.lock());
        let taken = take(&mut q);
        // Give the memory of a burst back once a queue is empty again.
        if q.commands.is_empty() && q.commands.capacity() > 0 {
            q.commands = VecDeque::new();
        }
        if q.events.is_empty() && q.events.capacity() > 0 {
            q.events = VecDeque::new();
        }
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn commands_come_before_news_and_news_is_bounded() {
        let m = Mailbox::default();
        for i in 0..EVENTS_KEPT + 3 {
            m.tell(ChannelEvent::Heartbeat {
                instance: i.to_string(),
            });
        }
        m.send(Command::Stop);
        assert!(matches!(m.next().await, Mail::Command(Command::Stop)));
        // The oldest news went first.
        match m.next().await {
            Mail::Event(ChannelEvent::Heartbeat { instance }) => assert_eq!(instance, "3"),
            other => panic!("expected news, got {other:?}"),
        }
        // `command` waits past news for a command sent later.
        let waiting = m.command();
        tokio::pin!(waiting);
        assert!(
            futures::poll!(waiting.as_mut()).is_pending(),
            "no command is queued yet"
        );
        m.send(Command::Restart);
        assert!(matches!(waiting.await, Command::Restart));
    }
}
