//! The last lines of a stream from its files, newest file first, reading backwards in chunks:
//! for tails longer than the in-memory one (an API's `?tail=1000`).

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

const CHUNK: u64 = 64 * 1024;

use super::stamp;

/// Up to `n` last lines of `path` and its rotated files (`path.1`, `path.2`, …), oldest first,
/// each with its capture time (0 for a line stored without one).
pub fn last_lines(path: &Path, kept: u32, n: usize) -> std::io::Result<Vec<(u64, String)>> {
    let mut lines: Vec<(u64, String)> = Vec::new();
    for k in 0..=kept {
        let file = if k == 0 {
            path.to_path_buf()
        } else {
            PathBuf::from(format!("{}.{k}", path.display()))
        };
        let mut f = match File::open(&file) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => break,
            Err(e) => return Err(e),
        };
        let mut older = tail_of(&mut f, n - lines.len())?;
        older.append(&mut lines);
        lines = older;
        if lines.len() >= n {
            break;
        }
    }
    Ok(lines)
}

/// The last `n` complete lines of one file.
fn tail_of(f: &mut File, n: usize) -> std::io::Result<Vec<(u64, String)>> {
    let len = f.metadata()?.len();
    let mut end = len;
    let mut buf: Vec<u8> = Vec::new();
    // Read backwards until the buffer holds n newlines before its last line, or the file starts.
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let mut chunk = vec![0u8; usize::try_from(end - start).unwrap_or(0)];
        f.seek(SeekFrom::Start(start))?;
        f.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&buf);
        buf = chunk;
        end = start;
        if memchr::memchr_iter(b'\n', &buf).count() > n {
            break;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines: Vec<&str> = text.lines().collect();
    if end > 0 && !lines.is_empty() {
        lines.remove(0); // cut by the chunk boundary
    }
    let skip = lines.len().saturating_sub(n);
    Ok(lines[skip..]
        .iter()
        .map(|l| {
            let (ms, text) = stamp::split(l);
            (ms, text.to_string())
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_across_rotated_files_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.stdout.log");
        let lines = |from: usize, to: usize| {
            (from..to)
                .map(|i| format!("line {i:06} {}\n", "x".repeat(i % 50)))
                .collect::<String>()
        };
        std::fs::write(format!("{}.2", path.display()), lines(0, 5000)).unwrap();
        std::fs::write(format!("{}.1", path.display()), lines(5000, 10000)).unwrap();
        std::fs::write(&path, lines(10000, 10010)).unwrap();
        let got = last_lines(&path, 2, 6000).unwrap();
        assert_eq!(got.len(), 6000);
        assert!(got[0].1.starts_with("line 004010 "), "{:?}", got[0]);
        assert!(got[5999].1.starts_with("line 010009 "));
        assert_eq!(last_lines(&path, 2, 3).unwrap().len(), 3);
        assert!(
            last_lines(&dir.path().join("none.log"), 2, 3)
                .unwrap()
                .is_empty()
        );
    }
}
