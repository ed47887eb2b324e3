//! Redis Streams: the consumer-group source loses nothing across SIGKILLs (pending entries are
//! taken over in order), and the sink survives a Redis restart.

use nix::sys::signal::Signal;

use crate::servers::{self, Kind, Server};
use crate::support::{
    Messaging, WAIT, assert_delivery, redis_conn, redis_fill, redis_len, redis_seqs, wait_for_len,
};
use connect_tests::wait_for;

const N: u64 = 50_000;

/// Why Redis → Redis: the output stream is a durable log of exactly what the sink wrote, in
/// write order, so order, loss and duplicates are read straight off it.
#[test]
fn source_loses_nothing_across_three_sigkills_while_entries_arrive() {
    let url = servers::redis().url();
    let (input, output) = ("kills-in", "kills-out");
    let run = Messaging::new(
        "redis-kills",
        &format!(
            "  source: {{ type: redis_streams, config: {{ url: '{url}', stream: {input}, group: bridge }} }}\n  sink: {{ type: redis_streams, config: {{ url: '{url}', stream: {output} }} }}\n"
        ),
    );
    let feeder = {
        let url = url.clone();
        std::thread::spawn(move || {
            // Paced so the kills fall while entries still arrive.
            for start in (0..N).step_by(1000) {
                redis_fill(&url, input, start..start + 1000);
                std::thread::sleep(std::time::Duration::from_millis(60));
            }
        })
    };
    for threshold in [6_000, 18_000, 30_000] {
        let mut running = run.spawn();
        wait_for_len(&url, output, threshold, &mut running, || run.logs());
        running.kill(|| run.logs());
    }
    feeder.join().unwrap();
    let mut running = run.spawn();
    wait_for(WAIT, "every entry in the output", || {
        running.assert_running(|| run.logs());
        let distinct: std::collections::BTreeSet<u64> =
            redis_seqs(&url, output).into_iter().collect();
        (distinct.len() as u64 == N).then_some(())
    });
    assert_eq!(running.terminate(), Some(0), "{}", run.logs());
    assert_delivery(&redis_seqs(&url, output), N, 3);

    let pending: (u64, redis::Value, redis::Value, redis::Value) = redis::cmd("XPENDING")
        .arg(input)
        .arg("bridge")
        .query(&mut redis_conn(&url))
        .unwrap();
    assert_eq!(
        pending.0, 0,
        "every delivered entry is acknowledged after a clean stop"
    );
}

#[test]
fn sink_reconnects_after_a_redis_restart_and_loses_nothing() {
    const M: u64 = 20_000;
    let feed = servers::redis().url();
    let mut target = Server::new(Kind::Redis, true);
    let out = target.url();
    redis_fill(&feed, "restart-in", 0..M);
    let run = Messaging::new(
        "redis-restart",
        &format!(
            "  source: {{ type: redis_streams, config: {{ url: '{feed}', stream: restart-in }} }}\n  sink: {{ type: redis_streams, config: {{ url: '{out}', stream: restart-out }}, batch_length: 200 }}\n"
        ),
    );
    let mut running = run.spawn();
    wait_for_len(&out, "restart-out", 4_000, &mut running, || run.logs());
    target.stop(Signal::SIGKILL);
    target.start();
    wait_for(WAIT, "every entry after the restart", || {
        running.assert_running(|| run.logs());
        (redis_len(&out, "restart-out") >= M).then_some(())
    });
    assert_eq!(running.terminate(), Some(0), "{}", run.logs());
    assert_delivery(&redis_seqs(&out, "restart-out"), M, 1);
    assert!(
        run.logs().contains("sent again on a new connection"),
        "the restart fell between batches; the sink never had to reconnect:\n{}",
        run.logs()
    );
}
