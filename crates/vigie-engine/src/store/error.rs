//! Errors of the conversation store.

use std::path::PathBuf;

/// A failure of the conversation database.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite refused an operation.
    #[error("conversation database {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// The file is not a sound database (or holds unreadable rows).
    #[error("conversation database {path} is damaged: {detail}")]
    Damaged {
        /// The database file.
        path: PathBuf,
        /// What was found.
        detail: String,
    },
    /// Written by a newer Vigie.
    #[error("conversation database {path} has schema {found}, newer than this program")]
    NewerSchema {
        /// The database file.
        path: PathBuf,
        /// Its version.
        found: i64,
    },
    /// No conversation has this id.
    #[error("no conversation {id}")]
    NoSuchConversation {
        /// The id asked for.
        id: i64,
    },
    /// A rename to nothing.
    #[error("empty conversation title")]
    EmptyTitle,
}

impl StoreError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            StoreError::Sqlite { path, source } => format!(
                "La base des conversations ({}) n'a pas pu être lue ou écrite : {source}.",
                path.display()
            ),
            StoreError::Damaged { path, .. } => format!(
                "La base des conversations ({}) est endommagée. Déplacez ce fichier pour repartir d'une base vide (les conversations qu'il contient ne seront plus affichées).",
                path.display()
            ),
            StoreError::NewerSchema { path, found } => format!(
                "La base des conversations ({}) a été écrite par une version plus récente de Vigie (schéma {found}) : mettez Vigie à jour.",
                path.display()
            ),
            StoreError::NoSuchConversation { .. } => {
                "Cette conversation n'existe plus (elle a peut-être été supprimée).".into()
            }
            StoreError::EmptyTitle => "Le titre de la conversation ne peut pas être vide.".into(),
        }
    }
}
