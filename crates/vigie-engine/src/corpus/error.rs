//! Errors of the corpus area.

use std::path::PathBuf;

/// Why a corpus could not be loaded or queried.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CorpusError {
    /// A file or directory could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The directory holds no `.jsonl` file.
    #[error("no .jsonl corpus file in {path}")]
    Empty {
        /// The directory.
        path: PathBuf,
    },
    /// A line is not a valid article.
    #[error("{path}, line {line}: {reason}")]
    MalformedLine {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The same article id appears twice.
    #[error("{path}: duplicate article id {id}")]
    DuplicateId {
        /// The file where the second occurrence is.
        path: PathBuf,
        /// The id.
        id: String,
    },
}

impl CorpusError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            CorpusError::Io { path, source } => {
                format!("Impossible de lire {} : {source}", path.display())
            }
            CorpusError::Empty { path } => {
                format!("Aucun fichier de corpus (.jsonl) dans {}.", path.display())
            }
            CorpusError::MalformedLine { path, line, reason } => format!(
                "Corpus invalide : {}, ligne {line} ({reason}). Rien n'a été chargé.",
                path.display()
            ),
            CorpusError::DuplicateId { path, id } => format!(
                "Corpus invalide : l'identifiant {id} apparaît deux fois ({}). Rien n'a été chargé.",
                path.display()
            ),
        }
    }
}
