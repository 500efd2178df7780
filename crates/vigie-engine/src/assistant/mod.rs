//! The assistant as one long-lived object: what the desktop shell holds for the life of the
//! window, so that the shell itself stays a list of few-line commands with no logic.
//!
//! It owns the engine (corpus, model manifest), the retriever once its index is open, the
//! generation worker of the chosen model, the conversation store and the audit journal. Every
//! method is synchronous and may block (index build, model load, generation): the shell calls
//! them on blocking threads, never on its async runtime. Shared state sits behind mutexes held
//! briefly, except the model's, which is held for a whole answer: one answer at a time, a
//! second question gets a clear "busy" error rather than queueing behind a long generation.
//! Progress of the long steps (index, model) is kept here as plain data the page polls.

mod documents;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, RwLock};

use serde::{Deserialize, Serialize};

use crate::answer::{
    Answer, AnswerError, AnswerEvent, AnswerOptions, AnswerRequest, Answerer, ModelIdentity,
    screen::screen_question,
};
use crate::atomic_file::write_atomically;
use crate::audit::{AuditError, AuditLog};
use crate::collection::{CollectionError, CollectionStore};
use crate::corpus::{credit_line, short_code_name};
use crate::document_import::DocumentImportError;
use crate::export::{ExportFormat, file_name, render};
use crate::index::BuildProgress;
use crate::llm::{
    CancelToken, CandleGenerator, ChatMessage, GenerationWorker, LlmError, LoadOptions,
    SamplingParams, SinkControl, TextGenerator, locate_verified,
};
use crate::model_import::{
    ImportedModel, ModelImportError, ModelImportProgress, ModelImportRequest, import_gguf,
};
use crate::policy::{Policy, PolicyError};
use crate::registry::{ModelRegistry, ModelRole};
use crate::retrieve::{HitOrigin, Retriever, SearchMode};
use crate::store::{Conversation, ConversationStore, ConversationSummary, StoreError};
use crate::versions::{ArticleHistory, VersionError, article_history};
use crate::{Engine, EngineError, IndexAction, Paths};
pub use documents::DocumentView;

