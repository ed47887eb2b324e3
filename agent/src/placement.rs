//! Which agent of a cluster runs a connector: every agent for `placement: all`, the pinned one
//! for `{ agent: K }`, and for `one` the winner of rendezvous (highest-random-weight) hashing
//! of the connector's id over the members' ordinals. Every agent computes the same answer from
//! the same document and `[cluster] members`, with no coordination; changing `members` moves
//! only the connectors whose winner changed.

use connect_model::ConnectorConfig;
use connect_model::document::Placement;

use crate::config::ClusterSection;

/// Where a connector runs, seen from one agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Decision {
    /// This agent runs it.
    Here,
    /// The agent with this ordinal runs it.
    Elsewhere(u32),
    /// Pinned to an agent the cluster does not have: the reason, for people.
    Nowhere(String),
}

/// The decision of the agent `cluster.ordinal()` for `config`. `shared` says whether every
/// agent has the connector (a file of the shared connectors directory); one created through
/// the API lives in one agent's state only, so that agent runs it. A single agent
/// (`members = 1`) runs everything.
pub(crate) fn decide(config: &ConnectorConfig, cluster: &ClusterSection, shared: bool) -> Decision {
    if cluster.members <= 1 {
        return Decision::Here;
    }
    let owner = match config.effective_placement() {
        Placement::All => return Decision::Here,
        Placement::Agent(k) if k >= cluster.members => {
            return Decision::Nowhere(out_of_range(k, cluster.members));
        }
        Placement::Agent(k) => k,
        Placement::One if shared => winner(config.id.as_str(), cluster.members),
        Placement::One => return Decision::Here,
    };
    if !shared && owner != cluster.ordinal() {
        return Decision::Nowhere(format!(
            "placement: agent {owner}, but this connector was created through the API of agent {} and lives in its state only; create it through agent {owner}, or put its file in the shared connectors directory",
            cluster.ordinal()
        ));
    }
    if owner == cluster.ordinal() {
        Decision::Here
    } else {
        Decision::Elsewhere(owner)
    }
}

/// Why a pin to agent `k` cannot be honoured.
pub(crate) fn out_of_range(k: u32, members: u32) -> String {
    format!(
        "placement: agent {k} is not a member of this cluster ([cluster] members = {members}); pin it to an agent from 0 to {}, or use placement: one",
        members.saturating_sub(1)
    )
}

/// The ordinal (0 to `members` - 1) that runs a `one` connector with this id.
pub(crate) fn winner(id: &str, members: u32) -> u32 {
    (0..members.max(1))
        .max_by_key(|&k| (weight(id, k), std::cmp::Reverse(k)))
        .unwrap_or(0)
}

/// The weight of agent `ordinal` for `id`: FNV-1a over the id, a separator and the ordinal,
/// then SplitMix64's finalizer so every bit depends on every input byte. Stable across
/// builds, platforms and versions (agents of different versions must agree): never change it.
fn weight(id: &str, ordinal: u32) -> u64 {
    const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut h = OFFSET;
    for b in id.bytes().chain([0xff]).chain(ordinal.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(PRIME);
    }
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Ordinal;

    fn ids() -> Vec<String> {
        (0..3000).map(|i| format!("connector-{i}")).collect()
    }

    #[test]
    fn moving_from_three_members_to_two_moves_only_the_removed_members_connectors() {
        let mut moved = 0;
        for id in ids() {
            let (before, after) = (winner(&id, 3), winner(&id, 2));
            if before == 2 {
                moved += 1;
                assert!(after < 2, "{id}");
            } else {
                assert_eq!(before, after, "{id} moved although its agent stayed");
            }
        }
        assert!(
            (800..1200).contains(&moved),
            "{moved} of 3000 were on agent 2"
        );
        // And growing back moves only the ones agent 2 wins.
        for id in ids() {
            let (before, after) = (winner(&id, 2), winner(&id, 3));
            assert!(after == before || after == 2, "{id}");
        }
    }

    #[test]
    fn connectors_spread_evenly_and_one_member_runs_everything() {
        for members in [2u32, 3, 5] {
            let mut counts = vec![0usize; members as usize];
            for id in ids() {
                counts[winner(&id, members) as usize] += 1;
            }
            let fair = 3000 / members as usize;
            for (k, &n) in counts.iter().enumerate() {
                assert!(
                    n > fair * 8 / 10 && n < fair * 12 / 10,
                    "agent {k} of {members} got {n}: {counts:?}"
                );
            }
        }
        assert!(ids().iter().all(|id| winner(id, 1) == 0));
        assert_eq!(winner("x", 0), 0, "no members is treated as one");
    }

    #[test]
    fn the_hash_never_changes() {
        // Agents of different versions must agree: these values are fixed forever.
        assert_eq!(weight("orders-inlet", 0), 0x7f45_edda_f4d0_17b8);
        let fixed: Vec<u32> = ["a", "orders-inlet", "cat-facts", "pg-cdc", "x1", "x2"]
            .iter()
            .map(|id| winner(id, 3))
            .collect();
        assert_eq!(fixed, GOLDEN);
    }

    const GOLDEN: [u32; 6] = [1, 1, 0, 1, 1, 2];

    #[test]
    fn the_decision_follows_the_document() {
        let cluster = |ordinal| ClusterSection {
            members: 3,
            ordinal: Ordinal(Some(ordinal)),
            resolved: ordinal,
        };
        let doc = |extra: &str| {
            connect_model::document::decode::from_str(&format!(
                "id: p\nruntime: essentials\nsteps:\n  source: {{ type: generate }}\n  sink: {{ type: stdout }}\n{extra}"
            ))
            .unwrap()
        };
        let one = doc("");
        let owner = winner("p", 3);
        let decisions: Vec<Decision> = (0..3).map(|k| decide(&one, &cluster(k), true)).collect();
        assert_eq!(
            decisions.iter().filter(|d| **d == Decision::Here).count(),
            1,
            "{decisions:?}"
        );
        assert!(decisions.iter().enumerate().all(|(k, d)| *d
            == if k as u32 == owner {
                Decision::Here
            } else {
                Decision::Elsewhere(owner)
            }));
        let all = doc("placement: all\n");
        assert!((0..3).all(|k| decide(&all, &cluster(k), true) == Decision::Here));
        let pinned = doc("placement: { agent: 1 }\n");
        assert_eq!(decide(&pinned, &cluster(1), true), Decision::Here);
        assert_eq!(decide(&pinned, &cluster(0), true), Decision::Elsewhere(1));
        let past = doc("placement: { agent: 3 }\n");
        let Decision::Nowhere(why) = decide(&past, &cluster(0), true) else {
            panic!("a pin past the members runs nowhere");
        };
        assert!(
            why.contains("members = 3") && why.contains("0 to 2"),
            "{why}"
        );
        // A connector of one agent's state runs on that agent, unless pinned to another.
        assert!((0..3).all(|k| decide(&one, &cluster(k), false) == Decision::Here));
        assert_eq!(decide(&pinned, &cluster(1), false), Decision::Here);
        let Decision::Nowhere(why) = decide(&pinned, &cluster(0), false) else {
            panic!("an API connector pinned to another agent runs nowhere");
        };
        assert!(why.contains("through agent 1"), "{why}");
        // A single agent runs everything, pins included.
        let single = ClusterSection::default();
        for d in [&one, &all, &pinned, &past] {
            assert_eq!(decide(d, &single, true), Decision::Here);
        }
    }
}
