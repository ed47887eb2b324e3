//! What the PostgreSQL and MySQL sinks share: their config, and messages turned into rows
//! (column name → JSON value) by a `columns` mapping, by matching names, or whole into one
//! JSON column.

use std::collections::{BTreeMap, HashSet};

use connect_runtime_sdk::{ComponentError, Message};
use serde::Deserialize;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Mode {
    Insert,
    Upsert,
    Append,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateTable {
    pub(crate) columns: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) primary_key: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SqlSinkConfig {
    pub(crate) url: String,
    #[serde(default)]
    pub(crate) password: Option<String>,
    pub(crate) table: String,
    pub(crate) mode: Mode,
    #[serde(default)]
    pub(crate) key_columns: Vec<String>,
    #[serde(default)]
    pub(crate) columns: BTreeMap<String, String>,
    #[serde(default)]
    pub(crate) jsonb_column: Option<String>,
    #[serde(default)]
    pub(crate) create_table: Option<CreateTable>,
}

/// A row to write: the message's index in the batch and its column values.
pub(crate) type Row = (usize, Map<String, Value>);

/// A message that cannot become a row (not JSON, not an object).
pub(crate) struct BadMessage {
    pub(crate) index: usize,
    pub(crate) reason: String,
}

/// How messages become rows, fixed at `open` from the config and the table's columns.
pub(crate) struct RowMapper {
    /// Explicit (column, dotted path) pairs.
    mapping: Vec<(String, Vec<String>)>,
    jsonb_column: Option<String>,
    /// The table's columns, in table order (for matching by name).
    table_columns: Vec<String>,
}

impl RowMapper {
    pub(crate) fn new(
        config: &SqlSinkConfig,
        table_columns: Vec<String>,
    ) -> Result<Self, ComponentError> {
        let known: HashSet<&str> = table_columns.iter().map(String::as_str).collect();
        let named = config
            .columns
            .keys()
            .chain(config.jsonb_column.iter())
            .chain(config.key_columns.iter());
        for c in named {
            if !known.contains(c.as_str()) {
                return Err(ComponentError::invalid_config(format!(
                    "table `{}` has no column `{c}` (it has {table_columns:?}); fix columns, jsonb_column or key_columns",
                    config.table
                )));
            }
        }
        Ok(Self {
            mapping: config
                .columns
                .iter()
                .map(|(c, p)| (c.clone(), p.split('.').map(str::to_string).collect()))
                .collect(),
            jsonb_column: config.jsonb_column.clone(),
            table_columns,
        })
    }

    /// The rows of a batch (with their message index) and the messages that are not rows.
    pub(crate) fn rows(&self, batch: &[Message]) -> (Vec<Row>, Vec<BadMessage>) {
        let mut rows = Vec::with_capacity(batch.len());
        let mut bad = Vec::new();
        for (index, m) in batch.iter().enumerate() {
            match self.row(m) {
                Ok(r) => rows.push((index, r)),
                Err(reason) => bad.push(BadMessage { index, reason }),
            }
        }
        (rows, bad)
    }

    fn row(&self, m: &Message) -> Result<Map<String, Value>, String> {
        let parsed: Result<Value, _> = serde_json::from_slice(&m.payload);
        let mut row = Map::new();
        if let Some(col) = &self.jsonb_column {
            let whole = match &parsed {
                Ok(v) => v.clone(),
                Err(_) => Value::String(String::from_utf8_lossy(&m.payload).into_owned()),
            };
            row.insert(col.clone(), whole);
            if self.mapping.is_empty() {
                return Ok(row);
            }
        }
        let doc = parsed.map_err(|e| format!("the message is not JSON ({e})"))?;
        let Value::Object(obj) = doc else {
            return Err("the message is not a JSON object".into());
        };
        if self.mapping.is_empty() {
            for c in &self.table_columns {
                if let Some(v) = obj.get(c) {
                    row.insert(c.clone(), v.clone());
                }
            }
        } else {
            for (col, path) in &self.mapping {
                let mut cur = obj.get(&path[0]);
                for p in &path[1..] {
                    cur = cur.and_then(|v| v.get(p));
                }
                row.insert(col.clone(), cur.cloned().unwrap_or(Value::Null));
            }
        }
        Ok(row)
    }

    /// The columns a batch writes: the mapping's (and the JSON column), or every table column
    /// some row of the batch carries, in table order.
    pub(crate) fn columns(&self, rows: &[Row]) -> Vec<String> {
        if !self.mapping.is_empty() || self.jsonb_column.is_some() {
            let mut cols: Vec<String> = self.mapping.iter().map(|(c, _)| c.clone()).collect();
            cols.extend(self.jsonb_column.iter().cloned());
            return cols;
        }
        self.table_columns
            .iter()
            .filter(|c| rows.iter().any(|(_, r)| r.contains_key(*c)))
            .cloned()
            .collect()
    }
}

/// Keeps the last row per key (a batch may update one row twice; one statement may not).
pub(crate) fn last_per_key(rows: Vec<Row>, keys: &[String]) -> Vec<Row> {
    let mut seen = HashSet::new();
    let mut out: Vec<_> = rows
        .into_iter()
        .rev()
        .filter(|(_, r)| {
            let k: Vec<String> = keys
                .iter()
                .map(|c| r.get(c).map_or("null".into(), Value::to_string))
                .collect();
            seen.insert(k)
        })
        .collect();
    out.reverse();
    out
}

/// A short rendering of a row for error messages.
pub(crate) fn describe_row(row: &Map<String, Value>) -> String {
    let mut s = Value::Object(row.clone()).to_string();
    if s.len() > 300 {
        let mut cut = 300;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn config(columns: &[(&str, &str)], jsonb: Option<&str>) -> SqlSinkConfig {
        SqlSinkConfig {
            url: "postgres://u@h/db".into(),
            password: None,
            table: "t".into(),
            mode: Mode::Insert,
            key_columns: vec![],
            columns: columns
                .iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect(),
            jsonb_column: jsonb.map(str::to_string),
            create_table: None,
        }
    }

    fn cols() -> Vec<String> {
        vec!["id".into(), "name".into(), "doc".into()]
    }

    #[test]
    fn mapping_by_path_by_name_and_whole() {
        let batch = [
            Message::new(r#"{"id":1,"user":{"name":"ann"},"x":true}"#),
            Message::new("nope"),
        ];
        let m = RowMapper::new(
            &config(&[("id", "id"), ("name", "user.name")], None),
            cols(),
        )
        .unwrap();
        let (rows, bad) = m.rows(&batch);
        assert_eq!(
            rows[0].1,
            json!({"id": 1, "name": "ann"}).as_object().unwrap().clone()
        );
        assert_eq!(bad[0].index, 1);

        let m = RowMapper::new(&config(&[], None), cols()).unwrap();
        let (rows, _) = m.rows(&batch);
        assert_eq!(rows[0].1, json!({"id": 1}).as_object().unwrap().clone());
        assert_eq!(m.columns(&rows), vec!["id".to_string()]);

        let m = RowMapper::new(&config(&[], Some("doc")), cols()).unwrap();
        let (rows, bad) = m.rows(&batch);
        assert!(bad.is_empty());
        assert_eq!(rows[1].1["doc"], json!("nope"));
    }

    #[test]
    fn unknown_columns_are_config_errors() {
        let e = RowMapper::new(&config(&[("nope", "a")], None), cols())
            .err()
            .unwrap();
        assert!(e.to_string().contains("no column `nope`"), "{e}");
    }

    #[test]
    fn the_last_row_per_key_wins() {
        let rows = vec![
            (0, json!({"id": 1, "v": "a"}).as_object().unwrap().clone()),
            (1, json!({"id": 2, "v": "b"}).as_object().unwrap().clone()),
            (2, json!({"id": 1, "v": "c"}).as_object().unwrap().clone()),
        ];
        let out = last_per_key(rows, &["id".into()]);
        assert_eq!(out.iter().map(|r| r.0).collect::<Vec<_>>(), vec![1, 2]);
    }
}
