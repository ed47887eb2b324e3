//! `postgres_cdc` under three SIGKILLs: 10,000 inserts, 1,000 updates and 500 deletes across two
//! tables arrive in a table of a second database (the `postgres` sink, append with a jsonb
//! column and a bigserial arrival order), every change at least once, in commit order,
//! duplicates only as replays after a kill.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use connect_tests::{assert_at_least_once_in_order, wait_for};

use crate::servers::postgres;
use crate::support::sql_runtime;

const INSERTS: u64 = 10_000;
const UPDATES: u64 = 1_000;
const DELETES: u64 = 500;

/// The source workload: single-session transactions, so change LSNs rise in commit order.
fn workload(db: &str) {
    let pg = postgres();
    for chunk in 0..100 {
        let (lo, hi) = (chunk * 50 + 1, chunk * 50 + 50);
        pg.psql(
            db,
            &format!(
                "BEGIN; INSERT INTO a SELECT g, 'a' || g FROM generate_series({lo}, {hi}) g; \
                 INSERT INTO b SELECT g, g FROM generate_series({lo}, {hi}) g; COMMIT;"
            ),
        );
    }
    for chunk in 0..10 {
        let (lo, hi) = (chunk * 100 + 1, chunk * 100 + 100);
        pg.psql(
            db,
            &format!("UPDATE a SET v = 'updated' WHERE id BETWEEN {lo} AND {hi}"),
        );
    }
    for chunk in 0..5 {
        let (lo, hi) = (chunk * 100 + 1, chunk * 100 + 100);
        pg.psql(db, &format!("DELETE FROM b WHERE id BETWEEN {lo} AND {hi}"));
    }
}

