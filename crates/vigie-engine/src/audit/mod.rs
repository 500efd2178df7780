//! The audit journal: an append-only, hash-chained record of every use of the AI.
//!
//! `audit.jsonl` in the data directory holds one compact JSON object per line:
//! `{"seq":…,"time":…,"event":…,"data":{…},"prev_hash":…,"hash":…}`. `hash` is the SHA-256 of
//! the line with its `,"hash":"…"` member removed, so an inspector can check any line with
//! common tools (`sed 's/,"hash":"[0-9a-f]*"}$/}/' | sha256sum`) and no secret key. Each entry
//! carries the previous entry's hash, so editing, removing or reordering any entry breaks the
//! chain at that position. A chain can still be rewritten whole, which is why the current head
//! (sequence and hash) is printed for recording outside the machine and can be checked later.
//!
//! Each entry is written with a single `write` on a file opened in append mode and synced; a
//! process killed mid-write leaves at most one partial last line, which the next open detects,
//! sets aside in `audit.jsonl.damaged` and records as a `journal_repaired` entry.

mod time;

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub use time::{rfc3339_from_unix, rfc3339_now};

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// File name in the data directory.
pub const FILE_NAME: &str = "audit.jsonl";

/// One journal entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Sequence number, from 1.
    pub seq: u64,
    /// UTC time, RFC 3339.
    pub time: String,
    /// Event kind (`question`, `search`, `index_built`, `model_loaded`…).
    pub event: String,
    /// Event details (never whole documents or model weights).
    pub data: Value,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// Hash of this entry.
    pub hash: String,
}

#[derive(Serialize)]
struct UnsignedEntry<'a> {
    seq: u64,
    time: &'a str,
    event: &'a str,
    data: &'a Value,
    prev_hash: &'a str,
}

/// The chain head: last sequence number and hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JournalHead {
    /// Last sequence number (0 for an empty journal).
    pub seq: u64,
    /// Hash of the last entry (the genesis value for an empty journal).
    pub hash: String,
}

impl std::fmt::Display for JournalHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.seq, self.hash)
    }
}

impl std::str::FromStr for JournalHead {
    type Err = AuditError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (seq, hash) = s
            .split_once(':')
            .ok_or_else(|| AuditError::BadHead(s.to_string()))?;
        let seq = seq
            .trim()
            .parse()
            .map_err(|_| AuditError::BadHead(s.to_string()))?;
        let hash = hash.trim().to_lowercase();
        if hash.len() != 64 || !hash.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(AuditError::BadHead(s.to_string()));
        }
        Ok(Self { seq, hash })
    }
}

/// Why the journal could not be used, or where it is broken.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// File access failed.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// An entry is not valid JSON or lacks fields.
    #[error("line {line}: unreadable entry ({reason})")]
    Unreadable {
        /// 1-based line.
        line: usize,
        /// Why.
        reason: String,
    },
    /// An entry's hash does not match its content: it was modified.
    #[error("line {line} (seq {seq}): hash does not match the content (entry modified)")]
    Modified {
        /// 1-based line.
        line: usize,
        /// Sequence number written in it.
        seq: u64,
    },
    /// An entry does not point at the previous one: removed or reordered entries.
    #[error(
        "line {line} (seq {seq}): chain broken (expected seq {expected_seq}; entry removed, inserted or reordered)"
    )]
    Broken {
        /// 1-based line.
        line: usize,
        /// Sequence number found.
        seq: u64,
        /// Sequence number expected.
        expected_seq: u64,
    },
    /// The recorded head is not in the journal.
    #[error("recorded head {0} not found in the journal (journal rewritten or truncated)")]
    HeadMissing(String),
    /// A head string is not `SEQ:HASH`.
    #[error("invalid head {0:?} (expected SEQ:HASH)")]
    BadHead(String),
}

impl AuditError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            AuditError::Io { path, source } => {
                format!("Journal inaccessible ({}) : {source}", path.display())
            }
            AuditError::Unreadable { line, reason } => {
                format!("Journal : ligne {line} illisible ({reason}).")
            }
            AuditError::Modified { line, seq } => format!(
                "Journal altéré : l'entrée n° {seq} (ligne {line}) a été modifiée (empreinte incorrecte)."
            ),
            AuditError::Broken {
                line,
                seq,
                expected_seq,
            } => format!(
                "Journal altéré à la ligne {line} : entrée n° {seq} trouvée, n° {expected_seq} attendue (entrée supprimée, insérée ou déplacée)."
            ),
            AuditError::HeadMissing(head) => format!(
                "La tête de journal enregistrée ({head}) ne figure plus dans le journal : il a été réécrit ou tronqué."
            ),
            AuditError::BadHead(s) => {
                format!("Tête de journal invalide « {s} » (format attendu : NUMÉRO:EMPREINTE).")
            }
        }
    }
}

