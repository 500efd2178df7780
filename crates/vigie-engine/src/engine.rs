//! The engine's front door: loads the corpus and the model registry from resolved paths, loads
//! and verifies the embedding model, and opens the retrieval index, rebuilding it when it is
//! missing, stale or damaged.
//!
//! The CLI, the desktop shell and the tests all go through this type; none of them knows where
//! files are or how an index is validated.

use std::path::PathBuf;
use std::sync::Arc;

use crate::config::{ConfigError, Paths};
use crate::corpus::{Corpus, CorpusError};
use crate::embed::{E5Embedder, EmbedError, Embedder};
use crate::index::HistoryIndex;
use crate::index::{
    BuildProgress, IndexError, IndexExpectation, RetrievalIndex, current_parameters,
};
use crate::integrity::{ChecksumCache, IntegrityError};
use crate::registry::{ModelEntry, ModelRegistry, ModelRole, RegistryError};
use crate::retrieve::{Retriever, SearchError};
use crate::versions::correspondence::{CorrespondenceError, CorrespondenceSet};

/// Any failure of the engine, with a French message for users.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum EngineError {
    /// Paths or configuration file.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Corpus loading.
    #[error(transparent)]
    Corpus(#[from] CorpusError),
    /// Model manifest.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// Checksums.
    #[error(transparent)]
    Integrity(#[from] IntegrityError),
    /// Embedding model.
    #[error(transparent)]
    Embed(#[from] EmbedError),
    /// Indexes.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// Search.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// Correspondence tables.
    #[error(transparent)]
    Correspondence(#[from] CorrespondenceError),
    /// A model of the wrong kind was asked for.
    #[error("model {name} cannot be used as {wanted}")]
    WrongModelKind {
        /// Model name.
        name: String,
        /// What it was wanted for.
        wanted: String,
    },
}

impl EngineError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            EngineError::Config(e) => e.message_fr(),
            EngineError::Corpus(e) => e.message_fr(),
            EngineError::Registry(e) => e.message_fr(),
            EngineError::Integrity(e) => e.message_fr(),
            EngineError::Embed(e) => e.message_fr(),
            EngineError::Index(e) => e.message_fr(),
            EngineError::Search(e) => e.message_fr(),
            EngineError::Correspondence(e) => e.message_fr(),
            EngineError::WrongModelKind { name, wanted } => {
                format!("Le modèle « {name} » ne peut pas servir de {wanted}.")
            }
        }
    }
}

/// What happened to the index when it was opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexAction {
    /// The existing index was valid and opened.
    Opened,
    /// It was (re)built; the reason is given.
    Built {
        /// Why (missing, stale, damaged, forced).
        reason: String,
    },
}

/// The loaded corpus and model registry, with the resolved paths.
pub struct Engine {
    paths: Paths,
    corpus: Arc<Corpus>,
    registry: ModelRegistry,
    checksums: ChecksumCache,
}

impl Engine {
    /// Loads the corpus and the model manifest.
    pub fn open(paths: Paths) -> Result<Self, EngineError> {
        let corpus = Corpus::load(&paths.corpus_dir)?;
        let registry = ModelRegistry::open(&paths.models_dir)?;
        let checksums = ChecksumCache::in_dir(&paths.data_dir);
        Ok(Self {
            paths,
            corpus: Arc::new(corpus),
            registry,
            checksums,
        })
    }

    /// Resolved paths.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The corpus.
    pub fn corpus(&self) -> &Arc<Corpus> {
        &self.corpus
    }

    /// The model registry.
    pub fn registry(&self) -> &ModelRegistry {
        &self.registry
    }

    /// Checksum cache of the data directory.
    pub fn checksums(&self) -> &ChecksumCache {
        &self.checksums
    }

    /// Finds a model (by name, or the default for its role) and verifies its checksum.
    pub fn verified_model(
        &self,
        name: Option<&str>,
        role: ModelRole,
    ) -> Result<(ModelEntry, PathBuf), EngineError> {
        let entry = match name {
            Some(n) => self.registry.get(n)?.clone(),
            None => self.registry.default_for(role)?.clone(),
        };
        if entry.role != role {
            return Err(EngineError::WrongModelKind {
                name: entry.name,
                wanted: format!("{role:?}").to_lowercase(),
            });
        }
        let path = self.registry.path_of(&entry)?;
        let weights = if path.is_dir() {
            path.join("model.safetensors")
        } else {
            path.clone()
        };
        self.checksums.verify(&weights, &entry.sha256)?;
        Ok((entry, path))
    }

