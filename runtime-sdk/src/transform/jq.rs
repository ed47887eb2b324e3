//! `jq`: a jq program (run by the jaq crates) on each message's JSON payload. Compiled once when
//! the chain is built; no output drops the message, one replaces it, several split it.

use std::sync::Arc;

use jaq_core::load::{Arena, File, Loader};
use jaq_core::{Compiler, Ctx, Vars, data};
use jaq_json::Val;

use super::TransformError;
use crate::document::jq::{JqConfig, OnNonJson};
use crate::validation::FieldErrors;

type Filter = jaq_core::Filter<data::JustLut<Val>>;

/// Outputs one message may produce; more is a content failure (a runaway `range` or `repeat`).
pub(crate) const MAX_OUTPUTS: usize = 10_000;

/// Native filters left out: `env` would hand the runtime's environment (credentials) to data.
const DENIED: &[&str] = &["env"];

#[derive(Clone)]
pub(crate) struct Jq {
    filter: Arc<Filter>,
    pub(crate) on_non_json: OnNonJson,
}

impl std::fmt::Debug for Jq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Jq")
            .field("on_non_json", &self.on_non_json)
            .finish_non_exhaustive()
    }
}

impl Jq {
    /// Compiles the program; syntax errors and unknown names are reported at `path.program`.
    pub(crate) fn new(config: &JqConfig, path: &str, errors: &mut FieldErrors) -> Option<Self> {
        let field = format!("{path}.program");
        if let Err(reason) = crate::document::jq::check_syntax(&config.program) {
            errors.push(field, reason);
            return None;
        }
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs())
            .chain(jaq_json::funs())
            .filter(|(name, _, _)| !DENIED.contains(name));
        let arena = Arena::default();
        let program = File {
            code: config.program.as_str(),
            path: (),
        };
        let modules = match Loader::new(defs).load(&arena, program) {
            Ok(m) => m,
            Err(_) => {
                errors.push(field, "not a valid jq program");
                return None;
            }
        };
        match Compiler::default().with_funs(funs).compile(modules) {
            Ok(filter) => Some(Self {
                filter: Arc::new(filter),
                on_non_json: config.on_non_json,
            }),
            Err(errs) => {
                let names: Vec<String> = errs
                    .into_iter()
                    .flat_map(|(_, list)| list)
                    .map(|(name, kind)| format!("{} `{name}`", kind.as_str()))
                    .collect();
                errors.push(
                    field,
                    format!(
                        "the jq program uses undefined names: {}; check the spelling and the number of arguments",
                        names.join(", ")
                    ),
                );
                None
            }
        }
    }

    /// Parses a payload as jq input; `None` when it is not JSON.
    pub(crate) fn parse(payload: &[u8]) -> Option<Val> {
        jaq_json::read::parse_single(payload).ok()
    }

    /// Runs the program on `input`, appending its outputs to `out`.
    pub(crate) fn run(&self, input: Val, out: &mut Vec<Val>) -> Result<(), TransformError> {
        let ctx = Ctx::<data::JustLut<Val>>::new(&self.filter.lut, Vars::new([]));
        let start = out.len();
        for result in self.filter.id.run((ctx, input)) {
            match result {
                Ok(v) => out.push(v),
                Err(exn) => {
                    let message = match exn.get_err() {
                        Ok(e) => match e.into_val() {
                            Val::TStr(text) | Val::BStr(text) => {
                                String::from_utf8_lossy(&text).into_owned()
                            }
                            other => other.to_string(),
                        },
                        Err(_) => "the program called halt".to_string(),
                    };
                    return Err(TransformError::Jq { message });
                }
            }
            if out.len() - start > MAX_OUTPUTS {
                return Err(TransformError::Jq {
                    message: format!(
                        "the program produced more than {MAX_OUTPUTS} outputs for one message"
                    ),
                });
            }
        }
        Ok(())
    }

    /// Writes `value` as compact JSON.
    pub(crate) fn write(value: &Val, out: &mut Vec<u8>) -> Result<(), TransformError> {
        jaq_json::write::write(out, &jaq_json::write::Pp::default(), 0, value).map_err(|e| {
            TransformError::Jq {
                message: format!("cannot write the output as JSON: {e}"),
            }
        })
    }
}
