//! Source `postgres_cdc`: change data capture through a logical replication slot with the
//! built-in `pgoutput` plugin, read with `pg_logical_slot_peek_binary_changes` over an ordinary
//! connection and advanced with `pg_replication_slot_advance` only after delivery.

mod changes;
pub(crate) mod pgoutput;
mod snapshot;

use std::collections::VecDeque;
use std::time::Duration;

use connect_runtime_sdk::document::duration;
use connect_runtime_sdk::{Batch, ComponentContext, ComponentError, Source, async_trait};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::connection::{Dialect, Target, pg_error, quote_ident};
use changes::{Assembler, Change};
use pgoutput::{format_lsn, parse_lsn};
use snapshot::Snapshot;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CdcConfig {
    pub(crate) url: String,
    #[serde(default)]
    pub(crate) password: Option<String>,
    pub(crate) slot: String,
    pub(crate) create_slot: bool,
    pub(crate) publication: String,
    #[serde(default)]
    pub(crate) tables: Vec<String>,
    pub(crate) snapshot: bool,
    #[serde(with = "duration")]
    pub(crate) poll_interval: Duration,
}

/// The state document recording that the initial snapshot was delivered.
const SNAPSHOT_STATE: &str = "cdc-snapshot";

pub(crate) struct PostgresCdc {
    config: CdcConfig,
    target: Target,
    client: Option<tokio_postgres::Client>,
    assembler: Assembler,
    pending: VecDeque<Change>,
    /// End LSN of the last transaction handed to the pipeline.
    emitted: u64,
    /// The slot's confirmed position as this source last advanced (or found) it.
    confirmed: u64,
    /// (end LSN, peek rows) of transactions emitted but not yet confirmed.
    unconfirmed: VecDeque<(u64, u64)>,
    snapshot: Option<Snapshot>,
    snapshot_done: bool,
}

impl PostgresCdc {
    pub(crate) fn from_context(ctx: &ComponentContext) -> Result<Self, ComponentError> {
        let mut cdc = Self::new(ctx.config()?)?;
        let done: Option<Value> = ctx.state().load(SNAPSHOT_STATE)?;
        cdc.snapshot_done = !cdc.config.snapshot || done.is_some();
        Ok(cdc)
    }

    pub(crate) fn new(config: CdcConfig) -> Result<Self, ComponentError> {
        let target = Target {
            url: config.url.clone(),
            password: config.password.clone(),
        };
        if target.dialect()? != Dialect::Postgres {
            return Err(ComponentError::invalid_config(
                "url: postgres_cdc reads PostgreSQL; write postgres://user@host:port/db",
            ));
        }
        target.pg_config()?;
        Ok(Self {
            config,
            target,
            client: None,
            assembler: Assembler::default(),
            pending: VecDeque::new(),
            emitted: 0,
            confirmed: 0,
            unconfirmed: VecDeque::new(),
            snapshot: None,
            snapshot_done: true,
        })
    }

    async fn client(&mut self) -> Result<&tokio_postgres::Client, ComponentError> {
        if self.client.as_ref().is_none_or(|c| c.is_closed()) {
            self.client = Some(self.target.pg_connect().await?);
        }
        Ok(self.client.as_ref().expect("connected above"))
    }

