//! Checking raw rows against the corpus and against the tables already imported.
//!
//! Every check runs before anything is stored, and the first problem stops the import: an
//! official table with one wrong line must be corrected, not half imported.

use std::collections::HashMap;

use super::error::{CorrespondenceError, Place};
use super::read::RawRow;
use super::{CodeArticle, CorrespondenceKind, CorrespondenceRow, CorrespondenceTable};
use crate::corpus::{Corpus, canonical_key, is_iso_date};
use crate::versions::{edition_dates, resolve_code};

type Key = (String, String);

fn key(a: &CodeArticle) -> Key {
    (a.code.clone(), canonical_key(&a.article))
}

/// `art. 414`, `Article 414` → `414`.
fn strip_article_word(text: &str) -> &str {
    let t = text.trim();
    let lower = t.to_lowercase();
    for prefix in ["article ", "art. ", "art.", "art "] {
        if lower.starts_with(prefix) {
            return t.get(prefix.len()..).unwrap_or(t).trim();
        }
    }
    t
}

/// `2027-01-01` or `01/01/2027` → `2027-01-01`; empty → none.
fn parse_date(text: &str) -> Result<Option<String>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if is_iso_date(t) {
        return Ok(Some(t.to_string()));
    }
    let parts: Vec<&str> = t.split('/').collect();
    if let [d, m, y] = parts.as_slice() {
        let iso = format!("{y:0>4}-{m:0>2}-{d:0>2}");
        if is_iso_date(&iso) {
            return Ok(Some(iso));
        }
    }
    Err(format!("invalid date {t:?} (AAAA-MM-JJ or JJ/MM/AAAA)"))
}

fn resolve_article(
    corpus: &Corpus,
    place: &Place,
    code: &str,
    article: &str,
) -> Result<CodeArticle, CorrespondenceError> {
    let code = resolve_code(corpus, code).map_err(|_| CorrespondenceError::UnknownCode {
        place: place.clone(),
        code: code.to_string(),
    })?;
    let number = strip_article_word(article);
    edition_dates(corpus, &code)
        .iter()
        .rev()
        .find_map(|edition| corpus.find_number(&code, edition, number))
        .map(|a| CodeArticle {
            code: code.clone(),
            article: a.article.clone(),
        })
        .ok_or_else(|| CorrespondenceError::UnknownArticle {
            place: place.clone(),
            code,
            article: article.to_string(),
        })
}

fn inconsistent(place: &Place, en: &str, fr: &str) -> CorrespondenceError {
    CorrespondenceError::Inconsistent {
        place: place.clone(),
        reason: en.to_string(),
        reason_fr: fr.to_string(),
    }
}

fn check_row(corpus: &Corpus, raw: &RawRow) -> Result<CorrespondenceRow, CorrespondenceError> {
    let place = &raw.place;
    let malformed = |reason: String| CorrespondenceError::Malformed {
        place: place.clone(),
        reason,
    };
    let kind = CorrespondenceKind::parse(&raw.kind).ok_or_else(|| {
        malformed(format!(
            "unknown kind {:?} (reprise à droit constant, modifié, abrogé, nouveau)",
            raw.kind
        ))
    })?;
    let date = parse_date(&raw.date).map_err(malformed)?;
    let old = match (raw.old_code.is_empty(), raw.old_article.is_empty()) {
        (true, true) => None,
        (false, false) => Some(resolve_article(
            corpus,
            place,
            &raw.old_code,
            &raw.old_article,
        )?),
        (true, false) => return Err(malformed("old article without old code".into())),
        (false, true) => return Err(malformed("old code without old article".into())),
    };
    let mut new = Vec::new();
    if !raw.new_articles.is_empty() {
        if raw.new_code.is_empty() {
            return Err(malformed("new articles without new code".into()));
        }
        for article in &raw.new_articles {
            let resolved = resolve_article(corpus, place, &raw.new_code, article)?;
            if new.iter().any(|n: &CodeArticle| key(n) == key(&resolved)) {
                return Err(CorrespondenceError::Duplicate {
                    place: place.clone(),
                    previous: "sur la même ligne".into(),
                    what: resolved.label(),
                });
            }
            new.push(resolved);
        }
    }
    match kind {
        CorrespondenceKind::Reprise | CorrespondenceKind::Modifie => {
            if old.is_none() {
                return Err(inconsistent(
                    place,
                    "a taken-over article needs an old article",
                    "une reprise ou une modification doit donner l'ancien article",
                ));
            }
            if new.is_empty() {
                return Err(inconsistent(
                    place,
                    "a taken-over article needs at least one new article",
                    "une reprise ou une modification doit donner au moins un nouvel article",
                ));
            }
        }
        CorrespondenceKind::Abroge => {
            if old.is_none() {
                return Err(inconsistent(
                    place,
                    "a repeal needs the old article",
                    "une abrogation doit donner l'ancien article",
                ));
            }
            if !new.is_empty() {
                return Err(inconsistent(
                    place,
                    "a repealed article cannot have new articles",
                    "un article abrogé ne peut pas avoir de nouvel article",
                ));
            }
        }
        CorrespondenceKind::Nouveau => {
            if old.is_some() {
                return Err(inconsistent(
                    place,
                    "a new article cannot have an old article",
                    "un article nouveau ne peut pas avoir d'ancien article",
                ));
            }
            if new.is_empty() {
                return Err(inconsistent(
                    place,
                    "a new-article row needs the new article",
                    "une ligne « nouveau » doit donner le nouvel article",
                ));
            }
        }
    }
    if let Some(o) = &old
        && new.iter().any(|n| key(n) == key(o))
    {
        return Err(CorrespondenceError::Cycle {
            place: place.clone(),
            chain: vec![o.label(), o.label()],
        });
    }
    Ok(CorrespondenceRow {
        line: place.line,
        old,
        new,
        kind,
        date,
    })
}