/// Any failure the app shows the agent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AssistantError {
    /// Engine (corpus, models, index).
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// Conversations.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Answer pipeline.
    #[error(transparent)]
    Answer(#[from] AnswerError),
    /// Generation model.
    #[error(transparent)]
    Llm(#[from] LlmError),
    /// Journal.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// Versions of an article.
    #[error(transparent)]
    Versions(#[from] VersionError),
    /// Adding a model from a file.
    #[error(transparent)]
    ModelImport(#[from] ModelImportError),
    /// The classification policy.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The collections of imported documents.
    #[error(transparent)]
    Collection(#[from] CollectionError),
    /// Importing documents.
    #[error(transparent)]
    DocumentImport(#[from] DocumentImportError),
    /// Writing an export.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The index is still being opened or built.
    #[error("the index is not ready yet")]
    NotReady,
    /// An answer is being generated.
    #[error("an answer is already being generated")]
    Busy,
    /// No article has this id.
    #[error("no article {0}")]
    NoSuchArticle(String),
    /// A setting out of its range.
    #[error("invalid setting: {0}")]
    InvalidSetting(String),
    /// A lock was poisoned by a panic in another thread.
    #[error("internal state poisoned")]
    Poisoned,
}

impl AssistantError {
    /// A French message for the agent.
    pub fn message_fr(&self) -> String {
        match self {
            Self::Engine(e) => e.message_fr(),
            Self::Store(e) => e.message_fr(),
            Self::Answer(e) => e.message_fr(),
            Self::Llm(e) => e.message_fr(),
            Self::Audit(e) => e.message_fr(),
            Self::Versions(e) => e.message_fr(),
            Self::ModelImport(e) => e.message_fr(),
            Self::Policy(e) => e.message_fr(),
            Self::Collection(e) => e.message_fr(),
            Self::DocumentImport(e) => e.message_fr(),
            Self::Io { path, source } => format!(
                "Impossible d'écrire le fichier {} : {source}.",
                path.display()
            ),
            Self::NotReady => {
                "L'index de recherche est en cours de préparation : patientez quelques instants."
                    .into()
            }
            Self::Busy => "Une réponse est déjà en cours : attendez sa fin ou arrêtez-la.".into(),
            Self::NoSuchArticle(id) => format!("L'article {id} n'est pas dans le corpus chargé."),
            Self::InvalidSetting(detail) => format!("Réglage invalide : {detail}."),
            Self::Poisoned => {
                "Erreur interne de Vigie : redémarrez l'application (aucune donnée n'est perdue)."
                    .into()
            }
        }
    }
}

/// Where the retrieval index stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "phase", rename_all = "snake_case")]
pub enum IndexState {
    /// Not started.
    Idle,
    /// Opening (checking checksums) or about to build.
    Opening,
    /// Building: passages embedded so far.
    Building {
        /// Done.
        done: usize,
        /// Total.
        total: usize,
    },
    /// Ready to search.
    Ready {
        /// Whether it was rebuilt at this start, and why.
        rebuilt: Option<String>,
    },
    /// Failed.
    Failed {
        /// For the agent.
        message_fr: String,
    },
}

/// The settings of the desktop app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AssistantSettings {
    /// Generation model (manifest name); none: the manifest's default.
    pub model: Option<String>,
    /// Sampling temperature (0: greedy, reproducible).
    pub temperature: f32,
    /// Number of articles given to the model.
    pub sources: usize,
    /// Whether the agent acknowledged the AI notice.
    pub notice_acknowledged: bool,
    /// Profile of the classification policy (which collections of imported documents a
    /// question searches); none: the policy's default profile.
    pub profile: Option<String>,
}

impl Default for AssistantSettings {
    fn default() -> Self {
        Self {
            model: None,
            temperature: 0.0,
            sources: 5,
            notice_acknowledged: false,
            profile: None,
        }
    }
}

impl AssistantSettings {
    fn validate(&self) -> Result<(), AssistantError> {
        if !(0.0..=1.5).contains(&self.temperature) || self.temperature.is_nan() {
            return Err(AssistantError::InvalidSetting(
                "la température doit être comprise entre 0 et 1,5".into(),
            ));
        }
        if !(1..=10).contains(&self.sources) {
            return Err(AssistantError::InvalidSetting(
                "le nombre de sources doit être compris entre 1 et 10".into(),
            ));
        }
        Ok(())
    }
}

const SETTINGS_KEY: &str = "settings";

/// A model the agent may choose.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelChoice {
    /// Manifest name.
    pub name: String,
    /// Description from the manifest.
    pub description: String,
    /// Whether its file is present.
    pub present: bool,
    /// Whether it is the manifest's default.
    pub default: bool,
}

/// One edition of a code, as shown in the footer and the settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EditionInfo {
    /// Code name.
    pub code: String,
    /// Short name (`CD`, `CIBS`).
    pub short: String,
    /// Edition date.
    pub date: String,
    /// Whether it is the law in force.
    pub in_force: bool,
    /// Number of articles.
    pub articles: usize,
    /// Credit line to display.
    pub credit: String,
}

/// Everything the page needs to draw its frame.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssistantStatus {
    /// The retrieval index.
    pub index: IndexState,
    /// The generation model loaded now, if any.
    pub model_loaded: Option<String>,
    /// Whether a model is being loaded.
    pub model_loading: bool,
    /// Generation models of the manifest.
    pub models: Vec<ModelChoice>,
    /// Settings.
    pub settings: AssistantSettings,
    /// Editions of the corpus.
    pub editions: Vec<EditionInfo>,
    /// The data directory.
    pub data_dir: String,
}

/// A search result for the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchHitView {
    /// Article id.
    pub id: String,
    /// Article number.
    pub article: String,
    /// Code.
    pub code: String,
    /// Short code name.
    pub code_short: String,
    /// Heading path.
    pub path: Vec<String>,
    /// Fused score.
    pub score: f32,
    /// The part that matched.
    pub excerpt: String,
    /// Edition.
    pub edition: String,
    /// Found because the query named it.
    pub named: bool,
}

