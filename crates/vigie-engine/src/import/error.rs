//! Why a document could not be read.

use std::path::PathBuf;

use super::DocumentFormat;

/// Why a document could not be read. Every variant names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The extension is not one Vigie reads.
    #[error("{file}: unsupported format")]
    UnsupportedFormat {
        /// File.
        file: String,
    },
    /// The file is larger than allowed.
    #[error("{file}: {bytes} bytes, limit {limit}")]
    FileTooLarge {
        /// File.
        file: String,
        /// Size.
        bytes: u64,
        /// Limit.
        limit: u64,
    },
    /// A compressed part unpacks beyond the limit (zip or stream bomb).
    #[error("{file}: {part} unpacks beyond {limit} bytes")]
    UnpackedTooLarge {
        /// File.
        file: String,
        /// Which part.
        part: String,
        /// Limit.
        limit: u64,
    },
    /// The extracted text is larger than allowed.
    #[error("{file}: extracted text beyond {limit} bytes")]
    TextTooLarge {
        /// File.
        file: String,
        /// Limit.
        limit: usize,
    },
    /// Too many pages.
    #[error("{file}: {pages} pages, limit {limit}")]
    TooManyPages {
        /// File.
        file: String,
        /// Pages.
        pages: usize,
        /// Limit.
        limit: usize,
    },
    /// A text file holds binary data.
    #[error("{file}: binary content in a text file")]
    Binary {
        /// File.
        file: String,
    },
    /// The file is not valid for its format.
    #[error("{file}: malformed {format:?}: {reason}")]
    Malformed {
        /// File.
        file: String,
        /// Format.
        format: DocumentFormat,
        /// What is wrong.
        reason: String,
    },
    /// A page or part of the document could not be read: the whole document is refused,
    /// since the policy cannot vouch for what it did not read.
    #[error("{file}: {part} unreadable: {reason}")]
    UnreadablePart {
        /// File.
        file: String,
        /// Which page or part (`page 3`, `en-tête de page (word/header2.xml)`).
        part: String,
        /// What went wrong.
        reason: String,
    },
    /// The PDF is encrypted.
    #[error("{file}: encrypted PDF")]
    Encrypted {
        /// File.
        file: String,
    },
    /// No text could be extracted.
    #[error("{file}: no text")]
    NoText {
        /// File.
        file: String,
        /// Format.
        format: DocumentFormat,
    },
}

impl ImportError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            ImportError::Io { path, source } => {
                format!("Lecture impossible de {} : {source}", path.display())
            }
            ImportError::UnsupportedFormat { file } => format!(
                "{file} : format non pris en charge (texte, Markdown, HTML, PDF, DOCX, XML LEGI)."
            ),
            ImportError::FileTooLarge { file, bytes, limit } => format!(
                "{file} : fichier trop volumineux ({} Mo, limite {} Mo).",
                bytes >> 20,
                limit >> 20
            ),
            ImportError::UnpackedTooLarge { file, part, limit } => format!(
                "{file} : la partie « {part} » dépasse {} Mo une fois décompressée (archive \
                 piégée ou document démesuré) ; document refusé.",
                limit >> 20
            ),
            ImportError::TextTooLarge { file, limit } => format!(
                "{file} : le texte extrait dépasse {} Mo ; découpez le document.",
                limit >> 20
            ),
            ImportError::TooManyPages { file, pages, limit } => format!(
                "{file} : {pages} pages, au-delà de la limite de {limit} ; découpez le document."
            ),
            ImportError::Binary { file } => format!(
                "{file} : ce fichier texte contient des données binaires ; il n'est pas importé."
            ),
            ImportError::Malformed {
                file,
                format,
                reason,
            } => format!(
                "{file} : fichier {} illisible ou endommagé ({reason}).",
                format.name_fr()
            ),
            ImportError::UnreadablePart { file, part, reason } => format!(
                "{file} : {part} illisible ({reason}) ; le document est refusé en entier, \
                 car la politique de classification n'a pas pu en vérifier tout le texte."
            ),
            ImportError::Encrypted { file } => format!(
                "{file} : PDF chiffré ; enregistrez-en une copie sans mot de passe pour l'importer."
            ),
            ImportError::NoText { file, format } => match format {
                DocumentFormat::Pdf => format!(
                    "{file} : aucun texte dans ce PDF (document numérisé sans couche texte ?) ; \
                     la reconnaissance de caractères n'est pas faite par Vigie."
                ),
                _ => format!("{file} : document vide, aucun texte à importer."),
            },
        }
    }
}
