//! How deeply a JSON or YAML text nests, measured by a linear scan before any parser sees it:
//! the YAML parser's cost grows with the square of the depth, so a deep body is refused first.

/// The deepest nesting a request body may have; a connector document needs fewer than ten.
pub(crate) const MAX_DEPTH: usize = 64;

/// Whether `text` nests deeper than `limit` levels (flow `[`/`{` plus block indentation and
/// compact `- - ` sequences). Quoted strings and comments do not count. The estimate errs
/// towards counting more, never fewer, levels than the document has.
pub(crate) fn exceeds(text: &str, limit: usize) -> bool {
    let mut flow = 0usize;
    // Columns of the open block levels, innermost last.
    let mut block: Vec<usize> = Vec::new();
    for line in text.lines() {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        let rest = &line[indent..];
        let mut col = indent;
        if flow == 0 && !rest.is_empty() && !rest.starts_with('#') {
            while block.last().is_some_and(|&c| c >= indent) {
                block.pop();
            }
            block.push(indent);
            // `- - - x`: each dash opens one more level on the same line.
            let mut r = rest;
            while let Some(after) = r.strip_prefix("- ").or_else(|| r.strip_prefix("-\t")) {
                col += r.len() - after.len();
                block.push(col);
                r = after.trim_start_matches([' ', '\t']);
            }
            if block.len() > limit {
                return true;
            }
        }
        let bytes = rest.as_bytes();
        let mut i = 0;
        let mut prev = b' ';
        while i < bytes.len() {
            let b = bytes[i];
            let starts_scalar = matches!(prev, b' ' | b'\t' | b'[' | b'{' | b',' | b':' | b'-');
            match b {
                b'#' if prev == b' ' || prev == b'\t' || i == 0 => break,
                b'"' | b'\'' if starts_scalar || i == 0 => {
                    i = skip_quoted(bytes, i);
                    prev = b;
                    continue;
                }
                b'[' | b'{' => {
                    flow += 1;
                    if flow + block.len() > limit {
                        return true;
                    }
                }
                b']' | b'}' => flow = flow.saturating_sub(1),
                _ => {}
            }
            prev = b;
            i += 1;
        }
    }
    false
}

/// The index after the quoted scalar opening at `start` (or the line's end when it spans lines;
/// a multi-line quoted scalar's continuation lines are then scanned as text, which only adds).
fn skip_quoted(bytes: &[u8], start: usize) -> usize {
    let quote = bytes[start];
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return i + 1,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::{MAX_DEPTH, exceeds};

    #[test]
    fn deep_flow_lists_and_maps_exceed() {
        let deep = format!("id: x\nx: {}{}", "[".repeat(100_000), "]".repeat(100_000));
        assert!(exceeds(&deep, MAX_DEPTH));
        let json = format!("{{\"a\": {}1{}}}", "[".repeat(65), "]".repeat(65));
        assert!(exceeds(&json, MAX_DEPTH));
        let ok = format!("{{\"a\": {}1{}}}", "[".repeat(60), "]".repeat(60));
        assert!(!exceeds(&ok, MAX_DEPTH));
    }

    #[test]
    fn deep_block_nesting_exceeds() {
        let mut text = String::new();
        for i in 0..70 {
            text.push_str(&format!("{}k{i}:\n", " ".repeat(i)));
        }
        assert!(exceeds(&text, MAX_DEPTH));
        assert!(exceeds(&format!("x: \n{}1\n", "- ".repeat(70)), MAX_DEPTH));
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let text = format!(
            "id: x\nre: \"{}\"\nq: '{}'\n# {}\nplain: it's [fine]\n",
            "[".repeat(100),
            "{".repeat(100),
            "[".repeat(100)
        );
        assert!(!exceeds(&text, MAX_DEPTH));
        let doc = "id: a\nruntime: testrt\nsteps:\n  source: { type: behave, config: { mode: idle } }\n  sink: { type: discard }\n";
        assert!(!exceeds(doc, MAX_DEPTH));
    }
}