/// Search results for the page.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchResults {
    /// The query.
    pub query: String,
    /// Hits.
    pub hits: Vec<SearchHitView>,
    /// When the query is just an article reference: that article, to open directly.
    pub direct: Option<String>,
    /// Time taken.
    pub total_ms: f64,
}

/// An article for the article panel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ArticleView {
    /// Article id.
    pub id: String,
    /// Number.
    pub article: String,
    /// Code.
    pub code: String,
    /// Short code name.
    pub code_short: String,
    /// Heading path (breadcrumb).
    pub path: Vec<String>,
    /// Full text.
    pub text: String,
    /// Edition date.
    pub edition: String,
    /// Whether this edition is in force.
    pub in_force: bool,
    /// Status in its edition.
    pub status: String,
    /// Credit line.
    pub credit: String,
    /// Reference to copy (`Code des douanes, art. 414 (version du 13/07/2025)`).
    pub reference: String,
    /// Where the article went, per the correspondence tables.
    pub now_at: Vec<String>,
}

/// What `ask` returns once the answer is stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AskOutcome {
    /// The conversation (created for a first question).
    pub conversation: ConversationSummary,
    /// Id of the stored answer.
    pub answer_id: i64,
    /// Whether the agent stopped it.
    pub stopped: bool,
    /// The answer.
    pub answer: Answer,
}

/// The classification policy in effect, with the imported collections under each label.
#[derive(Debug, Clone, Serialize)]
pub struct PolicyOverview {
    /// Labels, markers, profiles, source and fingerprint.
    pub policy: Policy,
    /// Imported collections and their label.
    pub collections: Vec<CollectionLabel>,
}

/// An imported collection and its label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CollectionLabel {
    /// Collection name.
    pub name: String,
    /// Its sensitivity label.
    pub label: String,
}

/// An export written to disk.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportOutcome {
    /// The file.
    pub path: String,
    /// Its size in bytes.
    pub bytes: usize,
}

struct LoadedModel {
    identity: ModelIdentity,
    worker: GenerationWorker,
}

/// The assistant: engine, retriever, model, conversations and journal.
pub struct Assistant {
    engine: Engine,
    retriever: RwLock<Option<Arc<Retriever>>>,
    index_state: Mutex<IndexState>,
    model: Mutex<Option<LoadedModel>>,
    model_loading: Mutex<bool>,
    store: Mutex<ConversationStore>,
    journal: Mutex<AuditLog>,
    current_cancel: Mutex<Option<CancelToken>>,
    export_dir: PathBuf,
}

fn lock<T>(m: &Mutex<T>) -> Result<MutexGuard<'_, T>, AssistantError> {
    m.lock().map_err(|_| AssistantError::Poisoned)
}

impl Assistant {
    /// Loads the corpus and manifest, opens the conversation store and the journal. Fast: the
    /// index and the model are opened later ([`Assistant::prepare_index`], [`Assistant::ensure_model`]).
    pub fn open(paths: Paths) -> Result<Self, AssistantError> {
        let export_dir = directories::UserDirs::new()
            .and_then(|d| d.document_dir().map(|p| p.join("Vigie")))
            .unwrap_or_else(|| paths.data_dir.join("exports"));
        let engine = Engine::open(paths)?;
        let store = ConversationStore::open_in(&engine.paths().data_dir)?;
        let journal = AuditLog::open(&engine.paths().data_dir)?;
        Ok(Self {
            engine,
            retriever: RwLock::new(None),
            index_state: Mutex::new(IndexState::Idle),
            model: Mutex::new(None),
            model_loading: Mutex::new(false),
            store: Mutex::new(store),
            journal: Mutex::new(journal),
            current_cancel: Mutex::new(None),
            export_dir,
        })
    }

