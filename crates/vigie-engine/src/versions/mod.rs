//! Versions of the law: an article across editions, word-level differences, and what changed
//! between two editions of a code.
//!
//! Editions are compared by article number (the same normalisation in every file). Texts are
//! compared modulo whitespace, because sources re-flow paragraphs between editions without
//! changing a word.

pub mod correspondence;
pub mod dated;

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

use crate::corpus::{Article, CODE_CIBS, CODE_DOUANES, Corpus, canonical_key};

/// One edition of an article (or its absence from that edition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleVersion {
    /// Edition date.
    pub edition: String,
    /// Status in that edition (`en vigueur`…), or `absent` when the edition lacks it.
    pub status: String,
    /// Text (empty when absent).
    pub text: String,
    /// Heading path.
    pub path: Vec<String>,
    /// Article id in that edition, when present.
    pub id: Option<String>,
}

/// One piece of a word-level difference.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// `equal`, `insert` or `delete`.
    pub op: &'static str,
    /// The words.
    pub text: String,
}

/// Differences between two consecutive editions of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionDiff {
    /// Older edition.
    pub from: String,
    /// Newer edition.
    pub to: String,
    /// Changes in reading order.
    pub changes: Vec<Change>,
}

/// An article across every edition of its code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ArticleHistory {
    /// Article number.
    pub article: String,
    /// Code.
    pub code: String,
    /// Every edition of the code, oldest first.
    pub editions: Vec<ArticleVersion>,
    /// Word-level differences between consecutive editions where the article exists in both.
    pub diffs: Vec<VersionDiff>,
}

/// What changed between two editions of a code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EditionComparison {
    /// Code compared.
    pub code: String,
    /// Older edition.
    pub from: String,
    /// Newer edition.
    pub to: String,
    /// Numbers only in the newer edition.
    pub added: Vec<String>,
    /// Numbers only in the older edition.
    pub repealed: Vec<String>,
    /// Numbers in both, text changed.
    pub modified: Vec<String>,
    /// Numbers in both, same text modulo whitespace.
    pub unchanged: Vec<String>,
}

/// Why a version query failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// No such code in the corpus.
    #[error("unknown code {0}")]
    UnknownCode(String),
    /// No such edition of the code.
    #[error("no edition {edition} of {code}")]
    UnknownEdition {
        /// Code.
        code: String,
        /// Edition date asked.
        edition: String,
    },
    /// No article of that number in any edition.
    #[error("no article {0} in the corpus")]
    UnknownArticle(String),
    /// A date is not `YYYY-MM-DD`.
    #[error("invalid date {0}")]
    InvalidDate(String),
}

impl VersionError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            VersionError::UnknownCode(c) => {
                format!("Code inconnu : « {c} » (CD, CIBS ou nom complet).")
            }
            VersionError::UnknownEdition { code, edition } => {
                format!("Aucune édition du {code} en vigueur au {edition} dans le corpus.")
            }
            VersionError::UnknownArticle(a) => format!("Aucun article {a} dans le corpus."),
            VersionError::InvalidDate(d) => format!("Date invalide : « {d} » (format AAAA-MM-JJ)."),
        }
    }
}

/// Resolves a code given as `CD`, `CIBS` or its full name.
pub fn resolve_code(corpus: &Corpus, code: &str) -> Result<String, VersionError> {
    let full = match code.trim().to_lowercase().as_str() {
        "cd" | "code des douanes" | "douanes" => CODE_DOUANES.to_string(),
        "cibs" | "code des impositions sur les biens et services" => CODE_CIBS.to_string(),
        _ => code.trim().to_string(),
    };
    if corpus.editions().iter().any(|e| e.code == full) {
        Ok(full)
    } else {
        Err(VersionError::UnknownCode(code.to_string()))
    }
}

/// Edition dates of a code, oldest first.
pub fn edition_dates(corpus: &Corpus, code: &str) -> Vec<String> {
    let mut dates: Vec<String> = corpus
        .editions()
        .iter()
        .filter(|e| e.code == code)
        .map(|e| e.date.clone())
        .collect();
    dates.sort();
    dates
}

/// The edition of a code in force at `date`: the latest edition published on or before it.
pub fn edition_at(corpus: &Corpus, code: &str, date: &str) -> Result<String, VersionError> {
    if !crate::corpus::is_iso_date(date) {
        return Err(VersionError::InvalidDate(date.to_string()));
    }
    edition_dates(corpus, code)
        .into_iter()
        .rfind(|d| d.as_str() <= date)
        .ok_or_else(|| VersionError::UnknownEdition {
            code: code.to_string(),
            edition: date.to_string(),
        })
}

/// Finds the code of an article number: the one given, else the first code that has it
/// (Code des douanes first; a number with an `L.`/`R.`/`D.`/`A.` prefix is CIBS-shaped).
pub fn code_of(corpus: &Corpus, number: &str, code: Option<&str>) -> Result<String, VersionError> {
    if let Some(c) = code {
        return resolve_code(corpus, c);
    }
    let key = canonical_key(number);
    for candidate in [CODE_DOUANES, CODE_CIBS] {
        if corpus
            .articles()
            .iter()
            .any(|a| a.code == candidate && canonical_key(&a.article) == key)
        {
            return Ok(candidate.to_string());
        }
    }
    Err(VersionError::UnknownArticle(number.to_string()))
}

