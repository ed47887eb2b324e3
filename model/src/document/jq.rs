//! The `jq` transform's config and its syntax check: a program parsed here (by the agent and the
//! runtime alike) so a typo is an invalid config naming the field and the position, before any
//! message flows. Names of filters are resolved when the runtime compiles the program.

use serde::{Deserialize, Serialize};

use crate::validation::FieldErrors;

/// What `jq` does with a payload that is not JSON.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum OnNonJson {
    /// The message passes unchanged (the default).
    #[default]
    Pass,
    /// The message is a content failure, handled by the connector's error policy.
    Error,
}

/// A jq program run on each message's JSON payload: no output drops the message, one replaces
/// it, several split it (same key and headers, in order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JqConfig {
    pub program: String,
    #[serde(default)]
    pub on_non_json: OnNonJson,
}

impl JqConfig {
    pub(crate) fn validate(&self, path: &str, errors: &mut FieldErrors) {
        let path = format!("{path}.program");
        if self.program.trim().is_empty() {
            errors.push(path, "must not be empty; write a jq program like `.`");
        } else if let Err(reason) = check_syntax(&self.program) {
            errors.push(path, reason);
        }
    }
}

/// Parses `program` as jq; the error names the line and column of the first problem.
pub fn check_syntax(program: &str) -> Result<(), String> {
    use jaq_core::load::{Arena, File, Loader, lex, parse};
    let arena = Arena::default();
    let loader = Loader::new([]);
    let errs = match loader.load(
        &arena,
        File {
            code: program,
            path: (),
        },
    ) {
        Ok(_) => return Ok(()),
        Err(errs) => errs,
    };
    let Some((_, err)) = errs.into_iter().next() else {
        return Err("not a valid jq program".into());
    };
    let (expected, found) = match err {
        jaq_core::load::Error::Lex(list) => match list.into_iter().next() {
            Some((expect, found)) => (
                match expect {
                    lex::Expect::Delim(d) => format!("a closing delimiter for `{d}`"),
                    lex::Expect::Digit => "a digit".into(),
                    lex::Expect::Ident => "an identifier".into(),
                    lex::Expect::Escape => "a string escape sequence".into(),
                    lex::Expect::Unicode => "a 4-digit hexadecimal code point".into(),
                    lex::Expect::Token => "a token".into(),
                    _ => "something else".into(),
                },
                found,
            ),
            None => return Err("not a valid jq program".into()),
        },
        jaq_core::load::Error::Parse(list) => match list.into_iter().next() {
            Some((expect, token)) => {
                let expected: parse::Expect<&str> = expect;
                (expected.as_str().to_string(), token)
            }
            None => return Err("not a valid jq program".into()),
        },
        jaq_core::load::Error::Io(list) => {
            let detail = list
                .into_iter()
                .next()
                .map(|(what, why)| format!("`{what}`: {why}"))
                .unwrap_or_default();
            return Err(format!(
                "jq modules cannot be imported here {detail}; write the program inline"
            ));
        }
    };
    let (line, column) = position(program, found);
    let found = if found.is_empty() {
        "the end of the program".to_string()
    } else {
        format!("`{}`", found.chars().take(20).collect::<String>())
    };
    Err(format!(
        "jq syntax error at line {line}, column {column}: expected {expected}, found {found}"
    ))
}

/// Line and column (1-based, in characters) where `part`, a slice of `program`, starts.
fn position(program: &str, part: &str) -> (usize, usize) {
    let offset = (part.as_ptr() as usize)
        .checked_sub(program.as_ptr() as usize)
        .filter(|o| *o <= program.len() && program.is_char_boundary(*o))
        .unwrap_or(program.len());
    let before = &program[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::check_syntax;

    #[test]
    fn valid_programs_pass_and_errors_name_the_position() {
        for ok in [
            ".",
            "select(.temp > 30) | {device: .id, celsius: .temp, at: now}",
            "{id: .seq, v: (.seq * 2)}",
            ".items[] | {name}",
            "def f: . + 1; f",
            "undefined_function(1)",
        ] {
            assert_eq!(check_syntax(ok), Ok(()), "{ok}");
        }
        let e = check_syntax("{id: .seq,\n  v: (.seq * }").unwrap_err();
        assert!(e.starts_with("jq syntax error at line 2, column"), "{e}");
        let e = check_syntax("{a: 1").unwrap_err();
        assert!(e.contains("line 1") && e.contains("`{`"), "{e}");
        let e = check_syntax(".a +").unwrap_err();
        assert!(
            e.contains("column 5") && e.contains("the end of the program"),
            "{e}"
        );
        assert!(check_syntax("\"\\q\"").is_err());
        assert!(check_syntax("import \"x\" as x; .").is_err());
    }
}