/// Hash of an entry's content (everything but `hash`), as the file format defines it.
pub fn entry_hash(seq: u64, time: &str, event: &str, data: &Value, prev_hash: &str) -> String {
    let unsigned = UnsignedEntry {
        seq,
        time,
        event,
        data,
        prev_hash,
    };
    let bytes = serde_json::to_vec(&unsigned).unwrap_or_default();
    hex::encode(Sha256::digest(&bytes))
}

/// The open journal, ready to append.
///
/// Several processes may hold the journal open at once (the desktop app and the CLI): every
/// append takes an exclusive lock on the file and, if another process wrote since, re-reads
/// the head first, so the chain never forks.
pub struct AuditLog {
    path: PathBuf,
    file: File,
    head: JournalHead,
    /// File length after our last write (or read of the head).
    known_len: u64,
}

impl AuditLog {
    /// Opens (or creates) `data_dir/audit.jsonl`, repairing a partial last line left by a
    /// killed process. Earlier damage is not repaired: `verify` reports it.
    pub fn open(data_dir: &Path) -> Result<Self, AuditError> {
        let path = data_dir.join(FILE_NAME);
        let io = |source| AuditError::Io {
            path: path.clone(),
            source,
        };
        fs::create_dir_all(data_dir).map_err(io)?;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        let read = repair_tail(&path).and_then(|repaired| {
            let head = last_head(&path)?;
            let len = file.metadata().map_err(io)?.len();
            Ok((repaired, head, len))
        });
        let _ = file.unlock();
        let (repaired, head, known_len) = read?;
        let mut log = Self {
            path,
            file,
            head,
            known_len,
        };
        if let Some(bytes) = repaired {
            log.append(
                "journal_repaired",
                serde_json::json!({ "discarded_bytes": bytes, "reason": "partial last entry (interrupted write)" }),
            )?;
        }
        Ok(log)
    }

    /// Path of the journal.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Current head.
    pub fn head(&self) -> &JournalHead {
        &self.head
    }

    /// Appends one entry and syncs it to disk, under an exclusive lock of the file.
    pub fn append(&mut self, event: &str, data: Value) -> Result<JournalHead, AuditError> {
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        self.file.lock().map_err(io)?;
        let result = self.append_locked(event, data);
        let _ = self.file.unlock();
        result
    }

    fn append_locked(&mut self, event: &str, data: Value) -> Result<JournalHead, AuditError> {
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        let len = self.file.metadata().map_err(io)?.len();
        if len != self.known_len {
            // Another process appended since: continue its chain.
            self.head = last_head(&self.path)?;
        }
        let seq = self.head.seq + 1;
        let time = rfc3339_now();
        let prev_hash = self.head.hash.clone();
        let hash = entry_hash(seq, &time, event, &data, &prev_hash);
        let entry = AuditEntry {
            seq,
            time,
            event: event.to_string(),
            data,
            prev_hash,
            hash: hash.clone(),
        };
        let mut line = serde_json::to_vec(&entry).map_err(|e| AuditError::Unreadable {
            line: 0,
            reason: e.to_string(),
        })?;
        line.push(b'\n');
        self.file.write_all(&line).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.known_len = len + line.len() as u64;
        self.head = JournalHead { seq, hash };
        Ok(self.head.clone())
    }
}

/// If the file does not end with a complete entry, moves the partial tail aside and truncates.
/// Returns the number of bytes set aside.
fn repair_tail(path: &Path) -> Result<Option<u64>, AuditError> {
    let io = |source| AuditError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = match fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    if bytes.is_empty() {
        return Ok(None);
    }
    let keep = if bytes.ends_with(b"\n") {
        // Complete last line; still check it parses (a torn write can end on a newline only if
        // the whole line was written).
        let body = &bytes[..bytes.len() - 1];
        let start = body
            .iter()
            .rposition(|&b| b == b'\n')
            .map(|i| i + 1)
            .unwrap_or(0);
        if serde_json::from_slice::<AuditEntry>(&body[start..]).is_ok() {
            return Ok(None);
        }
        start
    } else {
        bytes
            .iter()
            .rposition(|&b| b == b'\n')
            .map(|i| i + 1)
            .unwrap_or(0)
    };
    let tail = &bytes[keep..];
    let damaged = path.with_extension("jsonl.damaged");
    let mut aside = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&damaged)
        .map_err(io)?;
    aside
        .write_all(tail)
        .and_then(|_| aside.write_all(b"\n"))
        .map_err(io)?;
    let file = OpenOptions::new().write(true).open(path).map_err(io)?;
    file.set_len(keep as u64).map_err(io)?;
    file.sync_all().map_err(io)?;
    log::warn!(
        "audit journal: set aside {} bytes of a partial entry",
        tail.len()
    );
    Ok(Some(tail.len() as u64))
}

