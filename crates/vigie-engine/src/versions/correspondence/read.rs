//! Reading a correspondence table file (CSV or JSON) into raw rows, before any check against
//! the corpus.
//!
//! The administration's table format is not known yet, so the reader is lenient on the shape
//! (`,` `;` or tab separators, a byte-order mark, accented or plain column names, a JSON array
//! or an object holding one) and strict on the content: a row that cannot be read stops the
//! import with its line.

use std::path::Path;

use serde_json::Value;

use super::error::{CorrespondenceError, Place};

/// One row as written in the file, with its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    /// Where the row is.
    pub place: Place,
    /// Old code (may be empty for `nouveau`).
    pub old_code: String,
    /// Old article (may be empty for `nouveau`).
    pub old_article: String,
    /// New code (may be empty for `abrogé`).
    pub new_code: String,
    /// New articles (empty for `abrogé`).
    pub new_articles: Vec<String>,
    /// Kind as written.
    pub kind: String,
    /// Date as written (may be empty).
    pub date: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Column {
    OldCode,
    OldArticle,
    NewCode,
    NewArticles,
    Kind,
    Date,
}

/// Lower-case, accents folded, separators made `_`: `Nouveaux articles` → `nouveaux_articles`.
pub(super) fn fold(text: &str) -> String {
    let mut out = String::new();
    for c in text.trim().to_lowercase().chars() {
        let folded = match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            ' ' | '-' | '\'' | '’' => '_',
            other => other,
        };
        out.push(folded);
    }
    out
}

fn column_of(name: &str) -> Option<Column> {
    match fold(name).as_str() {
        "ancien_code" | "code_ancien" | "old_code" => Some(Column::OldCode),
        "ancien_article" | "article_ancien" | "old_article" => Some(Column::OldArticle),
        "nouveau_code" | "code_nouveau" | "new_code" => Some(Column::NewCode),
        "nouveaux_articles" | "nouvel_article" | "nouveau_article" | "nouveaux_article"
        | "articles_nouveaux" | "new_articles" | "new_article" => Some(Column::NewArticles),
        "nature" | "type" | "kind" => Some(Column::Kind),
        "date" | "date_d_effet" | "date_effet" => Some(Column::Date),
        _ => None,
    }
}

