//! `sql_query` polling into both sinks, each direction across the two databases, with a
//! SIGKILL mid-way (no row lost, upsert leaves no duplicates), and a refused row that stops the
//! runtime with exit 78 naming the row and the database's message.

use std::time::Duration;

use connect_tests::wait_for;

use crate::servers::{mariadb, postgres};
use crate::support::{RuntimeRun, sql_runtime};

const ROWS: u64 = 3_000;

/// Starts the runtime, kills it once the destination has a third of the rows while the source
/// is still being filled, restarts it and waits for every row.
fn run_with_kill(rt: &RuntimeRun, fill: impl FnOnce() + Send + 'static, count: impl Fn() -> u64) {
    let running = rt.spawn();
    let writer = std::thread::spawn(fill);
    wait_for(
        Duration::from_secs(120),
        "a third of the rows before the kill",
        || (count() >= ROWS / 3).then_some(()),
    );
    running.kill();
    let running = rt.spawn();
    writer.join().expect("the source was filled");
    wait_for(
        Duration::from_secs(120),
        &format!("{ROWS} rows after the restart"),
        || (count() >= ROWS).then_some(()),
    );
    let status = running.terminate();
    assert!(status.success(), "{status}: {}", rt.stderr());
}

#[test]
fn postgres_rows_polled_into_mysql_with_upsert_survive_a_kill() {
    let (pg, my) = (postgres(), mariadb());
    pg.create_db("poll_pg");
    pg.psql("poll_pg", "CREATE TABLE items (id bigint PRIMARY KEY, name text, price numeric(10,2), at timestamptz)");
    my.sql("CREATE DATABASE poll_my_dst; CREATE TABLE poll_my_dst.items (id BIGINT PRIMARY KEY, name TEXT, price DECIMAL(10,2))");
    let rt = sql_runtime(&format!(
        "  source:
    type: sql_query
    batch_length: 100
    config:
      url: {src}
      query: SELECT id, name, price FROM items WHERE id > $1 ORDER BY id LIMIT $2
      cursor_column: id
      interval: 50ms
  sink:
    type: mysql
    config:
      url: {dst}
      table: items
      mode: upsert
      key_columns: [id]
",
        src = pg.url("poll_pg"),
        dst = my.url("poll_my_dst"),
    ));
    run_with_kill(
        &rt,
        || {
            for chunk in 0..30 {
                let (lo, hi) = (chunk * 100 + 1, chunk * 100 + 100);
                postgres().psql("poll_pg", &format!(
                    "INSERT INTO items SELECT g, 'item ' || g, g * 1.5, now() FROM generate_series({lo}, {hi}) g"
                ));
            }
        },
        || mariadb().count("poll_my_dst.items"),
    );
    assert_eq!(my.count("poll_my_dst.items"), ROWS, "no duplicates");
    assert_eq!(
        my.sql("SELECT sum(id), sum(price), count(DISTINCT name) FROM poll_my_dst.items"),
        pg.psql(
            "poll_pg",
            "SELECT sum(id), sum(price), count(DISTINCT name) FROM items"
        )
        .replace('|', "\t")
    );
}

#[test]
fn mysql_rows_polled_into_postgres_with_upsert_survive_a_kill() {
    let (pg, my) = (postgres(), mariadb());
    // MariaDB's JSON is text with a validity check: it arrives as a string holding JSON.
    my.sql("CREATE DATABASE poll_my; CREATE TABLE poll_my.items (id BIGINT PRIMARY KEY, name TEXT, price DECIMAL(10,2), doc JSON)");
    pg.create_db("poll_pg_dst");
    let rt = sql_runtime(&format!(
        "  source:
    type: sql_query
    batch_length: 100
    config:
      url: {src}
      query: SELECT id, name, price, doc FROM items WHERE id > ? ORDER BY id LIMIT ?
      cursor_column: id
      interval: 50ms
  sink:
    type: postgres
    config:
      url: {dst}
      table: items
      mode: upsert
      create_table:
        columns: {{ id: bigint, name: text, price: 'numeric(10,2)', doc: text }}
        primary_key: [id]
",
        src = my.url("poll_my"),
        dst = pg.url("poll_pg_dst"),
    ));
    run_with_kill(
        &rt,
        || {
            for chunk in 0..30 {
                let values: Vec<String> = (chunk * 100 + 1..=chunk * 100 + 100)
                    .map(|i| format!("({i}, 'item {i}', {i} * 1.5, JSON_OBJECT('n', {i}))"))
                    .collect();
                mariadb().sql(&format!(
                    "INSERT INTO poll_my.items VALUES {}",
                    values.join(",")
                ));
            }
        },
        || {
            // The table appears when the sink opens.
            let exists = postgres().psql(
                "poll_pg_dst",
                "SELECT count(*) FROM pg_tables WHERE tablename = 'items'",
            );
            if exists == "1" {
                postgres().count("poll_pg_dst", "items")
            } else {
                0
            }
        },
    );
    assert_eq!(pg.count("poll_pg_dst", "items"), ROWS, "no duplicates");
    assert_eq!(
        pg.psql(
            "poll_pg_dst",
            "SELECT sum(id), sum(price), sum((doc::jsonb->>'n')::int) FROM items"
        ),
        my.sql("SELECT sum(id), sum(price), sum(JSON_VALUE(doc, '$.n')) FROM poll_my.items")
            .replace('\t', "|")
    );
}