#[test]
fn every_change_arrives_in_order_through_three_sigkills() {
    let pg = postgres();
    pg.create_db("cdc_src");
    pg.create_db("cdc_dst");
    pg.psql(
        "cdc_src",
        "CREATE TABLE a (id int PRIMARY KEY, v text); CREATE TABLE b (id int PRIMARY KEY, n int)",
    );
    pg.psql(
        "cdc_dst",
        "CREATE TABLE changes (seq bigserial PRIMARY KEY, doc jsonb NOT NULL)",
    );
    let rt = sql_runtime(&format!(
        "  source:
    type: postgres_cdc
    batch_length: 500
    config:
      url: {src}
      slot: kills
      publication: kills
      tables: [public.a, public.b]
  sink:
    type: postgres
    config:
      url: {dst}
      table: changes
      mode: append
      jsonb_column: doc
",
        src = pg.url("cdc_src"),
        dst = pg.url("cdc_dst"),
    ))
    .with_env("CONNECT_LOG_LEVEL", "info,sql::cdc=debug");
    let mut running = rt.spawn();
    // (slot position, delivered LSNs) right after each kill.
    let mut at_kills: Vec<(u64, std::collections::HashSet<u64>)> = Vec::new();
    // Changes committed before the slot is consistent would not be captured.
    pg.wait_for_slot("cdc_src", "kills");
    let writer = std::thread::spawn(|| workload("cdc_src"));
    let total = INSERTS + UPDATES + DELETES;
    for (kill, at) in [total / 5, total / 2, total * 4 / 5]
        .into_iter()
        .enumerate()
    {
        wait_for(
            Duration::from_secs(120),
            &format!("{at} changes before kill {}", kill + 1),
            || (pg.count("cdc_dst", "changes") >= at).then_some(()),
        );
        running.kill();
        let confirmed = pg.psql(
            "cdc_src",
            "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'kills'",
        );
        let delivered = pg.psql("cdc_dst", "SELECT DISTINCT doc->>'lsn' FROM changes");
        at_kills.push((lsn(&confirmed), delivered.lines().map(lsn).collect()));
        running = rt.spawn();
    }
    writer.join().expect("the workload ran");
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    loop {
        let distinct: u64 = pg
            .psql("cdc_dst", "SELECT count(DISTINCT doc->>'lsn') FROM changes")
            .parse()
            .unwrap();
        if distinct >= total {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{distinct} of {total} changes arrived in 120 s; slot: {}; missing: {}; \
             slot and last delivered change at each kill: {:?}; runtime log:\n{}",
            pg.psql(
                "cdc_src",
                "SELECT restart_lsn, confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'kills'"
            ),
            missing(&pg.psql(
                "cdc_dst",
                "SELECT DISTINCT doc->>'table', doc->>'op', (doc->'key'->>'id')::int, doc->>'lsn' FROM changes"
            )),
            at_kills
                .iter()
                .map(|(confirmed, delivered)| (
                    lsn_text(*confirmed),
                    delivered.iter().max().map(|l| lsn_text(*l))
                ))
                .collect::<Vec<_>>(),
            rt.logs()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    running.terminate();

    let rows = pg.psql("cdc_dst", "SELECT doc->>'lsn', doc->>'op', doc->>'table', doc->'key'->>'id' FROM changes ORDER BY seq");
    let rows: Vec<Vec<&str>> = rows.lines().map(|l| l.split('|').collect()).collect();
    // Ranks of the LSNs: commit order, as the workload is one session.
    let mut lsns: Vec<(u64, &str)> = rows.iter().map(|r| (lsn(r[0]), r[0])).collect();
    lsns.sort();
    lsns.dedup();
    assert_eq!(
        lsns.len() as u64,
        total,
        "every change is delivered once at least, none invented"
    );
    let rank: HashMap<&str, u64> = lsns
        .iter()
        .enumerate()
        .map(|(i, (_, s))| (*s, i as u64))
        .collect();
    let seqs: Vec<u64> = rows.iter().map(|r| rank[r[0]]).collect();
    let replays = assert_at_least_once_in_order(&seqs, total);
    assert!(
        replays <= 3,
        "duplicates only across the three kills, got {replays} replays"
    );

    let mut ops: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    let mut seen = std::collections::HashSet::new();
    for r in &rows {
        if seen.insert(r[0]) {
            *ops.entry((r[2], r[1])).or_default() += 1;
        }
    }
    assert_eq!(
        ops,
        BTreeMap::from([
            (("a", "insert"), INSERTS / 2),
            (("a", "update"), UPDATES),
            (("b", "delete"), DELETES),
            (("b", "insert"), INSERTS / 2),
        ])
    );
    for (confirmed, delivered) in &at_kills {
        let passed: Vec<_> = lsns
            .iter()
            .filter(|(l, _)| l < confirmed && !delivered.contains(l))
            .collect();
        assert!(
            passed.is_empty(),
            "the slot was confirmed past undelivered changes {passed:?}"
        );
    }
    // After delivery the slot's confirmed position is at or past the last change, never before
    // an undelivered one (everything was delivered above, through the kills).
    let confirmed = pg.psql(
        "cdc_src",
        "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = 'kills'",
    );
    assert!(
        lsn(&confirmed) >= lsns.last().unwrap().0,
        "slot at {confirmed}"
    );
    let sample = pg.psql(
        "cdc_dst",
        "SELECT doc FROM changes WHERE doc->>'op' = 'update' LIMIT 1",
    );
    let doc: serde_json::Value = serde_json::from_str(&sample).unwrap();
    assert_eq!(doc["after"]["v"], "updated");
    assert_eq!(doc["before"], serde_json::json!({"id": doc["key"]["id"]}));
    assert!(doc["commit_ts"].as_str().unwrap().ends_with('Z'), "{doc}");
}

/// The changes of the workload not among the delivered `table|op|id|lsn` rows, as ranges of
/// ids per table and operation, with the LSNs delivered just around each range.
fn missing(delivered: &str) -> String {
    let mut seen: HashMap<(String, String), BTreeMap<u64, String>> = HashMap::new();
    for row in delivered.lines() {
        let r: Vec<&str> = row.split('|').collect();
        seen.entry((r[0].into(), r[1].into()))
            .or_default()
            .insert(r[2].parse().unwrap(), r[3].into());
    }
    let expected = [
        ("a", "insert", INSERTS / 2),
        ("b", "insert", INSERTS / 2),
        ("a", "update", UPDATES),
        ("b", "delete", DELETES),
    ];
    let mut out = Vec::new();
    for (table, op, n) in expected {
        let ids = seen.remove(&(table.into(), op.into())).unwrap_or_default();
        let mut start = None;
        for id in 1..=n + 1 {
            match (ids.contains_key(&id) || id > n, start) {
                (false, None) => start = Some(id),
                (true, Some(s)) => {
                    out.push(format!(
                        "{table} {op} {s}..={} (delivered before: {:?}, after: {:?})",
                        id - 1,
                        ids.get(&(s - 1)),
                        ids.get(&id)
                    ));
                    start = None;
                }
                _ => {}
            }
        }
    }
    out.join("; ")
}

fn lsn_text(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF_FFFF)
}

fn lsn(text: &str) -> u64 {
    let (hi, lo) = text.split_once('/').unwrap();
    (u64::from_str_radix(hi, 16).unwrap() << 32) | u64::from_str_radix(lo, 16).unwrap()
}