    /// Writes exports to `dir` instead of the user's documents folder (`Documents/Vigie`).
    pub fn with_export_dir(mut self, dir: PathBuf) -> Self {
        self.export_dir = dir;
        self
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Appends a journal entry. A journal that cannot be written stops the operation: the
    /// error reaches the agent (what was already stored, an answer, stays stored).
    fn journal(&self, event: &str, data: serde_json::Value) -> Result<(), AssistantError> {
        let result = lock(&self.journal)
            .and_then(|mut journal| journal.append(event, data).map_err(AssistantError::from));
        if let Err(e) = &result {
            log::error!("audit journal: {e}");
        }
        result.map(|_| ())
    }

    /// Opens the retrieval index, building it if missing, stale or damaged (or if `force`).
    /// Blocks for the whole build; progress is readable meanwhile with [`Assistant::index_state`].
    pub fn prepare_index(&self, force: bool) -> Result<(), AssistantError> {
        self.set_index_state(IndexState::Opening);
        let result = self.open_retriever(force);
        match &result {
            Ok(action) => self.set_index_state(IndexState::Ready {
                rebuilt: match action {
                    IndexAction::Opened => None,
                    IndexAction::Built { reason } => Some(reason.clone()),
                },
            }),
            Err(e) => self.set_index_state(IndexState::Failed {
                message_fr: e.message_fr(),
            }),
        }
        result.map(|_| ())
    }

    fn open_retriever(&self, force: bool) -> Result<IndexAction, AssistantError> {
        let mut progress = |p: BuildProgress| {
            if let BuildProgress::Embedding { done, total } = p {
                self.set_index_state(IndexState::Building { done, total });
            }
        };
        let engine = &self.engine;
        let embedder = engine.load_embedder(None)?;
        let (index, action) =
            engine.open_or_build_index(embedder.as_ref(), force, &mut progress)?;
        let mut retriever = Retriever::new(Arc::clone(engine.corpus()), embedder, index);
        retriever.set_correspondence(Some(Arc::new(engine.correspondence()?)));
        match engine.history_index() {
            Ok(history) => retriever.set_history(Some(history)),
            Err(e) => log::warn!("history index unavailable: {e}"),
        }
        let mut slot = self
            .retriever
            .write()
            .map_err(|_| AssistantError::Poisoned)?;
        *slot = Some(Arc::new(retriever));
        if let IndexAction::Built { reason } = &action {
            self.journal("index_built", serde_json::json!({ "reason": reason }))?;
        }
        Ok(action)
    }

    fn set_index_state(&self, state: IndexState) {
        if let Ok(mut s) = self.index_state.lock() {
            *s = state;
        }
    }

    /// Where the index stands.
    pub fn index_state(&self) -> IndexState {
        self.index_state
            .lock()
            .map(|s| s.clone())
            .unwrap_or(IndexState::Failed {
                message_fr: AssistantError::Poisoned.message_fr(),
            })
    }

    fn retriever(&self) -> Result<Arc<Retriever>, AssistantError> {
        self.retriever
            .read()
            .map_err(|_| AssistantError::Poisoned)?
            .clone()
            .ok_or(AssistantError::NotReady)
    }

    /// The settings (defaults until changed).
    pub fn settings(&self) -> Result<AssistantSettings, AssistantError> {
        let stored = lock(&self.store)?.setting(SETTINGS_KEY)?;
        Ok(stored
            .and_then(|v| serde_json::from_value(v).ok())
            .unwrap_or_default())
    }

    /// Changes the settings (validated; a model change is journaled and takes effect at the
    /// next question).
    pub fn set_settings(&self, settings: &AssistantSettings) -> Result<(), AssistantError> {
        settings.validate()?;
        if let Some(name) = &settings.model {
            let registry =
                ModelRegistry::open(&self.engine.paths().models_dir).map_err(EngineError::from)?;
            let entry = registry.get(name).map_err(EngineError::from)?;
            if entry.role != ModelRole::Generation {
                return Err(EngineError::WrongModelKind {
                    name: name.clone(),
                    wanted: "modèle de génération".into(),
                }
                .into());
            }
        }
        if let Some(profile) = &settings.profile {
            Policy::load(&self.engine.paths().data_dir)?.profile(Some(profile))?;
        }
        let before = self.settings()?;
        // Journaled first: a change the journal cannot record is not made.
        if before.model != settings.model || before.profile != settings.profile {
            self.journal(
                "settings_changed",
                serde_json::json!({ "model": settings.model, "profile": settings.profile }),
            )?;
        }
        lock(&self.store)?.set_setting(
            SETTINGS_KEY,
            &serde_json::to_value(settings).unwrap_or_default(),
        )?;
        Ok(())
    }

    /// Adds a GGUF file to the models folder and its manifest (checked, copied under a
    /// temporary name while hashed, compared with `expected_sha256` when given); `progress`
    /// follows the copy. Journaled whether it succeeds or is refused.
    pub fn import_model(
        &self,
        file: &Path,
        name: &str,
        expected_sha256: Option<&str>,
        make_default: bool,
        progress: &mut dyn FnMut(ModelImportProgress),
    ) -> Result<ImportedModel, AssistantError> {
        let request = ModelImportRequest {
            file,
            name,
            expected_sha256,
            tokenizer: None,
            licence: "voir la fiche du modèle",
            source: format!("fichier importé depuis l'application : {}", file.display()),
            make_default,
        };
        let result = import_gguf(&self.engine.paths().models_dir, &request, &mut |p| {
            progress(p);
            true
        });
        match &result {
            Ok(imported) => self.journal(
                "model_imported",
                serde_json::json!({
                    "name": imported.name,
                    "file": imported.path,
                    "sha256": imported.sha256,
                    "checksum_verified": imported.checksum_verified,
                    "architecture": imported.architecture,
                    "bytes": imported.bytes,
                    "default": imported.default,
                }),
            )?,
            Err(e) => self.journal(
                "model_import_refused",
                serde_json::json!({ "file": file, "name": name, "reason": e.to_string() }),
            )?,
        }
        Ok(result?)
    }

    /// The classification policy in effect (journaled when it changed since last seen) and the
    /// collections of each label.
    pub fn policy_overview(&self) -> Result<PolicyOverview, AssistantError> {
        let data_dir = &self.engine.paths().data_dir;
        let policy = Policy::load(data_dir)?;
        policy.journal_if_changed(data_dir, &mut *lock(&self.journal)?)?;
        let store = CollectionStore::in_data_dir(data_dir);
        let collections = store
            .names()
            .into_iter()
            .filter_map(|name| {
                let label = store.manifest(&name).ok()?.label;
                Some(CollectionLabel { name, label })
            })
            .collect();
        Ok(PolicyOverview {
            policy,
            collections,
        })
    }

    /// Everything the page needs to draw its frame.
    pub fn status(&self) -> Result<AssistantStatus, AssistantError> {
        let registry =
            ModelRegistry::open(&self.engine.paths().models_dir).map_err(EngineError::from)?;
        let default = registry
            .default_for(ModelRole::Generation)
            .ok()
            .map(|e| e.name.clone());
        let models = registry
            .models()
            .iter()
            .filter(|e| e.role == ModelRole::Generation)
            .map(|e| ModelChoice {
                name: e.name.clone(),
                description: e.description.clone(),
                present: registry.path_of(e).is_ok(),
                default: default.as_deref() == Some(e.name.as_str()),
            })
            .collect();
        let editions = self
            .engine
            .corpus()
            .editions()
            .iter()
            .map(|e| EditionInfo {
                code: e.code.clone(),
                short: short_code_name(&e.code).to_string(),
                date: e.date.clone(),
                in_force: e.in_force,
                articles: e.articles,
                credit: credit_line(&e.date, e.in_force),
            })
            .collect();
        let model_loaded = lock(&self.model)
            .ok()
            .and_then(|m| m.as_ref().map(|m| m.identity.name.clone()));
        Ok(AssistantStatus {
            index: self.index_state(),
            model_loaded,
            model_loading: *lock(&self.model_loading)?,
            models,
            settings: self.settings()?,
            editions,
            data_dir: self.engine.paths().data_dir.display().to_string(),
        })
    }

    /// Searches the law in force (or at a date the query names) without the model.
    pub fn search(&self, query: &str, k: usize) -> Result<SearchResults, AssistantError> {
        let query = crate::retrieve::clip_chars(query.trim(), 2_000).to_string();
        if query.is_empty() {
            return Ok(SearchResults {
                query,
                hits: Vec::new(),
                direct: None,
                total_ms: 0.0,
            });
        }
        let retriever = self.retriever()?;
        let outcome = retriever
            .search_auto(&query, k.clamp(1, 50), SearchMode::Hybrid)
            .map_err(EngineError::from)?;
        let hits: Vec<SearchHitView> = outcome
            .hits
            .iter()
            .filter_map(|hit| {
                let article = retriever.article(hit)?;
                Some(SearchHitView {
                    id: hit.id.clone(),
                    article: article.article.clone(),
                    code: article.code.clone(),
                    code_short: short_code_name(&article.code).to_string(),
                    path: article.path.clone(),
                    score: hit.score,
                    excerpt: retriever.excerpt(hit),
                    edition: hit.edition.clone(),
                    named: hit.origin == HitOrigin::Lookup,
                })
            })
            .collect();
        let direct = self.direct_article(&query);
        self.journal(
            "search",
            serde_json::json!({
                "question": query,
                "mode": "hybrid",
                "hits": hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
            }),
        )?;
        Ok(SearchResults {
            query,
            hits,
            direct,
            total_ms: outcome.timings.total_ms,
        })
    }

    /// The article a query designates when it is only a reference ("414", "art. 67 bis-1",
    /// "L. 312-1 CIBS").
    fn direct_article(&self, query: &str) -> Option<String> {
        if query.split_whitespace().count() > 5 {
            return None;
        }
        let corpus = self.engine.corpus();
        let starts_with_number = query
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || "LRDA".contains(c));
        let named = corpus.lookup_mentions(query);
        let found = if named.len() == 1 {
            named
        } else if named.is_empty() && starts_with_number {
            corpus.lookup_mentions(&format!("article {query}"))
        } else {
            Vec::new()
        };
        match found.as_slice() {
            [one] => Some(one.id.clone()),
            _ => None,
        }
    }