/// Where a statement was first made: a place of this file or a stored table.
#[derive(Clone)]
enum Origin {
    Here(Place),
    Stored { table: String, line: usize },
}

impl Origin {
    fn french(&self) -> String {
        match self {
            Origin::Here(p) => {
                let unit = if p.json_entry { "entrée" } else { "ligne" };
                format!("{unit} {}", p.line)
            }
            Origin::Stored { table, line } => {
                format!("dans la table importée « {table} » (ligne {line})")
            }
        }
    }
}

#[derive(Default)]
struct Statements {
    edges: HashMap<(Key, Key), Origin>,
    sources: HashMap<Key, Origin>,
    targets: HashMap<Key, Origin>,
    repealed: HashMap<Key, Origin>,
    created: HashMap<Key, Origin>,
    labels: HashMap<Key, String>,
    graph: HashMap<Key, Vec<(Key, Origin)>>,
}

impl Statements {
    /// Records a row, failing when it repeats or contradicts an earlier statement.
    fn add(&mut self, row: &CorrespondenceRow, origin: Origin) -> Result<(), (String, bool)> {
        // Err((previous origin, is_duplicate)); the caller builds the error with its place.
        for a in row.old.iter().chain(&row.new) {
            self.labels.insert(key(a), a.label());
        }
        match (&row.old, row.kind) {
            (Some(old), CorrespondenceKind::Abroge) => {
                let k = key(old);
                if let Some(previous) = self.repealed.get(&k) {
                    return Err((previous.french(), true));
                }
                if let Some(previous) = self.sources.get(&k) {
                    return Err((previous.french(), false));
                }
                self.repealed.insert(k, origin);
            }
            (None, _) => {
                for new in &row.new {
                    let k = key(new);
                    if let Some(previous) = self.created.get(&k) {
                        return Err((previous.french(), true));
                    }
                    if let Some(previous) = self.targets.get(&k) {
                        return Err((previous.french(), false));
                    }
                    self.created.insert(k, origin.clone());
                }
            }
            (Some(old), _) => {
                let from = key(old);
                if let Some(previous) = self.repealed.get(&from) {
                    return Err((previous.french(), false));
                }
                for new in &row.new {
                    let to = key(new);
                    if let Some(previous) = self.edges.get(&(from.clone(), to.clone())) {
                        return Err((previous.french(), true));
                    }
                    if let Some(previous) = self.created.get(&to) {
                        return Err((previous.french(), false));
                    }
                    self.edges
                        .insert((from.clone(), to.clone()), origin.clone());
                    self.targets.insert(to.clone(), origin.clone());
                    self.graph
                        .entry(from.clone())
                        .or_default()
                        .push((to, origin.clone()));
                }
                self.sources.insert(from, origin);
            }
        }
        Ok(())
    }

