//! `/connectors/{id}/logs`: the last lines of both streams (or one) in capture order, or with
//! `follow=true` a Server-Sent Events stream of new lines, each event named after its stream,
//! that lasts until the client goes away.

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
use crate::logs::{LogLine, Stream, Streams, stamp};
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
    let streams = match q.get("stream") {
        None => Streams::Both,
        Some(s) => Streams::parse(s).ok_or_else(|| {
            ApiError::bad_request(format!("stream `{s}` is not one of {}", Streams::ALLOWED))
        })?,
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
    // Where a follow starts: the files' ends now, before the tail is read, so no line is missed.
    let starts: Vec<(Stream, PathBuf, u64)> = streams
        .list()
        .iter()
        .map(|&stream| {
            let path = agent.log_file(&id, stream);
            let end = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
            (stream, path, end)
        })
        .collect();
    let lines = agent
        .log_lines(&id, streams, tail)
        .ok_or_else(|| ApiError::connector_not_found(&id))?;
    if !follow {
        return Ok(Json(json!({ "id": id, "lines": lines })).into_response());
    }
    let first = stream::iter(lines.into_iter().map(|l| Ok(event(l.stream, &l.line))));
    let sse =
        Sse::new(first.chain(follow_files(agent, id, starts))).keep_alive(KeepAlive::default());
    Ok(sse.into_response())
}

fn event(stream: Stream, line: &str) -> Event {
    Event::default().event(stream.name()).data(line)
}

/// One followed file.
struct Followed {
    stream: Stream,
    path: PathBuf,
    pos: u64,
    partial: Vec<u8>,
}

struct Follow {
    agent: Agent,
    id: String,
    files: Vec<Followed>,
    pending: std::collections::VecDeque<LogLine>,
}

/// New complete lines of the files from their starts, in capture order; a rotation (a file
/// shrinks) restarts it at 0; ends when the connector is deleted.
fn follow_files(
    agent: Agent,
    id: String,
    starts: Vec<(Stream, PathBuf, u64)>,
) -> impl FutStream<Item = Result<Event, Infallible>> {
    let state = Follow {
        agent,
        id,
        files: starts
            .into_iter()
            .map(|(stream, path, pos)| Followed {
                stream,
                path,
                pos,
                partial: Vec::new(),
            })
            .collect(),
        pending: Default::default(),
    };
    stream::unfold(state, |mut s| async move {
        loop {
            if let Some(l) = s.pending.pop_front() {
                return Some((Ok(event(l.stream, &l.line)), s));
            }
            s.agent.get(&s.id)?;
            let mut new: Vec<LogLine> = Vec::new();
            for f in &mut s.files {
                f.read_new(&mut new);
            }
            if new.is_empty() {
                tokio::time::sleep(FOLLOW_POLL).await;
            } else {
                new.sort_by_key(|l| l.ts_ms);
                s.pending.extend(new);
            }
        }
    })
}

impl Followed {
    /// Reads what was appended and adds its complete lines to `out`.
    fn read_new(&mut self, out: &mut Vec<LogLine>) {
        let Ok(mut f) = std::fs::File::open(&self.path) else {
            return;
        };
        let len = f.metadata().map(|m| m.len()).unwrap_or(0);
        if len < self.pos {
            self.pos = 0;
            self.partial.clear();
        }
        if len == self.pos || f.seek(SeekFrom::Start(self.pos)).is_err() {
            return;
        }
        let mut buf = Vec::with_capacity((len - self.pos).min(1 << 20) as usize);
        if f.take(1 << 20).read_to_end(&mut buf).is_err() {
            return;
        }
        self.pos += buf.len() as u64;
        self.partial.extend_from_slice(&buf);
        let mut start = 0;
        for nl in memchr::memchr_iter(b'\n', &self.partial) {
            let text = String::from_utf8_lossy(&self.partial[start..nl]);
            let (ts_ms, line) = stamp::split(text.trim_end_matches('\r'));
            out.push(LogLine {
                stream: self.stream,
                ts_ms,
                line: line.to_string(),
            });
            start = nl + 1;
        }
        self.partial.drain(..start);
    }
}