    /// An article, for the article panel.
    pub fn article(&self, id: &str) -> Result<ArticleView, AssistantError> {
        let corpus = self.engine.corpus();
        let article = corpus
            .get(id)
            .ok_or_else(|| AssistantError::NoSuchArticle(id.to_string()))?;
        let in_force = corpus.is_in_force(article);
        let now_at = self
            .engine
            .correspondence()
            .map(|set| {
                set.successors(&article.code, &article.article)
                    .iter()
                    .map(|l| format!("{} {}", short_code_name(&l.code), l.article))
                    .collect()
            })
            .unwrap_or_default();
        let french_date = article
            .edition
            .split('-')
            .rev()
            .collect::<Vec<_>>()
            .join("/");
        Ok(ArticleView {
            id: article.id.clone(),
            article: article.article.clone(),
            code: article.code.clone(),
            code_short: short_code_name(&article.code).to_string(),
            path: article.path.clone(),
            text: article.text.clone(),
            edition: article.edition.clone(),
            in_force,
            status: article.status.clone(),
            credit: credit_line(&article.edition, in_force),
            reference: format!(
                "{}, art. {} (version du {french_date})",
                article.code, article.article
            ),
            now_at,
        })
    }

    /// An article in every edition of its code, with what changed.
    pub fn article_history(&self, id: &str) -> Result<ArticleHistory, AssistantError> {
        let corpus = self.engine.corpus();
        let article = corpus
            .get(id)
            .ok_or_else(|| AssistantError::NoSuchArticle(id.to_string()))?;
        Ok(article_history(corpus, &article.code, &article.article)?)
    }

