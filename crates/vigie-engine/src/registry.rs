//! The model registry: `models/manifest.toml` lists every model Vigie may load.
//!
//! Each entry names a file, its SHA-256, its role, format, source and licence. Nothing is
//! loaded that is not listed, and nothing listed is loaded without its checksum matching.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// What a model is used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelRole {
    /// Text embeddings for retrieval.
    Embedding,
    /// Text generation (answers).
    Generation,
}

/// One model of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelEntry {
    /// Short name used on the command line (`e5-small`, `smollm2`).
    pub name: String,
    /// Role.
    pub role: ModelRole,
    /// File (or folder for Hugging Face models) relative to the models directory.
    pub file: String,
    /// SHA-256 of the file (for a folder: of its weights file).
    pub sha256: String,
    /// Format: `e5s1`, `hf-folder`, `gguf`.
    pub format: String,
    /// Architecture (`bert`, `llama`, `qwen2`).
    #[serde(default)]
    pub architecture: String,
    /// Where the file comes from.
    #[serde(default)]
    pub source: String,
    /// Licence of the weights.
    #[serde(default)]
    pub licence: String,
    /// Human description shown in the UI.
    #[serde(default)]
    pub description: String,
}

/// Default model names per role.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelDefaults {
    /// Default embedding model.
    #[serde(default)]
    pub embedding: Option<String>,
    /// Default generation model.
    #[serde(default)]
    pub generation: Option<String>,
}

/// The parsed `manifest.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelManifest {
    /// Defaults per role.
    #[serde(default)]
    pub defaults: ModelDefaults,
    /// Models.
    #[serde(default, rename = "model")]
    pub models: Vec<ModelEntry>,
}

/// Why the registry could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// The manifest could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The manifest is not valid TOML or misses fields.
    #[error("{path}: {reason}")]
    Invalid {
        /// Path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No model of that name.
    #[error("no model named {0} in the manifest")]
    Unknown(String),
    /// No default model for a role.
    #[error("no default {0:?} model in the manifest")]
    NoDefault(ModelRole),
    /// The model file is not there.
    #[error("model file {0} is missing (run models/provision.sh)")]
    FileMissing(PathBuf),
}

impl RegistryError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            RegistryError::Io { path, source } => {
                format!(
                    "Impossible de lire le manifeste des modèles {} : {source}",
                    path.display()
                )
            }
            RegistryError::Invalid { path, reason } => {
                format!(
                    "Manifeste des modèles invalide ({}) : {reason}",
                    path.display()
                )
            }
            RegistryError::Unknown(name) => {
                format!("Aucun modèle nommé « {name} » dans le manifeste.")
            }
            RegistryError::NoDefault(role) => {
                format!("Le manifeste ne désigne pas de modèle par défaut pour le rôle {role:?}.")
            }
            RegistryError::FileMissing(path) => format!(
                "Le fichier du modèle est absent : {}. Installez les modèles avec models/provision.sh.",
                path.display()
            ),
        }
    }
}

/// The manifest and the directory its files are relative to.
#[derive(Debug, Clone)]
pub struct ModelRegistry {
    dir: PathBuf,
    manifest: ModelManifest,
}

impl ModelRegistry {
    /// Reads `dir/manifest.toml`.
    pub fn open(dir: &Path) -> Result<Self, RegistryError> {
        let path = dir.join("manifest.toml");
        let text = fs::read_to_string(&path).map_err(|source| RegistryError::Io {
            path: path.clone(),
            source,
        })?;
        Self::parse_str(&text, dir)
    }

    /// Parses a manifest's text for the models of `dir` (names must be unique).
    pub fn parse_str(text: &str, dir: &Path) -> Result<Self, RegistryError> {
        let path = dir.join("manifest.toml");
        let manifest: ModelManifest = toml::from_str(text).map_err(|e| RegistryError::Invalid {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        let mut names = std::collections::HashSet::new();
        if let Some(dup) = manifest.models.iter().find(|m| !names.insert(&m.name)) {
            return Err(RegistryError::Invalid {
                path,
                reason: format!("model {} is listed twice", dup.name),
            });
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
        })
    }

    /// Directory of the models.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// All entries.
    pub fn models(&self) -> &[ModelEntry] {
        &self.manifest.models
    }

    /// Entry by name.
    pub fn get(&self, name: &str) -> Result<&ModelEntry, RegistryError> {
        self.manifest
            .models
            .iter()
            .find(|m| m.name == name)
            .ok_or_else(|| RegistryError::Unknown(name.to_string()))
    }

    /// The default entry for a role.
    pub fn default_for(&self, role: ModelRole) -> Result<&ModelEntry, RegistryError> {
        let name = match role {
            ModelRole::Embedding => self.manifest.defaults.embedding.as_deref(),
            ModelRole::Generation => self.manifest.defaults.generation.as_deref(),
        };
        match name {
            Some(name) => self.get(name),
            None => self
                .manifest
                .models
                .iter()
                .find(|m| m.role == role)
                .ok_or(RegistryError::NoDefault(role)),
        }
    }

    /// Absolute path of an entry's file; errors if it is not there.
    pub fn path_of(&self, entry: &ModelEntry) -> Result<PathBuf, RegistryError> {
        let path = self.dir.join(&entry.file);
        if path.exists() {
            Ok(path)
        } else {
            Err(RegistryError::FileMissing(path))
        }
    }
}
