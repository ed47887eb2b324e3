//! `connect-agent runtime list|show NAME [COMPONENT]|schema NAME source|sink COMPONENT`.

use clap::Subcommand;

use super::client::Client;
use super::error::CliError;
use super::output::{self, Format, cell};

#[derive(Debug, Subcommand)]
pub enum RuntimeCmd {
    /// Every runtime the agent found.
    List,
    /// A runtime's manifest and components, or one component's field definitions.
    Show {
        name: String,
        component: Option<String>,
    },
    /// The JSON Schema of a component's config (from its field definitions), for editors:
    /// `runtime schema NAME source|sink COMPONENT > x.json`.
    Schema {
        name: String,
        #[arg(value_enum)]
        kind: SchemaKind,
        component: String,
    },
    /// Scaffold a new runtime crate (offline): components, .connect definitions, tests, README.
    New {
        /// The runtime's name (binary, crate and `runtime:` in connector documents).
        name: String,
        /// Where to write it (default: ./NAME); must not exist or be empty.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// The connect repository's runtime-sdk/ directory, as a path dependency (found
        /// automatically when DIR is inside the repository; else the published version is used).
        #[arg(long)]
        sdk_path: Option<std::path::PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SchemaKind {
    Source,
    Sink,
}

pub(super) fn run(cmd: RuntimeCmd, client: &Client, format: Format) -> Result<(), CliError> {
    match cmd {
        RuntimeCmd::Schema {
            name,
            kind,
            component,
        } => {
            let kind = match kind {
                SchemaKind::Source => "sources",
                SchemaKind::Sink => "sinks",
            };
            let schema = client.get(&format!("/runtimes/{name}/{kind}/{component}/schema"))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&schema).unwrap_or_default()
            );
            Ok(())
        }
        RuntimeCmd::New {
            name,
            dir,
            sdk_path,
        } => {
            let dir = super::scaffold::create(&name, dir, sdk_path)?;
            println!(
                "created runtime `{name}` in {}\nnext: cd {} && cargo test && cargo build --release; see its README.md",
                dir.display(),
                dir.display()
            );
            Ok(())
        }
        RuntimeCmd::List => {
            let r = client.get("/runtimes")?;
            if output::structured(format, &r).is_some() {
                return Ok(());
            }
            let join = |v: &serde_json::Value| {
                v.as_array()
                    .map(|a| a.iter().map(cell).collect::<Vec<_>>().join(","))
                    .unwrap_or_default()
            };
            let rows: Vec<Vec<String>> = r["runtimes"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|rt| {
                    vec![
                        cell(&rt["name"]),
                        cell(&rt["version"]),
                        join(&rt["sources"]),
                        join(&rt["sinks"]),
                        cell(&rt["binary"]),
                    ]
                })
                .collect();
            output::table(&["NAME", "VERSION", "SOURCES", "SINKS", "BINARY"], &rows);
            for p in r["problems"].as_array().into_iter().flatten() {
                eprintln!("warning: {}", cell(p));
            }
            Ok(())
        }
        RuntimeCmd::Show {
            name,
            component: None,
        } => {
            let r = client.get(&format!("/runtimes/{name}"))?;
            if output::structured(format, &r).is_none() {
                let m = &r["runtime"];
                println!(
                    "{} {} — {}",
                    cell(&m["name"]),
                    cell(&m["version"]),
                    cell(&m["description"])
                );
                println!("binary: {}", cell(&r["binary"]));
                for kind in ["sources", "sinks"] {
                    for (name, spec) in r[kind].as_object().into_iter().flatten() {
                        println!("{kind}: {name} — {}", cell(&spec["description"]));
                    }
                }
            }
            Ok(())
        }
        RuntimeCmd::Show {
            name,
            component: Some(c),
        } => {
            let spec = match client.get(&format!("/runtimes/{name}/sources/{c}")) {
                Err(CliError::Refused { status: 404, .. }) => {
                    client.get(&format!("/runtimes/{name}/sinks/{c}"))?
                }
                other => other?,
            };
            if output::structured(format, &spec).is_none() {
                println!(
                    "{} ({}) — {}",
                    cell(&spec["name"]),
                    cell(&spec["kind"]),
                    cell(&spec["description"])
                );
                let rows: Vec<Vec<String>> = spec["fields"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|f| {
                        vec![
                            cell(&f["name"]),
                            cell(&f["type"]),
                            cell(&f["default"]),
                            if f["optional"] == true {
                                "yes".into()
                            } else {
                                "no".into()
                            },
                            if f["secret"] == true {
                                "yes".into()
                            } else {
                                "no".into()
                            },
                            cell(&f["description"]),
                        ]
                    })
                    .collect();
                output::table(
                    &[
                        "FIELD",
                        "TYPE",
                        "DEFAULT",
                        "OPTIONAL",
                        "SECRET",
                        "DESCRIPTION",
                    ],
                    &rows,
                );
            }
            Ok(())
        }
    }
}
