//! `connect-agent connector ...`: list, get, create, apply, delete, start/stop/restart, logs
//! (with `-f` following the SSE stream) and config versions.

use std::io::BufRead;
use std::path::PathBuf;

use clap::Subcommand;
use reqwest::Method;
use serde_json::{Value, json};

use super::client::Client;
use super::error::CliError;
use super::output::{self, Format, cell};

#[derive(Debug, Subcommand)]
pub enum ConnectorCmd {
    /// List connectors.
    List {
        /// Only connectors in this state (running, failed, stopped, ...).
        #[arg(long)]
        state: Option<String>,
        /// Only connectors of this runtime.
        #[arg(long)]
        runtime: Option<String>,
    },
    /// Show one connector: status, masked config, metrics.
    Get { id: String },
    /// Create a connector from a YAML or JSON document.
    Create {
        #[arg(long, short = 'f')]
        file: PathBuf,
    },
    /// Create the connector, or add the document as a new version and activate it.
    Apply {
        #[arg(long, short = 'f')]
        file: PathBuf,
    },
    /// Stop and delete a connector (a config-dir connector stays hidden until its file changes);
    /// its state (cursors) and log files are removed unless --keep-state.
    Delete {
        id: String,
        /// Keep its state and logs: a new connector with the same id resumes from them.
        #[arg(long)]
        keep_state: bool,
    },
    /// Start a connector (desired running).
    Start { id: String },
    /// Stop a connector (desired stopped).
    Stop { id: String },
    /// Restart a connector.
    Restart { id: String },
    /// Print the last lines of a connector's output, both streams in capture order, each
    /// marked with its stream; -f follows new lines until Ctrl-C.
    Logs {
        id: String,
        #[arg(long, short = 'f')]
        follow: bool,
        #[arg(long, default_value_t = 100)]
        tail: usize,
        /// Only stdout (lines printed unmarked).
        #[arg(long, conflicts_with = "stderr")]
        stdout: bool,
        /// Only stderr (lines printed unmarked).
        #[arg(long)]
        stderr: bool,
    },
    /// Config versions: list (default), get N, activate N.
    Configs {
        id: String,
        #[command(subcommand)]
        action: Option<ConfigsCmd>,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigsCmd {
    /// Every version.
    List,
    /// One version.
    Get { version: u32 },
    /// Make a version active; restarts this connector only.
    Activate { version: u32 },
}

pub(super) fn run(cmd: ConnectorCmd, client: &Client, format: Format) -> Result<(), CliError> {
    match cmd {
        ConnectorCmd::List { state, runtime } => {
            let mut query = Vec::new();
            if let Some(s) = state {
                query.push(format!("state={s}"));
            }
            if let Some(r) = runtime {
                query.push(format!("runtime={r}"));
            }
            let path = if query.is_empty() {
                "/connectors".to_string()
            } else {
                format!("/connectors?{}", query.join("&"))
            };
            let list = client.get(&path)?;
            print_list(&list, format);
            Ok(())
        }
        ConnectorCmd::Get { id } => {
            let c = client.get(&format!("/connectors/{id}"))?;
            if output::structured(format, &c).is_none() {
                print_one(&c);
            }
            Ok(())
        }
        ConnectorCmd::Create { file } => {
            let c = client.post("/connectors", Some(read(&file)?))?;
            done(
                format,
                &c,
                &format!(
                    "connector `{}` created ({})",
                    cell(&c["id"]),
                    cell(&c["state"])
                ),
            )
        }
        ConnectorCmd::Apply { file } => apply(client, format, &file),
        ConnectorCmd::Delete { id, keep_state } => {
            let query = if keep_state { "?keep_state=true" } else { "" };
            let r = client.delete(&format!("/connectors/{id}{query}"))?;
            done(format, &r, &cell(&r["message"]))
        }
        ConnectorCmd::Start { id } => action(client, format, &id, "start"),
        ConnectorCmd::Stop { id } => action(client, format, &id, "stop"),
        ConnectorCmd::Restart { id } => action(client, format, &id, "restart"),
        ConnectorCmd::Logs {
            id,
            follow,
            tail,
            stdout,
            stderr,
        } => {
            let stream = match (stdout, stderr) {
                (true, _) => "stdout",
                (_, true) => "stderr",
                _ => "both",
            };
            logs(client, format, &id, follow, tail, stream)
        }
        ConnectorCmd::Configs { id, action } => {
            configs(client, format, &id, action.unwrap_or(ConfigsCmd::List))
        }
    }
}

fn read(file: &PathBuf) -> Result<String, CliError> {
    std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))
}