fn last_head(path: &Path) -> Result<JournalHead, AuditError> {
    let mut head = JournalHead {
        seq: 0,
        hash: GENESIS.to_string(),
    };
    for (i, entry) in read_entries(path)?.into_iter().enumerate() {
        let entry = entry.map_err(|reason| AuditError::Unreadable {
            line: i + 1,
            reason,
        })?;
        head = JournalHead {
            seq: entry.seq,
            hash: entry.hash,
        };
    }
    Ok(head)
}

fn read_entries(path: &Path) -> Result<Vec<Result<AuditEntry, String>>, AuditError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(AuditError::Io {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let mut out = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line.map_err(|source| AuditError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        if line.trim().is_empty() {
            continue;
        }
        out.push(serde_json::from_str::<AuditEntry>(&line).map_err(|e| e.to_string()));
    }
    Ok(out)
}

/// Result of a successful verification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    /// Entries checked.
    pub entries: u64,
    /// Head of the journal.
    pub head: JournalHead,
}

/// Checks every entry's hash and the chain; with `expected_head`, also that the journal still
/// contains that entry unchanged.
pub fn verify(
    data_dir: &Path,
    expected_head: Option<&JournalHead>,
) -> Result<Verification, AuditError> {
    let path = data_dir.join(FILE_NAME);
    let mut previous = JournalHead {
        seq: 0,
        hash: GENESIS.to_string(),
    };
    let mut head_found = expected_head.is_none_or(|h| h.seq == 0 && h.hash == GENESIS);
    let mut count = 0;
    for (i, entry) in read_entries(&path)?.into_iter().enumerate() {
        let line = i + 1;
        let entry = entry.map_err(|reason| AuditError::Unreadable { line, reason })?;
        let recomputed = entry_hash(
            entry.seq,
            &entry.time,
            &entry.event,
            &entry.data,
            &entry.prev_hash,
        );
        if recomputed != entry.hash {
            return Err(AuditError::Modified {
                line,
                seq: entry.seq,
            });
        }
        if entry.seq != previous.seq + 1 || entry.prev_hash != previous.hash {
            return Err(AuditError::Broken {
                line,
                seq: entry.seq,
                expected_seq: previous.seq + 1,
            });
        }
        if let Some(h) = expected_head
            && h.seq == entry.seq
            && h.hash == entry.hash
        {
            head_found = true;
        }
        previous = JournalHead {
            seq: entry.seq,
            hash: entry.hash,
        };
        count += 1;
    }
    if !head_found && let Some(h) = expected_head {
        return Err(AuditError::HeadMissing(h.to_string()));
    }
    Ok(Verification {
        entries: count,
        head: previous,
    })
}

/// Entries whose time lies in `[from, to]` (dates or RFC 3339 prefixes compare as text).
pub fn entries_between(
    data_dir: &Path,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<Vec<AuditEntry>, AuditError> {
    let path = data_dir.join(FILE_NAME);
    let mut out = Vec::new();
    for (i, entry) in read_entries(&path)?.into_iter().enumerate() {
        let entry = entry.map_err(|reason| AuditError::Unreadable {
            line: i + 1,
            reason,
        })?;
        let after = from.is_none_or(|f| entry.time.as_str() >= f);
        // `to` is inclusive of the whole day when given as a date.
        let before = to.is_none_or(|t| entry.time.as_str() <= t || entry.time.starts_with(t));
        if after && before {
            out.push(entry);
        }
    }
    Ok(out)
}

/// CSV of entries (`seq,time,event,data,prev_hash,hash`, `data` as JSON), RFC 4180 quoting.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("seq,time,event,data,prev_hash,hash\n");
    for e in entries {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            e.seq,
            quote(&e.time),
            quote(&e.event),
            quote(&e.data.to_string()),
            e.prev_hash,
            e.hash
        ));
    }
    out
}