    /// Creates the publication and the slot when missing; reads the slot's confirmed position.
    async fn prepare(&mut self) -> Result<(), ComponentError> {
        let (slot, publication, tables, create) = (
            self.config.slot.clone(),
            self.config.publication.clone(),
            self.config.tables.clone(),
            self.config.create_slot,
        );
        let client = self.client().await?;
        let has_pub = client
            .query_opt(
                "SELECT 1 FROM pg_publication WHERE pubname = $1",
                &[&publication],
            )
            .await
            .map_err(|e| pg_error("cannot read pg_publication", &e))?
            .is_some();
        if !has_pub {
            if tables.is_empty() {
                return Err(ComponentError::invalid_config(format!(
                    "publication `{publication}` does not exist and `tables` is empty; list the tables to capture, e.g. tables: [\"public.orders\"]"
                )));
            }
            let list: Vec<String> = tables
                .iter()
                .map(|t| quote_ident(t, Dialect::Postgres))
                .collect();
            let sql = format!(
                "CREATE PUBLICATION {} FOR TABLE {}",
                quote_ident(&publication, Dialect::Postgres),
                list.join(", ")
            );
            client
                .batch_execute(&sql)
                .await
                .map_err(|e| pg_error("cannot create the publication", &e))?;
            tracing::info!(publication, ?tables, "created the publication");
        }
        let row = client
            .query_opt(
                "SELECT confirmed_flush_lsn::text, plugin::text FROM pg_replication_slots WHERE slot_name = $1",
                &[&slot],
            )
            .await
            .map_err(|e| pg_error("cannot read pg_replication_slots", &e))?;
        let lsn = match row {
            Some(row) => {
                let plugin: Option<String> = row.get(1);
                if plugin.as_deref() != Some("pgoutput") {
                    return Err(ComponentError::invalid_config(format!(
                        "slot `{slot}` exists with plugin {plugin:?}, not pgoutput; name another slot"
                    )));
                }
                row.get::<_, Option<String>>(0)
            }
            None if create => {
                let row = client
                    .query_one(
                        "SELECT lsn::text FROM pg_create_logical_replication_slot($1, 'pgoutput')",
                        &[&slot],
                    )
                    .await
                    .map_err(|e| {
                        pg_error(
                            "cannot create the replication slot (is wal_level = logical?)",
                            &e,
                        )
                    })?;
                tracing::info!(slot, "created the replication slot");
                row.get::<_, Option<String>>(0)
            }
            None => {
                return Err(ComponentError::invalid_config(format!(
                    "slot `{slot}` does not exist and create_slot is false; create it or set create_slot: true"
                )));
            }
        };
        self.confirmed = lsn.as_deref().and_then(parse_lsn).unwrap_or(0);
        self.emitted = self.emitted.max(self.confirmed);
        tracing::debug!(confirmed = %format_lsn(self.confirmed), "slot position read");
        Ok(())
    }

    /// Peeks the next transactions past what was emitted and queues their changes.
    async fn peek(&mut self, max: usize) -> Result<bool, ComponentError> {
        let already: u64 = self.unconfirmed.iter().map(|(_, rows)| rows).sum();
        let budget = already + (max.max(1000) as u64) * 4;
        let (slot, publication) = (self.config.slot.clone(), self.config.publication.clone());
        let client = self.client().await?;
        let rows = client
            .query(
                "SELECT lsn::text, data FROM pg_logical_slot_peek_binary_changes($1, NULL, $2::int, \
                 'proto_version', '1', 'publication_names', $3)",
                &[&slot, &(budget.min(i32::MAX as u64) as i32), &publication],
            )
            .await
            .map_err(|e| pg_error("cannot read changes from the slot", &e))?;
        self.assembler = Assembler::default();
        let (returned, mut skipped, mut new) = (rows.len(), 0usize, 0usize);
        for row in rows {
            let lsn: String = row.get(0);
            let data: &[u8] = row.get(1);
            let lsn = parse_lsn(&lsn).unwrap_or(0);
            let message = pgoutput::decode(data).map_err(ComponentError::restart)?;
            let Some(txn) = self
                .assembler
                .push(lsn, message)
                .map_err(ComponentError::restart)?
            else {
                continue;
            };
            if txn.end_lsn <= self.emitted {
                skipped += 1;
                continue;
            }
            new += 1;
            self.emitted = txn.end_lsn;
            self.unconfirmed.push_back((txn.end_lsn, txn.rows));
            let n = txn.changes.len();
            for (i, message) in txn.changes.into_iter().enumerate() {
                let commit = (i + 1 == n).then_some(txn.end_lsn);
                self.pending.push_back(Change { message, commit });
            }
            if n == 0 {
                // A transaction with no captured rows still moves the position.
                self.pending.push_back(Change {
                    message: connect_runtime_sdk::Message::default(),
                    commit: Some(txn.end_lsn),
                });
            }
        }
        tracing::debug!(
            budget,
            rows = returned,
            skipped_transactions = skipped,
            new_transactions = new,
            emitted = %format_lsn(self.emitted),
            confirmed = %format_lsn(self.confirmed),
            "peeked the slot"
        );
        Ok(new > 0)
    }

