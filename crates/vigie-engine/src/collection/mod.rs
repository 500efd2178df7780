//! Collections of the agents' own documents, each with one sensitivity label and its own
//! index, stored under `<data_dir>/collections/<name>/`.
//!
//! A collection directory holds `sections.json` (the sections imported, with the file name
//! and location each is cited by), `index/` (a retrieval snapshot built by the same code as
//! the law's index) and `collection.json`, its manifest (label, documents with their SHA-256,
//! hash of the sections), written last. An import writes a complete new directory beside the
//! old one and swaps it in with renames: a process killed at any point leaves the collection
//! either absent or whole (the old one, or the new one), never half-written. Leftovers are
//! cleared, and an interrupted swap undone, by the next operation on that collection.
//!
//! The classification policy is applied here, inside the only function that stores
//! documents ([`CollectionStore::import`]): no client can store a document the policy
//! refuses, and a refused document is never written anywhere. Collections of different
//! labels never share an index, and opening collections for a search goes through the
//! profile's clearance ([`CollectionStore::open_for_profile`]).

mod search;
mod source;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use search::{DocumentHit, search_collections};
pub use source::{
    DOCUMENT_CODE, DocumentSource, answer_sources, document_article, document_source_id,
    is_document, parse_document_source_id,
};

use crate::audit::rfc3339_now;
use crate::corpus::chunk_text;
use crate::embed::Embedder;
use crate::import::{DocumentFormat, DocumentText};
use crate::index::{
    BuildProgress, IndexError, IndexExpectation, RetrievalIndex, SnapshotSource,
    current_parameters, remove_leftovers, swap_in, write_snapshot,
};
use crate::policy::{Policy, PolicyError, Profile, Refusal};

/// Folder of the collections in the data directory.
pub const COLLECTIONS_DIR: &str = "collections";
/// On-disk format of a collection.
pub const COLLECTION_FORMAT: u32 = 1;
const MANIFEST_FILE: &str = "collection.json";
const SECTIONS_FILE: &str = "sections.json";
const INDEX_DIR: &str = "index";

/// One stored section of an imported document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredSection {
    /// Stable id: the document's SHA-256 prefix and the section's position.
    pub id: String,
    /// File name the section is cited by.
    pub document: String,
    /// Location in the document (`page 3`…).
    pub location: String,
    /// Headings above it.
    pub headings: Vec<String>,
    /// Text.
    pub text: String,
}

impl StoredSection {
    /// How a reader finds it: `note.pdf, page 3`.
    pub fn citation(&self) -> String {
        format!("{}, {}", self.document, self.location)
    }
}

/// A document of a collection, as recorded in its manifest (never its text).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentRecord {
    /// File name as cited.
    pub file_name: String,
    /// Format.
    pub format: DocumentFormat,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Size.
    pub bytes: u64,
    /// Sections indexed.
    pub sections: usize,
    /// When it was imported (RFC 3339).
    pub imported_at: String,
}

/// `collection.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionManifest {
    /// Format version.
    pub format: u32,
    /// Name.
    pub name: String,
    /// Sensitivity label.
    pub label: String,
    /// First import.
    pub created_at: String,
    /// Last import.
    pub updated_at: String,
    /// Documents.
    pub documents: Vec<DocumentRecord>,
    /// Number of sections.
    pub sections: usize,
    /// SHA-256 of `sections.json` (also the index's corpus hash).
    pub sections_sha256: String,
    /// Embedding model the index was built with.
    pub embedder_sha256: String,
}

/// What an import asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportRequest {
    /// Collection name.
    pub collection: String,
    /// Sensitivity label.
    pub label: String,
}

/// A document the policy refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedDocument {
    /// File name.
    pub file_name: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// The rule that refused it.
    pub refusal: Refusal,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportOutcome {
    /// Collection.
    pub collection: String,
    /// Label.
    pub label: String,
    /// Documents stored (new or replaced).
    pub imported: Vec<DocumentRecord>,
    /// File names of documents replaced by a new version.
    pub replaced: Vec<String>,
    /// Documents refused by the policy (nothing of them was stored).
    pub refused: Vec<RefusedDocument>,
    /// File names of documents taken out of the collection: an earlier version was
    /// indexed, and the new one was refused for the marker it now carries.
    pub withdrawn: Vec<String>,
    /// Sections in the collection after the import.
    pub sections: usize,
    /// Chunks indexed.
    pub chunks: usize,
    /// Seconds spent.
    pub seconds: f64,
}

