//! Decoder of pgoutput's binary messages (protocol version 1, "Logical Replication Message
//! Formats" in the PostgreSQL manual): the begin, commit, relation, insert, update, delete and
//! truncate messages a logical slot hands out.

/// One column of a relation, as the Relation message describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) type_oid: u32,
    /// Part of the replica identity (the primary key by default).
    pub(crate) key: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Relation {
    pub(crate) id: u32,
    pub(crate) schema: String,
    pub(crate) table: String,
    pub(crate) columns: Vec<Column>,
}

/// One column value of a tuple.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Datum {
    Null,
    /// A TOASTed value that did not change; pgoutput does not send it again.
    Unchanged,
    Text(String),
}

pub(crate) type Tuple = Vec<Datum>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PgOutput {
    Begin {
        final_lsn: u64,
        /// Microseconds since 2000-01-01 (PostgreSQL's epoch).
        commit_ts: i64,
        xid: u32,
    },
    Commit {
        commit_lsn: u64,
        end_lsn: u64,
        commit_ts: i64,
    },
    Relation(Relation),
    Insert {
        relation: u32,
        new: Tuple,
    },
    Update {
        relation: u32,
        /// The key columns ('K') or the whole old row ('O', with REPLICA IDENTITY FULL).
        old: Option<Tuple>,
        new: Tuple,
    },
    Delete {
        relation: u32,
        old: Tuple,
    },
    Truncate {
        relations: Vec<u32>,
    },
    /// Origin, Type and logical decoding messages: nothing to emit.
    Other(u8),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum DecodeError {
    #[error("pgoutput message ends early (reading {0})")]
    Truncated(&'static str),
    #[error("pgoutput message has an unknown tuple marker {0:?}")]
    BadMarker(char),
    #[error("pgoutput message is empty")]
    Empty,
}

struct Reader<'a> {
    b: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.b.len() < n {
            return Err(DecodeError::Truncated(what));
        }
        let (head, tail) = self.b.split_at(n);
        self.b = tail;
        Ok(head)
    }
    fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, what)?[0])
    }
    fn u16(&mut self, what: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(
            self.take(2, what)?.try_into().expect("2 bytes"),
        ))
    }
    fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(
            self.take(4, what)?.try_into().expect("4 bytes"),
        ))
    }
    fn u64(&mut self, what: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(
            self.take(8, what)?.try_into().expect("8 bytes"),
        ))
    }
    fn string(&mut self, what: &'static str) -> Result<String, DecodeError> {
        let end = self
            .b
            .iter()
            .position(|&c| c == 0)
            .ok_or(DecodeError::Truncated(what))?;
        let s = String::from_utf8_lossy(&self.b[..end]).into_owned();
        self.b = &self.b[end + 1..];
        Ok(s)
    }
    fn tuple(&mut self) -> Result<Tuple, DecodeError> {
        let n = self.u16("tuple column count")?;
        (0..n)
            .map(|_| match self.u8("tuple column kind")? {
                b'n' => Ok(Datum::Null),
                b'u' => Ok(Datum::Unchanged),
                b't' | b'b' => {
                    let len = self.u32("column length")? as usize;
                    let bytes = self.take(len, "column value")?;
                    Ok(Datum::Text(String::from_utf8_lossy(bytes).into_owned()))
                }
                other => Err(DecodeError::BadMarker(other as char)),
            })
            .collect()
    }
}

/// Decodes one message.
pub(crate) fn decode(message: &[u8]) -> Result<PgOutput, DecodeError> {
    let (&tag, rest) = message.split_first().ok_or(DecodeError::Empty)?;
    let mut r = Reader { b: rest };
    Ok(match tag {
        b'B' => PgOutput::Begin {
            final_lsn: r.u64("begin lsn")?,
            commit_ts: r.u64("begin timestamp")? as i64,
            xid: r.u32("begin xid")?,
        },
        b'C' => {
            r.u8("commit flags")?;
            PgOutput::Commit {
                commit_lsn: r.u64("commit lsn")?,
                end_lsn: r.u64("commit end lsn")?,
                commit_ts: r.u64("commit timestamp")? as i64,
            }
        }
        b'R' => {
            let id = r.u32("relation id")?;
            let schema = r.string("relation schema")?;
            let table = r.string("relation name")?;
            r.u8("replica identity")?;
            let n = r.u16("relation column count")?;
            let columns = (0..n)
                .map(|_| {
                    let flags = r.u8("column flags")?;
                    let name = r.string("column name")?;
                    let type_oid = r.u32("column type")?;
                    r.u32("column type modifier")?;
                    Ok(Column {
                        name,
                        type_oid,
                        key: flags & 1 == 1,
                    })
                })
                .collect::<Result<_, DecodeError>>()?;
            PgOutput::Relation(Relation {
                id,
                schema,
                table,
                columns,
            })
        }
        b'I' => {
            let relation = r.u32("insert relation")?;
            r.u8("insert marker")?;
            PgOutput::Insert {
                relation,
                new: r.tuple()?,
            }
        }
        b'U' => {
            let relation = r.u32("update relation")?;
            let mut marker = r.u8("update marker")?;
            let mut old = None;
            if marker == b'K' || marker == b'O' {
                old = Some(r.tuple()?);
                marker = r.u8("update new marker")?;
            }
            if marker != b'N' {
                return Err(DecodeError::BadMarker(marker as char));
            }
            PgOutput::Update {
                relation,
                old,
                new: r.tuple()?,
            }
        }
        b'D' => {
            let relation = r.u32("delete relation")?;
            r.u8("delete marker")?;
            PgOutput::Delete {
                relation,
                old: r.tuple()?,
            }
        }
        b'T' => {
            let n = r.u32("truncate relation count")?;
            r.u8("truncate options")?;
            PgOutput::Truncate {
                relations: (0..n)
                    .map(|_| r.u32("truncate relation"))
                    .collect::<Result<_, _>>()?,
            }
        }
        other => PgOutput::Other(other),
    })
}

