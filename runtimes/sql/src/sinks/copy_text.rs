//! COPY's text format (tab-separated, `\N` for NULL, backslash escapes) for the `postgres`
//! sink's append mode.

use bytes::{BufMut, Bytes, BytesMut};

use super::rows::Row;
use crate::pg_values::json_to_text;

/// Appends `bytes` in COPY's text escaping (backslash, tab, newline, carriage return).
pub(crate) fn escape_copy(bytes: &[u8], out: &mut BytesMut) {
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        let escaped: &[u8] = match b {
            b'\\' => b"\\\\",
            b'\t' => b"\\t",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            _ => continue,
        };
        out.put_slice(&bytes[start..i]);
        out.put_slice(escaped);
        start = i + 1;
    }
    out.put_slice(&bytes[start..]);
}

/// The rows in COPY's text format: tab-separated, `\N` for NULL, backslash escapes.
pub(crate) fn copy_text(rows: &[Row], columns: &[String]) -> Bytes {
    let mut out = BytesMut::with_capacity(rows.len() * 64);
    for (_, row) in rows {
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                out.put_u8(b'\t');
            }
            match row.get(c).and_then(json_to_text) {
                None => out.put_slice(b"\\N"),
                Some(text) => escape_copy(text.as_bytes(), &mut out),
            }
        }
        out.put_u8(b'\n');
    }
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn copy_text_escapes_and_marks_nulls() {
        let row = json!({"a": "x\ty\\z\n", "b": null, "c": {"k": 1}})
            .as_object()
            .unwrap()
            .clone();
        let out = copy_text(
            &[(0, row)],
            &["a".into(), "b".into(), "c".into(), "d".into()],
        );
        assert_eq!(&out[..], b"x\\ty\\\\z\\n\t\\N\t{\"k\":1}\t\\N\n");
    }
}
