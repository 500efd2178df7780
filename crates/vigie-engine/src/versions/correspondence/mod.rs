//! Correspondence tables of the recodification: where an old article went (successors) and
//! where a new one came from (predecessors).
//!
//! The administration will publish an official old → new table; until then Vigie ships none.
//! Tables are imported from CSV or JSON (format in `corpus/README.md`), checked in full against
//! the corpus (every article must exist in some edition of its code; no duplicate, no cycle,
//! no contradictory row) and only then stored, one JSON file per table in
//! `<data_dir>/correspondence/`, written atomically. A bad table leaves nothing behind.
//!
//! Links are direct: a table says A → B and B → C, `successors(A)` gives B only, because each
//! row is a statement of the table and chaining tables of different dates is for the reader.

mod error;
mod read;
mod store;
mod validate;

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

pub use error::{CorrespondenceError, Place};
pub use read::{RawRow, read_table};
pub use store::{correspondence_dir, import_table, remove_table, table_path};
pub use validate::validate_rows;

use crate::corpus::{canonical_key, short_code_name};

/// What happened to an article in the recodification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CorrespondenceKind {
    /// `reprise à droit constant`: same rule, new number.
    Reprise,
    /// `modifié`: taken over with changes.
    Modifie,
    /// `abrogé`: repealed, no successor.
    Abroge,
    /// `nouveau`: created, no predecessor.
    Nouveau,
}

impl CorrespondenceKind {
    /// Parses a kind: accented French names or plain ASCII slugs, any case.
    pub fn parse(text: &str) -> Option<Self> {
        match read::fold(text).trim_matches('_') {
            "reprise_a_droit_constant" | "reprise" | "droit_constant" | "a_droit_constant" => {
                Some(Self::Reprise)
            }
            "modifie" | "modifiee" | "reprise_modifiee" | "reprise_avec_modification" => {
                Some(Self::Modifie)
            }
            "abroge" | "abrogee" | "supprime" => Some(Self::Abroge),
            "nouveau" | "nouvel" | "nouvelle" | "cree" | "creation" => Some(Self::Nouveau),
            _ => None,
        }
    }

    /// The French name shown to users.
    pub fn label_fr(self) -> &'static str {
        match self {
            Self::Reprise => "reprise à droit constant",
            Self::Modifie => "modifié",
            Self::Abroge => "abrogé",
            Self::Nouveau => "nouveau",
        }
    }
}

/// An article of a code, as the corpus spells its number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct CodeArticle {
    /// Code (full corpus name).
    pub code: String,
    /// Article number (corpus spelling).
    pub article: String,
}

impl CodeArticle {
    /// `CD 414`, `CIBS L. 312-1`.
    pub fn label(&self) -> String {
        format!("{} {}", short_code_name(&self.code), self.article)
    }

    fn key(&self) -> (String, String) {
        (self.code.clone(), canonical_key(&self.article))
    }
}

/// One checked row of a table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrespondenceRow {
    /// Line (CSV) or entry (JSON) in the imported file.
    pub line: usize,
    /// The old article (none for `nouveau`).
    pub old: Option<CodeArticle>,
    /// The new articles (none for `abrogé`; several for a split).
    pub new: Vec<CodeArticle>,
    /// What happened.
    pub kind: CorrespondenceKind,
    /// Date of effect (`YYYY-MM-DD`), when given.
    pub date: Option<String>,
}

/// Format version of stored tables.
pub const TABLE_FORMAT: u32 = 1;

/// A checked table, as stored in the data directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CorrespondenceTable {
    /// Format version ([`TABLE_FORMAT`]).
    pub format: u32,
    /// Name (file stem in the data directory).
    pub name: String,
    /// File name it was imported from.
    pub source: String,
    /// Corpus hash of the editions in force at import time.
    pub corpus_hash: String,
    /// Rows, in file order.
    pub rows: Vec<CorrespondenceRow>,
}

/// One end of a correspondence, seen from the other end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// Code of the linked article.
    pub code: String,
    /// Number of the linked article.
    pub article: String,
    /// What happened (`reprise`, `modifie`…).
    pub kind: CorrespondenceKind,
    /// Date of effect, when the table gives one.
    pub date: Option<String>,
    /// Name of the table that says so.
    pub table: String,
}

/// A statement without a linked article (`abrogé`, `nouveau`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mark {
    /// Date of effect, when given.
    pub date: Option<String>,
    /// Name of the table that says so.
    pub table: String,
}

/// Everything the tables say about one article.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ArticleCorrespondence {
    /// Where the article went.
    pub successors: Vec<Link>,
    /// Where the article came from.
    pub predecessors: Vec<Link>,
    /// Tables declaring it repealed without successor.
    pub repealed: Vec<Mark>,
    /// Tables declaring it new, without predecessor.
    pub created: Vec<Mark>,
}

