//! Importing the agents' own documents from a file or folder: the one sequence both the CLI
//! and the desktop app run, so that neither can skip a step.
//!
//! In order: the label is checked against the policy before a single file is read (a label
//! closed to the AI refuses everything); the files are found (symlink loops, depth and count
//! bounded) and read one by one (an unreadable file is reported, the others go on); the
//! collection store then applies the policy to each document's pages and stores only what it
//! admits. Every outcome is journaled with file names and checksums, never text.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::audit::{AuditError, AuditLog};
use crate::collection::{
    CollectionError, CollectionStore, ImportOutcome, ImportProgress, ImportRequest, check_name,
};
use crate::embed::Embedder;
use crate::import::{ImportError, ImportLimits, find_documents, read_document};
use crate::index::BuildProgress;
use crate::policy::{Policy, PolicyError, Refusal};

/// Where an import stands, for a progress display.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "stage", rename_all = "snake_case")]
pub enum DocumentImportProgress {
    /// Reading file `done` of `total`.
    Reading {
        /// Files read so far, this one included.
        done: usize,
        /// Files found.
        total: usize,
        /// Name of the file, as it will be cited.
        file: String,
    },
    /// The policy admitted this many documents.
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

/// A file that could not be read (the others were imported).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnreadableDocument {
    /// Name as it would have been cited.
    pub file: String,
    /// Why, in French.
    pub reason: String,
}

/// A file left out of a folder (unsupported format, link loop, too deep…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkippedDocument {
    /// Path.
    pub path: PathBuf,
    /// Why, in French.
    pub reason: String,
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentImportReport {
    /// Collection.
    pub collection: String,
    /// Label asked for.
    pub label: String,
    /// Set when the label itself is refused: nothing was read.
    pub label_refused: Option<Refusal>,
    /// What the store did (absent when the label was refused).
    pub outcome: Option<ImportOutcome>,
    /// Files that could not be read.
    pub unreadable: Vec<UnreadableDocument>,
    /// Files left out of the folder.
    pub skipped: Vec<SkippedDocument>,
}

impl DocumentImportReport {
    /// Whether every document found was imported.
    pub fn complete(&self) -> bool {
        self.label_refused.is_none()
            && self.unreadable.is_empty()
            && self.outcome.as_ref().is_some_and(|o| o.refused.is_empty())
    }

    /// What was imported, in one French sentence (see [`Self::problems_fr`] for the rest).
    pub fn summary_fr(&self) -> String {
        if let Some(refusal) = &self.label_refused {
            return format!(
                "Import refusé : {}. Rien n'a été lu ni enregistré.",
                refusal.message_fr()
            );
        }
        let Some(outcome) = &self.outcome else {
            return "Aucun document importé.".into();
        };
        if outcome.imported.is_empty() && !outcome.withdrawn.is_empty() {
            format!(
                "Aucun document importé dans « {} » ; {} document(s) retiré(s) de la collection \
                 (leur nouvelle version porte une mention interdite).",
                outcome.collection,
                outcome.withdrawn.len()
            )
        } else if outcome.imported.is_empty() {
            format!(
                "Aucun document importé dans « {} » ; la collection est inchangée.",
                outcome.collection
            )
        } else {
            format!(
                "Collection « {} » (niveau {}) : {} document(s) importé(s){}, {} sections, {} \
                 passages indexés en {:.1} s.",
                outcome.collection,
                outcome.label,
                outcome.imported.len(),
                if outcome.replaced.is_empty() {
                    String::new()
                } else {
                    format!(" dont {} remplacé(s)", outcome.replaced.len())
                },
                outcome.sections,
                outcome.chunks,
                outcome.seconds
            )
        }
    }

    /// One French line per document refused by the policy or unreadable.
    pub fn problems_fr(&self) -> Vec<String> {
        let withdrawn = |file: &str| {
            self.outcome
                .as_ref()
                .is_some_and(|o| o.withdrawn.iter().any(|w| w == file))
        };
        let refused = self.outcome.iter().flat_map(|o| &o.refused).map(|r| {
            format!(
                "Refusé : {} — {}. Rien de ce document n'a été enregistré{}.",
                r.file_name,
                r.refusal.message_fr(),
                if withdrawn(&r.file_name) {
                    " ; la version importée auparavant a été retirée de la collection et de \
                     son index"
                } else {
                    ""
                }
            )
        });
        let unreadable = self
            .unreadable
            .iter()
            .map(|u| format!("Illisible : {}", u.reason));
        refused.chain(unreadable).collect()
    }
}

