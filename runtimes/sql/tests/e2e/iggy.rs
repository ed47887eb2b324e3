//! Through Iggy (run when CONNECT_TEST_IGGY_ADDRESS names a server): `postgres_cdc` into a
//! producer with key partitioning, a consumer into the `postgres` sink upserting into a second
//! database; the two tables end equal.

use std::time::Duration;

use connect_tests::{iggy_address, wait_for};

use crate::servers::postgres;
use crate::support::sql_runtime;

#[test]
fn cdc_through_iggy_into_an_upserted_copy() {
    let Some(iggy) = iggy_address("cdc_through_iggy_into_an_upserted_copy") else {
        return;
    };
    let pg = postgres();
    let stream = format!(
        "sql-e2e-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis()
    );
    pg.create_db("iggy_src");
    pg.create_db("iggy_dst");
    pg.psql(
        "iggy_src",
        "CREATE TABLE acc (id int PRIMARY KEY, balance int NOT NULL)",
    );
    let capture = sql_runtime(&format!(
        "  source:
    type: postgres_cdc
    config: {{ url: \"{}\", slot: iggy, publication: iggy, tables: [public.acc] }}
  producer: {{ stream: {stream}, topic: changes, create_topic: true, partitions: 3, partitioning: key }}
",
        pg.url("iggy_src")
    ))
    .with_env("CONNECT_IGGY_ADDRESS", &iggy);
    let apply = sql_runtime(&format!(
        "  consumer: {{ stream: {stream}, topic: changes, consumer_group: apply, start: first }}
  transformer:
    - filter: {{ condition: {{ equals: {{ field: op, value: delete }} }}, action: drop }}
  sink:
    type: postgres
    config:
      url: \"{}\"
      table: acc
      mode: upsert
      key_columns: [id]
      columns: {{ id: after.id, balance: after.balance }}
      create_table: {{ columns: {{ id: int, balance: int }}, primary_key: [id] }}
",
        pg.url("iggy_dst")
    ))
    .with_env("CONNECT_IGGY_ADDRESS", &iggy);
    let capturing = capture.spawn();
    pg.wait_for_slot("iggy_src", "iggy");
    pg.psql(
        "iggy_src",
        "INSERT INTO acc SELECT g, 0 FROM generate_series(1, 2000) g",
    );
    for round in 1..=5 {
        pg.psql(
            "iggy_src",
            &format!("UPDATE acc SET balance = balance + {round} WHERE id % 7 = {round}"),
        );
    }
    let applying = apply.spawn();
    let digest = "SELECT count(*) || ':' || coalesce(sum(id::bigint * 31 + balance), 0) FROM acc";
    let want = pg.psql("iggy_src", digest);
    wait_for(
        Duration::from_secs(120),
        "the copy to equal the source",
        || {
            let exists = pg.psql(
                "iggy_dst",
                "SELECT count(*) FROM pg_tables WHERE tablename = 'acc'",
            ) == "1";
            (exists && pg.psql("iggy_dst", digest) == want).then_some(())
        },
    );
    assert_eq!(
        pg.psql(
            "iggy_src",
            "SELECT string_agg(id || '=' || balance, ',' ORDER BY id) FROM acc"
        ),
        pg.psql(
            "iggy_dst",
            "SELECT string_agg(id || '=' || balance, ',' ORDER BY id) FROM acc"
        )
    );
    assert!(capturing.terminate().success(), "{}", capture.stderr());
    assert!(applying.terminate().success(), "{}", apply.stderr());
}