/// Progress of an import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportProgress {
    /// The policy admitted this many documents (and sections in the collection).
    Admitted {
        /// Documents admitted.
        documents: usize,
        /// Sections the collection will hold.
        sections: usize,
    },
    /// Building the collection's index.
    Index(BuildProgress),
    /// Swapping the new collection in.
    Committing,
}

/// Why a collection could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CollectionError {
    /// File access failed.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The name is not allowed.
    #[error("invalid collection name {0:?}")]
    InvalidName(String),
    /// No such collection.
    #[error("no collection {0}")]
    Missing(String),
    /// The collection exists with another label.
    #[error("collection {collection} has label {existing}, not {requested}")]
    LabelMismatch {
        /// Collection.
        collection: String,
        /// Its label.
        existing: String,
        /// Label asked for.
        requested: String,
    },
    /// A file of the collection is unreadable or does not match the manifest.
    #[error("collection {collection} is damaged: {reason}")]
    Damaged {
        /// Collection.
        collection: String,
        /// What is wrong.
        reason: String,
    },
    /// The index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// The policy refused access.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// The import could not be journaled: it was not committed.
    #[error(transparent)]
    Journal(#[from] crate::audit::AuditError),
}

impl CollectionError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            CollectionError::Io { path, source } => {
                format!("Accès impossible à {} : {source}", path.display())
            }
            CollectionError::InvalidName(name) => format!(
                "Nom de collection invalide : « {name} » (lettres minuscules sans accent, \
                 chiffres, - et _, 64 caractères au plus)."
            ),
            CollectionError::Missing(name) => {
                format!("La collection « {name} » n'existe pas (voir `vigie collections list`).")
            }
            CollectionError::LabelMismatch {
                collection,
                existing,
                requested,
            } => format!(
                "La collection « {collection} » est de niveau « {existing} » : on ne peut pas y \
                 importer des documents de niveau « {requested} » (une collection n'a qu'un \
                 niveau)."
            ),
            CollectionError::Damaged { collection, reason } => format!(
                "La collection « {collection} » est endommagée ({reason}) : réimportez ses \
                 documents."
            ),
            CollectionError::Index(e) => e.message_fr(),
            CollectionError::Policy(e) => e.message_fr(),
            CollectionError::Journal(e) => format!(
                "{} L'import n'a pas été enregistré : rien n'a changé dans la collection.",
                e.message_fr()
            ),
        }
    }
}

/// Checks a collection name: it becomes a folder name and appears in the journal.
pub fn check_name(name: &str) -> Result<(), CollectionError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        && name
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
    if ok {
        Ok(())
    } else {
        Err(CollectionError::InvalidName(name.to_string()))
    }
}

/// An opened, verified collection.
pub struct Collection {
    manifest: CollectionManifest,
    sections: Vec<StoredSection>,
    by_id: HashMap<String, usize>,
    index: RetrievalIndex,
}

impl Collection {
    /// The manifest.
    pub fn manifest(&self) -> &CollectionManifest {
        &self.manifest
    }

    /// All sections.
    pub fn sections(&self) -> &[StoredSection] {
        &self.sections
    }

    /// A section by id.
    pub fn section(&self, id: &str) -> Option<&StoredSection> {
        self.by_id.get(id).map(|&i| &self.sections[i])
    }

    /// The index.
    pub fn index(&self) -> &RetrievalIndex {
        &self.index
    }
}

/// The collections a profile may query (opened), and the others as (name, label).
pub type ProfileCollections = (Vec<Collection>, Vec<(String, String)>);

/// The collections of a data directory.
pub struct CollectionStore {
    root: PathBuf,
}

