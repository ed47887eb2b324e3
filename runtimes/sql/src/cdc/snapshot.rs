//! The initial snapshot of `postgres_cdc`: after the slot exists, one REPEATABLE READ
//! transaction reads every table of the publication through a cursor, emitting each row as an
//! `insert` with `"snapshot": true`. Changes committed between the slot's creation and the
//! snapshot's start appear twice (once read, once streamed): duplicates at the boundary.

use std::collections::VecDeque;

use bytes::Bytes;
use connect_runtime_sdk::{ComponentError, Message};
use serde_json::{Map, Value, json};
use tokio_postgres::SimpleQueryMessage;

use crate::connection::{Dialect, pg_error, quote_ident};
use crate::pg_values::text_to_json;

pub(crate) struct Snapshot {
    client: tokio_postgres::Client,
    tables: VecDeque<(String, String)>,
    current: Option<Table>,
}

struct Table {
    schema: String,
    name: String,
    /// (name, type oid, part of the primary key)
    columns: Vec<(String, u32, bool)>,
}

impl Snapshot {
    pub(crate) async fn start(
        client: tokio_postgres::Client,
        publication: &str,
    ) -> Result<Self, ComponentError> {
        client
            .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await
            .map_err(|e| pg_error("cannot start the snapshot transaction", &e))?;
        let tables = client
            .query(
                "SELECT schemaname::text, tablename::text FROM pg_publication_tables WHERE pubname = $1 ORDER BY 1, 2",
                &[&publication],
            )
            .await
            .map_err(|e| pg_error("cannot list the publication's tables", &e))?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        tracing::info!(?tables, "reading the initial snapshot");
        Ok(Self {
            client,
            tables,
            current: None,
        })
    }

    /// Up to `max` rows; empty when every table was read.
    pub(crate) async fn next(&mut self, max: usize) -> Result<Vec<Message>, ComponentError> {
        loop {
            if self.current.is_none() {
                let Some((schema, name)) = self.tables.pop_front() else {
                    return Ok(Vec::new());
                };
                self.current = Some(self.open_table(schema, name).await?);
            }
            let table = self.current.as_ref().expect("set above");
            let fetched = self
                .client
                .simple_query(&format!("FETCH {} FROM connect_snapshot", max.max(1)))
                .await
                .map_err(|e| pg_error("cannot read the snapshot", &e))?;
            let mut out = Vec::new();
            for m in fetched {
                if let SimpleQueryMessage::Row(row) = m {
                    out.push(message(table, &row));
                }
            }
            if !out.is_empty() {
                return Ok(out);
            }
            self.client
                .batch_execute("CLOSE connect_snapshot")
                .await
                .map_err(|e| pg_error("cannot close the snapshot cursor", &e))?;
            self.current = None;
        }
    }

    async fn open_table(&self, schema: String, name: String) -> Result<Table, ComponentError> {
        let qualified = quote_ident(&format!("{schema}.{name}"), Dialect::Postgres);
        let columns = self
            .client
            .query(
                "SELECT a.attname::text, a.atttypid::int8, \
                 coalesce(a.attnum = ANY(i.indkey), false) \
                 FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary \
                 WHERE a.attrelid = $1::text::regclass AND a.attnum > 0 AND NOT a.attisdropped \
                 ORDER BY a.attnum",
                &[&qualified],
            )
            .await
            .map_err(|e| pg_error("cannot read the table's columns", &e))?
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u32, r.get(2)))
            .collect();
        self.client
            .batch_execute(&format!(
                "DECLARE connect_snapshot NO SCROLL CURSOR FOR SELECT * FROM {qualified}"
            ))
            .await
            .map_err(|e| pg_error("cannot open the snapshot cursor", &e))?;
        Ok(Table {
            schema,
            name,
            columns,
        })
    }
}

fn message(table: &Table, row: &tokio_postgres::SimpleQueryRow) -> Message {
    let mut after = Map::new();
    let mut key = Map::new();
    for (i, (name, ty, is_key)) in table.columns.iter().enumerate() {
        let v = row.get(i).map_or(Value::Null, |t| text_to_json(*ty, t));
        if *is_key {
            key.insert(name.clone(), v.clone());
        }
        after.insert(name.clone(), v);
    }
    let doc = json!({
        "op": "insert",
        "schema": table.schema,
        "table": table.name,
        "lsn": null,
        "commit_ts": null,
        "before": null,
        "after": after,
        "key": key,
        "snapshot": true,
    });
    let mut m = Message::new(serde_json::to_vec(&doc).expect("JSON values serialize"));
    if !key.is_empty() {
        m.key = Some(Bytes::from(
            serde_json::to_vec(&Value::Object(key)).expect("JSON values serialize"),
        ));
    }
    m.headers
        .insert("content-type".into(), "application/json".into());
    m
}