    fn cursor(&self, lsn: Option<u64>) -> Value {
        json!({ "lsn": lsn.map(format_lsn), "snapshot_done": self.snapshot_done })
    }
}

#[async_trait]
impl Source for PostgresCdc {
    async fn open(&mut self, _ctx: &ComponentContext) -> Result<(), ComponentError> {
        self.prepare().await?;
        if !self.snapshot_done {
            let client = self.target.pg_connect().await?;
            self.snapshot = Some(Snapshot::start(client, &self.config.publication).await?);
        }
        Ok(())
    }

    async fn poll(
        &mut self,
        ctx: &ComponentContext,
        max: usize,
    ) -> Result<Option<Batch>, ComponentError> {
        if let Some(snapshot) = &mut self.snapshot {
            let messages = snapshot.next(max).await?;
            if !messages.is_empty() {
                return Ok(Some(Batch {
                    messages,
                    cursor: None,
                }));
            }
            self.snapshot = None;
            self.snapshot_done = true;
            tracing::info!("initial snapshot read; streaming changes");
            return Ok(Some(Batch {
                messages: Vec::new(),
                cursor: Some(self.cursor(None)),
            }));
        }
        let unconfirmed: u64 = self.unconfirmed.iter().map(|(_, rows)| rows).sum();
        if self.pending.is_empty() && unconfirmed > (max.max(1000) as u64) * 4 {
            // A peek starts at the slot's confirmed position: rather than decode the large
            // unconfirmed tail again, wait for the pipeline to confirm (and commit) it.
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
                _ = ctx.cancellation().cancelled() => {}
            }
            return Ok(Some(Batch::default()));
        }
        if self.pending.is_empty() && !self.peek(max).await? {
            tokio::select! {
                _ = tokio::time::sleep(self.config.poll_interval) => {}
                _ = ctx.cancellation().cancelled() => {}
            }
            // Empty batches let the pipeline commit confirmed positions while idle.
            return Ok(Some(Batch::default()));
        }
        let mut messages = Vec::with_capacity(max.min(self.pending.len()));
        let mut last_commit = None;
        while messages.len() < max.max(1) {
            let Some(change) = self.pending.pop_front() else {
                break;
            };
            if let Some(lsn) = change.commit {
                last_commit = Some(lsn);
            }
            if !change.message.payload.is_empty() {
                messages.push(change.message);
            }
        }
        let cursor = last_commit.map(|lsn| self.cursor(Some(lsn)));
        Ok(Some(Batch { messages, cursor }))
    }

    async fn commit(
        &mut self,
        ctx: &ComponentContext,
        cursor: Value,
    ) -> Result<(), ComponentError> {
        if cursor["snapshot_done"] == json!(true)
            && ctx.state().load::<Value>(SNAPSHOT_STATE)?.is_none()
        {
            ctx.state()
                .save_async(SNAPSHOT_STATE, json!({"done": true}))
                .await?;
        }
        let Some(lsn) = cursor["lsn"].as_str().and_then(parse_lsn) else {
            return Ok(());
        };
        if lsn <= self.confirmed {
            return Ok(());
        }
        let slot = self.config.slot.clone();
        let client = self.client().await?;
        client
            .execute(
                "SELECT pg_replication_slot_advance($1, $2::text::pg_lsn)",
                &[&slot, &format_lsn(lsn)],
            )
            .await
            .map_err(|e| pg_error("cannot advance the replication slot", &e))?;
        tracing::debug!(lsn = %format_lsn(lsn), "slot advanced");
        self.confirmed = lsn;
        while self.unconfirmed.front().is_some_and(|(end, _)| *end <= lsn) {
            self.unconfirmed.pop_front();
        }
        Ok(())
    }
}
