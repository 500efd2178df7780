//! Errors of the index area.

use std::path::PathBuf;

/// Why an index could not be built or opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// No index on disk yet.
    #[error("no index at {0}")]
    Missing(PathBuf),
    /// The index was built from another corpus, model or parameters.
    #[error("index is stale: {0}")]
    Stale(String),
    /// A file of the index is damaged (checksum mismatch, unreadable).
    #[error("index is damaged: {0}")]
    Damaged(String),
    /// The full-text engine failed.
    #[error("full-text index error: {0}")]
    Lexical(String),
    /// The vector index failed.
    #[error("vector index error: {0}")]
    Vector(String),
    /// Embedding failed while building.
    #[error(transparent)]
    Embed(#[from] crate::embed::EmbedError),
}

impl IndexError {
    /// Whether rebuilding the index is the cure.
    pub fn needs_rebuild(&self) -> bool {
        matches!(
            self,
            IndexError::Missing(_) | IndexError::Stale(_) | IndexError::Damaged(_)
        )
    }

    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            IndexError::Io { path, source } => {
                format!("Erreur d'accès à l'index ({}) : {source}", path.display())
            }
            IndexError::Missing(_) => "L'index n'existe pas encore : lancez `vigie index`.".into(),
            IndexError::Stale(why) => format!(
                "L'index ne correspond plus au corpus ou au modèle ({why}) : il doit être reconstruit."
            ),
            IndexError::Damaged(why) => {
                format!("L'index est endommagé ({why}) : il doit être reconstruit.")
            }
            IndexError::Lexical(why) => format!("Erreur de l'index plein texte : {why}"),
            IndexError::Vector(why) => format!("Erreur de l'index vectoriel : {why}"),
            IndexError::Embed(e) => e.message_fr(),
        }
    }
}
