//! Turns decoded pgoutput messages into connect messages: one JSON document per row change,
//! keyed by the table's primary key, grouped by transaction so a cursor only ever points at a
//! transaction boundary.

use std::collections::HashMap;

use bytes::Bytes;
use connect_runtime_sdk::Message;
use serde_json::{Map, Value};

use super::pgoutput::{Datum, PgOutput, Relation, Tuple, format_lsn, pg_epoch_to_unix_us};
use crate::pg_values::text_to_json;

/// One message ready for the pipeline; `commit` is set on the last change of a transaction and
/// is the LSN the slot may advance to once it and everything before it are delivered.
pub(crate) struct Change {
    pub(crate) message: Message,
    pub(crate) commit: Option<u64>,
}

/// Assembles transactions from one peek's rows.
#[derive(Default)]
pub(crate) struct Assembler {
    relations: HashMap<u32, Relation>,
    txn: Option<Txn>,
}

struct Txn {
    /// Microseconds since the Unix epoch, and the same in RFC 3339.
    unix_us: i64,
    commit_ts: String,
    changes: Vec<Message>,
    rows: u64,
}

/// A complete transaction: its changes and the LSN just past its commit record.
pub(crate) struct Committed {
    pub(crate) end_lsn: u64,
    pub(crate) changes: Vec<Message>,
    /// Rows of the peek that made it up (begin, relations, changes, commit).
    pub(crate) rows: u64,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum AssembleError {
    #[error("a change names relation {0}, which no Relation message described")]
    UnknownRelation(u32),
    #[error("a change arrived outside a transaction")]
    NoTransaction,
}

impl Assembler {
    /// Feeds one message (with the LSN of its peek row); returns the transaction it completes.
    pub(crate) fn push(
        &mut self,
        lsn: u64,
        message: PgOutput,
    ) -> Result<Option<Committed>, AssembleError> {
        if let Some(t) = &mut self.txn {
            t.rows += 1;
        }
        match message {
            PgOutput::Begin { commit_ts, .. } => {
                let unix_us = pg_epoch_to_unix_us(commit_ts);
                self.txn = Some(Txn {
                    unix_us,
                    commit_ts: rfc3339_us(unix_us),
                    changes: Vec::new(),
                    rows: 1,
                });
            }
            PgOutput::Commit { end_lsn, .. } => {
                let txn = self.txn.take().ok_or(AssembleError::NoTransaction)?;
                return Ok(Some(Committed {
                    end_lsn,
                    changes: txn.changes,
                    rows: txn.rows,
                }));
            }
            PgOutput::Relation(r) => {
                self.relations.insert(r.id, r);
            }
            PgOutput::Insert { relation, new } => {
                self.change(lsn, relation, "insert", None, Some(new))?
            }
            PgOutput::Update { relation, old, new } => {
                self.change(lsn, relation, "update", old, Some(new))?
            }
            PgOutput::Delete { relation, old } => {
                self.change(lsn, relation, "delete", Some(old), None)?
            }
            PgOutput::Truncate { relations } => {
                let names: Vec<String> = relations
                    .iter()
                    .filter_map(|id| self.relations.get(id))
                    .map(|r| format!("{}.{}", r.schema, r.table))
                    .collect();
                tracing::warn!(tables = ?names, "TRUNCATE is not emitted as messages; downstream copies keep their rows");
            }
            PgOutput::Other(_) => {}
        }
        Ok(None)
    }

    fn change(
        &mut self,
        lsn: u64,
        relation: u32,
        op: &str,
        old: Option<Tuple>,
        new: Option<Tuple>,
    ) -> Result<(), AssembleError> {
        let rel = self
            .relations
            .get(&relation)
            .ok_or(AssembleError::UnknownRelation(relation))?;
        let txn = self.txn.as_mut().ok_or(AssembleError::NoTransaction)?;
        let after = new.as_ref().map(|t| object(rel, t, false));
        // A 'K' tuple (default replica identity) carries only the key; 'O' the whole row.
        let before = match (&old, &after) {
            (Some(t), _) => Some(object(rel, t, true)),
            (None, Some(a)) => Some(key_of(rel, a)),
            (None, None) => None,
        };
        let key = match (&after, &before) {
            (Some(a), _) => key_of(rel, a),
            (None, Some(b)) => key_of(rel, b),
            (None, None) => Map::new(),
        };
        let before = if op == "insert" { None } else { before };
        let doc = ChangeDoc {
            op,
            schema: &rel.schema,
            table: &rel.table,
            lsn: format_lsn(lsn),
            commit_ts: &txn.commit_ts,
            before: before.as_ref(),
            after: after.as_ref(),
            key: &key,
        };
        let mut message = Message {
            payload: Bytes::from(serde_json::to_vec(&doc).expect("JSON values serialize")),
            timestamp_us: u64::try_from(txn.unix_us).unwrap_or(0),
            ..Message::default()
        };
        if !key.is_empty() {
            message.key = Some(Bytes::from(
                serde_json::to_vec(&Value::Object(key)).expect("JSON values serialize"),
            ));
        }
        message
            .headers
            .insert("content-type".into(), "application/json".into());
        txn.changes.push(message);
        Ok(())
    }
}

/// The JSON document of one change, serialized without building an intermediate value.
#[derive(serde::Serialize)]
struct ChangeDoc<'a> {
    op: &'a str,
    schema: &'a str,
    table: &'a str,
    lsn: String,
    commit_ts: &'a str,
    before: Option<&'a Map<String, Value>>,
    after: Option<&'a Map<String, Value>>,
    key: &'a Map<String, Value>,
}