/// Splits a cell listing several articles (`60-1 ; 60-2`, `60-1, 60-2`, `60-1 | 60-2`).
pub(super) fn split_articles(cell: &str) -> Vec<String> {
    cell.split([';', ',', '|'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads the rows of a `.csv` or `.json` table.
pub fn read_table(path: &Path) -> Result<Vec<RawRow>, CorrespondenceError> {
    let bytes = std::fs::read(path).map_err(|source| CorrespondenceError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(bytes).map_err(|e| CorrespondenceError::Malformed {
        place: Place {
            file: path.to_path_buf(),
            line: 1,
            json_entry: false,
        },
        reason: format!("not UTF-8 text ({e})"),
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    let rows = match extension.as_str() {
        "csv" => read_csv(path, text)?,
        "json" => read_json(path, text)?,
        _ => return Err(CorrespondenceError::UnsupportedFormat(path.to_path_buf())),
    };
    if rows.is_empty() {
        return Err(CorrespondenceError::Empty(path.to_path_buf()));
    }
    Ok(rows)
}

/// Splits one CSV line on `separator`, honouring double quotes (`""` inside quotes is a quote).
fn split_csv_line(line: &str, separator: char) -> Result<Vec<String>, String> {
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && field.trim().is_empty() {
            field.clear();
            quoted = true;
        } else if c == separator {
            fields.push(std::mem::take(&mut field));
        } else {
            field.push(c);
        }
    }
    if quoted {
        return Err("unterminated quote (a cell cannot span lines)".into());
    }
    fields.push(field);
    Ok(fields.into_iter().map(|f| f.trim().to_string()).collect())
}

fn read_csv(path: &Path, text: &str) -> Result<Vec<RawRow>, CorrespondenceError> {
    let place = |line: usize| Place {
        file: path.to_path_buf(),
        line,
        json_entry: false,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((header_line, header)) = lines.next() else {
        return Err(CorrespondenceError::Empty(path.to_path_buf()));
    };
    let separator = [';', '\t', ',']
        .into_iter()
        .max_by_key(|s| header.matches(*s).count())
        .unwrap_or(',');
    let names =
        split_csv_line(header, separator).map_err(|reason| CorrespondenceError::Malformed {
            place: place(header_line),
            reason,
        })?;
    let mut columns = Vec::new();
    for name in &names {
        let column = column_of(name).ok_or_else(|| CorrespondenceError::Malformed {
            place: place(header_line),
            reason: format!(
                "unknown column {name:?} (expected ancien_code, ancien_article, nouveau_code, \
                 nouveaux_articles, nature, date)"
            ),
        })?;
        if columns.contains(&column) {
            return Err(CorrespondenceError::Malformed {
                place: place(header_line),
                reason: format!("column {name:?} given twice"),
            });
        }
        columns.push(column);
    }
    for required in [
        Column::OldCode,
        Column::OldArticle,
        Column::NewCode,
        Column::NewArticles,
        Column::Kind,
    ] {
        if !columns.contains(&required) {
            return Err(CorrespondenceError::Malformed {
                place: place(header_line),
                reason: "missing column (ancien_code, ancien_article, nouveau_code, \
                         nouveaux_articles and nature are required)"
                    .into(),
            });
        }
    }
    let mut rows = Vec::new();
    for (number, line) in lines {
        let cells =
            split_csv_line(line, separator).map_err(|reason| CorrespondenceError::Malformed {
                place: place(number),
                reason,
            })?;
        if cells.len() != columns.len() {
            return Err(CorrespondenceError::Malformed {
                place: place(number),
                reason: format!("{} cells, {} columns", cells.len(), columns.len()),
            });
        }
        let mut row = RawRow {
            place: place(number),
            old_code: String::new(),
            old_article: String::new(),
            new_code: String::new(),
            new_articles: Vec::new(),
            kind: String::new(),
            date: String::new(),
        };
        for (column, cell) in columns.iter().zip(cells) {
            match column {
                Column::OldCode => row.old_code = cell,
                Column::OldArticle => row.old_article = cell,
                Column::NewCode => row.new_code = cell,
                Column::NewArticles => row.new_articles = split_articles(&cell),
                Column::Kind => row.kind = cell,
                Column::Date => row.date = cell,
            }
        }
        rows.push(row);
    }
    Ok(rows)
}

fn read_json(path: &Path, text: &str) -> Result<Vec<RawRow>, CorrespondenceError> {
    let place = |line: usize| Place {
        file: path.to_path_buf(),
        line,
        json_entry: true,
    };
    let value: Value = serde_json::from_str(text).map_err(|e| CorrespondenceError::Malformed {
        place: Place {
            file: path.to_path_buf(),
            line: e.line(),
            json_entry: false,
        },
        reason: format!("invalid JSON: {e}"),
    })?;
    let entries = match &value {
        Value::Array(entries) => entries,
        Value::Object(object) => match ["lignes", "rows", "correspondances"]
            .iter()
            .find_map(|k| object.get(*k))
        {
            Some(Value::Array(entries)) => entries,
            _ => {
                return Err(CorrespondenceError::Malformed {
                    place: place(0),
                    reason: "expected an array of rows, or an object with a \"lignes\" array"
                        .into(),
                });
            }
        },
        _ => {
            return Err(CorrespondenceError::Malformed {
                place: place(0),
                reason: "expected an array of rows".into(),
            });
        }
    };
    let mut rows = Vec::new();
    for (i, entry) in entries.iter().enumerate() {
        let at = place(i + 1);
        let Value::Object(object) = entry else {
            return Err(CorrespondenceError::Malformed {
                place: at,
                reason: "a row must be an object".into(),
            });
        };
        let mut row = RawRow {
            place: at.clone(),
            old_code: String::new(),
            old_article: String::new(),
            new_code: String::new(),
            new_articles: Vec::new(),
            kind: String::new(),
            date: String::new(),
        };
        for (key, value) in object {
            let column = column_of(key).ok_or_else(|| CorrespondenceError::Malformed {
                place: at.clone(),
                reason: format!("unknown key {key:?}"),
            })?;
            let scalar = |value: &Value| -> Result<String, CorrespondenceError> {
                match value {
                    Value::Null => Ok(String::new()),
                    Value::String(s) => Ok(s.trim().to_string()),
                    Value::Number(n) => Ok(n.to_string()),
                    _ => Err(CorrespondenceError::Malformed {
                        place: at.clone(),
                        reason: format!("{key:?} must be a string"),
                    }),
                }
            };
            match column {
                Column::OldCode => row.old_code = scalar(value)?,
                Column::OldArticle => row.old_article = scalar(value)?,
                Column::NewCode => row.new_code = scalar(value)?,
                Column::Kind => row.kind = scalar(value)?,
                Column::Date => row.date = scalar(value)?,
                Column::NewArticles => {
                    row.new_articles = match value {
                        Value::Array(items) => {
                            let mut out = Vec::new();
                            for item in items {
                                let s = scalar(item)?;
                                if !s.is_empty() {
                                    out.push(s);
                                }
                            }
                            out
                        }
                        other => split_articles(&scalar(other)?),
                    }
                }
            }
        }
        if row.kind.is_empty() {
            return Err(CorrespondenceError::Malformed {
                place: at,
                reason: "missing \"nature\"".into(),
            });
        }
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_lines_honour_quotes_and_separators() {
        let cells = split_csv_line(r#"CD;"60-1; 60-2";"dit ""x""""#, ';');
        assert_eq!(
            cells,
            Ok(vec!["CD".into(), "60-1; 60-2".into(), "dit \"x\"".into()])
        );
        assert!(split_csv_line(r#"CD,"60"#, ',').is_err());
    }

    #[test]
    fn column_names_accept_accents_and_plain_forms() {
        assert!(column_of("Nouveaux articles") == Some(Column::NewArticles));
        assert!(column_of("date d'effet") == Some(Column::Date));
        assert!(column_of("ancien_code") == Some(Column::OldCode));
        assert!(column_of("couleur").is_none());
    }
}
