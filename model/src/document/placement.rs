//! Where a connector runs when several agents share one connectors directory: on `all` of
//! them, on `one` chosen by the agents, or pinned to one agent (`{ agent: K }`). Agent-only.

use serde::{Deserialize, Serialize};

use super::steps::Steps;

/// The `placement` key of a connector document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Placement {
    /// Every agent runs it (outlets in one Iggy consumer group share the partitions).
    All,
    /// One agent runs it, chosen by hashing its id over the cluster's members.
    One,
    /// The agent with this ordinal runs it (sources whose position lives on one agent's disk).
    Agent(u32),
}

impl Placement {
    /// The placement a document gets without the key: `all` when its input is an Iggy
    /// `consumer` (N agents share the consumer group's partitions), `one` otherwise (N agents
    /// polling one external source would produce N copies).
    pub fn default_for(steps: &Steps) -> Self {
        if steps.consumer.is_some() {
            Self::All
        } else {
            Self::One
        }
    }

    /// How the API and the docs spell it.
    pub fn describe(self) -> String {
        match self {
            Self::All => "all".into(),
            Self::One => "one".into(),
            Self::Agent(k) => format!("{{ agent: {k} }}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Placement;
    use crate::document::decode::{collect, from_str, parse_text};

    const DOC: &str = "id: p\nruntime: essentials\nsteps:\n  source: { type: generate }\n  sink: { type: stdout }\n";
    const OUTLET: &str = "id: p\nruntime: essentials\nsteps:\n  consumer: { stream: s, topic: t, consumer_group: g }\n  sink: { type: stdout }\n";

    fn errors(doc: &str) -> Vec<String> {
        let (errors, _) = collect(parse_text(doc).unwrap()).expect_err("invalid");
        errors.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn every_spelling_decodes_and_the_default_follows_the_input() {
        let c = from_str(DOC).unwrap();
        assert_eq!(c.placement, None);
        assert_eq!(c.effective_placement(), Placement::One);
        let c = from_str(OUTLET).unwrap();
        assert_eq!(c.effective_placement(), Placement::All);
        for (text, want) in [
            ("placement: all\n", Placement::All),
            ("placement: one\n", Placement::One),
            ("placement: { agent: 2 }\n", Placement::Agent(2)),
        ] {
            let c = from_str(&format!("{OUTLET}{text}")).unwrap();
            assert_eq!(c.effective_placement(), want, "{text}");
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(from_str(&json).unwrap(), c, "round trip of {json}");
        }
    }

    #[test]
    fn bad_values_are_reported_with_the_other_errors() {
        let found = errors(&format!("{DOC}placement: sometimes\nbogus: 1\n"));
        assert!(
            found
                .iter()
                .any(|e| e.starts_with("placement: unknown variant `sometimes`")
                    && e.contains("`all`, `one`, `agent`")),
            "{found:#?}"
        );
        assert!(found.iter().any(|e| e.starts_with("bogus: ")), "{found:#?}");
        assert_eq!(found.len(), 2, "{found:#?}");
        let found = errors(&format!("{DOC}placement: {{ agent: two }}\nbogus: 1\n"));
        assert!(
            found.iter().any(|e| e.starts_with("placement.agent: ")),
            "{found:#?}"
        );
        assert!(found.iter().any(|e| e.starts_with("bogus: ")), "{found:#?}");
        let found = errors(&format!("{DOC}placement: {{ agent: -1 }}\n"));
        assert!(
            found.iter().any(|e| e.starts_with("placement.agent: ")),
            "{found:#?}"
        );
        let found = errors(&format!("{DOC}placement: 3\n"));
        assert!(
            found.iter().any(|e| e.starts_with("placement")),
            "{found:#?}"
        );
    }

    #[test]
    fn runtimes_never_see_the_key() {
        let c = from_str(&format!("{DOC}placement: {{ agent: 1 }}\n")).unwrap();
        let arg = crate::document::decode::to_runtime_argument(&c);
        let back = crate::document::decode::from_base64(&arg).unwrap();
        assert_eq!(back.placement, None);
        assert_eq!(back.id, c.id);
    }
}
