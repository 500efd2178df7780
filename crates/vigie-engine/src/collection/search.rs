//! Searching the collections a profile may query: the same hybrid ranking as the law (BM25
//! and vectors over chunks, lifted to the citation unit, fused by ranks), with sections in
//! place of articles.
//!
//! The question is embedded once for all collections. Each collection ranks its own sections;
//! the lists are merged by fused score, which is comparable across collections because it
//! depends only on ranks.

use std::collections::HashSet;

use serde::Serialize;

use super::Collection;
use crate::embed::Embedder;
use crate::index::HNSW_EF_SEARCH;
use crate::retrieve::{FusionWeights, SearchError, clip_chars, excerpt_of, reciprocal_rank_fusion};

/// Chunks fetched from each index of each collection.
const CANDIDATE_CHUNKS: usize = 60;
/// Excerpt length in characters.
const EXCERPT_CHARS: usize = 320;

/// A section of an imported document found for a question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DocumentHit {
    /// Collection.
    pub collection: String,
    /// Its label.
    pub label: String,
    /// File name, as cited.
    pub document: String,
    /// Location in the document (`page 3`…).
    pub location: String,
    /// Headings above the section.
    pub headings: Vec<String>,
    /// Section id.
    pub section_id: String,
    /// Score in [0, 1].
    pub score: f32,
    /// Rank in the lexical list (1-based), if present.
    pub lexical_rank: Option<usize>,
    /// Rank in the vector list (1-based), if present.
    pub vector_rank: Option<usize>,
    /// Byte range of the best chunk in the section's text.
    pub best_range: (usize, usize),
    /// The best chunk, cut at a word boundary.
    pub excerpt: String,
}

impl DocumentHit {
    /// How a reader finds it: `note.pdf, page 3`.
    pub fn citation(&self) -> String {
        format!("{}, {}", self.document, self.location)
    }
}

/// The `k` best sections of the given collections for a question.
pub fn search_collections(
    collections: &[Collection],
    embedder: &dyn Embedder,
    question: &str,
    k: usize,
) -> Result<Vec<DocumentHit>, SearchError> {
    let question = clip_chars(question.trim(), crate::retrieve::MAX_QUERY_CHARS);
    if question.is_empty() {
        return Err(SearchError::EmptyQuestion);
    }
    if collections.is_empty() || k == 0 {
        return Ok(Vec::new());
    }
    let query = embedder.embed_query(question)?;
    let weights = FusionWeights::default();
    let max = weights.max_score().max(f32::EPSILON);
    let mut hits = Vec::new();
    for collection in collections {
        let index = collection.index();
        let lift = |chunks: &mut dyn Iterator<Item = usize>| -> Vec<(String, usize)> {
            let mut seen = HashSet::new();
            chunks
                .filter_map(|c| index.chunks().get(c).map(|chunk| (chunk, c)))
                .filter(|(chunk, _)| seen.insert(chunk.article_id.clone()))
                .map(|(chunk, c)| (chunk.article_id.clone(), c))
                .collect()
        };
        let lexical = lift(
            &mut index
                .lexical()
                .search(question, CANDIDATE_CHUNKS)?
                .into_iter()
                .map(|h| h.chunk),
        );
        let vector = lift(
            &mut index
                .vectors()
                .search(
                    &query,
                    CANDIDATE_CHUNKS,
                    HNSW_EF_SEARCH.max(CANDIDATE_CHUNKS),
                )
                .into_iter()
                .map(|h| h.chunk),
        );
        let lexical_ids: Vec<&str> = lexical.iter().map(|(id, _)| id.as_str()).collect();
        let vector_ids: Vec<&str> = vector.iter().map(|(id, _)| id.as_str()).collect();
        for (id, score) in reciprocal_rank_fusion(&lexical_ids, &vector_ids, weights)
            .into_iter()
            .take(k)
        {
            let Some(section) = collection.section(id) else {
                continue;
            };
            let lexical_pos = lexical.iter().position(|(s, _)| s == id);
            let vector_pos = vector.iter().position(|(s, _)| s == id);
            let best_chunk = match (lexical_pos, vector_pos) {
                (Some(l), Some(v)) if v < l => vector[v].1,
                (Some(l), _) => lexical[l].1,
                (None, Some(v)) => vector[v].1,
                (None, None) => continue,
            };
            let range = index
                .chunks()
                .get(best_chunk)
                .map(|c| (c.start, c.end))
                .unwrap_or((0, section.text.len()));
            let text = section.text.get(range.0..range.1).unwrap_or(&section.text);
            hits.push(DocumentHit {
                collection: collection.manifest().name.clone(),
                label: collection.manifest().label.clone(),
                document: section.document.clone(),
                location: section.location.clone(),
                headings: section.headings.clone(),
                section_id: section.id.clone(),
                score: (score / max).min(1.0),
                lexical_rank: lexical_pos.map(|p| p + 1),
                vector_rank: vector_pos.map(|p| p + 1),
                best_range: range,
                excerpt: excerpt_of(text, EXCERPT_CHARS),
            });
        }
    }
    hits.sort_by(|a, b| b.score.total_cmp(&a.score));
    hits.truncate(k);
    Ok(hits)
}
