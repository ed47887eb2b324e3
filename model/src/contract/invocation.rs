//! The command line of a runtime: exactly one base64 argument, or `--help`, `--version`, `--validate <base64>`.

/// What the runtime was asked to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    Run(String),
    Validate(String),
    Help,
    Version,
}

/// A command line that is not one of the contract's forms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Parses the arguments after the program name.
pub fn parse<I, S>(args: I) -> Result<Invocation, UsageError>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    let args: Vec<String> = args.into_iter().map(Into::into).collect();
    match args.as_slice() {
        [] => Err(UsageError("missing the connector config argument".into())),
        [a] if a == "--help" || a == "-h" => Ok(Invocation::Help),
        [a] if a == "--version" || a == "-V" => Ok(Invocation::Version),
        [a] if a == "--validate" => Err(UsageError(
            "--validate needs the base64 connector config after it".into(),
        )),
        [a, config] if a == "--validate" => Ok(Invocation::Validate(config.clone())),
        [a] if a.starts_with('-') => Err(UsageError(format!("unknown option `{a}`"))),
        [config] => Ok(Invocation::Run(config.clone())),
        _ => Err(UsageError(format!(
            "expected exactly one argument, got {}",
            args.len()
        ))),
    }
}

/// The usage text for `--help` and usage errors.
pub fn usage(program: &str) -> String {
    format!(
        "usage: {program} <base64-config>\n       {program} --validate <base64-config>\n       {program} --help | --version\n\n\
         <base64-config> is a connector document (YAML or JSON), base64-encoded with the standard alphabet,\n\
         for example: {program} \"$(base64 -w0 connector.yml)\"\n\
         Settings come from CONNECT_* environment variables; see docs/runtime-contract.md."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_every_form() {
        assert_eq!(parse(["abc"]), Ok(Invocation::Run("abc".into())));
        assert_eq!(
            parse(["--validate", "abc"]),
            Ok(Invocation::Validate("abc".into()))
        );
        assert_eq!(parse(["--help"]), Ok(Invocation::Help));
        assert_eq!(parse(["-V"]), Ok(Invocation::Version));
    }

    #[test]
    fn rejects_everything_else() {
        assert!(parse(Vec::<String>::new()).is_err());
        assert!(parse(["a", "b"]).is_err());
        assert!(parse(["--validate"]).is_err());
        assert!(
            parse(["--frobnicate"])
                .unwrap_err()
                .0
                .contains("--frobnicate")
        );
    }
}
