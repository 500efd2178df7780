//! The legal corpus: articles grouped into editions of codes, loaded all or nothing.
//!
//! The latest edition of each code is the law in force; older editions are history, loaded so
//! that they can be shown and compared, but never retrieved as law in force. The corpus version
//! is a content hash, recorded with every index built from it.

pub(crate) mod article;
mod chunk;
mod error;
mod loader;
mod missing;
mod passage;
pub mod reference;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use article::{Article, Edition, credit_line, short_code_name};
pub use chunk::{Chunk, MAX_CHUNK_BYTES, TARGET_CHUNK_BYTES, chunk_article, chunk_text};
pub use error::CorpusError;
pub use loader::is_iso_date;
pub use missing::MissingArticle;
pub use passage::{PASSAGE_CUTTING, Passage, passages_of, passages_of_text};
pub use reference::{ArticleMention, CodeHint, canonical_key, find_mentions};

/// Name of the Code des douanes as it appears in the corpus.
pub const CODE_DOUANES: &str = "Code des douanes";
/// Name of the CIBS as it appears in the corpus.
pub const CODE_CIBS: &str = "Code des impositions sur les biens et services";

/// All loaded editions and their articles.
#[derive(Debug, Clone)]
pub struct Corpus {
    dir: PathBuf,
    editions: Vec<Edition>,
    articles: Vec<Article>,
    by_id: HashMap<String, usize>,
    /// (code, edition, canonical number) → article index.
    by_number: HashMap<(String, String, String), usize>,
}

impl Corpus {
    /// Loads every `.jsonl` file of `dir`. Any malformed line fails the whole load.
    pub fn load(dir: &Path) -> Result<Self, CorpusError> {
        let files = loader::corpus_files(dir)?;
        let mut read = Vec::new();
        for file in files {
            let articles = loader::read_articles(&file)?;
            read.push((file, articles));
        }
        let (editions, articles) = loader::build_editions(read)?;
        Ok(Self::from_parts(dir.to_path_buf(), editions, articles))
    }

    fn from_parts(dir: PathBuf, editions: Vec<Edition>, articles: Vec<Article>) -> Self {
        let by_id = articles
            .iter()
            .enumerate()
            .map(|(i, a)| (a.id.clone(), i))
            .collect();
        let by_number = articles
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (
                    (a.code.clone(), a.edition.clone(), canonical_key(&a.article)),
                    i,
                )
            })
            .collect();
        Self {
            dir,
            editions,
            articles,
            by_id,
            by_number,
        }
    }

    /// Directory the corpus was read from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// All editions, sorted by code then date.
    pub fn editions(&self) -> &[Edition] {
        &self.editions
    }

    /// Editions in force (the latest of each code).
    pub fn editions_in_force(&self) -> impl Iterator<Item = &Edition> {
        self.editions.iter().filter(|e| e.in_force)
    }

    /// Every article of every edition.
    pub fn articles(&self) -> &[Article] {
        &self.articles
    }

    /// Articles of the editions in force.
    pub fn articles_in_force(&self) -> impl Iterator<Item = &Article> {
        self.articles.iter().filter(|a| self.is_in_force(a))
    }

    /// Whether an article belongs to an edition in force.
    pub fn is_in_force(&self, article: &Article) -> bool {
        self.editions
            .iter()
            .any(|e| e.in_force && e.code == article.code && e.date == article.edition)
    }

    /// Article by id.
    pub fn get(&self, id: &str) -> Option<&Article> {
        self.by_id.get(id).map(|&i| &self.articles[i])
    }

    /// Article by code, edition and number (any spelling of the number).
    pub fn find_number(&self, code: &str, edition: &str, number: &str) -> Option<&Article> {
        self.by_number
            .get(&(code.to_string(), edition.to_string(), canonical_key(number)))
            .map(|&i| &self.articles[i])
    }

    /// The edition in force of a code.
    pub fn edition_in_force(&self, code: &str) -> Option<&Edition> {
        self.editions.iter().find(|e| e.in_force && e.code == code)
    }

    /// Content hash of the editions in force (what the retrieval indexes are built from).
    pub fn hash_in_force(&self) -> String {
        let mut hasher = Sha256::new();
        for edition in self.editions_in_force() {
            hasher.update(edition.code.as_bytes());
            hasher.update(b"\0");
            hasher.update(edition.date.as_bytes());
            hasher.update(b"\0");
            hasher.update(edition.hash.as_bytes());
            hasher.update(b"\n");
        }
        hex::encode(hasher.finalize())
    }

    /// Content hash of the historical editions (what the history index is built from).
    pub fn hash_history(&self) -> String {
        let mut hasher = Sha256::new();
        for edition in self.editions.iter().filter(|e| !e.in_force) {
            hasher.update(edition.code.as_bytes());
            hasher.update(b"\0");
            hasher.update(edition.date.as_bytes());
            hasher.update(b"\0");
            hasher.update(edition.hash.as_bytes());
            hasher.update(b"\n");
        }
        hex::encode(hasher.finalize())
    }

    /// Whether some edition of `code` has an article of this canonical number.
    pub fn has_number(&self, code: &str, number: &str) -> bool {
        self.editions
            .iter()
            .filter(|e| e.code == code)
            .any(|e| self.find_number(code, &e.date, number).is_some())
    }

    /// Finds the articles in force that a question names by number, in the order named.
    pub fn lookup_mentions(&self, question: &str) -> Vec<&Article> {
        self.lookup_mentions_in(question, &|code| {
            self.edition_in_force(code).map(|e| e.date.clone())
        })
    }

    /// Finds the articles a question names by number in the edition `edition_of(code)` of each
    /// code (codes for which it gives none are skipped), in the order named.
    pub fn lookup_mentions_in(
        &self,
        question: &str,
        edition_of: &dyn Fn(&str) -> Option<String>,
    ) -> Vec<&Article> {
        let mut found: Vec<&Article> = Vec::new();
        for mention in find_mentions(question) {
            let codes: Vec<&str> = match mention.code {
                CodeHint::Douanes => vec![CODE_DOUANES],
                CodeHint::Cibs => vec![CODE_CIBS],
                CodeHint::Unspecified => vec![CODE_DOUANES, CODE_CIBS],
            };
            'keys: for key in reference::candidate_keys(&mention) {
                for code in &codes {
                    let Some(edition) = edition_of(code) else {
                        continue;
                    };
                    let mut tries = vec![key.clone()];
                    // `article 312-1 du CIBS`: the L. prefix is implied.
                    if *code == CODE_CIBS && key.starts_with(|c: char| c.is_ascii_digit()) {
                        tries.push(format!("l {key}"));
                    }
                    for k in tries {
                        let hit = self.by_number.get(&(code.to_string(), edition.clone(), k));
                        if let Some(&i) = hit {
                            let article = &self.articles[i];
                            if !found.iter().any(|a| a.id == article.id) {
                                found.push(article);
                            }
                            break 'keys;
                        }
                    }
                }
            }
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_dates() {
        assert!(is_iso_date("2025-07-13"));
        assert!(!is_iso_date("2025-13-01"));
        assert!(!is_iso_date("13/07/2025"));
    }
}