impl CollectionStore {
    /// The store of a data directory.
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join(COLLECTIONS_DIR),
        }
    }

    /// Folder of the collections.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn dir(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// Names of the stored collections, sorted (leftovers of interrupted imports excluded).
    pub fn names(&self) -> Vec<String> {
        let list = |root: &Path| -> Vec<String> {
            fs::read_dir(root)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.file_name().to_string_lossy().to_string())
                .collect()
        };
        // An interrupted swap leaves only `<name>.old-<pid>`: it is the collection.
        for leftover in list(&self.root) {
            if let Some((name, _)) = leftover.split_once(".old-")
                && check_name(name).is_ok()
            {
                self.recover(name);
            }
        }
        let mut names: Vec<String> = list(&self.root)
            .into_iter()
            .filter(|n| check_name(n).is_ok() && self.dir(n).join(MANIFEST_FILE).is_file())
            .collect();
        names.sort();
        names
    }

    /// Puts back a collection whose swap was interrupted after the old copy was moved aside.
    fn recover(&self, name: &str) {
        if self.dir(name).exists() {
            return;
        }
        let Ok(entries) = fs::read_dir(&self.root) else {
            return;
        };
        let prefix = format!("{name}.old-");
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().to_string();
            if file_name.starts_with(&prefix) && entry.path().join(MANIFEST_FILE).is_file() {
                log::warn!(
                    "collection {name}: restoring the copy set aside by an interrupted import"
                );
                if fs::rename(entry.path(), self.dir(name)).is_ok() {
                    return;
                }
            }
        }
    }

    /// The manifest of a collection.
    pub fn manifest(&self, name: &str) -> Result<CollectionManifest, CollectionError> {
        check_name(name)?;
        self.recover(name);
        let path = self.dir(name).join(MANIFEST_FILE);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(CollectionError::Missing(name.to_string()));
            }
            Err(source) => return Err(CollectionError::Io { path, source }),
        };
        serde_json::from_str(&text).map_err(|e| CollectionError::Damaged {
            collection: name.to_string(),
            reason: format!("{MANIFEST_FILE} : {e}"),
        })
    }

    /// Opens a collection, checking its manifest, its sections' hash and its index.
    pub fn open(&self, name: &str, embedder_sha256: &str) -> Result<Collection, CollectionError> {
        let manifest = self.manifest(name)?;
        let damaged = |reason: String| CollectionError::Damaged {
            collection: name.to_string(),
            reason,
        };
        if manifest.format != COLLECTION_FORMAT {
            return Err(damaged(format!("format {}", manifest.format)));
        }
        let dir = self.dir(name);
        let sections_path = dir.join(SECTIONS_FILE);
        let bytes = fs::read(&sections_path).map_err(|source| CollectionError::Io {
            path: sections_path.clone(),
            source,
        })?;
        if hex::encode(Sha256::digest(&bytes)) != manifest.sections_sha256 {
            return Err(damaged(format!("{SECTIONS_FILE} modifié")));
        }
        let sections: Vec<StoredSection> = serde_json::from_slice(&bytes)
            .map_err(|e| damaged(format!("{SECTIONS_FILE} : {e}")))?;
        let expected = IndexExpectation {
            corpus_hash: manifest.sections_sha256.clone(),
            embedder_sha256: embedder_sha256.to_string(),
            parameters: current_parameters(),
        };
        let index = RetrievalIndex::open(&dir.join(INDEX_DIR), &expected)?;
        let by_id = sections
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id.clone(), i))
            .collect();
        Ok(Collection {
            manifest,
            sections,
            by_id,
            index,
        })
    }

    /// Opens every collection the profile may query; the others are named in the second
    /// list (name, label) and never opened.
    pub fn open_for_profile(
        &self,
        policy: &Policy,
        profile: &Profile,
        embedder_sha256: &str,
    ) -> Result<ProfileCollections, CollectionError> {
        let mut opened = Vec::new();
        let mut hidden = Vec::new();
        for name in self.names() {
            let manifest = self.manifest(&name)?;
            if policy.may_query(profile, &manifest.label) {
                opened.push(self.open(&name, embedder_sha256)?);
            } else {
                hidden.push((name, manifest.label));
            }
        }
        Ok((opened, hidden))
    }

    /// Opens the named collections, refusing any the profile may not query.
    pub fn open_named(
        &self,
        policy: &Policy,
        profile: &Profile,
        names: &[String],
        embedder_sha256: &str,
    ) -> Result<Vec<Collection>, CollectionError> {
        let mut opened = Vec::new();
        for name in names {
            let manifest = self.manifest(name)?;
            policy.check_access(profile, &manifest.label, name)?;
            opened.push(self.open(name, embedder_sha256)?);
        }
        Ok(opened)
    }

    /// Removes a collection (renamed aside first, so it disappears at once).
    pub fn remove(&self, name: &str) -> Result<CollectionManifest, CollectionError> {
        let manifest = self.manifest(name)?;
        let dir = self.dir(name);
        let aside = self
            .root
            .join(format!("{name}.removed-{}", std::process::id()));
        fs::rename(&dir, &aside).map_err(|source| CollectionError::Io {
            path: dir.clone(),
            source,
        })?;
        let _ = fs::remove_dir_all(&aside);
        Ok(manifest)
    }

    /// Imports documents into a collection (created if needed), after the policy admitted
    /// each of them. A document whose file name is already in the collection replaces it.
    /// Refused documents are reported and nothing of them is written; if no document is
    /// admitted, nothing at all is written.
    pub fn import(
        &self,
        policy: &Policy,
        request: &ImportRequest,
        documents: Vec<DocumentText>,
        embedder: &dyn Embedder,
        progress: &mut dyn FnMut(ImportProgress),
    ) -> Result<ImportOutcome, CollectionError> {
        self.import_journaled(policy, request, documents, embedder, progress, &mut |_| {
            Ok(())
        })
    }

    /// [`Self::import`], calling `before_commit` with the outcome once the new collection is
    /// built and before it replaces the old one: an import is journaled before it takes
    /// effect, and a journal that cannot be written leaves the collection as it was. Not
    /// called when nothing is to change.
    pub fn import_journaled(
        &self,
        policy: &Policy,
        request: &ImportRequest,
        documents: Vec<DocumentText>,
        embedder: &dyn Embedder,
        progress: &mut dyn FnMut(ImportProgress),
        before_commit: &mut dyn FnMut(&ImportOutcome) -> Result<(), crate::audit::AuditError>,
    ) -> Result<ImportOutcome, CollectionError> {
        let started = Instant::now();
        let name = request.collection.as_str();
        check_name(name)?;
        let mut outcome = ImportOutcome {
            collection: name.to_string(),
            label: request.label.clone(),
            imported: Vec::new(),
            replaced: Vec::new(),
            refused: Vec::new(),
            withdrawn: Vec::new(),
            sections: 0,
            chunks: 0,
            seconds: 0.0,
        };
        // The policy first: nothing is created, not even the folder, for refused documents.
        let mut admitted = Vec::new();
        for document in documents {
            match policy.admit(&request.label, &document.policy_pages()) {
                Ok(()) => admitted.push(document),
                Err(refusal) => outcome.refused.push(RefusedDocument {
                    file_name: document.file_name.clone(),
                    sha256: document.sha256.clone(),
                    refusal,
                }),
            }
        }
        // A document refused for a marker it now carries must not stay indexed in the
        // version imported before: that version is taken out.
        let withdraw: Vec<String> = outcome
            .refused
            .iter()
            .filter(|r| {
                matches!(
                    r.refusal,
                    Refusal::MarkerNotForAi { .. } | Refusal::MarkerAboveCollection { .. }
                )
            })
            .map(|r| r.file_name.clone())
            .collect();
        let held_before = self
            .manifest(name)
            .ok()
            .is_some_and(|m| m.documents.iter().any(|d| withdraw.contains(&d.file_name)));
        if admitted.is_empty() && !held_before {
            outcome.seconds = started.elapsed().as_secs_f64();
            return Ok(outcome);
        }
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| CollectionError::Io { path, source }
        };
        fs::create_dir_all(&self.root).map_err(io(&self.root))?;
        let _lock = CollectionLock::acquire(&self.root.join(format!("{name}.lock")))?;
        self.recover(name);
        remove_leftovers(&self.root, name);

        let now = rfc3339_now();
        let (mut manifest, mut sections) = match self.manifest(name) {
            Ok(existing) => {
                if existing.label != request.label && !admitted.is_empty() {
                    return Err(CollectionError::LabelMismatch {
                        collection: name.to_string(),
                        existing: existing.label,
                        requested: request.label.clone(),
                    });
                }
                let path = self.dir(name).join(SECTIONS_FILE);
                let bytes = fs::read(&path).map_err(io(&path))?;
                let sections: Vec<StoredSection> =
                    serde_json::from_slice(&bytes).map_err(|e| CollectionError::Damaged {
                        collection: name.to_string(),
                        reason: format!("{SECTIONS_FILE} : {e}"),
                    })?;
                (existing, sections)
            }
            Err(CollectionError::Missing(_)) => (
                CollectionManifest {
                    format: COLLECTION_FORMAT,
                    name: name.to_string(),
                    label: request.label.clone(),
                    created_at: now.clone(),
                    updated_at: now.clone(),
                    documents: Vec::new(),
                    sections: 0,
                    sections_sha256: String::new(),
                    embedder_sha256: String::new(),
                },
                Vec::new(),
            ),
            Err(e) => return Err(e),
        };
        for file_name in &withdraw {
            if manifest.documents.iter().any(|d| &d.file_name == file_name) {
                manifest.documents.retain(|d| &d.file_name != file_name);
                sections.retain(|s| &s.document != file_name);
                outcome.withdrawn.push(file_name.clone());
            }
        }
        if manifest.documents.is_empty() && admitted.is_empty() {
            // Nothing is left: the collection goes, index and all.
            if !outcome.withdrawn.is_empty() {
                outcome.seconds = started.elapsed().as_secs_f64();
                before_commit(&outcome)?;
                self.remove(name)?;
            }
            outcome.seconds = started.elapsed().as_secs_f64();
            return Ok(outcome);
        }
        for document in &admitted {
            if manifest
                .documents
                .iter()
                .any(|d| d.file_name == document.file_name)
            {
                outcome.replaced.push(document.file_name.clone());
                manifest
                    .documents
                    .retain(|d| d.file_name != document.file_name);
                sections.retain(|s| s.document != document.file_name);
            }
            let prefix = &document.sha256[..16.min(document.sha256.len())];
            for (i, section) in document.sections.iter().enumerate() {
                sections.push(StoredSection {
                    id: format!("{prefix}-{i}"),
                    document: document.file_name.clone(),
                    location: section.location.clone(),
                    headings: section.headings.clone(),
                    text: section.text.clone(),
                });
            }
            let record = DocumentRecord {
                file_name: document.file_name.clone(),
                format: document.format,
                sha256: document.sha256.clone(),
                bytes: document.bytes,
                sections: document.sections.len(),
                imported_at: now.clone(),
            };
            manifest.documents.push(record.clone());
            outcome.imported.push(record);
        }
        // The same file imported under two names would give two sections one id.
        let mut seen = std::collections::HashSet::new();
        sections.retain(|s| seen.insert(s.id.clone()));
        progress(ImportProgress::Admitted {
            documents: admitted.len(),
            sections: sections.len(),
        });

        let staging = self
            .root
            .join(format!("{name}.building-{}", std::process::id()));
        fs::create_dir_all(&staging).map_err(io(&staging))?;
        let sections_json =
            serde_json::to_vec(&sections).map_err(|e| CollectionError::Damaged {
                collection: name.to_string(),
                reason: e.to_string(),
            })?;
        let sections_sha256 = hex::encode(Sha256::digest(&sections_json));
        write_synced(&staging.join(SECTIONS_FILE), &sections_json)?;
        let source = snapshot_source(&sections, &sections_sha256);
        outcome.chunks = source.chunks.len();
        write_snapshot(&staging.join(INDEX_DIR), source, embedder, &mut |p| {
            progress(ImportProgress::Index(p))
        })?;
        manifest.updated_at = now;
        manifest.sections = sections.len();
        manifest.sections_sha256 = sections_sha256;
        manifest.embedder_sha256 = embedder.identity().sha256.clone();
        let manifest_json =
            serde_json::to_vec_pretty(&manifest).map_err(|e| CollectionError::Damaged {
                collection: name.to_string(),
                reason: e.to_string(),
            })?;
        // Written last: a folder without a manifest is never a collection.
        write_synced(&staging.join(MANIFEST_FILE), &manifest_json)?;
        outcome.sections = sections.len();
        outcome.seconds = started.elapsed().as_secs_f64();
        if let Err(e) = before_commit(&outcome) {
            let _ = fs::remove_dir_all(&staging);
            return Err(e.into());
        }
        progress(ImportProgress::Committing);
        swap_in(&staging, &self.dir(name))?;
        Ok(outcome)
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), CollectionError> {
    crate::index::write_synced(path, bytes).map_err(CollectionError::from)
}

