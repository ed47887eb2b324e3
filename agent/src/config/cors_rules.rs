//! `[http.cors]` combinations the Fetch standard forbids, refused at load with the field named
//! (the CORS library would otherwise panic at start): credentials with any wildcard, and lists
//! that allow nothing.

use super::CorsSection;

/// The first problem as (field, reason).
pub(crate) fn check(c: &CorsSection) -> Result<(), (String, String)> {
    if !c.enabled {
        return Ok(());
    }
    let err = |field: &str, reason: String| Err((format!("http.cors.{field}"), reason));
    let listed = |v: &[String]| v.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).count();
    let wildcard = |v: &[String]| v.iter().any(|s| s.trim() == "*");
    if listed(&c.allowed_origins) == 0 {
        return err(
            "allowed_origins",
            "is empty, so no page could use the API; list the origins (e.g. [\"https://ops.example.com\"]) or set enabled = false".into(),
        );
    }
    if !c.allow_credentials {
        return Ok(());
    }
    let credentials = "allow_credentials = true cannot be combined with";
    for (field, list) in [
        ("allowed_origins", &c.allowed_origins),
        ("allowed_headers", &c.allowed_headers),
        ("allowed_methods", &c.allowed_methods),
        ("exposed_headers", &c.exposed_headers),
    ] {
        if wildcard(list) {
            return err(
                field,
                format!(
                    "{credentials} `*` (the Fetch standard forbids it); list the values, or set allow_credentials = false"
                ),
            );
        }
    }
    if listed(&c.allowed_methods) == 0 {
        return err(
            "allowed_methods",
            format!(
                "is empty, which means any method: {credentials} that (the Fetch standard forbids it); list the methods, e.g. [\"GET\", \"POST\"]"
            ),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{CorsSection, check};

    fn cors(origins: &[&str], methods: &[&str], headers: &[&str], exposed: &[&str]) -> CorsSection {
        let v = |l: &[&str]| l.iter().map(|s| s.to_string()).collect();
        CorsSection {
            enabled: true,
            allowed_origins: v(origins),
            allowed_methods: v(methods),
            allowed_headers: v(headers),
            exposed_headers: v(exposed),
            allow_credentials: true,
            allow_private_network: false,
        }
    }

    #[test]
    fn credentials_with_wildcards_or_empty_lists_name_the_field() {
        let o = ["https://a.example"];
        let cases = [
            (
                cors(&["*"], &["GET"], &[], &[]),
                "http.cors.allowed_origins",
            ),
            (cors(&o, &["GET"], &["*"], &[]), "http.cors.allowed_headers"),
            (cors(&o, &["*"], &[], &[]), "http.cors.allowed_methods"),
            (cors(&o, &[], &[], &[]), "http.cors.allowed_methods"),
            (cors(&o, &["GET"], &[], &["*"]), "http.cors.exposed_headers"),
            (cors(&[], &["GET"], &[], &[]), "http.cors.allowed_origins"),
        ];
        for (c, field) in cases {
            assert_eq!(check(&c).unwrap_err().0, field, "{c:?}");
        }
        assert!(check(&cors(&o, &["GET"], &["content-type"], &[])).is_ok());
        let mut open = cors(&["*"], &[], &["*"], &[]);
        open.allow_credentials = false;
        assert!(check(&open).is_ok());
    }
}
