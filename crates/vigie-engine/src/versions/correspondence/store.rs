//! Stored tables: one JSON file per table in `<data_dir>/correspondence/`, written to a
//! temporary file and renamed, so that a crash never leaves a half-written table.

use crate::atomic_file::write_atomically;
use std::fs;
use std::path::{Path, PathBuf};

use super::error::CorrespondenceError;
use super::read::read_table;
use super::validate::validate_rows;
use super::{CorrespondenceTable, TABLE_FORMAT};
use crate::corpus::Corpus;

/// Directory of the stored tables.
pub fn correspondence_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("correspondence")
}

/// File of a stored table.
pub fn table_path(data_dir: &Path, name: &str) -> PathBuf {
    correspondence_dir(data_dir).join(format!("{name}.json"))
}

fn check_name(name: &str) -> Result<(), CorrespondenceError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(CorrespondenceError::InvalidName(name.to_string()))
    }
}

/// A table name from a file name: `Table officielle 2027.csv` → `Table-officielle-2027`.
fn name_from_file(file: &Path) -> String {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().to_string())
        .unwrap_or_default();
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    name = name.trim_matches('-').to_string();
    name.truncate(64);
    if name.is_empty() {
        "table".into()
    } else {
        name
    }
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> CorrespondenceError + '_ {
    move |source| CorrespondenceError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads every stored table, sorted by name.
pub(super) fn load_tables(
    data_dir: &Path,
) -> Result<Vec<CorrespondenceTable>, CorrespondenceError> {
    let dir = correspondence_dir(data_dir);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(CorrespondenceError::Io { path: dir, source }),
    };
    let mut tables = Vec::new();
    for entry in entries {
        let path = entry.map_err(io(&dir))?.path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = fs::read_to_string(&path).map_err(io(&path))?;
        let table: CorrespondenceTable =
            serde_json::from_str(&text).map_err(|e| CorrespondenceError::Damaged {
                path: path.clone(),
                reason: e.to_string(),
            })?;
        if table.format != TABLE_FORMAT {
            return Err(CorrespondenceError::Damaged {
                path,
                reason: format!("format {} (expected {TABLE_FORMAT})", table.format),
            });
        }
        tables.push(table);
    }
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(tables)
}

/// Reads, checks and stores a table. Nothing is written unless every row is valid.
pub fn import_table(
    corpus: &Corpus,
    data_dir: &Path,
    file: &Path,
    name: Option<&str>,
) -> Result<CorrespondenceTable, CorrespondenceError> {
    let name = match name {
        Some(n) => n.trim().to_string(),
        None => name_from_file(file),
    };
    check_name(&name)?;
    let stored = load_tables(data_dir)?;
    if stored.iter().any(|t| t.name == name) {
        return Err(CorrespondenceError::NameTaken(name));
    }
    let raw = read_table(file)?;
    let rows = validate_rows(corpus, &raw, &stored)?;
    let table = CorrespondenceTable {
        format: TABLE_FORMAT,
        name: name.clone(),
        source: file
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default(),
        corpus_hash: corpus.hash_in_force(),
        rows,
    };
    let json = serde_json::to_vec_pretty(&table).map_err(|e| CorrespondenceError::Damaged {
        path: file.to_path_buf(),
        reason: e.to_string(),
    })?;
    let dir = correspondence_dir(data_dir);
    fs::create_dir_all(&dir).map_err(io(&dir))?;
    let target = table_path(data_dir, &name);
    write_atomically(&target, &json).map_err(|source| CorrespondenceError::Io {
        path: target.clone(),
        source,
    })?;
    Ok(table)
}

/// Removes a stored table.
pub fn remove_table(data_dir: &Path, name: &str) -> Result<(), CorrespondenceError> {
    check_name(name)?;
    let path = table_path(data_dir, name);
    match fs::remove_file(&path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(CorrespondenceError::NotFound(name.to_string()))
        }
        Err(source) => Err(CorrespondenceError::Io { path, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_safe_file_names() {
        assert!(check_name("officielle-2027").is_ok());
        assert!(check_name("../x").is_err());
        assert!(check_name("").is_err());
        assert_eq!(
            name_from_file(Path::new("/tmp/Table officielle 2027.csv")),
            "Table-officielle-2027"
        );
    }
}
