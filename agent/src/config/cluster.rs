//! `[cluster]`: how many agents share one connectors directory (`members`) and which of them
//! this one is (`ordinal`, else the trailing number of a StatefulSet pod name
//! `connect-agent-K`), so each `one` connector runs on exactly one of them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The pod name prefix of the StatefulSet in `deploy/kubernetes/` (`connect-agent-0`, …).
pub const POD_NAME_PREFIX: &str = "connect-agent-";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClusterSection {
    /// Agents sharing the connectors directory; 1 runs everything here.
    pub members: u32,
    /// This agent's number, 0 to members - 1; empty: from the host name `connect-agent-K`.
    pub ordinal: Ordinal,
    /// The ordinal in force once the config is loaded (see [`resolve`]).
    #[serde(skip)]
    pub resolved: u32,
}

impl Default for ClusterSection {
    fn default() -> Self {
        Self {
            members: 1,
            ordinal: Ordinal(None),
            resolved: 0,
        }
    }
}

impl ClusterSection {
    /// This agent's ordinal.
    pub fn ordinal(&self) -> u32 {
        self.resolved
    }
}

/// An ordinal as written: a number, or empty (a string, so `CONNECT_CLUSTER_ORDINAL` can be
/// derived from the defaults like every other override).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ordinal(pub Option<u32>);

impl Serialize for Ordinal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Some(k) => s.serialize_u32(k),
            None => s.serialize_str(""),
        }
    }
}

impl<'de> Deserialize<'de> for Ordinal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Number(i64),
            Text(String),
        }
        let bad = |shown: String| {
            serde::de::Error::custom(format!(
                "`{shown}` is not an agent number; give 0, 1, 2, … or leave it empty to take it from the host name {POD_NAME_PREFIX}K"
            ))
        };
        match Raw::deserialize(d)? {
            Raw::Number(n) => u32::try_from(n)
                .map(|k| Self(Some(k)))
                .map_err(|_| bad(n.to_string())),
            Raw::Text(t) if t.trim().is_empty() => Ok(Self(None)),
            Raw::Text(t) => t.trim().parse().map(|k| Self(Some(k))).map_err(|_| bad(t)),
        }
    }
}

/// The ordinal in a host name `connect-agent-K`.
pub(crate) fn from_host_name(name: &str) -> Option<u32> {
    let digits = name.trim().strip_prefix(POD_NAME_PREFIX)?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// This machine's host name: `HOSTNAME` (set in every Kubernetes pod), else the kernel's.
fn host_name(env: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    env("HOSTNAME")
        .filter(|h| !h.trim().is_empty())
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .map(|h| h.trim().to_string())
}

/// Checks `members` and settles the ordinal; the problem as (field, reason).
pub(super) fn resolve(
    cluster: &mut ClusterSection,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), (String, String)> {
    let err = |field: &str, reason: String| Err((field.to_string(), reason));
    let members = cluster.members;
    if members == 0 {
        return err(
            "cluster.members",
            "must be at least 1 (1 runs every connector on this agent)".into(),
        );
    }
    let ordinal = match cluster.ordinal.0 {
        Some(k) => k,
        None if members == 1 => 0,
        None => {
            let host = host_name(env).unwrap_or_default();
            match from_host_name(&host) {
                Some(k) => k,
                None => {
                    return err(
                        "cluster.ordinal",
                        format!(
                            "not set, and the host name `{host}` is not {POD_NAME_PREFIX}K; with members = {members}, set ordinal (0 to {}) in [cluster] or CONNECT_CLUSTER_ORDINAL, or run the agent as a StatefulSet pod named {POD_NAME_PREFIX}K",
                            members - 1
                        ),
                    );
                }
            }
        }
    };
    if ordinal >= members {
        let whence = if cluster.ordinal.0.is_some() {
            "is".to_string()
        } else {
            format!("comes from the host name {POD_NAME_PREFIX}{ordinal} and is")
        };
        return err(
            "cluster.ordinal",
            format!(
                "{ordinal} {whence} not below members = {members}; agents are numbered 0 to {}",
                members - 1
            ),
        );
    }
    cluster.resolved = ordinal;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn section(members: u32, ordinal: Option<u32>) -> ClusterSection {
        ClusterSection {
            members,
            ordinal: Ordinal(ordinal),
            resolved: 0,
        }
    }

    fn hostname(name: &'static str) -> impl Fn(&str) -> Option<String> {
        move |k: &str| (k == "HOSTNAME").then(|| name.to_string())
    }

    #[test]
    fn the_ordinal_comes_from_the_setting_then_the_pod_name() {
        let mut c = section(3, Some(1));
        resolve(&mut c, &hostname("connect-agent-2")).unwrap();
        assert_eq!(c.ordinal(), 1);
        let mut c = section(3, None);
        resolve(&mut c, &hostname("connect-agent-2")).unwrap();
        assert_eq!(c.ordinal(), 2);
        let mut c = section(1, None);
        resolve(&mut c, &hostname("laptop")).unwrap();
        assert_eq!(c.ordinal(), 0, "a single agent needs no ordinal");
    }

    #[test]
    fn a_missing_or_out_of_range_ordinal_names_the_field() {
        let (field, reason) = resolve(&mut section(3, None), &hostname("web-1")).unwrap_err();
        assert_eq!(field, "cluster.ordinal");
        assert!(
            reason.contains("`web-1`") && reason.contains("CONNECT_CLUSTER_ORDINAL"),
            "{reason}"
        );
        let (field, reason) =
            resolve(&mut section(2, None), &hostname("connect-agent-2")).unwrap_err();
        assert_eq!(field, "cluster.ordinal");
        assert!(reason.contains("members = 2"), "{reason}");
        let (field, _) = resolve(&mut section(2, Some(5)), &hostname("x")).unwrap_err();
        assert_eq!(field, "cluster.ordinal");
        let (field, _) = resolve(&mut section(0, None), &hostname("x")).unwrap_err();
        assert_eq!(field, "cluster.members");
    }

    #[test]
    fn only_the_stateful_set_pattern_gives_an_ordinal() {
        assert_eq!(from_host_name("connect-agent-0"), Some(0));
        assert_eq!(from_host_name("connect-agent-12\n"), Some(12));
        for name in [
            "connect-agent-",
            "connect-agent-x",
            "ip-10-0-0-5",
            "connect-agent-1a",
        ] {
            assert_eq!(from_host_name(name), None, "{name}");
        }
    }
}
