//! Sink `postgres`: writes each batch in one transaction, as a set-based INSERT (or upsert with
//! ON CONFLICT) over `json_populate_recordset`, or with COPY in `append` mode. A batch the
//! database refuses for its content is retried row by row under savepoints, so the good rows
//! are written and each refused row is reported with the database's words.

use std::pin::pin;

use bytes::{BufMut, BytesMut};
use connect_runtime_sdk::{ComponentContext, ComponentError, Message, Sink, Written, async_trait};
use futures::SinkExt;
use serde_json::Value;

use super::copy_text::{copy_text, escape_copy};
use super::rows::{Mode, Row, RowMapper, SqlSinkConfig, describe_row, last_per_key};
use crate::connection::{
    Dialect, Target, pg_error, pg_is_content_error, pg_message, pg_state, quote_ident,
};
use crate::pg_values::TextParam;

pub(crate) struct PostgresSink {
    config: SqlSinkConfig,
    target: Target,
    client: Option<tokio_postgres::Client>,
    mapper: Option<RowMapper>,
    keys: Vec<String>,
}

impl PostgresSink {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        Self::new(ctx.config()?)
    }

    pub(crate) fn new(config: SqlSinkConfig) -> Result<Self, ComponentError> {
        let target = Target {
            url: config.url.clone(),
            password: config.password.clone(),
        };
        if target.dialect()? != Dialect::Postgres {
            return Err(ComponentError::invalid_config(
                "url: the postgres sink writes PostgreSQL; write postgres://user@host:port/db",
            ));
        }
        target.pg_config()?;
        Ok(Self {
            keys: config.key_columns.clone(),
            config,
            target,
            client: None,
            mapper: None,
        })
    }

    fn table(&self) -> String {
        quote_ident(&self.config.table, Dialect::Postgres)
    }

    async fn connect(&mut self) -> Result<(), ComponentError> {
        let client = self.target.pg_connect().await?;
        if let Some(create) = &self.config.create_table {
            let mut defs: Vec<String> = create
                .columns
                .iter()
                .map(|(c, ty)| format!("{} {ty}", quote_ident(c, Dialect::Postgres)))
                .collect();
            if !create.primary_key.is_empty() {
                let pk: Vec<String> = create
                    .primary_key
                    .iter()
                    .map(|c| quote_ident(c, Dialect::Postgres))
                    .collect();
                defs.push(format!("PRIMARY KEY ({})", pk.join(", ")));
            }
            let sql = format!(
                "CREATE TABLE IF NOT EXISTS {} ({})",
                self.table(),
                defs.join(", ")
            );
            client
                .batch_execute(&sql)
                .await
                .map_err(|e| pg_error("cannot create the table", &e))?;
        }
        let regclass = self.table();
        let columns: Vec<String> = client
            .query(
                "SELECT attname::text FROM pg_attribute WHERE attrelid = $1::text::regclass \
                 AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                &[&regclass],
            )
            .await
            .map_err(|e| {
                pg_error(
                    &format!("cannot read the columns of {}", self.config.table),
                    &e,
                )
            })?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if self.config.mode == Mode::Upsert && self.keys.is_empty() {
            self.keys = client
                .query(
                    "SELECT a.attname::text FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid \
                     AND a.attnum = ANY(i.indkey) WHERE i.indrelid = $1::text::regclass AND i.indisprimary",
                    &[&regclass],
                )
                .await
                .map_err(|e| pg_error("cannot read the primary key", &e))?
                .iter()
                .map(|r| r.get(0))
                .collect();
            if self.keys.is_empty() {
                return Err(ComponentError::invalid_config(format!(
                    "mode upsert needs key_columns, and table {} has no primary key to use instead",
                    self.config.table
                )));
            }
        }
        self.mapper = Some(RowMapper::new(&self.config, columns)?);
        self.client = Some(client);
        Ok(())
    }

    /// The INSERT (or upsert) of a JSON array of rows given as `$1`.
    fn insert_sql(&self, columns: &[String]) -> String {
        let cols: Vec<String> = columns
            .iter()
            .map(|c| quote_ident(c, Dialect::Postgres))
            .collect();
        let list = cols.join(", ");
        let mut sql = format!(
            "INSERT INTO {t} ({list}) SELECT {list} FROM json_populate_recordset(NULL::{t}, $1::text::json)",
            t = self.table()
        );
        if self.config.mode == Mode::Upsert {
            let keys: Vec<String> = self
                .keys
                .iter()
                .map(|c| quote_ident(c, Dialect::Postgres))
                .collect();
            let updates: Vec<String> = columns
                .iter()
                .filter(|c| !self.keys.contains(c))
                .map(|c| {
                    let q = quote_ident(c, Dialect::Postgres);
                    format!("{q} = EXCLUDED.{q}")
                })
                .collect();
            if updates.is_empty() {
                sql.push_str(&format!(" ON CONFLICT ({}) DO NOTHING", keys.join(", ")));
            } else {
                sql.push_str(&format!(
                    " ON CONFLICT ({}) DO UPDATE SET {}",
                    keys.join(", "),
                    updates.join(", ")
                ));
            }
        }
        sql
    }

    /// Writes all rows in one transaction; `Err` carries the database error unchanged.
    async fn write_set(
        &mut self,
        rows: &[Row],
        columns: &[String],
    ) -> Result<(), tokio_postgres::Error> {
        let insert = self.insert_sql(columns);
        let copy = format!(
            "COPY {} ({}) FROM STDIN",
            self.table(),
            columns
                .iter()
                .map(|c| quote_ident(c, Dialect::Postgres))
                .collect::<Vec<_>>()
                .join(", ")
        );
        let append = self.config.mode == Mode::Append;
        let client = self.client.as_mut().expect("connected before writing");
        let tx = client.transaction().await?;
        if append {
            let sink = tx.copy_in(&copy).await?;
            let mut sink = pin!(sink);
            sink.send(copy_text(rows, columns)).await?;
            sink.as_mut().finish().await?;
        } else {
            tx.execute(&insert, &[&TextParam(json_array(rows.iter()))])
                .await?;
        }
        tx.commit().await
    }

    /// Writes the rows one by one under savepoints in one transaction; refused rows are
    /// reported in `written`, the others committed.
    async fn write_each(
        &mut self,
        rows: &[Row],
        columns: &[String],
        written: &mut Written,
    ) -> Result<(), ComponentError> {
        let insert = self.insert_sql(columns);
        let client = self.client.as_mut().expect("connected before writing");
        let mut tx = client
            .transaction()
            .await
            .map_err(|e| pg_error("cannot begin", &e))?;
        for row in rows {
            let sp = tx
                .savepoint("row")
                .await
                .map_err(|e| pg_error("cannot set a savepoint", &e))?;
            match sp
                .execute(&insert, &[&TextParam(json_array(std::iter::once(row)))])
                .await
            {
                Ok(_) => sp
                    .commit()
                    .await
                    .map_err(|e| pg_error("cannot release a savepoint", &e))?,
                Err(e) if pg_is_content_error(&e) => {
                    sp.rollback()
                        .await
                        .map_err(|e| pg_error("cannot roll back a savepoint", &e))?;
                    written.reject(
                        row.0,
                        format!("sql.{}", pg_state(&e).unwrap_or("")),
                        format!(
                            "PostgreSQL refused row {}: {}",
                            describe_row(&row.1),
                            pg_message(&e)
                        ),
                    );
                }
                Err(e) => return Err(pg_error("cannot write a row", &e)),
            }
        }
        tx.commit().await.map_err(|e| pg_error("cannot commit", &e))
    }
}