/// A tuple as an object; with `old_key_only`, a tuple whose non-key columns are all null is
/// taken as a key tuple and only its key columns are kept. Unchanged TOAST values are left out.
fn object(rel: &Relation, tuple: &Tuple, old_key_only: bool) -> Map<String, Value> {
    let key_only = old_key_only
        && rel
            .columns
            .iter()
            .zip(tuple)
            .all(|(c, d)| c.key || *d == Datum::Null);
    rel.columns
        .iter()
        .zip(tuple)
        .filter(|(c, _)| !key_only || c.key)
        .filter_map(|(c, d)| match d {
            Datum::Null => Some((c.name.clone(), Value::Null)),
            Datum::Unchanged => None,
            Datum::Text(t) => Some((c.name.clone(), text_to_json(c.type_oid, t))),
        })
        .collect()
}

fn key_of(rel: &Relation, row: &Map<String, Value>) -> Map<String, Value> {
    rel.columns
        .iter()
        .filter(|c| c.key)
        .filter_map(|c| row.get(&c.name).map(|v| (c.name.clone(), v.clone())))
        .collect()
}

/// Microseconds since the Unix epoch in RFC 3339, UTC, microsecond precision.
pub(crate) fn rfc3339_us(unix_us: i64) -> String {
    let secs = unix_us.div_euclid(1_000_000);
    let micros = unix_us.rem_euclid(1_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{micros:06}Z",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60
    )
}

#[cfg(test)]
mod tests {
    use super::super::pgoutput::Column;
    use super::*;
    use serde_json::json;

    fn rel() -> Relation {
        Relation {
            id: 1,
            schema: "public".into(),
            table: "orders".into(),
            columns: vec![
                Column {
                    name: "id".into(),
                    type_oid: 23,
                    key: true,
                },
                Column {
                    name: "total".into(),
                    type_oid: 1700,
                    key: false,
                },
            ],
        }
    }

    fn t(v: &[Option<&str>]) -> Tuple {
        v.iter()
            .map(|x| x.map_or(Datum::Null, |s| Datum::Text(s.into())))
            .collect()
    }

    #[test]
    fn a_transaction_becomes_keyed_json_changes() {
        let mut a = Assembler::default();
        a.push(
            1,
            PgOutput::Begin {
                final_lsn: 9,
                commit_ts: 0,
                xid: 1,
            },
        )
        .unwrap();
        a.push(2, PgOutput::Relation(rel())).unwrap();
        a.push(
            3,
            PgOutput::Insert {
                relation: 1,
                new: t(&[Some("5"), Some("1.50")]),
            },
        )
        .unwrap();
        a.push(
            4,
            PgOutput::Update {
                relation: 1,
                old: None,
                new: t(&[Some("5"), Some("2.00")]),
            },
        )
        .unwrap();
        a.push(
            5,
            PgOutput::Delete {
                relation: 1,
                old: t(&[Some("5"), None]),
            },
        )
        .unwrap();
        let done = a
            .push(
                6,
                PgOutput::Commit {
                    commit_lsn: 6,
                    end_lsn: 7,
                    commit_ts: 0,
                },
            )
            .unwrap()
            .unwrap();
        assert_eq!((done.end_lsn, done.changes.len(), done.rows), (7, 3, 6));
        let docs: Vec<Value> = done
            .changes
            .iter()
            .map(|m| serde_json::from_slice(&m.payload).unwrap())
            .collect();
        assert_eq!(docs[0]["after"], json!({"id": 5, "total": "1.50"}));
        assert_eq!(docs[0]["before"], Value::Null);
        assert_eq!(docs[0]["commit_ts"], json!("2000-01-01T00:00:00.000000Z"));
        assert_eq!(docs[1]["before"], json!({"id": 5}));
        assert_eq!(docs[2]["before"], json!({"id": 5}));
        assert_eq!(docs[2]["after"], Value::Null);
        assert_eq!(docs[2]["key"], json!({"id": 5}));
        assert_eq!(done.changes[2].key.as_deref(), Some(&b"{\"id\":5}"[..]));
    }

    #[test]
    fn changes_need_a_described_relation() {
        let mut a = Assembler::default();
        a.push(
            1,
            PgOutput::Begin {
                final_lsn: 9,
                commit_ts: 0,
                xid: 1,
            },
        )
        .unwrap();
        let e = a.push(
            2,
            PgOutput::Insert {
                relation: 9,
                new: vec![],
            },
        );
        assert!(matches!(e, Err(AssembleError::UnknownRelation(9))));
    }

    #[test]
    fn rfc3339_of_known_instants() {
        assert_eq!(rfc3339_us(0), "1970-01-01T00:00:00.000000Z");
        assert_eq!(
            rfc3339_us(1_709_251_199_500_000),
            "2024-02-29T23:59:59.500000Z"
        );
    }
}
