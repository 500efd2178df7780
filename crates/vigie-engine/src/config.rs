//! Where things are: the data directory, the corpus directory and the models directory.
//!
//! All state (indexes, database, journal, settings) lives in one data directory: the
//! platform's application-data folder unless `--data-dir` / `VIGIE_DATA_DIR` says otherwise.
//! The corpus and models directories come, in order, from the command line (or environment),
//! the `config.toml` of the data directory, then a search of the current and executable
//! directories' ancestors for `shared/corpus` and `models/manifest.toml`.

use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Explicit choices (command line or environment); `None` means "use the default".
#[derive(Debug, Clone, Default)]
pub struct PathOverrides {
    /// Data directory.
    pub data_dir: Option<PathBuf>,
    /// Corpus directory.
    pub corpus_dir: Option<PathBuf>,
    /// Models directory.
    pub models_dir: Option<PathBuf>,
}

/// The optional `config.toml` of the data directory.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigFile {
    /// Corpus directory.
    #[serde(default)]
    pub corpus_dir: Option<PathBuf>,
    /// Models directory.
    #[serde(default)]
    pub models_dir: Option<PathBuf>,
}

/// Why the configuration could not be resolved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A directory could not be created or read.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// `config.toml` is invalid.
    #[error("{path}: {reason}")]
    Invalid {
        /// Path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// No corpus directory was given or found.
    #[error("no corpus directory found (use --corpus DIR or VIGIE_CORPUS_DIR)")]
    NoCorpus,
    /// No home directory to put the data directory in.
    #[error("no data directory (use --data-dir DIR or VIGIE_DATA_DIR)")]
    NoDataDir,
}

impl ConfigError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            ConfigError::Io { path, source } => {
                format!("Accès impossible à {} : {source}", path.display())
            }
            ConfigError::Invalid { path, reason } => {
                format!("Fichier de configuration invalide ({}) : {reason}", path.display())
            }
            ConfigError::NoCorpus => "Aucun dossier de corpus trouvé : indiquez-le avec --corpus DOSSIER ou VIGIE_CORPUS_DIR.".into(),
            ConfigError::NoDataDir => "Aucun dossier de données : indiquez-le avec --data-dir DOSSIER ou VIGIE_DATA_DIR.".into(),
        }
    }
}

/// Resolved locations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paths {
    /// Data directory (created if missing).
    pub data_dir: PathBuf,
    /// Corpus directory.
    pub corpus_dir: PathBuf,
    /// Models directory (holds `manifest.toml`).
    pub models_dir: PathBuf,
}

impl Paths {
    /// Resolves every location and creates the data directory.
    pub fn resolve(overrides: &PathOverrides) -> Result<Self, ConfigError> {
        let data_dir = match &overrides.data_dir {
            Some(dir) => dir.clone(),
            None => default_data_dir().ok_or(ConfigError::NoDataDir)?,
        };
        fs::create_dir_all(&data_dir).map_err(|source| ConfigError::Io {
            path: data_dir.clone(),
            source,
        })?;
        let file = read_config_file(&data_dir)?;
        let corpus_dir = overrides
            .corpus_dir
            .clone()
            .or(file.corpus_dir)
            .or_else(|| find_in_ancestors(Path::new("shared/corpus"), None))
            .ok_or(ConfigError::NoCorpus)?;
        let models_dir = overrides
            .models_dir
            .clone()
            .or(file.models_dir)
            .or_else(|| find_in_ancestors(Path::new("models"), Some("manifest.toml")))
            .unwrap_or_else(|| data_dir.join("models"));
        Ok(Self {
            data_dir,
            corpus_dir,
            models_dir,
        })
    }

    /// Directory of the retrieval index of the law in force.
    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index").join("inforce")
    }

    /// Directory of the full-text index of the historical editions.
    pub fn history_index_dir(&self) -> PathBuf {
        self.data_dir.join("index").join("history")
    }
}

/// The platform's application-data folder for Vigie.
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("fr", "douane", "vigie").map(|d| d.data_dir().to_path_buf())
}

fn read_config_file(data_dir: &Path) -> Result<ConfigFile, ConfigError> {
    let path = data_dir.join("config.toml");
    match fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::Invalid {
            path,
            reason: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
        Err(source) => Err(ConfigError::Io { path, source }),
    }
}

/// Looks for `relative` (a directory, optionally holding `marker`) under the ancestors of the
/// current directory and of the executable.
fn find_in_ancestors(relative: &Path, marker: Option<&str>) -> Option<PathBuf> {
    let mut starts = Vec::new();
    if let Ok(cwd) = std::env::current_dir() {
        starts.push(cwd);
    }
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.parent()
    {
        starts.push(dir.to_path_buf());
    }
    for start in starts {
        for ancestor in start.ancestors() {
            let candidate = ancestor.join(relative);
            let ok = match marker {
                Some(m) => candidate.join(m).is_file(),
                None => candidate.is_dir(),
            };
            if ok {
                return Some(candidate);
            }
        }
    }
    None
}