impl PostgresSink {
    /// The JSON column, when each message is appended whole and nothing else is written.
    fn whole_message_column(&self) -> Option<String> {
        (self.config.mode == Mode::Append && self.config.columns.is_empty())
            .then(|| self.config.jsonb_column.clone())
            .flatten()
    }

    /// COPY of the payloads as they are (checked to be JSON, else stored as a JSON string),
    /// without parsing them into values: the fast path of a change log table.
    async fn append_whole(
        &mut self,
        batch: &[Message],
        column: &str,
    ) -> Result<Written, ComponentError> {
        let mut data = BytesMut::with_capacity(batch.iter().map(|m| m.payload.len() + 2).sum());
        for m in batch {
            if serde_json::from_slice::<serde::de::IgnoredAny>(&m.payload).is_ok() {
                escape_copy(&m.payload, &mut data);
            } else {
                let text =
                    Value::String(String::from_utf8_lossy(&m.payload).into_owned()).to_string();
                escape_copy(text.as_bytes(), &mut data);
            }
            data.put_u8(b'\n');
        }
        let copy = format!(
            "COPY {} ({}) FROM STDIN",
            self.table(),
            quote_ident(column, Dialect::Postgres)
        );
        let client = self.client.as_mut().expect("connected before writing");
        let result = async {
            let tx = client.transaction().await?;
            let sink = tx.copy_in(&copy).await?;
            let mut sink = pin!(sink);
            sink.send(data.freeze()).await?;
            sink.as_mut().finish().await?;
            tx.commit().await
        }
        .await;
        match result {
            Ok(()) => Ok(Written::all()),
            Err(e) if pg_is_content_error(&e) => {
                // Find the refused rows through the general path.
                let mapper = self.mapper.as_ref().expect("connected");
                let (rows, _) = mapper.rows(batch);
                let columns = vec![column.to_string()];
                let mut written = Written::all();
                self.write_each(&rows, &columns, &mut written).await?;
                Ok(written)
            }
            Err(e) => {
                if self.client.as_ref().is_some_and(|c| c.is_closed()) {
                    self.client = None;
                }
                Err(pg_error(
                    &format!("cannot write to {}", self.config.table),
                    &e,
                ))
            }
        }
    }
}

fn json_array<'a>(rows: impl Iterator<Item = &'a Row>) -> String {
    let items: Vec<Value> = rows.map(|(_, r)| Value::Object(r.clone())).collect();
    Value::Array(items).to_string()
}

#[async_trait]
impl Sink for PostgresSink {
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        self.connect().await
    }

    async fn write(
        &mut self,
        _ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        if self.client.as_ref().is_none_or(|c| c.is_closed()) {
            self.connect().await?;
        }
        if let Some(column) = self.whole_message_column() {
            return self.append_whole(batch, &column).await;
        }
        let mapper = self.mapper.as_ref().expect("connected");
        let (mut rows, bad) = mapper.rows(batch);
        let mut written = Written::all();
        for b in bad {
            written.reject(b.index, "encoding", b.reason);
        }
        if self.config.mode == Mode::Upsert {
            rows = last_per_key(rows, &self.keys);
        }
        let columns = mapper.columns(&rows);
        if rows.is_empty() || columns.is_empty() {
            return Ok(written);
        }
        match self.write_set(&rows, &columns).await {
            Ok(()) => Ok(written),
            Err(e) if pg_is_content_error(&e) => {
                tracing::warn!(error = %pg_message(&e), "the batch was refused; writing its rows one by one to find the refused ones");
                self.write_each(&rows, &columns, &mut written).await?;
                Ok(written)
            }
            Err(e) => {
                if self.client.as_ref().is_some_and(|c| c.is_closed()) {
                    self.client = None;
                }
                Err(pg_error(
                    &format!("cannot write to {}", self.config.table),
                    &e,
                ))
            }
        }
    }
}
