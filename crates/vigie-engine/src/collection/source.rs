//! Sections of imported documents as sources of an answer.
//!
//! A section found for a question is handed to the answer pipeline shaped as an [`Article`]
//! whose code is [`DOCUMENT_CODE`]: the context budget, the screening of text that addresses
//! the model, the prompt and the citation checker then treat the service's documents exactly
//! as they treat the law, and the code tells every reader (prompt, citation label, desktop
//! app) that this is a document cited by file name and page or section, never an article.

use std::collections::HashSet;

use super::{Collection, DocumentHit};
use crate::corpus::Article;

/// The code of an imported section carried as an article.
pub const DOCUMENT_CODE: &str = "Document importé";

/// Prefix of the ids of imported sections carried as articles.
const DOCUMENT_ID_PREFIX: &str = "DOC:";

/// A section offered to the model, and where it matched the question.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentSource {
    /// The section, as an article of code [`DOCUMENT_CODE`].
    pub article: Article,
    /// Byte range of its best matching chunk.
    pub matched: Option<(usize, usize)>,
}

/// Whether an article is an imported section (see [`DOCUMENT_CODE`]).
pub fn is_document(article: &Article) -> bool {
    article.code == DOCUMENT_CODE
}

/// The id of a section carried as an article: `DOC:<collection>:<section id>`.
pub fn document_source_id(collection: &str, section_id: &str) -> String {
    format!("{DOCUMENT_ID_PREFIX}{collection}:{section_id}")
}

/// The collection and section of an id made by [`document_source_id`].
pub fn parse_document_source_id(id: &str) -> Option<(&str, &str)> {
    id.strip_prefix(DOCUMENT_ID_PREFIX)?.split_once(':')
}

/// The section behind `id` among `collections`, as an article.
pub fn document_article(collections: &[Collection], id: &str) -> Option<Article> {
    let (name, section_id) = parse_document_source_id(id)?;
    let collection = collections.iter().find(|c| c.manifest().name == name)?;
    section_article(collection, section_id)
}

fn section_article(collection: &Collection, section_id: &str) -> Option<Article> {
    let manifest = collection.manifest();
    let section = collection.section(section_id)?;
    let imported = manifest
        .documents
        .iter()
        .find(|d| d.file_name == section.document)
        .map(|d| d.imported_at.as_str())
        .unwrap_or(manifest.updated_at.as_str());
    let mut path = vec![format!(
        "Collection « {} » (niveau {})",
        manifest.name, manifest.label
    )];
    path.extend(section.headings.iter().cloned());
    Some(Article {
        id: document_source_id(&manifest.name, &section.id),
        code: DOCUMENT_CODE.to_string(),
        article: section.citation(),
        path,
        text: section.text.clone(),
        status: manifest.label.clone(),
        edition: imported.chars().take(10).collect(),
        date: None,
        source: format!("collection {}", manifest.name),
    })
}

/// Words of a question that say nothing of its subject (`Quelle est…`, `Comment doit-on…`).
const QUESTION_WORDS: &str = "quel quelle quels quelles est sont comment combien peut peuvent \
     doit doivent faut quoi pourquoi quand lorsque selon prévoit prévoient cas";

/// The sections worth giving the model for `question` among `hits` (best first), at most
/// `max`.
///
/// Fused scores depend only on ranks, so every collection has a "best" section whatever the
/// question. A section is offered only when it shares a word of the question's subject with
/// it (stemmed and folded by the full-text analyzer, question words aside): an unrelated note
/// stays out of the prompt, where it would cost prefill time and mislead a small model.
pub fn answer_sources(
    collections: &[Collection],
    hits: &[DocumentHit],
    question: &str,
    max: usize,
) -> Vec<DocumentSource> {
    hits.iter()
        .filter_map(|hit| {
            let collection = collections
                .iter()
                .find(|c| c.manifest().name == hit.collection)?;
            let section = collection.section(&hit.section_id)?;
            if !shares_subject(collection, question, &section.text) {
                return None;
            }
            Some(DocumentSource {
                article: section_article(collection, &hit.section_id)?,
                matched: Some(hit.best_range),
            })
        })
        .take(max)
        .collect()
}

/// Whether `text` holds a term of `question` other than its question words.
fn shares_subject(collection: &Collection, question: &str, text: &str) -> bool {
    let lexical = collection.index().lexical();
    let filler: HashSet<String> = lexical.terms(QUESTION_WORDS).into_iter().collect();
    let subject: Vec<String> = lexical
        .terms(question)
        .into_iter()
        .filter(|t| t.chars().count() >= 3 && !filler.contains(t))
        .collect();
    if subject.is_empty() {
        return false;
    }
    let present: HashSet<String> = lexical.terms(text).into_iter().collect();
    subject.iter().any(|t| present.contains(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_law_ids_are_not_documents() {
        let id = document_source_id("notes", "ab12cd-3");
        assert_eq!(parse_document_source_id(&id), Some(("notes", "ab12cd-3")));
        assert_eq!(parse_document_source_id("CD-art-414"), None);
    }
}