    /// Loads the chosen generation model if it is not the one loaded (checksum verified,
    /// load journaled). Blocks for the load.
    pub fn ensure_model(&self) -> Result<ModelIdentity, AssistantError> {
        let wanted = self.settings()?.model;
        let mut slot = self.model.try_lock().map_err(|e| match e {
            std::sync::TryLockError::WouldBlock => AssistantError::Busy,
            std::sync::TryLockError::Poisoned(_) => AssistantError::Poisoned,
        })?;
        self.load_into(&mut slot, wanted.as_deref())
    }

    fn load_into(
        &self,
        slot: &mut Option<LoadedModel>,
        wanted: Option<&str>,
    ) -> Result<ModelIdentity, AssistantError> {
        let registry =
            ModelRegistry::open(&self.engine.paths().models_dir).map_err(EngineError::from)?;
        let wanted_name = match wanted {
            Some(n) => n.to_string(),
            None => registry
                .default_for(ModelRole::Generation)
                .map_err(EngineError::from)?
                .name
                .clone(),
        };
        if let Some(loaded) = slot.as_ref()
            && loaded.identity.name == wanted_name
        {
            return Ok(loaded.identity.clone());
        }
        // Free the old model before loading the new one: a laptop may not hold both.
        *slot = None;
        *lock(&self.model_loading)? = true;
        let loaded = self.load_model(&registry, &wanted_name);
        *lock(&self.model_loading)? = false;
        let loaded = loaded?;
        let identity = loaded.identity.clone();
        *slot = Some(loaded);
        Ok(identity)
    }