#[test]
fn append_mode_writes_with_copy_and_multi_row_insert() {
    let (pg, my) = (postgres(), mariadb());
    pg.create_db("append_src");
    pg.psql("append_src", "CREATE TABLE ev (id bigint PRIMARY KEY, body text); INSERT INTO ev SELECT g, 'line ' || g || E'\\twith tab' FROM generate_series(1, 500) g");
    pg.create_db("append_dst");
    my.sql("CREATE DATABASE append_my");
    for (sink, count) in [
        (
            format!(
                "type: postgres\n    config:\n      url: {}\n      table: ev\n      mode: append\n      create_table: {{ columns: {{ id: bigint, body: text }} }}",
                pg.url("append_dst")
            ),
            Box::new(|| {
                if postgres().psql(
                    "append_dst",
                    "SELECT count(*) FROM pg_tables WHERE tablename = 'ev'",
                ) == "1"
                {
                    postgres().count("append_dst", "ev")
                } else {
                    0
                }
            }) as Box<dyn Fn() -> u64>,
        ),
        (
            format!(
                "type: mysql\n    config:\n      url: {}\n      table: ev\n      mode: append\n      create_table: {{ columns: {{ id: BIGINT, body: TEXT }} }}",
                my.url("append_my")
            ),
            Box::new(|| {
                if mariadb()
                    .sql("SELECT count(*) FROM information_schema.tables WHERE table_name = 'ev'")
                    == "1"
                {
                    mariadb().count("append_my.ev")
                } else {
                    0
                }
            }),
        ),
    ] {
        let rt = sql_runtime(&format!(
            "  source:
    type: sql_query
    config:
      url: {}
      query: SELECT * FROM ev WHERE id > $1 ORDER BY id LIMIT $2
      cursor_column: id
  sink:
    {sink}
",
            pg.url("append_src")
        ));
        let running = rt.spawn();
        wait_for(Duration::from_secs(60), "500 appended rows", || {
            (count() >= 500).then_some(())
        });
        assert!(running.terminate().success(), "{}", rt.stderr());
        assert_eq!(count(), 500, "{sink}");
    }
    assert_eq!(
        pg.psql("append_dst", "SELECT body FROM ev WHERE id = 7"),
        "line 7\twith tab"
    );
    assert_eq!(
        my.sql("SELECT count(*) FROM append_my.ev WHERE body LIKE 'line %'"),
        "500"
    );
}

#[test]
fn a_refused_row_stops_the_runtime_with_exit_78_naming_it() {
    let (pg, my) = (postgres(), mariadb());
    pg.create_db("refuse_src");
    pg.psql("refuse_src", "CREATE TABLE t (id int PRIMARY KEY, qty int); INSERT INTO t VALUES (1, 5), (2, -7), (3, 9)");
    pg.create_db("refuse_dst");
    pg.psql(
        "refuse_dst",
        "CREATE TABLE t (id int PRIMARY KEY, qty int CHECK (qty > 0))",
    );
    my.sql("CREATE DATABASE refuse_my; CREATE TABLE refuse_my.t (id INT PRIMARY KEY, qty INT CHECK (qty > 0))");
    for (sink, db_words) in [
        (
            format!(
                "type: postgres\n    config:\n      url: {}\n      table: t",
                pg.url("refuse_dst")
            ),
            "violates check constraint",
        ),
        (
            format!(
                "type: mysql\n    config:\n      url: {}\n      table: t",
                my.url("refuse_my")
            ),
            "CONSTRAINT",
        ),
    ] {
        let rt = sql_runtime(&format!(
            "  source:
    type: sql_query
    config:
      url: {}
      query: SELECT * FROM t WHERE id > $1 ORDER BY id LIMIT $2
      cursor_column: id
  sink:
    {sink}
",
            pg.url("refuse_src")
        ));
        let status = rt.spawn().wait();
        let stderr = rt.stderr();
        assert_eq!(status.code(), Some(78), "{stderr}");
        assert!(
            stderr.contains(r#"{"id":2,"qty":-7}"#),
            "the row is named: {stderr}"
        );
        assert!(
            stderr.contains(db_words),
            "the database's message is given: {stderr}"
        );
        assert!(stderr.contains("message 1 of the batch"), "{stderr}");
    }
    assert_eq!(
        pg.psql(
            "refuse_dst",
            "SELECT string_agg(id::text, ',' ORDER BY id) FROM t"
        ),
        "1,3"
    );
    assert_eq!(
        my.sql("SELECT GROUP_CONCAT(id ORDER BY id) FROM refuse_my.t"),
        "1,3"
    );
}