/// Prints the structured answer, or `message` for people.
fn done(format: Format, value: &Value, message: &str) -> Result<(), CliError> {
    // Literal secrets and the like: on stderr, so structured output stays parseable.
    for w in value["warnings"].as_array().into_iter().flatten() {
        eprintln!("warning: {}", w.as_str().unwrap_or_default());
    }
    if output::structured(format, value).is_none() {
        println!("{message}");
    }
    Ok(())
}

fn print_list(list: &Value, format: Format) {
    if output::structured(format, list).is_some() {
        return;
    }
    let rows: Vec<Vec<String>> = list
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            vec![
                cell(&c["id"]),
                cell(&c["runtime"]),
                shown_state(c),
                cell(&c["health"]),
                cell(&c["desired"]),
                cell(&c["version"]),
                cell(&c["restarts"]),
                cell(&c["pid"]),
                shown_error(c),
            ]
        })
        .collect();
    output::table(
        &[
            "ID", "RUNTIME", "STATE", "HEALTH", "DESIRED", "VERSION", "RESTARTS", "PID", "ERROR",
        ],
        &rows,
    );
}

/// The ERROR column: the current problem (`last_error`), else why the last run ended.
pub(crate) fn shown_error(c: &Value) -> String {
    c["last_error"]
        .as_str()
        .or(c["error"].as_str())
        .unwrap_or("")
        .to_string()
}

/// The state, with the agent that runs it when that is another one (`placed_elsewhere (agent 2)`).
pub(crate) fn shown_state(c: &Value) -> String {
    match c["placed_on"].as_u64() {
        Some(k) => format!("{} (agent {k})", cell(&c["state"])),
        None => cell(&c["state"]),
    }
}

fn print_one(c: &Value) {
    for key in [
        "id",
        "description",
        "runtime",
        "origin",
        "direction",
        "file",
        "state",
        "placed_on",
        "health",
        "desired",
        "version",
        "versions",
        "pid",
        "restarts",
        "exit_code",
        "signal",
        "last_error",
        "error",
    ] {
        if !c[key].is_null() {
            println!("{:<12} {}", format!("{key}:"), cell(&c[key]));
        }
    }
    if let Some(lines) = c["last_stderr"].as_array().filter(|l| !l.is_empty()) {
        println!("last stderr:");
        for l in lines {
            println!("  {}", cell(l));
        }
    }
    if !c["config"].is_null() {
        println!("config:");
        for line in connect_model::yaml::to_string(&c["config"])
            .unwrap_or_default()
            .lines()
        {
            println!("  {line}");
        }
    }
}

fn apply(client: &Client, format: Format, file: &PathBuf) -> Result<(), CliError> {
    let text = read(file)?;
    let id = connect_model::document::decode::from_str(&text)
        .map_err(|e| CliError::Invalid(format!("{}: {e}", file.display())))?
        .id
        .to_string();
    match client.send(client.request(Method::GET, &format!("/connectors/{id}"))) {
        Err(CliError::Refused { status: 404, .. }) => {
            let c = client.post("/connectors", Some(text))?;
            done(
                format,
                &c,
                &format!("connector `{id}` created ({})", cell(&c["state"])),
            )
        }
        Err(e) => Err(e),
        Ok(_) => {
            let added = client.post(&format!("/connectors/{id}/configs"), Some(text))?;
            for w in added["warnings"].as_array().into_iter().flatten() {
                eprintln!("warning: {}", w.as_str().unwrap_or_default());
            }
            let version = added["version"].clone();
            let r = client.put_json(
                &format!("/connectors/{id}/configs/active"),
                &json!({ "version": version }),
            )?;
            done(format, &r, &cell(&r["message"]))
        }
    }
}