    fn load_model(
        &self,
        registry: &ModelRegistry,
        name: &str,
    ) -> Result<LoadedModel, AssistantError> {
        let (entry, path) = locate_verified(registry, self.engine.checksums(), Some(name))?;
        let model_name = entry.name.clone();
        let worker = GenerationWorker::spawn(move || {
            let generator = CandleGenerator::load(&path, &model_name, &LoadOptions::default())?;
            Ok(Box::new(generator) as Box<dyn TextGenerator>)
        })?;
        // The system prompt never changes: compute its KV state while nobody waits.
        let warm = vec![
            ChatMessage::system(crate::answer::prompt::ANSWER_SYSTEM_PROMPT),
            ChatMessage::user(""),
        ];
        if let Err(e) = worker.warm_up(&warm) {
            log::warn!("warm-up failed: {e}");
        }
        self.journal(
            "model_load",
            serde_json::json!({ "model": entry.name, "sha256": entry.sha256 }),
        )?;
        Ok(LoadedModel {
            identity: ModelIdentity {
                name: entry.name,
                sha256: entry.sha256,
            },
            worker,
        })
    }

    /// Stops the answer being generated, if any.
    pub fn cancel(&self) -> bool {
        match self.current_cancel.lock() {
            Ok(current) => match current.as_ref() {
                Some(token) => {
                    token.cancel();
                    true
                }
                None => false,
            },
            Err(_) => false,
        }
    }

    /// Answers a question in a conversation (a new one when `conversation` is `None`): the
    /// question is stored first, events are pushed to `sink` as they happen, and the answer is
    /// stored (even when stopped) before this returns.
    pub fn ask(
        &self,
        conversation: Option<i64>,
        question: &str,
        sink: &mut dyn FnMut(AnswerEvent) -> SinkControl,
    ) -> Result<AskOutcome, AssistantError> {
        if let Err(issue) = screen_question(question) {
            self.journal(
                "question_refused",
                serde_json::json!({
                    "question": crate::retrieve::clip_chars(question, 2_000),
                    "reason": issue.to_string(),
                }),
            )?;
            return Err(AnswerError::from(issue).into());
        }
        let retriever = self.retriever()?;
        let settings = self.settings()?;
        let mut model = self.model.try_lock().map_err(|e| match e {
            std::sync::TryLockError::WouldBlock => AssistantError::Busy,
            std::sync::TryLockError::Poisoned(_) => AssistantError::Poisoned,
        })?;
        let identity = self.load_into(&mut model, settings.model.as_deref())?;
        let loaded = model.as_mut().ok_or(AssistantError::NotReady)?;

        let summary = {
            let store = lock(&self.store)?;
            let summary = match conversation {
                Some(id) => store.get(id)?.summary,
                None => store.create(question)?,
            };
            store.add_question(summary.id, question)?;
            summary
        };

        let documents = self.document_sources(&retriever, question)?;
        let cancel = CancelToken::default();
        *lock(&self.current_cancel)? = Some(cancel.clone());
        let request = AnswerRequest {
            question: question.to_string(),
            options: AnswerOptions {
                sources: settings.sources,
                sampling: SamplingParams {
                    temperature: settings.temperature,
                    ..SamplingParams::default()
                },
                ..AnswerOptions::default()
            },
            cancel: cancel.clone(),
            documents,
        };
        let answerer = Answerer::new(retriever, identity);
        let mut forward = |event: AnswerEvent| sink(event);
        let result = answerer.ask(&request, &mut loaded.worker, &mut forward);
        *lock(&self.current_cancel)? = None;
        let answer = match result {
            Ok(answer) => answer,
            Err(e) => {
                self.journal(
                    "question_refused",
                    serde_json::json!({
                        "question": crate::retrieve::clip_chars(question, 2_000),
                        "reason": e.to_string(),
                    }),
                )?;
                return Err(e.into());
            }
        };
        // A stop at a repeated sentence is Vigie's own, not the agent's.
        let stopped =
            cancel.is_cancelled() && answer.stop != Some(crate::llm::StopReason::Repetition);
        let answer_id = lock(&self.store)?.add_answer(summary.id, &answer, stopped)?;
        self.journal("answer", answer_journal_entry(&answer, stopped))?;
        let conversation = lock(&self.store)?.get(summary.id)?.summary;
        Ok(AskOutcome {
            conversation,
            answer_id,
            stopped,
            answer,
        })
    }