    /// Loads the embedding model (default unless named), checksum verified.
    pub fn load_embedder(&self, name: Option<&str>) -> Result<Arc<dyn Embedder>, EngineError> {
        let (entry, path) = self.verified_model(name, ModelRole::Embedding)?;
        let embedder = match entry.format.as_str() {
            "hf-folder" => E5Embedder::from_hugging_face_dir(&path, &entry.name, &entry.sha256)?,
            _ => E5Embedder::from_e5s1(&path, &entry.name, &entry.sha256)?,
        };
        Ok(Arc::new(embedder))
    }

    /// What an index must match to be used with this corpus and embedder.
    pub fn index_expectation(&self, embedder: &dyn Embedder) -> IndexExpectation {
        IndexExpectation {
            corpus_hash: self.corpus.hash_in_force(),
            embedder_sha256: embedder.identity().sha256.clone(),
            parameters: current_parameters(),
        }
    }

    /// Opens the index, or builds it when missing, stale or damaged (or when `force`).
    pub fn open_or_build_index(
        &self,
        embedder: &dyn Embedder,
        force: bool,
        progress: &mut dyn FnMut(BuildProgress),
    ) -> Result<(RetrievalIndex, IndexAction), EngineError> {
        let dir = self.paths.index_dir();
        let expected = self.index_expectation(embedder);
        if !force {
            match RetrievalIndex::open(&dir, &expected) {
                Ok(index) => return Ok((index, IndexAction::Opened)),
                Err(e) if e.needs_rebuild() => {
                    log::warn!("index at {} unusable: {e}", dir.display());
                }
                Err(e) => return Err(e.into()),
            }
        }
        // One build at a time per data directory (the app and the CLI may start together).
        let _lock = BuildLock::acquire(&dir)?;
        let reason = if force {
            "rebuild requested".to_string()
        } else {
            // Another process may have built it while we waited for the lock.
            match RetrievalIndex::open(&dir, &expected) {
                Ok(index) => return Ok((index, IndexAction::Opened)),
                Err(e) if e.needs_rebuild() => e.to_string(),
                Err(e) => return Err(e.into()),
            }
        };
        let index = RetrievalIndex::build(&dir, &self.corpus, embedder, progress)?;
        Ok((index, IndexAction::Built { reason }))
    }

    /// The correspondence tables imported in the data directory.
    pub fn correspondence(&self) -> Result<CorrespondenceSet, EngineError> {
        Ok(CorrespondenceSet::load(&self.paths.data_dir)?)
    }

    /// The full-text index of the historical editions, opened or rebuilt (seconds).
    pub fn history_index(&self) -> Result<HistoryIndex, EngineError> {
        let (index, built) =
            HistoryIndex::open_or_build(&self.paths.history_index_dir(), &self.corpus)?;
        if built {
            log::info!("history index rebuilt");
        }
        Ok(index)
    }

    /// A retriever over the law in force: embedder loaded, index opened or rebuilt, with the
    /// correspondence tables and the history index for dated searches.
    pub fn retriever(
        &self,
        progress: &mut dyn FnMut(BuildProgress),
    ) -> Result<(Retriever, IndexAction), EngineError> {
        let embedder = self.load_embedder(None)?;
        let (index, action) = self.open_or_build_index(embedder.as_ref(), false, progress)?;
        let mut retriever = Retriever::new(Arc::clone(&self.corpus), embedder, index);
        retriever.set_correspondence(Some(Arc::new(self.correspondence()?)));
        // Dated searches still work without it (lookup and mapped ranking), so a failure to
        // build it must not stop searches of the law in force.
        match self.history_index() {
            Ok(history) => retriever.set_history(Some(history)),
            Err(e) => log::warn!("history index unavailable: {e}"),
        }
        Ok((retriever, action))
    }
}

/// An exclusive lock on `<index dir>.lock`, released when dropped.
struct BuildLock {
    _file: std::fs::File,
}

impl BuildLock {
    fn acquire(index_dir: &std::path::Path) -> Result<Self, IndexError> {
        let path = index_dir.with_extension("lock");
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| IndexError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let io = |source| IndexError::Io {
            path: path.clone(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        Ok(Self { _file: file })
    }
}
