//! A log file that never grows past its size: before a write would cross the limit, the
//! file is rotated at a line boundary (`x.log` → `x.log.1` → … → `x.log.N`, the oldest dropped).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug)]
pub(crate) struct RotatingFile {
    path: PathBuf,
    max_size: u64,
    kept: u32,
    file: Option<File>,
    size: u64,
}

impl RotatingFile {
    pub(crate) fn new(path: PathBuf, max_size: u64, kept: u32) -> Self {
        Self {
            path,
            max_size,
            kept,
            file: None,
            size: 0,
        }
    }

    /// Writes whole lines (`data` ends where a line ends, or is part of a line cut by the caller).
    pub(crate) fn write(&mut self, mut data: &[u8]) -> std::io::Result<()> {
        while !data.is_empty() {
            let room =
                usize::try_from(self.max_size.saturating_sub(self.size)).unwrap_or(usize::MAX);
            if data.len() <= room {
                self.append(data)?;
                return Ok(());
            }
            match memchr::memrchr(b'\n', &data[..room]) {
                Some(i) => {
                    self.append(&data[..=i])?;
                    data = &data[i + 1..];
                }
                None if self.size == 0 => {
                    self.append(&data[..room])?;
                    data = &data[room..];
                }
                None => {}
            }
            self.rotate()?;
        }
        Ok(())
    }

    fn append(&mut self, data: &[u8]) -> std::io::Result<()> {
        if self.file.is_none() {
            if let Some(dir) = self.path.parent() {
                std::fs::create_dir_all(dir)?;
            }
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .open(&self.path)?;
            self.size = f.metadata()?.len();
            self.file = Some(f);
            if self.size > 0 && self.size + data.len() as u64 > self.max_size {
                self.rotate()?;
                return self.append(data);
            }
        }
        self.file.as_mut().expect("opened above").write_all(data)?;
        self.size += data.len() as u64;
        Ok(())
    }

    fn rotate(&mut self) -> std::io::Result<()> {
        self.file = None;
        let numbered = |n: u32| PathBuf::from(format!("{}.{n}", self.path.display()));
        if self.kept == 0 {
            let _ = std::fs::remove_file(&self.path);
        } else {
            for n in (1..self.kept).rev() {
                let _ = std::fs::rename(numbered(n), numbered(n + 1));
            }
            let _ = std::fs::rename(&self.path, numbered(1));
        }
        self.size = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotates_at_line_boundaries_and_keeps_n_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.stdout.log");
        let mut f = RotatingFile::new(path.clone(), 100, 2);
        let line = [b'a'; 29]
            .iter()
            .copied()
            .chain([b'\n'])
            .collect::<Vec<u8>>(); // 30 bytes
        for _ in 0..20 {
            f.write(&line).unwrap();
        }
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["c.stdout.log", "c.stdout.log.1", "c.stdout.log.2"]);
        for n in &names {
            let bytes = std::fs::read(dir.path().join(n)).unwrap();
            assert!(
                bytes.len() <= 100 && bytes.len().is_multiple_of(30),
                "{n}: {}",
                bytes.len()
            );
        }
    }
}