    /// A cycle through at least one row of this file, as labels and the place of one row.
    fn find_cycle(&self) -> Option<(Vec<String>, Place)> {
        #[derive(Clone, Copy, PartialEq)]
        enum Colour {
            Grey,
            Black,
        }
        let mut colour: HashMap<&Key, Colour> = HashMap::new();
        let mut starts: Vec<&Key> = self.graph.keys().collect();
        starts.sort();
        for start in starts {
            if colour.contains_key(start) {
                continue;
            }
            // Iterative depth-first search keeping the path of nodes and edge origins.
            let mut path: Vec<(&Key, usize)> = vec![(start, 0)];
            let mut via: Vec<&Origin> = Vec::new();
            colour.insert(start, Colour::Grey);
            while let Some((node, next)) = path.last().copied() {
                let edges = self.graph.get(node).map(Vec::as_slice).unwrap_or(&[]);
                if let Some((to, origin)) = edges.get(next) {
                    if let Some(last) = path.last_mut() {
                        last.1 += 1;
                    }
                    match colour.get(to) {
                        Some(Colour::Grey) => {
                            let begin = path.iter().position(|(n, _)| *n == to).unwrap_or(0);
                            let mut chain: Vec<String> =
                                path[begin..].iter().map(|(n, _)| self.label(n)).collect();
                            chain.push(self.label(to));
                            let mut origins: Vec<&Origin> = via[begin..].to_vec();
                            origins.push(origin);
                            let place = origins.iter().find_map(|o| match o {
                                Origin::Here(p) => Some(p.clone()),
                                Origin::Stored { .. } => None,
                            })?;
                            return Some((chain, place));
                        }
                        Some(Colour::Black) => {}
                        None => {
                            colour.insert(to, Colour::Grey);
                            path.push((to, 0));
                            via.push(origin);
                        }
                    }
                } else {
                    colour.insert(node, Colour::Black);
                    path.pop();
                    via.pop();
                }
            }
        }
        None
    }

    fn label(&self, k: &Key) -> String {
        self.labels.get(k).cloned().unwrap_or_else(|| k.1.clone())
    }
}

fn row_label(row: &CorrespondenceRow) -> String {
    let old = row.old.as_ref().map(CodeArticle::label).unwrap_or_default();
    let new: Vec<String> = row.new.iter().map(CodeArticle::label).collect();
    match row.kind {
        CorrespondenceKind::Abroge => format!("{old} abrogé"),
        CorrespondenceKind::Nouveau => format!("{} nouveau", new.join(", ")),
        _ => format!("{old} → {}", new.join(", ")),
    }
}

/// Checks every row against the corpus and the stored tables; returns the rows to store.
pub fn validate_rows(
    corpus: &Corpus,
    rows: &[RawRow],
    stored: &[CorrespondenceTable],
) -> Result<Vec<CorrespondenceRow>, CorrespondenceError> {
    let mut statements = Statements::default();
    for table in stored {
        for row in &table.rows {
            let origin = Origin::Stored {
                table: table.name.clone(),
                line: row.line,
            };
            // Stored tables were checked when imported; a conflict between them is not ours.
            let _ = statements.add(row, origin);
        }
    }
    let mut checked = Vec::with_capacity(rows.len());
    for raw in rows {
        let row = check_row(corpus, raw)?;
        if let Err((previous, duplicate)) = statements.add(&row, Origin::Here(raw.place.clone())) {
            return Err(if duplicate {
                CorrespondenceError::Duplicate {
                    place: raw.place.clone(),
                    previous,
                    what: row_label(&row),
                }
            } else {
                CorrespondenceError::Inconsistent {
                    place: raw.place.clone(),
                    reason: format!("{} contradicts {previous}", row_label(&row)),
                    reason_fr: format!("{} contredit la déclaration {previous}", row_label(&row)),
                }
            });
        }
        checked.push(row);
    }
    if let Some((chain, place)) = statements.find_cycle() {
        return Err(CorrespondenceError::Cycle { place, chain });
    }
    Ok(checked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_both_forms() {
        assert_eq!(parse_date("2027-01-01"), Ok(Some("2027-01-01".into())));
        assert_eq!(parse_date("1/1/2027"), Ok(Some("2027-01-01".into())));
        assert_eq!(parse_date(""), Ok(None));
        assert!(parse_date("demain").is_err());
    }

    #[test]
    fn article_word_is_optional() {
        assert_eq!(strip_article_word("art. 414"), "414");
        assert_eq!(strip_article_word("Article L. 312-1"), "L. 312-1");
        assert_eq!(strip_article_word("65 A bis"), "65 A bis");
    }
}
