//! `/connectors/{id}/logs`: the last lines of stdout or stderr, or with `follow=true` a
//! Server-Sent Events stream of new lines that lasts until the client goes away.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::time::Duration;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream as FutStream, StreamExt};
use serde_json::json;

use super::error::ApiError;
use crate::logs::Stream;
use crate::supervisor::Agent;

const DEFAULT_TAIL: usize = 100;
const MAX_TAIL: usize = 10_000;
/// How often a followed file is checked for new output.
const FOLLOW_POLL: Duration = Duration::from_millis(50);

pub(crate) async fn logs(
    State(agent): State<Agent>,
    Path(id): Path<String>,
    Query(q): Query<BTreeMap<String, String>>,
) -> Result<Response, ApiError> {
    let stream = match q.get("stream").map(String::as_str) {
        None | Some("stdout") => Stream::Stdout,
        Some("stderr") => Stream::Stderr,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "stream `{other}` is not stdout or stderr"
            )));
        }
    };
    let tail = match q.get("tail") {
        None => DEFAULT_TAIL,
        Some(t) => t
            .parse::<usize>()
            .map_err(|_| ApiError::bad_request(format!("tail `{t}` is not a number of lines")))?
            .min(MAX_TAIL),
    };
    let follow = match q.get("follow").map(String::as_str) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(ApiError::bad_request(format!(
                "follow `{other}` is not true or false"
            )));
        }
    };
    let memory = agent
        .logs(&id, stream, tail)
        .ok_or_else(|| ApiError::connector_not_found(&id))?;
    let path = agent.log_file(&id, stream);
    let lines = if memory.len() < tail {
        agent.read_log(&id, stream, tail).unwrap_or(memory)
    } else {
        memory
    };
    if !follow {
        return Ok(
            Json(json!({ "id": id, "stream": stream.name(), "lines": lines })).into_response(),
        );
    }
    let start = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    let first = stream::iter(lines.into_iter().map(|l| Ok(Event::default().data(l))));
    let sse =
        Sse::new(first.chain(follow_file(agent, id, path, start))).keep_alive(KeepAlive::default());
    Ok(sse.into_response())
}

struct Follow {
    agent: Agent,
    id: String,
    path: PathBuf,
    pos: u64,
    partial: Vec<u8>,
    pending: std::collections::VecDeque<String>,
}

/// New complete lines of the file from `start`; a rotation (the file shrinks) restarts at 0;
/// ends when the connector is deleted.
fn follow_file(
    agent: Agent,
    id: String,
    path: PathBuf,
    start: u64,
) -> impl FutStream<Item = Result<Event, Infallible>> {
    let state = Follow {
        agent,
        id,
        path,
        pos: start,
        partial: Vec::new(),
        pending: Default::default(),
    };
    stream::unfold(state, |mut s| async move {
        loop {
            if let Some(line) = s.pending.pop_front() {
                return Some((Ok(Event::default().data(line)), s));
            }
            s.agent.get(&s.id)?;
            if !s.read_new() {
                tokio::time::sleep(FOLLOW_POLL).await;
            }
        }
    })
}

impl Follow {
    /// Reads what was appended; true when a line became available.
    fn read_new(&mut self) -> bool {
        let Ok(mut f) = std::fs::File::open(&self.path) else {
            return false;
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.pos {
            self.pos = 0;
            self.partial.clear();
        }
        if len == self.pos || f.seek(SeekFrom::Start(self.pos)).is_err() {
            return false;
        }
        let mut buf = Vec::with_capacity((len - self.pos).min(1 << 20) as usize);
        if f.take(1 << 20).read_to_end(&mut buf).is_err() {
            return false;
        }
        self.pos += buf.len() as u64;
        self.partial.extend_from_slice(&buf);
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', &self.partial) {
            self.pending.push_back(
                String::from_utf8_lossy(&self.partial[start..nl])
                    .trim_end_matches('\r')
                    .to_string(),
            );
            start = nl + 1;
        }
        self.partial.drain(..start);
        !self.pending.is_empty()
    }
}
