//! Reading JSON Lines corpus files into editions, all or nothing.
//!
//! A corpus directory holds one or more `*.jsonl` files, one article per line. Every line is
//! validated before anything is returned: a malformed line fails the whole load with its file
//! and line number, so the engine never works on a half-read corpus.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::article::{Article, Edition};
use super::error::CorpusError;

/// Longest line accepted (the longest real article is ~15 kB; this leaves room for much more).
const MAX_LINE_BYTES: usize = 4 * 1024 * 1024;

/// Lists the `.jsonl` files of a corpus directory, sorted by name.
pub fn corpus_files(dir: &Path) -> Result<Vec<PathBuf>, CorpusError> {
    let entries = fs::read_dir(dir).map_err(|source| CorpusError::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| CorpusError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "jsonl") && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    if files.is_empty() {
        return Err(CorpusError::Empty {
            path: dir.to_path_buf(),
        });
    }
    Ok(files)
}

/// Reads one corpus file; every line must be a complete, valid article.
pub fn read_articles(path: &Path) -> Result<Vec<Article>, CorpusError> {
    let file = fs::File::open(path).map_err(|source| CorpusError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut reader = BufReader::new(file);
    let mut articles = Vec::new();
    let mut line = Vec::new();
    let mut number = 0usize;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|source| CorpusError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if read == 0 {
            break;
        }
        number += 1;
        let malformed = |reason: String| CorpusError::MalformedLine {
            path: path.to_path_buf(),
            line: number,
            reason,
        };
        if line.len() > MAX_LINE_BYTES {
            return Err(malformed(format!(
                "line longer than {MAX_LINE_BYTES} bytes"
            )));
        }
        let text = std::str::from_utf8(&line)
            .map_err(|e| malformed(format!("invalid UTF-8: {e}")))?
            .trim();
        if text.is_empty() {
            continue;
        }
        let article: Article =
            serde_json::from_str(text).map_err(|e| malformed(format!("invalid JSON: {e}")))?;
        validate(&article).map_err(malformed)?;
        articles.push(article);
    }
    Ok(articles)
}

fn validate(article: &Article) -> Result<(), String> {
    let required = [
        ("id", &article.id),
        ("code", &article.code),
        ("article", &article.article),
        ("edition", &article.edition),
    ];
    for (field, value) in required {
        if value.trim().is_empty() {
            return Err(format!("empty field `{field}`"));
        }
    }
    if !is_iso_date(&article.edition) {
        return Err(format!(
            "field `edition` is not a YYYY-MM-DD date: {:?}",
            article.edition
        ));
    }
    if article.text.trim().is_empty() {
        return Err(format!("article {} has an empty text", article.id));
    }
    Ok(())
}

/// `YYYY-MM-DD` with plausible month and day.
pub fn is_iso_date(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && digits(5..7) && digits(8..10)) {
        return false;
    }
    let month: u32 = s[5..7].parse().unwrap_or(0);
    let day: u32 = s[8..10].parse().unwrap_or(0);
    (1..=12).contains(&month) && (1..=31).contains(&day)
}

/// Groups articles into editions, checks ids are unique, marks the latest edition of each code
/// as in force and hashes each edition.
pub fn build_editions(
    files: Vec<(PathBuf, Vec<Article>)>,
) -> Result<(Vec<Edition>, Vec<Article>), CorpusError> {
    let mut seen = HashSet::new();
    let mut grouped: BTreeMap<(String, String), (String, Vec<Article>)> = BTreeMap::new();
    for (path, articles) in files {
        for article in articles {
            if !seen.insert(article.id.clone()) {
                return Err(CorpusError::DuplicateId {
                    path: path.clone(),
                    id: article.id,
                });
            }
            let key = (article.code.clone(), article.edition.clone());
            let entry = grouped
                .entry(key)
                .or_insert_with(|| (path.display().to_string(), Vec::new()));
            entry.1.push(article);
        }
    }
    let mut latest: BTreeMap<String, String> = BTreeMap::new();
    for (code, date) in grouped.keys() {
        let slot = latest.entry(code.clone()).or_default();
        if date > slot {
            *slot = date.clone();
        }
    }
    let mut editions = Vec::new();
    let mut all = Vec::new();
    for ((code, date), (file, articles)) in grouped {
        let mut hasher = Sha256::new();
        for article in &articles {
            // Serialising our own struct cannot fail; fall back to the id if it ever did.
            let canonical =
                serde_json::to_vec(article).unwrap_or_else(|_| article.id.clone().into());
            hasher.update(&canonical);
            hasher.update(b"\n");
        }
        editions.push(Edition {
            in_force: latest.get(&code) == Some(&date),
            code,
            date,
            hash: hex::encode(hasher.finalize()),
            articles: articles.len(),
            file,
        });
        all.extend(articles);
    }
    Ok((editions, all))
}
