//! The article, the citation unit of the law, and the edition it belongs to.
//!
//! Articles are kept exactly as the source gives them: the text is never rewritten, so that
//! byte ranges of chunks and quoted passages can always be checked against it.

use serde::{Deserialize, Serialize};

/// One article of one edition of one code, as read from a JSON Lines corpus file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Stable identifier, e.g. `CD-art-414` or `CIBS-art-L312-1`.
    pub id: String,
    /// Name of the code, e.g. `Code des douanes`.
    pub code: String,
    /// Article number in Légifrance form, e.g. `414`, `67 bis-1 A`, `L. 312-1`.
    pub article: String,
    /// Heading path: title, chapter, section... (may be empty).
    pub path: Vec<String>,
    /// Full text of the article.
    pub text: String,
    /// Legal status, e.g. `en vigueur`.
    pub status: String,
    /// Date of the consolidated edition the article comes from (`YYYY-MM-DD`).
    pub edition: String,
    /// Start date of this version of the article, when known.
    pub date: Option<String>,
    /// Where the text comes from.
    pub source: String,
}

impl Article {
    /// Human reference used in prompts and citations: `art. 414` or `art. L. 312-1`.
    pub fn reference(&self) -> String {
        format!("art. {}", self.article)
    }

    /// Short code name for display (`CD`, `CIBS`, or the full name for other codes).
    pub fn code_short(&self) -> &str {
        short_code_name(&self.code)
    }
}

/// An article of the Code des douanes in force, for unit tests.
#[cfg(test)]
pub(crate) fn test_article(number: &str, text: &str) -> Article {
    Article {
        id: format!("CD-art-{number}"),
        code: "Code des douanes".into(),
        article: number.into(),
        path: Vec::new(),
        text: text.into(),
        status: "en vigueur".into(),
        edition: "2025-07-13".into(),
        date: None,
        source: "test".into(),
    }
}

/// Short display name of a code.
pub fn short_code_name(code: &str) -> &str {
    match code {
        "Code des douanes" => "CD",
        "Code des impositions sur les biens et services" => "CIBS",
        other => other,
    }
}

/// The credit line the licence asks for, for an article of an edition (in force or history).
pub fn credit_line(edition_date: &str, in_force: bool) -> String {
    let french_date = match edition_date.split('-').collect::<Vec<_>>().as_slice() {
        [y, m, d] => format!("{d}/{m}/{y}"),
        _ => edition_date.to_string(),
    };
    if in_force {
        format!("Source : Légifrance (DILA), données LEGI au {french_date}, Licence Ouverte 2.0")
    } else {
        format!("Source : Légifrance (DILA), version du {french_date}, Licence Ouverte 2.0")
    }
}

/// One edition of one code: the unit that is loaded, hashed and indexed as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edition {
    /// Name of the code.
    pub code: String,
    /// Edition date (`YYYY-MM-DD`).
    pub date: String,
    /// Whether this edition is the law in force (the latest edition of its code).
    pub in_force: bool,
    /// SHA-256 of the edition's articles (canonical JSON, in file order).
    pub hash: String,
    /// Number of articles.
    pub articles: usize,
    /// File the edition was read from.
    pub file: String,
}