/// Why an import could not run at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DocumentImportError {
    /// The path cannot be walked.
    #[error(transparent)]
    Read(#[from] ImportError),
    /// The collection cannot be written (or its name is invalid).
    #[error(transparent)]
    Collection(#[from] CollectionError),
    /// The journal cannot be written.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The policy change cannot be journaled.
    #[error(transparent)]
    Policy(#[from] PolicyError),
}

impl DocumentImportError {
    /// A French message for the agent.
    pub fn message_fr(&self) -> String {
        match self {
            Self::Read(e) => e.message_fr(),
            Self::Collection(e) => e.message_fr(),
            Self::Audit(e) => e.message_fr(),
            Self::Policy(e) => e.message_fr(),
        }
    }
}

/// Imports the documents at `path` into the collection `request` names.
pub fn import_documents(
    data_dir: &Path,
    journal: &mut AuditLog,
    policy: &Policy,
    path: &Path,
    request: &ImportRequest,
    embedder: &dyn Embedder,
    progress: &mut dyn FnMut(DocumentImportProgress),
) -> Result<DocumentImportReport, DocumentImportError> {
    check_name(&request.collection)?;
    // Every entry below records the policy's hash: the journal says which policy decided.
    policy.journal_if_changed(data_dir, journal)?;
    let mut report = DocumentImportReport {
        collection: request.collection.clone(),
        label: request.label.clone(),
        label_refused: None,
        outcome: None,
        unreadable: Vec::new(),
        skipped: Vec::new(),
    };
    // A label the AI may not process refuses everything before a single file is read.
    if let Err(refusal) = policy.admit(&request.label, &[]) {
        journal.append(
            "import_refused",
            serde_json::json!({
                "collection": request.collection,
                "label": request.label,
                "path": path.display().to_string(),
                "refusal": refusal,
                "policy_sha256": policy.sha256,
            }),
        )?;
        report.label_refused = Some(refusal);
        return Ok(report);
    }

    let limits = ImportLimits::default();
    let found = find_documents(path, &limits)?;
    report.skipped = found
        .skipped
        .iter()
        .map(|s| SkippedDocument {
            path: s.path.clone(),
            reason: s.reason.clone(),
        })
        .collect();
    let total = found.files.len();
    let mut documents = Vec::new();
    for (i, (file, name)) in found.files.iter().enumerate() {
        progress(DocumentImportProgress::Reading {
            done: i + 1,
            total,
            file: name.clone(),
        });
        match read_document(file, name, &limits) {
            Ok(document) => documents.push(document),
            Err(e) => {
                log::warn!("cannot read {}: {e}", file.display());
                report.unreadable.push(UnreadableDocument {
                    file: name.clone(),
                    reason: e.message_fr(),
                });
            }
        }
    }
    if !report.unreadable.is_empty() {
        journal.append(
            "import_unreadable",
            serde_json::json!({
                "collection": request.collection,
                "files": report.unreadable,
                "policy_sha256": policy.sha256,
            }),
        )?;
    }

    let store = CollectionStore::in_data_dir(data_dir);
    // Journaled before the new collection replaces the old: an import the journal does not
    // hold never takes effect.
    let mut journaled = false;
    let mut journal_outcome = |outcome: &ImportOutcome| -> Result<(), AuditError> {
        journaled = true;
        journal_import(journal, policy, outcome)
    };
    let outcome = store.import_journaled(
        policy,
        request,
        documents,
        embedder,
        &mut |p| {
            progress(match p {
                ImportProgress::Admitted {
                    documents,
                    sections,
                } => DocumentImportProgress::Admitted {
                    documents,
                    sections,
                },
                ImportProgress::Index(step) => DocumentImportProgress::Index(step),
                ImportProgress::Committing => DocumentImportProgress::Committing,
            })
        },
        &mut journal_outcome,
    )?;
    if !journaled {
        // Nothing changed in the collection: the refusals are journaled all the same.
        journal_import(journal, policy, &outcome)?;
    }
    report.outcome = Some(outcome);
    Ok(report)
}

/// The journal entries of an import: one per refused document, one for what was stored.
fn journal_import(
    journal: &mut AuditLog,
    policy: &Policy,
    outcome: &ImportOutcome,
) -> Result<(), AuditError> {
    for refused in &outcome.refused {
        journal.append(
            "import_refused",
            serde_json::json!({
                "collection": outcome.collection,
                "label": outcome.label,
                "file": refused.file_name,
                "sha256": refused.sha256,
                "refusal": refused.refusal,
                "withdrawn": outcome.withdrawn.contains(&refused.file_name),
                "policy_sha256": policy.sha256,
            }),
        )?;
    }
    if !outcome.imported.is_empty() || !outcome.withdrawn.is_empty() {
        journal.append(
            "import",
            serde_json::json!({
                "collection": outcome.collection,
                "label": outcome.label,
                "documents": outcome.imported,
                "replaced": outcome.replaced,
                "withdrawn": outcome.withdrawn,
                "sections": outcome.sections,
                "chunks": outcome.chunks,
                "seconds": (outcome.seconds * 10.0).round() / 10.0,
                "policy_sha256": policy.sha256,
            }),
        )?;
    }
    Ok(())
}