fn action(client: &Client, format: Format, id: &str, what: &str) -> Result<(), CliError> {
    let r = client.post(&format!("/connectors/{id}/{what}"), None)?;
    done(
        format,
        &r,
        &format!(
            "{what} requested for `{id}`; it is {} (desired {})",
            cell(&r["state"]),
            cell(&r["desired"])
        ),
    )
}

fn logs(
    client: &Client,
    format: Format,
    id: &str,
    follow: bool,
    tail: usize,
    stream: &str,
) -> Result<(), CliError> {
    let path = format!("/connectors/{id}/logs?tail={tail}&stream={stream}");
    // One stream prints plain lines (ready for grep); both mark each line with its stream.
    let marked = stream == "both";
    let print = |stream: &str, line: &str| {
        if marked {
            println!("{stream:<6} {line}");
        } else {
            println!("{line}");
        }
    };
    if !follow {
        let r = client.get(&path)?;
        if output::structured(format, &r).is_none() {
            for l in r["lines"].as_array().into_iter().flatten() {
                print(l["stream"].as_str().unwrap_or(""), &cell(&l["line"]));
            }
        }
        return Ok(());
    }
    // A follow lasts as long as the user wants: no overall timeout on this request.
    let response = client.send(
        client
            .request(Method::GET, &format!("{path}&follow=true"))
            .timeout(std::time::Duration::from_secs(365 * 24 * 3600)),
    )?;
    let reader = std::io::BufReader::new(response);
    let mut event = String::new();
    let mut data: Vec<String> = Vec::new();
    for line in reader.lines() {
        let line = line.map_err(|e| CliError::Unreachable {
            url: path.clone(),
            reason: format!("the log stream broke: {e}"),
        })?;
        if let Some(e) = line.strip_prefix("event:") {
            event = e.trim().to_string();
        } else if let Some(d) = line.strip_prefix("data:") {
            data.push(d.strip_prefix(' ').unwrap_or(d).to_string());
        } else if line.is_empty() && !data.is_empty() {
            let text = data.join("\n");
            if matches!(format, Format::Table) {
                print(&event, &text);
            } else {
                // One JSON object per line while following (NDJSON).
                println!("{}", json!({ "stream": event, "line": text }));
            }
            data.clear();
        }
    }
    Ok(())
}

fn configs(client: &Client, format: Format, id: &str, action: ConfigsCmd) -> Result<(), CliError> {
    match action {
        ConfigsCmd::List => {
            let list = client.get(&format!("/connectors/{id}/configs"))?;
            if output::structured(format, &list).is_none() {
                let rows: Vec<Vec<String>> = list
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|v| {
                        vec![
                            cell(&v["version"]),
                            if v["active"] == true {
                                "*".into()
                            } else {
                                String::new()
                            },
                            cell(&v["origin"]),
                            v["created_at_ms"]
                                .as_u64()
                                .map(output::rfc3339)
                                .unwrap_or_default(),
                        ]
                    })
                    .collect();
                output::table(&["VERSION", "ACTIVE", "ORIGIN", "CREATED"], &rows);
            }
            Ok(())
        }
        ConfigsCmd::Get { version } => {
            let v = client.get(&format!("/connectors/{id}/configs/{version}"))?;
            if output::structured(format, &v).is_none() {
                print!(
                    "{}",
                    connect_model::yaml::to_string(&v["config"]).unwrap_or_default()
                );
            }
            Ok(())
        }
        ConfigsCmd::Activate { version } => {
            let r = client.put_json(
                &format!("/connectors/{id}/configs/active"),
                &json!({ "version": version }),
            )?;
            done(format, &r, &cell(&r["message"]))
        }
    }
}
