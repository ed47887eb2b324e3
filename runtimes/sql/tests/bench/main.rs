//! Throughput figures of the `sql` runtime against a private PostgreSQL (run in release mode,
//! see BENCHMARKS.md): COPY append and upsert beside `psql \copy` of the same rows, and CDC
//! changes per second with the commit-to-delivery lag.

#[allow(dead_code)]
#[path = "../e2e/servers.rs"]
mod servers;
#[allow(dead_code)]
#[path = "../e2e/support.rs"]
mod support;

use std::time::{Duration, Instant};

use servers::postgres;
use support::sql_runtime;

const SINK_ROWS: u64 = 1_000_000;
const CDC_ROWS: u64 = 500_000;

/// The source table: `n` rows whose JSON message is about 100 bytes.
fn fill_source(db: &str, n: u64) {
    let pg = postgres();
    pg.create_db(db);
    pg.psql(
        db,
        &format!(
            "CREATE TABLE src (id bigint PRIMARY KEY, body text); \
             INSERT INTO src SELECT g, rpad('row ' || g, 72, 'x') FROM generate_series(1, {n}) g"
        ),
    );
}

/// Seconds until `count` reaches `n`. Polled every 200 ms with an index-only query
/// (`max` of the key), so the measuring does not load the 2-core machine it measures.
fn time_until(n: u64, count: impl Fn() -> u64) -> f64 {
    let started = Instant::now();
    while count() < n {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "timed out waiting for {n} rows"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    started.elapsed().as_secs_f64()
}

/// The largest value of an indexed column (0 for an empty table).
fn max_of(db: &str, column: &str, table: &str) -> u64 {
    postgres()
        .psql(
            db,
            &format!("SELECT coalesce(max({column}), 0) FROM {table}"),
        )
        .parse()
        .unwrap()
}

fn sink_run(mode: &str, n: u64) -> f64 {
    let pg = postgres();
    let dst = format!("bench_{mode}_dst");
    pg.create_db(&dst);
    pg.psql(&dst, "CREATE TABLE dst (id bigint PRIMARY KEY, body text)");
    let rt = sql_runtime(&format!(
        "  source:
    type: sql_query
    batch_length: 10000
    config: {{ url: \"{}\", query: \"SELECT id, body FROM src WHERE id > $1 ORDER BY id LIMIT $2\", cursor_column: id }}
  sink:
    type: postgres
    batch_length: 10000
    config: {{ url: \"{}\", table: dst, mode: {mode} }}
",
        pg.url("bench_src"),
        pg.url(&dst)
    ));
    let running = rt.spawn();
    let secs = time_until(n, || max_of(&dst, "id", "dst"));
    let cpu = cpu_seconds(running.pid());
    assert!(running.terminate().success(), "{}", rt.stderr());
    println!("BENCH {mode}: {n} rows in {secs:.1} s; the runtime used {cpu:.1} s of CPU");
    n as f64 / secs
}

/// User plus system CPU time of a process so far.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

fn psql_copy(n: u64) -> f64 {
    let pg = postgres();
    pg.create_db("bench_copy_dst");
    pg.psql(
        "bench_copy_dst",
        "CREATE TABLE dst (id bigint PRIMARY KEY, body text)",
    );
    let file = tempfile::NamedTempFile::new().unwrap();
    let path = file.path().display().to_string();
    pg.psql("bench_src", &format!("\\copy src TO '{path}'"));
    let started = Instant::now();
    pg.psql("bench_copy_dst", &format!("\\copy dst FROM '{path}'"));
    let secs = started.elapsed().as_secs_f64();
    assert_eq!(pg.count("bench_copy_dst", "dst"), n);
    n as f64 / secs
}

#[test]
#[ignore = "a benchmark: cargo test --release -p sql --test bench -- --ignored --nocapture"]
fn sink_append_and_upsert_beside_psql_copy() {
    fill_source("bench_src", SINK_ROWS);
    let floor = psql_copy(SINK_ROWS);
    let append = sink_run("append", SINK_ROWS);
    let upsert = sink_run("upsert", SINK_ROWS);
    println!("BENCH psql \\copy (floor): {floor:.0} rows/s");
    println!(
        "BENCH postgres sink append (COPY): {append:.0} rows/s ({:.2} of psql \\copy)",
        append / floor
    );
    println!(
        "BENCH postgres sink upsert: {upsert:.0} rows/s ({:.2} of psql \\copy)",
        upsert / floor
    );
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[test]
#[ignore = "a benchmark: cargo test --release -p sql --test bench -- --ignored --nocapture"]
fn cdc_changes_per_second_and_lag() {
    let pg = postgres();
    pg.create_db("bench_cdc_src");
    pg.create_db("bench_cdc_dst");
    pg.psql(
        "bench_cdc_src",
        "CREATE TABLE t (id bigint PRIMARY KEY, body text)",
    );
    pg.psql(
        "bench_cdc_dst",
        "CREATE TABLE changes (seq bigserial PRIMARY KEY, doc jsonb, arrived timestamptz DEFAULT clock_timestamp())",
    );
    let rt = sql_runtime(&format!(
        "  source:
    type: postgres_cdc
    batch_length: 10000
    config: {{ url: \"{}\", slot: bench, publication: bench, tables: [public.t], poll_interval: 20ms }}
  sink:
    type: postgres
    batch_length: 10000
    config: {{ url: \"{}\", table: changes, mode: append, jsonb_column: doc }}
",
        pg.url("bench_cdc_src"),
        pg.url("bench_cdc_dst")
    ));
    let running = rt.spawn();
    pg.wait_for_slot("bench_cdc_src", "bench");
    let lags = |from: u64| -> Vec<f64> {
        let mut v: Vec<f64> = pg
            .psql(
                "bench_cdc_dst",
                &format!("SELECT extract(epoch FROM arrived - (doc->>'commit_ts')::timestamptz) * 1000 FROM changes WHERE seq > {from}"),
            )
            .lines()
            .map(|l| l.parse().unwrap())
            .collect();
        v.sort_by(f64::total_cmp);
        v
    };
    // Steady, first (after a large transaction every peek decodes it again until PostgreSQL
    // moves the slot's restart_lsn, see BENCHMARKS.md): 200 transactions of 10 rows, one
    // every 10 ms.
    for i in 0..200u64 {
        let lo = 10_000_000 + i * 10 + 1;
        pg.psql(
            "bench_cdc_src",
            &format!(
                "INSERT INTO t SELECT g, 'steady' FROM generate_series({lo}, {}) g",
                lo + 9
            ),
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    time_until(2000, || max_of("bench_cdc_dst", "seq", "changes"));
    let steady = lags(0);
    // Bulk: one transaction of CDC_ROWS inserts.
    let before = max_of("bench_cdc_dst", "seq", "changes");
    let cpu_before = cpu_seconds(running.pid());
    pg.psql(
        "bench_cdc_src",
        &format!("INSERT INTO t SELECT g, rpad('row ' || g, 72, 'x') FROM generate_series(1, {CDC_ROWS}) g"),
    );
    // From the commit (decoding cannot start earlier) to the last change delivered.
    let secs = time_until(before + CDC_ROWS, || {
        max_of("bench_cdc_dst", "seq", "changes")
    });
    let bulk_rate = CDC_ROWS as f64 / secs;
    let bulk_cpu = cpu_seconds(running.pid()) - cpu_before;
    let bulk = lags(before);
    assert!(running.terminate().success(), "{}", rt.stderr());
    println!(
        "BENCH cdc bulk ({CDC_ROWS} inserts in one transaction): {bulk_rate:.0} changes/s after commit ({secs:.1} s, the runtime used {bulk_cpu:.1} s of CPU); lag p50 {:.0} ms, p99 {:.0} ms",
        percentile(&bulk, 0.5),
        percentile(&bulk, 0.99)
    );
    println!(
        "BENCH cdc steady (200 transactions of 10 rows, 10 ms apart): lag p50 {:.0} ms, p99 {:.0} ms",
        percentile(&steady, 0.5),
        percentile(&steady, 0.99)
    );
}
