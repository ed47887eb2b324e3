//! Secret references in config values (`${env:NAME}`, `${file:/path}`), resolved inside the
//! runtime so the agent, its API and its logs only ever hold the reference.

use serde_json::Value;

use crate::contract::env::Env;
use crate::validation::{FieldErrors, join_path};

/// Whether `text` is exactly one reference (used to skip type checks until it is resolved).
pub fn is_reference(text: &str) -> bool {
    let t = text.trim();
    (t.starts_with("${env:") || t.starts_with("${file:"))
        && t.ends_with('}')
        && t.matches("${").count() == 1
}

/// Replaces every reference inside every string of `value`; reports every failure with its path.
pub fn resolve(value: &mut Value, path: &str, env: &impl Env, errors: &mut FieldErrors) {
    match value {
        Value::String(s) if s.contains("${") => match resolve_str(s, env) {
            Ok(r) => *s = r,
            Err(reason) => errors.push(path.to_string(), reason),
        },
        Value::Array(items) => {
            for (i, v) in items.iter_mut().enumerate() {
                resolve(v, &format!("{path}[{i}]"), env, errors);
            }
        }
        Value::Object(m) => {
            for (k, v) in m.iter_mut() {
                resolve(v, &join_path(path, k), env, errors);
            }
        }
        _ => {}
    }
}

fn resolve_str(text: &str, env: &impl Env) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or("unclosed `${` in a secret reference; write `${env:NAME}` or `${file:/path}`")?;
        let inner = &after[..end];
        let resolved = if let Some(name) = inner.strip_prefix("env:") {
            env.var(name).ok_or_else(|| format!("secret reference `${{env:{name}}}`: variable {name} is not set in the runtime's environment"))?
        } else if let Some(path) = inner.strip_prefix("file:") {
            let content = std::fs::read_to_string(path).map_err(|e| {
                format!("secret reference `${{file:{path}}}`: cannot read the file: {e}")
            })?;
            content
                .strip_suffix('\n')
                .map(|c| c.strip_suffix('\r').unwrap_or(c))
                .unwrap_or(&content)
                .to_string()
        } else {
            return Err(format!(
                "unknown reference `${{{inner}}}`; write `${{env:NAME}}` or `${{file:/path}}`"
            ));
        };
        out.push_str(&resolved);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn resolves_env_and_file_references_anywhere_in_a_string() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\n").unwrap();
        let env: BTreeMap<String, String> = [("TOKEN".to_string(), "abc".to_string())].into();
        let mut v = serde_json::json!({
            "auth": "Bearer ${env:TOKEN}",
            "password": format!("${{file:{}}}", file.display()),
            "list": ["${env:TOKEN}", 1],
        });
        let mut errors = FieldErrors::default();
        resolve(&mut v, "config", &env, &mut errors);
        assert!(errors.is_empty(), "{errors}");
        assert_eq!(
            v,
            serde_json::json!({"auth": "Bearer abc", "password": "s3cret", "list": ["abc", 1]})
        );
    }

    #[test]
    fn reports_each_failure_with_its_path() {
        let env: BTreeMap<String, String> = BTreeMap::new();
        let mut v = serde_json::json!({"a": "${env:MISSING}", "b": "${vault:x}", "c": "${file:/nonexistent/x}", "d": "${env:X"});
        let mut errors = FieldErrors::default();
        resolve(&mut v, "cfg", &env, &mut errors);
        let paths: Vec<_> = errors.iter().map(|e| e.path.as_str()).collect();
        assert_eq!(paths, ["cfg.a", "cfg.b", "cfg.c", "cfg.d"]);
        assert!(errors.0[0].reason.contains("MISSING is not set"));
    }

    #[test]
    fn recognises_whole_references_only() {
        assert!(is_reference("${env:X}"));
        assert!(is_reference("${file:/a/b}"));
        assert!(!is_reference("Bearer ${env:X}"));
        assert!(!is_reference("plain"));
    }
}
