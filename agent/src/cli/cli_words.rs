//! The agent's API explains its errors with routes ("list them with GET /connectors"); the CLI
//! says the same with its own commands ("list them with `connect-agent connector list`").

/// `message` with every route the CLI has a command for replaced by that command.
pub(super) fn in_cli_words(message: &str) -> String {
    let words: Vec<&str> = message.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let method = words[i];
        if matches!(method, "GET" | "POST" | "PUT" | "DELETE")
            && let Some(path) = words.get(i + 1)
            && path.starts_with('/')
        {
            let (route, tail) = split_trailing_punctuation(path);
            // `PUT …/configs/active {"version": N}` carries its body as the next words.
            let body_version = words
                .get(i + 3)
                .map(|w| w.trim_end_matches(|c: char| !c.is_ascii_digit()))
                .filter(|_| words.get(i + 2) == Some(&"{\"version\":"));
            if let Some(command) = command_for(method, route, body_version) {
                out.push(format!("`{command}`{tail}"));
                i += if body_version.is_some() { 4 } else { 2 };
                continue;
            }
        }
        out.push(method.to_string());
        i += 1;
    }
    out.join(" ")
}

fn split_trailing_punctuation(word: &str) -> (&str, &str) {
    let end = word.trim_end_matches([',', ';', '.', ')']).len();
    word.split_at(end)
}

fn command_for(method: &str, route: &str, version: Option<&str>) -> Option<String> {
    let parts: Vec<&str> = route.trim_start_matches('/').split('/').collect();
    let c = "connect-agent connector";
    Some(match (method, parts.as_slice()) {
        ("GET", ["connectors" | "sinks" | "sources"]) => format!("{c} list"),
        ("GET", ["connectors" | "sinks" | "sources", id]) => format!("{c} get {id}"),
        ("GET", ["connectors", id, "configs"]) => format!("{c} configs {id}"),
        ("POST", ["connectors", _, "configs"]) => format!("{c} apply -f FILE"),
        ("PUT", ["connectors", id, "configs", "active"]) => {
            format!("{c} configs {id} activate {}", version.unwrap_or("N"))
        }
        ("GET", ["runtimes"]) => "connect-agent runtime list".to_string(),
        ("GET", ["runtimes", name]) => format!("connect-agent runtime show {name}"),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::in_cli_words;

    #[test]
    fn routes_become_commands_and_the_rest_stays() {
        assert_eq!(
            in_cli_words("connector `x` does not exist; list connectors with GET /connectors"),
            "connector `x` does not exist; list connectors with `connect-agent connector list`"
        );
        assert_eq!(
            in_cli_words(
                "connector `h` already exists; add a config version with POST /connectors/h/configs or delete it first"
            ),
            "connector `h` already exists; add a config version with `connect-agent connector apply -f FILE` or delete it first"
        );
        assert_eq!(
            in_cli_words(
                "version 3 stored; activate it with PUT /connectors/h/configs/active {\"version\": 3}"
            ),
            "version 3 stored; activate it with `connect-agent connector configs h activate 3`"
        );
        assert_eq!(
            in_cli_words("use a number from GET /connectors/h/configs, or `active`"),
            "use a number from `connect-agent connector configs h`, or `active`"
        );
        assert_eq!(in_cli_words("GET it"), "GET it");
    }
}
