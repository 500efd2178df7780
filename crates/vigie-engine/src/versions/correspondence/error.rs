//! Errors of correspondence tables: every one names the file and, when a row is at fault, its
//! line (CSV) or entry (JSON), so that an agent can fix the table the administration sent.

use std::fmt;
use std::path::PathBuf;

/// Where in an imported file a problem is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// The file.
    pub file: PathBuf,
    /// 1-based line (CSV) or entry number (JSON).
    pub line: usize,
    /// Whether `line` counts JSON entries rather than text lines.
    pub json_entry: bool,
}

impl Place {
    /// `fichier, ligne 3` or `fichier, entrée 3`.
    pub fn french(&self) -> String {
        let unit = if self.json_entry { "entrée" } else { "ligne" };
        format!("{}, {unit} {}", self.file.display(), self.line)
    }
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = if self.json_entry { "entry" } else { "line" };
        write!(f, "{}, {unit} {}", self.file.display(), self.line)
    }
}

/// Why a correspondence table could not be imported, listed or removed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CorrespondenceError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is neither `.csv` nor `.json`.
    #[error("{0}: unsupported table format (expected .csv or .json)")]
    UnsupportedFormat(PathBuf),
    /// The file holds no row.
    #[error("{0}: the table has no row")]
    Empty(PathBuf),
    /// A line or entry cannot be read (columns, kind, date, JSON shape).
    #[error("{place}: {reason}")]
    Malformed {
        /// Where.
        place: Place,
        /// What is wrong (English).
        reason: String,
    },
    /// A code not in the corpus.
    #[error("{place}: unknown code {code}")]
    UnknownCode {
        /// Where.
        place: Place,
        /// The code as written.
        code: String,
    },
    /// An article number found in no edition of its code.
    #[error("{place}: article {article} is in no edition of {code}")]
    UnknownArticle {
        /// Where.
        place: Place,
        /// Code.
        code: String,
        /// Article as written.
        article: String,
    },
    /// The same correspondence appears twice.
    #[error("{place}: duplicate of {previous}: {what}")]
    Duplicate {
        /// Where the second occurrence is.
        place: Place,
        /// Where the first is (a line of this file, or a stored table).
        previous: String,
        /// The correspondence, e.g. `CD 414 → CD 414-1`.
        what: String,
    },
    /// A row contradicts itself or another row.
    #[error("{place}: inconsistent row: {reason}")]
    Inconsistent {
        /// Where.
        place: Place,
        /// What is wrong (English).
        reason: String,
        /// What is wrong (French).
        reason_fr: String,
    },
    /// Following the rows leads back to an article already on the path.
    #[error("{place}: cycle {}", chain.join(" → "))]
    Cycle {
        /// A row of the cycle.
        place: Place,
        /// The articles of the cycle, first repeated at the end.
        chain: Vec<String>,
    },
    /// A table name that cannot be a file name.
    #[error("invalid table name {0:?}")]
    InvalidName(String),
    /// A table of that name is already stored.
    #[error("a table named {0} is already imported")]
    NameTaken(String),
    /// No stored table of that name.
    #[error("no table named {0}")]
    NotFound(String),
    /// A stored table cannot be read back.
    #[error("{path}: stored table is damaged: {reason}")]
    Damaged {
        /// The stored file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl CorrespondenceError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        const NOTHING: &str = "Rien n'a été importé.";
        match self {
            CorrespondenceError::Io { path, source } => {
                format!("Accès impossible à {} : {source}", path.display())
            }
            CorrespondenceError::UnsupportedFormat(path) => format!(
                "{} : format de table non reconnu (attendu : .csv ou .json). {NOTHING}",
                path.display()
            ),
            CorrespondenceError::Empty(path) => {
                format!(
                    "{} : la table ne contient aucune ligne. {NOTHING}",
                    path.display()
                )
            }
            CorrespondenceError::Malformed { place, reason } => {
                format!("Table invalide : {} ({reason}). {NOTHING}", place.french())
            }
            CorrespondenceError::UnknownCode { place, code } => format!(
                "Table invalide : {} : code inconnu « {code} ». {NOTHING}",
                place.french()
            ),
            CorrespondenceError::UnknownArticle {
                place,
                code,
                article,
            } => format!(
                "Table invalide : {} : l'article {article} n'existe dans aucune édition du {code} \
                 du corpus. {NOTHING}",
                place.french()
            ),
            CorrespondenceError::Duplicate {
                place,
                previous,
                what,
            } => format!(
                "Table invalide : {} : correspondance en double ({what}), déjà donnée {previous}. \
                 {NOTHING}",
                place.french()
            ),
            CorrespondenceError::Inconsistent {
                place, reason_fr, ..
            } => format!(
                "Table invalide : {} : ligne incohérente ({reason_fr}). {NOTHING}",
                place.french()
            ),
            CorrespondenceError::Cycle { place, chain } => format!(
                "Table invalide : {} : cycle de correspondances ({}). {NOTHING}",
                place.french(),
                chain.join(" → ")
            ),
            CorrespondenceError::InvalidName(name) => format!(
                "Nom de table invalide : « {name} » (lettres, chiffres, « - » et « _ » seulement)."
            ),
            CorrespondenceError::NameTaken(name) => format!(
                "Une table nommée « {name} » est déjà importée : supprimez-la d'abord \
                 (vigie correspondance remove {name}) ou choisissez un autre nom (--nom)."
            ),
            CorrespondenceError::NotFound(name) => {
                format!("Aucune table de correspondance nommée « {name} ».")
            }
            CorrespondenceError::Damaged { path, reason } => format!(
                "La table enregistrée {} est illisible ({reason}) : supprimez-la et importez-la \
                 de nouveau.",
                path.display()
            ),
        }
    }
}
