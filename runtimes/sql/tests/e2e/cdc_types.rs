//! `postgres_cdc` details: the initial snapshot (read once, not again after a restart, but again
//! after a kill before it was delivered), the JSON form of each column type, and a column added
//! while the runtime runs.

use std::time::Duration;

use connect_tests::wait_for;
use serde_json::{Value, json};

use crate::servers::postgres;
use crate::support::sql_runtime;

fn docs(db: &str) -> Vec<Value> {
    postgres()
        .psql(db, "SELECT doc FROM changes ORDER BY seq")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn wait_docs(db: &str, n: usize) -> Vec<Value> {
    wait_for(
        Duration::from_secs(60),
        &format!("{n} changes in {db}"),
        || {
            let d = docs(db);
            (d.len() >= n).then_some(d)
        },
    )
}

#[test]
fn snapshot_types_and_a_new_column() {
    let pg = postgres();
    pg.create_db("types_src");
    pg.create_db("types_dst");
    pg.psql(
        "types_src",
        "CREATE TABLE t (id bigint PRIMARY KEY, n numeric(8,3), s text, b bool, ts timestamptz, \
         j jsonb, raw bytea, arr int[], f float8, nothing text); \
         INSERT INTO t (id, s) VALUES (1, 'old one'), (2, 'old two')",
    );
    pg.psql(
        "types_dst",
        "CREATE TABLE changes (seq bigserial PRIMARY KEY, doc jsonb NOT NULL)",
    );
    let rt = sql_runtime(&format!(
        "  source:
    type: postgres_cdc
    config:
      url: {}
      slot: types
      publication: types
      tables: [public.t]
      snapshot: true
      poll_interval: 50ms
  sink:
    type: postgres
    config:
      url: {}
      table: changes
      mode: append
      jsonb_column: doc
",
        pg.url("types_src"),
        pg.url("types_dst")
    ));
    let running = rt.spawn();
    let snap = wait_docs("types_dst", 2);
    assert_eq!(snap[0]["snapshot"], json!(true));
    assert_eq!(snap[1]["after"]["s"], json!("old two"));
    assert_eq!(snap[1]["key"], json!({"id": 2}));

    pg.psql(
        "types_src",
        "INSERT INTO t VALUES (3, 12.5, 'tab\there', true, '2024-05-01 10:00:00.25+02', \
         '{\"a\": [1, null]}', '\\x00ff', '{1,2,NULL}', 1.5, NULL)",
    );
    let d = wait_docs("types_dst", 3);
    assert_eq!(d[2]["op"], json!("insert"));
    assert_eq!(d[2]["schema"], json!("public"));
    assert_eq!(d[2]["table"], json!("t"));
    assert_eq!(
        d[2]["after"],
        json!({"id": 3, "n": "12.500", "s": "tab\there", "b": true,
               "ts": "2024-05-01T08:00:00.25+00:00", "j": {"a": [1, null]}, "raw": "AP8=",
               "arr": [1, 2, null], "f": 1.5, "nothing": null})
    );

    // Once the slot moved past that insert, the delivered snapshot is durable too: a restart
    // does not read it again. A new column shows up without a restart.
    let inserted = lsn(d[2]["lsn"].as_str().unwrap());
    wait_for(
        Duration::from_secs(60),
        "the slot to confirm the insert",
        || {
            let confirmed = pg.psql(
                "types_src",
                "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'types'",
            );
            (lsn(&confirmed) > inserted).then_some(())
        },
    );
    running.kill();
    let running = rt.spawn();
    pg.psql(
        "types_src",
        "ALTER TABLE t ADD COLUMN extra int; UPDATE t SET extra = 7 WHERE id = 3; DELETE FROM t WHERE id = 1",
    );
    let d = wait_docs("types_dst", 5);
    assert_eq!(
        d.iter().filter(|d| d["snapshot"] == json!(true)).count(),
        2,
        "{d:?}"
    );
    let update = d.iter().find(|d| d["op"] == json!("update")).unwrap();
    assert_eq!(update["after"]["extra"], json!(7));
    assert_eq!(update["before"], json!({"id": 3}));
    let delete = d.iter().find(|d| d["op"] == json!("delete")).unwrap();
    assert_eq!(delete["before"], json!({"id": 1}));
    assert_eq!(delete["after"], Value::Null);
    assert!(running.terminate().success(), "{}", rt.stderr());
}

fn lsn(text: &str) -> u64 {
    let (hi, lo) = text.split_once('/').unwrap();
    (u64::from_str_radix(hi, 16).unwrap() << 32) | u64::from_str_radix(lo, 16).unwrap()
}

#[test]
fn a_kill_mid_snapshot_reads_the_snapshot_again() {
    const ROWS: u64 = 50_000;
    let pg = postgres();
    pg.create_db("snap_src");
    pg.create_db("snap_dst");
    pg.psql(
        "snap_src",
        &format!("CREATE TABLE big (id int PRIMARY KEY); INSERT INTO big SELECT generate_series(1, {ROWS})"),
    );
    pg.psql(
        "snap_dst",
        "CREATE TABLE changes (seq bigserial PRIMARY KEY, doc jsonb NOT NULL)",
    );
    let rt = sql_runtime(&format!(
        "  source:
    type: postgres_cdc
    batch_length: 100
    config: {{ url: \"{}\", slot: snap, publication: snap, tables: [public.big], snapshot: true }}
  sink:
    type: postgres
    batch_length: 100
    config: {{ url: \"{}\", table: changes, mode: append, jsonb_column: doc }}
",
        pg.url("snap_src"),
        pg.url("snap_dst")
    ));
    let running = rt.spawn();
    wait_for(Duration::from_secs(60), "part of the snapshot", || {
        (pg.count("snap_dst", "changes") >= 1_000).then_some(())
    });
    running.kill();
    let delivered_before_kill = pg.count("snap_dst", "changes");
    assert!(
        delivered_before_kill < ROWS,
        "the snapshot finished before the kill; make it larger"
    );
    let running = rt.spawn();
    wait_for(Duration::from_secs(120), "the whole snapshot again", || {
        (pg.count("snap_dst", "changes") >= delivered_before_kill + ROWS).then_some(())
    });
    pg.psql("snap_src", "INSERT INTO big VALUES (0)");
    wait_for(Duration::from_secs(60), "the streamed insert", || {
        (pg.psql(
            "snap_dst",
            "SELECT count(*) FROM changes WHERE doc->>'lsn' IS NOT NULL",
        ) == "1")
            .then_some(())
    });
    let distinct = pg.psql(
        "snap_dst",
        "SELECT count(DISTINCT doc->'key'->>'id') FROM changes WHERE doc->>'snapshot' = 'true'",
    );
    assert_eq!(distinct, ROWS.to_string());
    assert!(running.terminate().success(), "{}", rt.stderr());
}
