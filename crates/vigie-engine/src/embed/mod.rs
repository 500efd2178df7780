//! Text embeddings: the `Embedder` seam and multilingual-e5 in candle.
//!
//! Retrieval needs one vector per passage at index time and one per question at query time,
//! from the same model. e5 models expect `query: ` and `passage: ` prefixes, mean pooling over
//! the attention mask and L2 normalisation; the seam takes the kind of text so callers cannot
//! forget the prefix.

mod e5;
pub mod e5s1;
mod encoder;
mod fused_ops;
mod tokenizer;
mod vector_math;

use std::path::PathBuf;

pub use e5::{E5Embedder, EncoderKind};
pub use encoder::{BertEncoder, EncoderShape};
pub use tokenizer::E5Tokenizer;

/// What a text is, which decides its e5 prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// A user's question (`query: `).
    Query,
    /// A passage of the corpus (`passage: `).
    Passage,
}

impl TextKind {
    /// The e5 prefix.
    pub fn prefix(self) -> &'static str {
        match self {
            TextKind::Query => "query: ",
            TextKind::Passage => "passage: ",
        }
    }
}

/// Identity of an embedding model, recorded in index manifests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedderIdentity {
    /// Model name from the manifest.
    pub name: String,
    /// SHA-256 of the weights file.
    pub sha256: String,
    /// Vector dimension.
    pub dimension: usize,
}

/// Turns texts into L2-normalised vectors.
pub trait Embedder: Send + Sync {
    /// Which model this is.
    fn identity(&self) -> &EmbedderIdentity;

    /// Embeds texts; `progress(done, total)` is called after each batch.
    fn embed(
        &self,
        texts: &[&str],
        kind: TextKind,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<Vec<Vec<f32>>, EmbedError>;

    /// Embeds one question.
    fn embed_query(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let mut vectors = self.embed(&[text], TextKind::Query, &mut |_, _| {})?;
        vectors
            .pop()
            .ok_or_else(|| EmbedError::Model("no vector returned".into()))
    }
}

/// Why embedding failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EmbedError {
    /// The model file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The model file is malformed or truncated.
    #[error("invalid embedding model file: {0}")]
    Format(String),
    /// Tokenisation failed.
    #[error("tokenizer error: {0}")]
    Tokenizer(String),
    /// The model failed to run.
    #[error("embedding model error: {0}")]
    Model(String),
}

impl From<candle_core::Error> for EmbedError {
    fn from(e: candle_core::Error) -> Self {
        EmbedError::Model(e.to_string())
    }
}

impl EmbedError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            EmbedError::Io { path, source } => format!(
                "Impossible de lire le modèle d'embeddings {} : {source}",
                path.display()
            ),
            EmbedError::Format(why) => {
                format!("Fichier du modèle d'embeddings invalide ou tronqué ({why}).")
            }
            EmbedError::Tokenizer(why) => format!("Erreur du découpage en jetons : {why}"),
            EmbedError::Model(why) => format!("Erreur du modèle d'embeddings : {why}"),
        }
    }
}
