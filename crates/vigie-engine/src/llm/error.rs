//! Errors of the generation engine.
//!
//! Every way a model file, a prompt or a generation can fail has its own variant carrying the
//! path or the numbers involved, so that the CLI and the desktop shell can show a French
//! message (`message_fr`) while the logs keep the English detail.

use std::path::PathBuf;

use crate::integrity::IntegrityError;
use crate::registry::RegistryError;

/// Why a model could not be loaded or a text could not be generated.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LlmError {
    /// The model file is not there.
    #[error("model file {0} not found")]
    FileMissing(PathBuf),
    /// The model file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file does not start with the GGUF magic.
    #[error("{0} is not a GGUF file")]
    NotGguf(PathBuf),
    /// The GGUF header or metadata could not be parsed.
    #[error("{path}: invalid GGUF: {reason}")]
    InvalidGguf {
        /// Path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The file is shorter than its tensor directory says.
    #[error("{path} is truncated: {expected} bytes expected, {actual} present")]
    Truncated {
        /// Path.
        path: PathBuf,
        /// Size the tensor directory needs.
        expected: u64,
        /// Size of the file.
        actual: u64,
    },
    /// The GGUF's architecture has no implementation here.
    #[error("unsupported model architecture {0:?} (supported: llama, qwen2)")]
    UnsupportedArchitecture(String),
    /// A metadata key the model needs is missing or has the wrong type.
    #[error("GGUF metadata {key}: {reason}")]
    Metadata {
        /// Key.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// The tokenizer could not be built or used.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The chat template could not be compiled or rendered.
    #[error("chat template: {0}")]
    Template(String),
    /// The prompt does not fit in the model's context.
    #[error("prompt of {tokens} tokens does not fit in the context of {context} tokens")]
    PromptTooLong {
        /// Tokens in the prompt.
        tokens: usize,
        /// Usable context length.
        context: usize,
    },
    /// The request is not valid (empty conversation, bad sampling parameters).
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    /// A tensor operation failed (candle).
    #[error("inference: {0}")]
    Inference(String),
    /// The computation was cancelled by the caller.
    #[error("cancelled")]
    Cancelled,
    /// The generation worker has stopped (its thread ended or panicked).
    #[error("the generation worker has stopped")]
    WorkerGone,
    /// Model manifest.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// Checksum verification.
    #[error(transparent)]
    Integrity(#[from] IntegrityError),
    /// The manifest names a model that is not a GGUF generation model.
    #[error("model {0} is not a GGUF generation model")]
    NotAGenerationModel(String),
}

impl LlmError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            LlmError::FileMissing(path) => format!(
                "Le fichier du modèle est absent : {}. Installez les modèles avec models/provision.sh.",
                path.display()
            ),
            LlmError::Io { path, source } => {
                format!("Impossible de lire le modèle {} : {source}", path.display())
            }
            LlmError::NotGguf(path) => {
                format!("Le fichier {} n'est pas un modèle GGUF.", path.display())
            }
            LlmError::InvalidGguf { path, .. } => format!(
                "Le modèle {} est illisible (en-tête GGUF invalide) : fichier corrompu ?",
                path.display()
            ),
            LlmError::Truncated {
                path,
                expected,
                actual,
            } => format!(
                "Le modèle {} est tronqué : {actual} octets présents sur {expected} attendus. Réinstallez-le.",
                path.display()
            ),
            LlmError::UnsupportedArchitecture(arch) => format!(
                "L'architecture de modèle « {arch} » n'est pas prise en charge (architectures prises en charge : llama, qwen2)."
            ),
            LlmError::Metadata { key, .. } => {
                format!("Le modèle ne décrit pas correctement « {key} » dans ses métadonnées.")
            }
            LlmError::Tokenizer(reason) => {
                format!("Le découpage du texte en jetons a échoué : {reason}")
            }
            LlmError::Template(reason) => {
                format!("Le modèle de conversation du modèle est inutilisable : {reason}")
            }
            LlmError::PromptTooLong { tokens, context } => format!(
                "La demande est trop longue : {tokens} jetons pour un contexte de {context} jetons. Raccourcissez la question ou les extraits."
            ),
            LlmError::InvalidRequest(reason) => format!("Demande invalide : {reason}"),
            LlmError::Inference(_) => {
                "Le calcul du modèle a échoué ; voir le journal pour le détail.".to_string()
            }
            LlmError::Cancelled => "Génération interrompue.".to_string(),
            LlmError::WorkerGone => {
                "Le moteur de génération s'est arrêté ; relancez l'application.".to_string()
            }
            LlmError::Registry(e) => e.message_fr(),
            LlmError::Integrity(e) => e.message_fr(),
            LlmError::NotAGenerationModel(name) => {
                format!("Le modèle « {name} » n'est pas un modèle de génération GGUF.")
            }
        }
    }
}

impl From<candle_core::Error> for LlmError {
    fn from(e: candle_core::Error) -> Self {
        LlmError::Inference(e.to_string())
    }
}
