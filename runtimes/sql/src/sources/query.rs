//! Source `sql_query`: polls a query on PostgreSQL or MySQL with two placeholders, the cursor
//! and the batch size, emitting one JSON message per row; the cursor (the last row's
//! `cursor_column`) is saved only after its rows were delivered.

use std::time::Duration;

use connect_runtime_sdk::document::duration;
use connect_runtime_sdk::{Batch, ComponentContext, ComponentError, Message, Source, async_trait};
use mysql_async::consts::ColumnType;
use mysql_async::prelude::Queryable;
use mysql_async::{Row as MyRow, Value as MyValue};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::connection::{Dialect, Target, mysql_error, pg_error};
use crate::pg_values::{TextParam, json_to_text};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct QueryConfig {
    pub(crate) url: String,
    #[serde(default)]
    pub(crate) password: Option<String>,
    pub(crate) query: String,
    pub(crate) cursor_column: String,
    pub(crate) cursor_start: Value,
    #[serde(with = "duration")]
    pub(crate) interval: Duration,
}

enum Conn {
    None,
    Pg(tokio_postgres::Client),
    My(mysql_async::Conn),
}

pub(crate) struct SqlQuery {
    config: QueryConfig,
    target: Target,
    dialect: Dialect,
    conn: Conn,
    /// The cursor of the last emitted row (ahead of the durable one until delivery).
    cursor: Value,
    /// The last poll returned fewer rows than asked: wait `interval` before the next.
    caught_up: bool,
}

impl SqlQuery {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        let mut q = Self::new(ctx.config()?)?;
        if let Some(saved) = ctx.load_cursor::<Value>()? {
            q.cursor = saved["cursor"].clone();
        }
        Ok(q)
    }

    pub(crate) fn new(config: QueryConfig) -> Result<Self, ComponentError> {
        let target = Target {
            url: config.url.clone(),
            password: config.password.clone(),
        };
        let dialect = target.dialect()?;
        let placeholders = match dialect {
            Dialect::Postgres => config.query.contains("$1") && config.query.contains("$2"),
            Dialect::Mysql => config.query.matches('?').count() == 2,
        };
        if !placeholders {
            return Err(ComponentError::invalid_config(
                "query: use two placeholders, the cursor then the batch size: \
                 `... WHERE id > $1 ORDER BY id LIMIT $2` on PostgreSQL, `... WHERE id > ? ORDER BY id LIMIT ?` on MySQL",
            ));
        }
        match dialect {
            Dialect::Postgres => drop(target.pg_config()?),
            Dialect::Mysql => drop(target.mysql_opts()?),
        }
        Ok(Self {
            cursor: config.cursor_start.clone(),
            config,
            target,
            dialect,
            conn: Conn::None,
            caught_up: false,
        })
    }

    /// The rows of one query, each a JSON object's text.
    async fn rows(&mut self, max: usize) -> Result<Vec<String>, ComponentError> {
        if matches!(&self.conn, Conn::Pg(c) if c.is_closed()) {
            self.conn = Conn::None;
        }
        if matches!(self.conn, Conn::None) {
            self.conn = match self.dialect {
                Dialect::Postgres => Conn::Pg(self.target.pg_connect().await?),
                Dialect::Mysql => Conn::My(self.target.mysql_connect().await?),
            };
        }
        let result = match &mut self.conn {
            Conn::Pg(client) => {
                let sql = format!("SELECT row_to_json(q)::text FROM ({}) q", self.config.query);
                let cursor = TextParam(json_to_text(&self.cursor).unwrap_or_default());
                let limit = TextParam(max.to_string());
                client
                    .query(&sql, &[&cursor, &limit])
                    .await
                    .map_err(|e| pg_error("the query failed", &e))
                    .map(|rows| rows.iter().map(|r| r.get::<_, String>(0)).collect())
            }
            Conn::My(conn) => {
                let cursor = match &self.cursor {
                    Value::Number(n) if n.is_i64() => MyValue::Int(n.as_i64().unwrap_or(0)),
                    other => MyValue::Bytes(json_to_text(other).unwrap_or_default().into_bytes()),
                };
                conn.exec::<MyRow, _, _>(
                    self.config.query.as_str(),
                    vec![cursor, MyValue::UInt(max as u64)],
                )
                .await
                .map_err(|e| mysql_error("the query failed", &e))
                .map(|rows| {
                    rows.into_iter()
                        .map(|r| Value::Object(mysql_row(r)).to_string())
                        .collect()
                })
            }
            Conn::None => unreachable!("connected above"),
        };
        if result.is_err() {
            self.conn = Conn::None;
        }
        result
    }
}

/// A MySQL row as a JSON object by column type (decimals as strings, dates in RFC 3339).
fn mysql_row(row: MyRow) -> Map<String, Value> {
    let columns = row.columns();
    let values = row.unwrap();
    columns
        .iter()
        .zip(values)
        .map(|(c, v)| (c.name_str().into_owned(), mysql_value(c.column_type(), v)))
        .collect()
}

fn mysql_value(ty: ColumnType, v: MyValue) -> Value {
    match v {
        MyValue::NULL => Value::Null,
        MyValue::Int(i) => json!(i),
        MyValue::UInt(u) => json!(u),
        MyValue::Float(f) => json!(f),
        MyValue::Double(f) => json!(f),
        MyValue::Bytes(b) => {
            let s = String::from_utf8_lossy(&b).into_owned();
            if ty == ColumnType::MYSQL_TYPE_JSON {
                serde_json::from_str(&s).unwrap_or(Value::String(s))
            } else {
                Value::String(s)
            }
        }
        MyValue::Date(y, mo, d, h, mi, s, us) => {
            if ty == ColumnType::MYSQL_TYPE_DATE {
                json!(format!("{y:04}-{mo:02}-{d:02}"))
            } else {
                json!(format!(
                    "{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{us:06}Z"
                ))
            }
        }
        MyValue::Time(neg, days, h, mi, s, us) => {
            let sign = if neg { "-" } else { "" };
            json!(format!(
                "{sign}{:02}:{mi:02}:{s:02}.{us:06}",
                days * 24 + u32::from(h)
            ))
        }
    }
}

#[async_trait]
impl Source for SqlQuery {
    async fn poll(
        &mut self,
        ctx: &ComponentContext,
        max: usize,
    ) -> Result<Option<Batch>, ComponentError> {
        if self.caught_up {
            tokio::select! {
                _ = tokio::time::sleep(self.config.interval) => {}
                _ = ctx.cancellation().cancelled() => return Ok(Some(Batch::default())),
            }
        }
        let max = max.max(1);
        let rows = self.rows(max).await?;
        self.caught_up = rows.len() < max;
        let Some(last) = rows.last() else {
            return Ok(Some(Batch::default()));
        };
        // Only the last row is parsed: it holds the next cursor.
        let last: Map<String, Value> = serde_json::from_str(last)
            .map_err(|e| ComponentError::restart(format!("a row is not a JSON object: {e}")))?;
        let Some(next) = last
            .get(&self.config.cursor_column)
            .filter(|v| !v.is_null())
        else {
            return Err(ComponentError::invalid_config(format!(
                "cursor_column `{}` is not a (non-null) column of the query's rows; select it",
                self.config.cursor_column
            )));
        };
        self.cursor = next.clone();
        let messages = rows
            .into_iter()
            .map(|r| Message::new(r).with_header("content-type", "application/json"))
            .collect();
        Ok(Some(Batch {
            messages,
            cursor: Some(json!({ "cursor": self.cursor })),
        }))
    }
}