impl ArticleCorrespondence {
    /// Whether no table mentions the article.
    pub fn is_empty(&self) -> bool {
        self.successors.is_empty()
            && self.predecessors.is_empty()
            && self.repealed.is_empty()
            && self.created.is_empty()
    }
}

type Key = (String, String);

/// All imported tables, indexed both ways.
#[derive(Debug, Clone, Default)]
pub struct CorrespondenceSet {
    tables: Vec<CorrespondenceTable>,
    forward: HashMap<Key, Vec<Link>>,
    backward: HashMap<Key, Vec<Link>>,
    repealed: HashMap<Key, Vec<Mark>>,
    created: HashMap<Key, Vec<Mark>>,
}

impl CorrespondenceSet {
    /// Indexes checked tables.
    pub fn from_tables(tables: Vec<CorrespondenceTable>) -> Self {
        let mut set = Self::default();
        for table in &tables {
            for row in &table.rows {
                let mark = || Mark {
                    date: row.date.clone(),
                    table: table.name.clone(),
                };
                match (&row.old, row.kind) {
                    (Some(old), CorrespondenceKind::Abroge) => {
                        set.repealed.entry(old.key()).or_default().push(mark());
                    }
                    (None, _) => {
                        for new in &row.new {
                            set.created.entry(new.key()).or_default().push(mark());
                        }
                    }
                    (Some(old), kind) => {
                        for new in &row.new {
                            let link = |to: &CodeArticle| Link {
                                code: to.code.clone(),
                                article: to.article.clone(),
                                kind,
                                date: row.date.clone(),
                                table: table.name.clone(),
                            };
                            set.forward.entry(old.key()).or_default().push(link(new));
                            set.backward.entry(new.key()).or_default().push(link(old));
                        }
                    }
                }
            }
        }
        set.tables = tables;
        set
    }

    /// Reads every stored table of the data directory (none is an empty set).
    pub fn load(data_dir: &std::path::Path) -> Result<Self, CorrespondenceError> {
        Ok(Self::from_tables(store::load_tables(data_dir)?))
    }

    /// The stored tables, by name.
    pub fn tables(&self) -> &[CorrespondenceTable] {
        &self.tables
    }

    /// Whether no table is loaded.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// Where an article went: its new article(s) (several for a split).
    pub fn successors(&self, code: &str, article: &str) -> Vec<Link> {
        let key = (code.to_string(), canonical_key(article));
        self.forward.get(&key).cloned().unwrap_or_default()
    }

    /// Where an article came from: its old article(s) (several for a merge).
    pub fn predecessors(&self, code: &str, article: &str) -> Vec<Link> {
        let key = (code.to_string(), canonical_key(article));
        self.backward.get(&key).cloned().unwrap_or_default()
    }

    /// Everything the tables say about an article.
    pub fn about(&self, code: &str, article: &str) -> ArticleCorrespondence {
        let key = (code.to_string(), canonical_key(article));
        ArticleCorrespondence {
            successors: self.forward.get(&key).cloned().unwrap_or_default(),
            predecessors: self.backward.get(&key).cloned().unwrap_or_default(),
            repealed: self.repealed.get(&key).cloned().unwrap_or_default(),
            created: self.created.get(&key).cloned().unwrap_or_default(),
        }
    }

    /// Whether any table names the article (on either side).
    pub fn mentions(&self, code: &str, canonical: &str) -> bool {
        let key = (code.to_string(), canonical.to_string());
        self.forward.contains_key(&key)
            || self.backward.contains_key(&key)
            || self.repealed.contains_key(&key)
            || self.created.contains_key(&key)
    }

    /// Successors and predecessors of an article given by canonical key.
    pub(crate) fn linked_by_key(&self, code: &str, canonical: &str) -> Vec<&Link> {
        let key = (code.to_string(), canonical.to_string());
        self.forward
            .get(&key)
            .into_iter()
            .chain(self.backward.get(&key))
            .flatten()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_accept_french_names_and_ascii_slugs() {
        use CorrespondenceKind::*;
        for (text, kind) in [
            ("reprise à droit constant", Reprise),
            ("Reprise à droit constant", Reprise),
            ("reprise", Reprise),
            ("modifié", Modifie),
            ("modifie", Modifie),
            ("abrogé", Abroge),
            ("ABROGE", Abroge),
            ("nouveau", Nouveau),
        ] {
            assert_eq!(CorrespondenceKind::parse(text), Some(kind), "{text}");
        }
        assert_eq!(CorrespondenceKind::parse("déplacé"), None);
    }
}