/// An LSN in PostgreSQL's notation (`16/B374D848`).
pub(crate) fn format_lsn(lsn: u64) -> String {
    format!("{:X}/{:X}", lsn >> 32, lsn & 0xFFFF_FFFF)
}

pub(crate) fn parse_lsn(text: &str) -> Option<u64> {
    let (hi, lo) = text.split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

/// Microseconds since 2000-01-01 as microseconds since the Unix epoch.
pub(crate) fn pg_epoch_to_unix_us(ts: i64) -> i64 {
    ts + 946_684_800_000_000
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cstr(out: &mut Vec<u8>, s: &str) {
        out.extend_from_slice(s.as_bytes());
        out.push(0);
    }

    fn text_tuple(out: &mut Vec<u8>, values: &[Option<&str>]) {
        out.extend_from_slice(&(values.len() as u16).to_be_bytes());
        for v in values {
            match v {
                None => out.push(b'n'),
                Some(t) => {
                    out.push(b't');
                    out.extend_from_slice(&(t.len() as u32).to_be_bytes());
                    out.extend_from_slice(t.as_bytes());
                }
            }
        }
    }

    #[test]
    fn relation_and_insert() {
        let mut m = vec![b'R'];
        m.extend_from_slice(&16384u32.to_be_bytes());
        cstr(&mut m, "public");
        cstr(&mut m, "orders");
        m.push(b'd');
        m.extend_from_slice(&2u16.to_be_bytes());
        for (flags, name, ty) in [(1u8, "id", 23u32), (0, "note", 25)] {
            m.push(flags);
            cstr(&mut m, name);
            m.extend_from_slice(&ty.to_be_bytes());
            m.extend_from_slice(&(-1i32).to_be_bytes());
        }
        let PgOutput::Relation(rel) = decode(&m).unwrap() else {
            panic!("not a relation")
        };
        assert_eq!(
            (rel.schema.as_str(), rel.table.as_str()),
            ("public", "orders")
        );
        assert!(rel.columns[0].key && !rel.columns[1].key);
        assert_eq!(rel.columns[1].type_oid, 25);

        let mut i = vec![b'I'];
        i.extend_from_slice(&16384u32.to_be_bytes());
        i.push(b'N');
        text_tuple(&mut i, &[Some("7"), None]);
        assert_eq!(
            decode(&i).unwrap(),
            PgOutput::Insert {
                relation: 16384,
                new: vec![Datum::Text("7".into()), Datum::Null]
            }
        );
    }

    #[test]
    fn update_with_key_and_delete() {
        let mut u = vec![b'U'];
        u.extend_from_slice(&5u32.to_be_bytes());
        u.push(b'K');
        text_tuple(&mut u, &[Some("1"), None]);
        u.push(b'N');
        text_tuple(&mut u, &[Some("2"), Some("x")]);
        let PgOutput::Update { old, new, .. } = decode(&u).unwrap() else {
            panic!("not an update")
        };
        assert_eq!(old.unwrap()[0], Datum::Text("1".into()));
        assert_eq!(new[1], Datum::Text("x".into()));

        let mut d = vec![b'D'];
        d.extend_from_slice(&5u32.to_be_bytes());
        d.push(b'K');
        text_tuple(&mut d, &[Some("2"), None]);
        assert!(matches!(
            decode(&d).unwrap(),
            PgOutput::Delete { relation: 5, .. }
        ));
    }

    #[test]
    fn begin_commit_and_truncated_input() {
        let mut c = vec![b'C', 0];
        c.extend_from_slice(&0x10u64.to_be_bytes());
        c.extend_from_slice(&0x20u64.to_be_bytes());
        c.extend_from_slice(&99u64.to_be_bytes());
        assert_eq!(
            decode(&c).unwrap(),
            PgOutput::Commit {
                commit_lsn: 0x10,
                end_lsn: 0x20,
                commit_ts: 99
            }
        );
        assert_eq!(decode(&c[..5]), Err(DecodeError::Truncated("commit lsn")));
        assert_eq!(decode(&[]), Err(DecodeError::Empty));
    }

    #[test]
    fn lsn_text_round_trips() {
        assert_eq!(format_lsn(0x16_B374_D848), "16/B374D848");
        assert_eq!(parse_lsn("16/B374D848"), Some(0x16_B374_D848));
        assert_eq!(parse_lsn("junk"), None);
    }
}
