//! Sink `mysql`: writes each batch in one transaction as multi-row INSERTs (upsert with ON
//! DUPLICATE KEY UPDATE). A batch refused for its content is retried row by row under
//! savepoints so good rows are written and each refused row is reported.

use connect_runtime_sdk::{ComponentContext, ComponentError, Message, Sink, Written, async_trait};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, TxOpts, Value as MyValue};
use serde_json::Value;

use super::rows::{Mode, Row, RowMapper, SqlSinkConfig, describe_row, last_per_key};
use crate::connection::{
    Dialect, Target, mysql_class, mysql_error, mysql_is_content_error, mysql_message, quote_ident,
};

/// MySQL allows 65,535 placeholders per statement; stay below.
const MAX_PARAMS: usize = 60_000;

pub(crate) struct MysqlSink {
    config: SqlSinkConfig,
    target: Target,
    conn: Option<Conn>,
    mapper: Option<RowMapper>,
}

impl MysqlSink {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        Self::new(ctx.config()?)
    }

    pub(crate) fn new(config: SqlSinkConfig) -> Result<Self, ComponentError> {
        let target = Target {
            url: config.url.clone(),
            password: config.password.clone(),
        };
        if target.dialect()? != Dialect::Mysql {
            return Err(ComponentError::invalid_config(
                "url: the mysql sink writes MySQL or MariaDB; write mysql://user@host:port/db",
            ));
        }
        target.mysql_opts()?;
        Ok(Self {
            config,
            target,
            conn: None,
            mapper: None,
        })
    }

    fn table(&self) -> String {
        quote_ident(&self.config.table, Dialect::Mysql)
    }

    async fn connect(&mut self) -> Result<(), ComponentError> {
        let mut conn = self.target.mysql_connect().await?;
        if let Some(create) = &self.config.create_table {
            let mut defs: Vec<String> = create
                .columns
                .iter()
                .map(|(c, ty)| format!("{} {ty}", quote_ident(c, Dialect::Mysql)))
                .collect();
            if !create.primary_key.is_empty() {
                let pk: Vec<String> = create
                    .primary_key
                    .iter()
                    .map(|c| quote_ident(c, Dialect::Mysql))
                    .collect();
                defs.push(format!("PRIMARY KEY ({})", pk.join(", ")));
            }
            conn.query_drop(format!(
                "CREATE TABLE IF NOT EXISTS {} ({})",
                self.table(),
                defs.join(", ")
            ))
            .await
            .map_err(|e| mysql_error("cannot create the table", &e))?;
        }
        let (schema, name) = match self.config.table.split_once('.') {
            Some((s, n)) => (Some(s.to_string()), n.to_string()),
            None => (None, self.config.table.clone()),
        };
        let columns: Vec<String> = conn
            .exec(
                "SELECT column_name FROM information_schema.columns \
                 WHERE table_schema = COALESCE(?, DATABASE()) AND table_name = ? ORDER BY ordinal_position",
                (schema, name),
            )
            .await
            .map_err(|e| mysql_error("cannot read the table's columns", &e))?;
        if columns.is_empty() {
            return Err(ComponentError::invalid_config(format!(
                "table `{}` does not exist; create it or set create_table",
                self.config.table
            )));
        }
        self.mapper = Some(RowMapper::new(&self.config, columns)?);
        self.conn = Some(conn);
        Ok(())
    }

    fn insert_sql(&self, columns: &[String], rows: usize) -> String {
        let cols: Vec<String> = columns
            .iter()
            .map(|c| quote_ident(c, Dialect::Mysql))
            .collect();
        let one = format!("({})", vec!["?"; columns.len()].join(", "));
        let mut sql = format!(
            "INSERT INTO {} ({}) VALUES {}",
            self.table(),
            cols.join(", "),
            vec![one; rows].join(", ")
        );
        if self.config.mode == Mode::Upsert {
            let updates: Vec<String> = cols.iter().map(|q| format!("{q} = VALUES({q})")).collect();
            sql.push_str(&format!(" ON DUPLICATE KEY UPDATE {}", updates.join(", ")));
        }
        sql
    }

    async fn write_set(
        &mut self,
        rows: &[Row],
        columns: &[String],
    ) -> Result<(), mysql_async::Error> {
        let per_statement = (MAX_PARAMS / columns.len().max(1)).max(1);
        let statements: Vec<(String, Vec<MyValue>)> = rows
            .chunks(per_statement)
            .map(|chunk| {
                (
                    self.insert_sql(columns, chunk.len()),
                    params(chunk, columns),
                )
            })
            .collect();
        let conn = self.conn.as_mut().expect("connected before writing");
        let mut tx = conn.start_transaction(TxOpts::default()).await?;
        for (sql, params) in statements {
            tx.exec_drop(sql, params).await?;
        }
        tx.commit().await
    }

    async fn write_each(
        &mut self,
        rows: &[Row],
        columns: &[String],
        written: &mut Written,
    ) -> Result<(), ComponentError> {
        let sql = self.insert_sql(columns, 1);
        let conn = self.conn.as_mut().expect("connected before writing");
        let mut tx = conn
            .start_transaction(TxOpts::default())
            .await
            .map_err(|e| mysql_error("cannot begin", &e))?;
        for row in rows {
            tx.query_drop("SAVEPOINT connect_row")
                .await
                .map_err(|e| mysql_error("cannot set a savepoint", &e))?;
            match tx
                .exec_drop(sql.as_str(), params(std::slice::from_ref(row), columns))
                .await
            {
                Ok(()) => {}
                Err(e) if mysql_is_content_error(&e) => {
                    tx.query_drop("ROLLBACK TO SAVEPOINT connect_row")
                        .await
                        .map_err(|e| mysql_error("cannot roll back a savepoint", &e))?;
                    written.reject(
                        row.0,
                        mysql_class(&e),
                        format!(
                            "MySQL refused row {}: {}",
                            describe_row(&row.1),
                            mysql_message(&e)
                        ),
                    );
                }
                Err(e) => return Err(mysql_error("cannot write a row", &e)),
            }
        }
        tx.commit()
            .await
            .map_err(|e| mysql_error("cannot commit", &e))
    }
}