/// The article as it stood in a given edition.
pub fn article_in<'c>(
    corpus: &'c Corpus,
    code: &str,
    edition: &str,
    number: &str,
) -> Option<&'c Article> {
    corpus.find_number(code, edition, number)
}

/// An article in every edition of its code, with word-level diffs.
pub fn article_history(
    corpus: &Corpus,
    code: &str,
    number: &str,
) -> Result<ArticleHistory, VersionError> {
    let mut versions = Vec::new();
    let mut canonical_number = None;
    for edition in edition_dates(corpus, code) {
        match corpus.find_number(code, &edition, number) {
            Some(a) => {
                canonical_number.get_or_insert_with(|| a.article.clone());
                versions.push(ArticleVersion {
                    edition,
                    status: a.status.clone(),
                    text: a.text.clone(),
                    path: a.path.clone(),
                    id: Some(a.id.clone()),
                });
            }
            None => versions.push(ArticleVersion {
                edition,
                status: "absent".into(),
                text: String::new(),
                path: Vec::new(),
                id: None,
            }),
        }
    }
    let article =
        canonical_number.ok_or_else(|| VersionError::UnknownArticle(number.to_string()))?;
    let diffs = versions
        .windows(2)
        .filter(|pair| pair[0].id.is_some() && pair[1].id.is_some())
        .map(|pair| VersionDiff {
            from: pair[0].edition.clone(),
            to: pair[1].edition.clone(),
            changes: word_diff(&pair[0].text, &pair[1].text),
        })
        .collect();
    Ok(ArticleHistory {
        article,
        code: code.to_string(),
        editions: versions,
        diffs,
    })
}

/// Word-level difference, whitespace-insensitive: consecutive changes of one kind are merged.
pub fn word_diff(old: &str, new: &str) -> Vec<Change> {
    let old_words = normalise_spaces(old);
    let new_words = normalise_spaces(new);
    let diff = TextDiff::from_words(old_words.as_str(), new_words.as_str());
    let mut changes: Vec<Change> = Vec::new();
    for change in diff.iter_all_changes() {
        let op = match change.tag() {
            ChangeTag::Equal => "equal",
            ChangeTag::Insert => "insert",
            ChangeTag::Delete => "delete",
        };
        match changes.last_mut() {
            Some(last) if last.op == op => last.text.push_str(change.value()),
            _ => changes.push(Change {
                op,
                text: change.value().to_string(),
            }),
        }
    }
    changes
}

fn normalise_spaces(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn without_whitespace(text: &str) -> String {
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Compares two editions of a code by article number, optionally under a heading prefix.
pub fn compare_editions(
    corpus: &Corpus,
    code: &str,
    from: &str,
    to: &str,
    path_prefix: Option<&str>,
) -> Result<EditionComparison, VersionError> {
    for date in [from, to] {
        if !edition_dates(corpus, code).iter().any(|d| d == date) {
            return Err(VersionError::UnknownEdition {
                code: code.to_string(),
                edition: date.to_string(),
            });
        }
    }
    let in_scope = |a: &Article| match path_prefix {
        None => true,
        Some(prefix) => {
            let prefix = prefix.to_lowercase();
            a.path.iter().any(|p| p.to_lowercase().starts_with(&prefix))
        }
    };
    let old: Vec<&Article> = corpus
        .articles()
        .iter()
        .filter(|a| a.code == code && a.edition == from)
        .collect();
    let new: Vec<&Article> = corpus
        .articles()
        .iter()
        .filter(|a| a.code == code && a.edition == to)
        .collect();
    let mut out = EditionComparison {
        code: code.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        ..EditionComparison::default()
    };
    for a in &new {
        let before = corpus.find_number(code, from, &a.article);
        if !(in_scope(a) || before.is_some_and(in_scope)) {
            continue;
        }
        match before {
            None => out.added.push(a.article.clone()),
            Some(b) if without_whitespace(&b.text) == without_whitespace(&a.text) => {
                out.unchanged.push(a.article.clone())
            }
            Some(_) => out.modified.push(a.article.clone()),
        }
    }
    for b in &old {
        if corpus.find_number(code, to, &b.article).is_none() && in_scope(b) {
            out.repealed.push(b.article.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_diff_merges_runs_and_ignores_reflow() {
        let changes = word_diff("amende de 10 000 euros", "amende de\n50 000 euros");
        let ops: Vec<(&str, &str)> = changes.iter().map(|c| (c.op, c.text.as_str())).collect();
        assert!(ops.contains(&("delete", "10")));
        assert!(ops.contains(&("insert", "50")));
        assert_eq!(word_diff("a  b", "a\nb").len(), 1);
    }
}