/// Chunks of the sections, with the text embedded (document, location and headings give the
/// model context) and the text indexed.
fn snapshot_source(sections: &[StoredSection], sections_sha256: &str) -> SnapshotSource {
    let mut source = SnapshotSource {
        chunks: Vec::new(),
        chunk_texts: Vec::new(),
        lexical: Vec::new(),
        // Sections are few and short: their extract passages are embedded when asked.
        passages: Vec::new(),
        corpus_hash: sections_sha256.to_string(),
        editions: Vec::new(),
    };
    for section in sections {
        let heading = section.headings.last().map(String::as_str).unwrap_or("");
        for chunk in chunk_text(&section.id, &section.text) {
            let text = section.text.get(chunk.start..chunk.end).unwrap_or("");
            source.chunk_texts.push(format!(
                "{} {} {heading}\n{text}",
                section.document, section.location
            ));
            source.lexical.push((
                format!("{}\n{text}", section.document),
                section.headings.join(" ; "),
            ));
            source.chunks.push(chunk);
        }
    }
    source
}

/// An exclusive lock on a collection, released when dropped: two imports into one
/// collection (the app and the CLI) run one after the other.
struct CollectionLock {
    _file: fs::File,
}

impl CollectionLock {
    fn acquire(path: &Path) -> Result<Self, CollectionError> {
        let io = |source| CollectionError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(io)?;
        file.lock().map_err(io)?;
        Ok(Self { _file: file })
    }
}
