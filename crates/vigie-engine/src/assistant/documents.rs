//! The agents' own documents in the app: import from a file or folder, the sections offered
//! to the model beside the law, and a cited section opened for reading.
//!
//! Every path goes through the profile chosen in the settings: a question searches only the
//! collections that profile may query, and a section is shown only if its collection is one
//! of them, so a forbidden label cannot be read through a stored citation either.

use std::path::Path;

use serde::Serialize;

use super::{Assistant, AssistantError, lock};
use crate::collection::{
    Collection, CollectionStore, DocumentSource, ImportRequest, answer_sources, document_article,
    parse_document_source_id, search_collections,
};
use crate::document_import::{DocumentImportProgress, DocumentImportReport, import_documents};
use crate::policy::Policy;
use crate::retrieve::Retriever;

/// Sections searched for a question.
const DOCUMENT_HITS: usize = 3;
/// Of those, the most given to the model.
const DOCUMENT_SOURCES: usize = 2;

/// A section of an imported document, opened from a citation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentView {
    /// Id as cited (`DOC:<collection>:<section>`).
    pub id: String,
    /// Collection.
    pub collection: String,
    /// Its sensitivity label.
    pub label: String,
    /// File name and location (`note.pdf, page 3`).
    pub citation: String,
    /// Headings above the section.
    pub headings: Vec<String>,
    /// Text of the section.
    pub text: String,
    /// When the document was imported (`YYYY-MM-DD`).
    pub imported: String,
}

impl Assistant {
    /// The collections the profile of the settings may query, opened.
    fn profile_collections(
        &self,
        retriever: &Retriever,
    ) -> Result<Vec<Collection>, AssistantError> {
        let data_dir = &self.engine.paths().data_dir;
        let policy = Policy::load(data_dir)?;
        policy.journal_if_changed(data_dir, &mut *lock(&self.journal)?)?;
        let settings = self.settings()?;
        let profile = policy.profile(settings.profile.as_deref())?;
        let store = CollectionStore::in_data_dir(data_dir);
        let (open, _hidden) =
            store.open_for_profile(&policy, profile, &retriever.embedder().identity().sha256)?;
        Ok(open)
    }

    /// The sections of the profile's collections worth giving the model for `question`. A
    /// collection that cannot be opened or searched is journaled and left out: the law still
    /// answers.
    pub(super) fn document_sources(
        &self,
        retriever: &Retriever,
        question: &str,
    ) -> Result<Vec<DocumentSource>, AssistantError> {
        let found = self.profile_collections(retriever).and_then(|collections| {
            let hits = search_collections(
                &collections,
                retriever.embedder().as_ref(),
                question,
                DOCUMENT_HITS,
            )
            .map_err(crate::answer::AnswerError::from)?;
            Ok(answer_sources(
                &collections,
                &hits,
                question,
                DOCUMENT_SOURCES,
            ))
        });
        found.or_else(|e| {
            log::warn!("imported documents left out of the answer: {e}");
            self.journal(
                "documents_unavailable",
                serde_json::json!({ "reason": e.to_string() }),
            )?;
            Ok(Vec::new())
        })
    }

    /// A cited section, if its collection is open to the profile of the settings.
    pub fn document(&self, id: &str) -> Result<DocumentView, AssistantError> {
        let retriever = self.retriever()?;
        let (collection, _) =
            parse_document_source_id(id).ok_or_else(|| AssistantError::NoSuchArticle(id.into()))?;
        let collections = self.profile_collections(&retriever)?;
        let article = document_article(&collections, id).ok_or_else(|| {
            // Absent, removed, or closed to this profile: the same answer for all three.
            AssistantError::NoSuchArticle(id.into())
        })?;
        let label = article.status.clone();
        // Shown to the agent: journaled as the CLI journals what it shows.
        self.journal(
            "document_viewed",
            serde_json::json!({ "id": article.id, "collection": collection, "label": label }),
        )?;
        // The first part of the path names the collection, shown apart.
        let headings = article.path.into_iter().skip(1).collect();
        Ok(DocumentView {
            id: article.id,
            collection: collection.to_string(),
            label,
            citation: article.article,
            headings,
            text: article.text,
            imported: article.edition,
        })
    }

    /// Imports the documents at `path` into `collection` with `label`, under the policy;
    /// `progress` follows the reading and indexing. The journal stays locked meanwhile, so
    /// its entries keep the order of events.
    pub fn import_documents(
        &self,
        path: &Path,
        collection: &str,
        label: &str,
        progress: &mut dyn FnMut(DocumentImportProgress),
    ) -> Result<DocumentImportReport, AssistantError> {
        let retriever = self.retriever()?;
        let data_dir = &self.engine.paths().data_dir;
        let policy = Policy::load(data_dir)?;
        let mut journal = lock(&self.journal)?;
        policy.journal_if_changed(data_dir, &mut journal)?;
        let request = ImportRequest {
            collection: collection.to_string(),
            label: label.to_string(),
        };
        Ok(import_documents(
            data_dir,
            &mut journal,
            &policy,
            path,
            &request,
            retriever.embedder().as_ref(),
            progress,
        )?)
    }
}