fn params(rows: &[Row], columns: &[String]) -> Vec<MyValue> {
    rows.iter()
        .flat_map(|(_, r)| columns.iter().map(move |c| to_mysql(r.get(c))))
        .collect()
}

/// JSON as a MySQL parameter: numbers as numbers, booleans as 0/1, objects and arrays as JSON text.
fn to_mysql(v: Option<&Value>) -> MyValue {
    match v {
        None | Some(Value::Null) => MyValue::NULL,
        Some(Value::Bool(b)) => MyValue::Int(i64::from(*b)),
        Some(Value::Number(n)) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => MyValue::Int(i),
            (_, Some(u), _) => MyValue::UInt(u),
            (_, _, Some(f)) => MyValue::Double(f),
            _ => MyValue::Bytes(n.to_string().into_bytes()),
        },
        Some(Value::String(s)) => MyValue::Bytes(s.clone().into_bytes()),
        Some(other) => MyValue::Bytes(other.to_string().into_bytes()),
    }
}

#[async_trait]
impl Sink for MysqlSink {
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        self.connect().await
    }

    async fn write(
        &mut self,
        _ctx: &ComponentContext,
        batch: &[Message],
    ) -> Result<Written, ComponentError> {
        if self.conn.is_none() {
            self.connect().await?;
        }
        let mapper = self.mapper.as_ref().expect("connected");
        let (mut rows, bad) = mapper.rows(batch);
        let mut written = Written::all();
        for b in bad {
            written.reject(b.index, "encoding", b.reason);
        }
        if self.config.mode == Mode::Upsert && !self.config.key_columns.is_empty() {
            rows = last_per_key(rows, &self.config.key_columns);
        }
        let columns = mapper.columns(&rows);
        if rows.is_empty() || columns.is_empty() {
            return Ok(written);
        }
        match self.write_set(&rows, &columns).await {
            Ok(()) => Ok(written),
            Err(e) if mysql_is_content_error(&e) => {
                tracing::warn!(error = %mysql_message(&e), "the batch was refused; writing its rows one by one to find the refused ones");
                self.write_each(&rows, &columns, &mut written).await?;
                Ok(written)
            }
            Err(e) => {
                if !matches!(e, mysql_async::Error::Server(_)) {
                    self.conn = None;
                }
                Err(mysql_error(
                    &format!("cannot write to {}", self.config.table),
                    &e,
                ))
            }
        }
    }

    async fn close(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        if let Some(conn) = self.conn.take() {
            let _ = conn.disconnect().await;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_values_become_mysql_parameters() {
        assert_eq!(to_mysql(Some(&json!(true))), MyValue::Int(1));
        assert_eq!(to_mysql(Some(&json!(1.5))), MyValue::Double(1.5));
        assert_eq!(
            to_mysql(Some(&json!({"a": 1}))),
            MyValue::Bytes(b"{\"a\":1}".to_vec())
        );
        assert_eq!(to_mysql(None), MyValue::NULL);
    }
}