    /// Conversations, most recent first, optionally filtered by title.
    pub fn conversations(
        &self,
        filter: Option<&str>,
    ) -> Result<Vec<ConversationSummary>, AssistantError> {
        Ok(lock(&self.store)?.list(filter)?)
    }

    /// A conversation with its messages.
    pub fn conversation(&self, id: i64) -> Result<Conversation, AssistantError> {
        Ok(lock(&self.store)?.get(id)?)
    }

    /// Renames a conversation.
    pub fn rename_conversation(&self, id: i64, title: &str) -> Result<(), AssistantError> {
        Ok(lock(&self.store)?.rename(id, title)?)
    }

    /// Deletes a conversation.
    pub fn delete_conversation(&self, id: i64) -> Result<(), AssistantError> {
        lock(&self.store)?.delete(id)?;
        self.journal("conversation_deleted", serde_json::json!({ "id": id }))?;
        Ok(())
    }

    /// Where exports are written.
    pub fn export_dir(&self) -> &Path {
        &self.export_dir
    }

    /// Writes a conversation to the export folder (temporary file, then rename).
    pub fn export(&self, id: i64, format: ExportFormat) -> Result<ExportOutcome, AssistantError> {
        let conversation = self.conversation(id)?;
        let text = render(
            &conversation,
            self.engine.corpus(),
            format,
            &crate::audit::rfc3339_now(),
        );
        let path = self
            .export_dir
            .join(file_name(&conversation.summary.title, id, format));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| AssistantError::Io {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        write_atomically(&path, text.as_bytes()).map_err(|source| AssistantError::Io {
            path: path.clone(),
            source,
        })?;
        self.journal(
            "export",
            serde_json::json!({ "conversation": id, "file": path.display().to_string() }),
        )?;
        Ok(ExportOutcome {
            path: path.display().to_string(),
            bytes: text.len(),
        })
    }
}

/// What the journal keeps of an answer: references and the answer text, never whole articles.
pub fn answer_journal_entry(answer: &Answer, stopped: bool) -> serde_json::Value {
    serde_json::json!({
        "question": answer.question,
        "sources": answer.sources,
        "answer": answer.answer,
        "abstained": answer.abstained,
        "abstention": answer.abstention,
        "confidence": answer.confidence,
        "confidence_signals": answer.confidence_signals,
        "stopped": stopped,
        "extract": answer.extract.iter().map(|p| serde_json::json!({"id": p.id, "location": p.location, "range": p.range})).collect::<Vec<_>>(),
        "synthesis": answer.synthesis,
        "set_aside_text": answer.set_aside_text,
        "missing_articles": answer.missing_articles.iter().map(|m| &m.written).collect::<Vec<_>>(),
        "citations": answer.citations.iter().map(|c| serde_json::json!({"id": c.id, "valid": c.valid, "relevant": c.relevant})).collect::<Vec<_>>(),
        "rejected_citations": answer.rejected_citations.iter().map(|c| &c.written_as).collect::<Vec<_>>(),
        "unsupported_claims": answer.unsupported_claims,
        "model": answer.model,
        "corpus": answer.corpus.hash,
    })
}
