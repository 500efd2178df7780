//! Finding the articles that answer a question: exact article lookup first, then hybrid
//! (lexical + vector) ranking over the law in force.
//!
//! Both indexes work on chunks; results are lifted to articles (an article ranks where its best
//! chunk ranks) before fusion, because the article is what is cited. The best chunk of each
//! article is kept as its excerpt and as the part to show the model when the article is long.

mod dated;
mod fusion;
mod linked;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

use serde::Serialize;

pub use fusion::{FusionWeights, reciprocal_rank_fusion};

use crate::corpus::{Article, Corpus};
use crate::embed::{EmbedError, Embedder};
use crate::index::{HNSW_EF_SEARCH, HistoryIndex, IndexError, RetrievalIndex};
use crate::versions::correspondence::CorrespondenceSet;

/// Chunks fetched from each index before lifting to articles.
pub(crate) const CANDIDATE_CHUNKS: usize = 120;
/// Excerpt length in characters.
const EXCERPT_CHARS: usize = 320;

/// Which rankings to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SearchMode {
    /// Lexical and vector, fused, after exact lookup.
    Hybrid,
    /// BM25 only, no lookup (to measure the part alone).
    Lexical,
    /// Vectors only, no lookup (to measure the part alone).
    Vector,
}

/// Why a hit is in the results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum HitOrigin {
    /// The question names the article by number.
    Lookup,
    /// Ranked by the indexes.
    Ranked,
}

/// One article found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    /// Article id.
    pub id: String,
    /// Score in [0, 1] (1 for an exact lookup).
    pub score: f32,
    /// Why it is here.
    pub origin: HitOrigin,
    /// Rank in the lexical list (1-based), if present.
    pub lexical_rank: Option<usize>,
    /// Rank in the vector list (1-based), if present.
    pub vector_rank: Option<usize>,
    /// Best-matching chunk (index position), if any.
    pub best_chunk: Option<usize>,
    /// Byte range of the best chunk in the article text.
    pub best_range: Option<(usize, usize)>,
    /// Edition the article comes from (`YYYY-MM-DD`).
    pub edition: String,
    /// When found through a correspondence table: the article the question named
    /// (e.g. `CD 414`), of which this one is a successor or predecessor.
    pub linked_from: Option<String>,
}

impl Hit {
    /// A hit for an article named by number (directly or through a correspondence table).
    fn lookup(article: &Article, linked_from: Option<String>) -> Self {
        Self {
            id: article.id.clone(),
            score: 1.0,
            origin: HitOrigin::Lookup,
            lexical_rank: None,
            vector_rank: None,
            best_chunk: None,
            best_range: None,
            edition: article.edition.clone(),
            linked_from,
        }
    }
}

/// The edition of a code a search used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditionUsed {
    /// Code.
    pub code: String,
    /// Edition date.
    pub edition: String,
    /// Whether it is the edition in force.
    pub in_force: bool,
}

/// Time spent per stage, in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct SearchTimings {
    /// Question embedding.
    pub embed_ms: f64,
    /// Lexical search.
    pub lexical_ms: f64,
    /// Vector search.
    pub vector_ms: f64,
    /// Everything.
    pub total_ms: f64,
}

/// Results of a search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchOutcome {
    /// Articles, best first.
    pub hits: Vec<Hit>,
    /// Timings.
    pub timings: SearchTimings,
    /// The date the search was made at (none: the law in force).
    pub date: Option<String>,
    /// The edition of each code the hits were drawn from.
    pub editions: Vec<EditionUsed>,
}

/// Why a search failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// The question is empty.
    #[error("empty question")]
    EmptyQuestion,
    /// Embedding the question failed.
    #[error(transparent)]
    Embed(#[from] EmbedError),
    /// An index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// A date is not `YYYY-MM-DD`.
    #[error("invalid date {0}")]
    InvalidDate(String),
    /// No edition of any code was in force at the date.
    #[error("no edition in force at {date} (oldest: {oldest})")]
    NoEditionAt {
        /// The date asked.
        date: String,
        /// The oldest edition of the corpus.
        oldest: String,
    },
}

impl SearchError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            SearchError::EmptyQuestion => "La question est vide.".into(),
            SearchError::Embed(e) => e.message_fr(),
            SearchError::Index(e) => e.message_fr(),
            SearchError::InvalidDate(d) => {
                format!("Date invalide : « {d} » (format AAAA-MM-JJ).")
            }
            SearchError::NoEditionAt { date, oldest } => format!(
                "Aucune édition du corpus n'était en vigueur au {date} : la plus ancienne est \
                 celle du {oldest}."
            ),
        }
    }
}

/// Longest question text that is embedded and analysed; the rest is ignored.
pub const MAX_QUERY_CHARS: usize = 2_000;

/// Retrieval over an opened index.
pub struct Retriever {
    corpus: Arc<Corpus>,
    embedder: Arc<dyn Embedder>,
    index: RetrievalIndex,
    weights: FusionWeights,
    correspondence: Option<Arc<CorrespondenceSet>>,
    history: Option<HistoryIndex>,
}

impl Retriever {
    /// Wraps an opened index.
    pub fn new(corpus: Arc<Corpus>, embedder: Arc<dyn Embedder>, index: RetrievalIndex) -> Self {
        Self {
            corpus,
            embedder,
            index,
            weights: FusionWeights::default(),
            correspondence: None,
            history: None,
        }
    }

    /// Uses correspondence tables: a number named in a question also finds its successors
    /// and predecessors (in force, or in the edition searched at a date).
    pub fn set_correspondence(&mut self, set: Option<Arc<CorrespondenceSet>>) {
        self.correspondence = set.filter(|s| !s.is_empty());
    }

    /// The correspondence tables in use.
    pub fn correspondence(&self) -> Option<&Arc<CorrespondenceSet>> {
        self.correspondence.as_ref()
    }

    /// Uses the full-text index of the historical editions for dated searches.
    pub fn set_history(&mut self, history: Option<HistoryIndex>) {
        self.history = history;
    }

    /// The full-text index of the historical editions, when opened.
    pub fn history(&self) -> Option<&HistoryIndex> {
        self.history.as_ref()
    }

    /// Changes the fusion weights (for evaluation).
    pub fn set_weights(&mut self, weights: FusionWeights) {
        self.weights = weights;
    }

    /// The fusion weights in use.
    pub fn weights(&self) -> FusionWeights {
        self.weights
    }

    /// The index.
    pub fn index(&self) -> &RetrievalIndex {
        &self.index
    }

    /// The corpus.
    pub fn corpus(&self) -> &Arc<Corpus> {
        &self.corpus
    }

    /// The embedder.
    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.embedder
    }

    /// The `k` best articles in force for a question.
    pub fn search(
        &self,
        question: &str,
        k: usize,
        mode: SearchMode,
    ) -> Result<SearchOutcome, SearchError> {
        let started = Instant::now();
        let question = clip_chars(question.trim(), MAX_QUERY_CHARS);
        if question.is_empty() {
            return Err(SearchError::EmptyQuestion);
        }
        let mut timings = SearchTimings::default();
        let mut hits: Vec<Hit> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        // Lookup belongs to the hybrid pipeline; the single-ranking modes measure each part alone.
        let named = if mode == SearchMode::Hybrid {
            self.corpus.lookup_mentions(question)
        } else {
            Vec::new()
        };
        for article in named {
            if seen.insert(article.id.clone()) {
                hits.push(Hit::lookup(article, None));
            }
        }
        if mode == SearchMode::Hybrid
            && let Some(set) = &self.correspondence
        {
            let in_force = |code: &str| self.corpus.edition_in_force(code).map(|e| e.date.clone());
            for (article, named) in linked::linked_lookups(&self.corpus, set, question, &in_force) {
                if seen.insert(article.id.clone()) {
                    hits.push(Hit::lookup(article, Some(named)));
                }
            }
        }

        let lexical = if mode != SearchMode::Vector {
            let t = Instant::now();
            let found = self.index.lexical().search(question, CANDIDATE_CHUNKS)?;
            timings.lexical_ms = ms(t);
            self.lift(found.iter().map(|h| h.chunk))
        } else {
            Vec::new()
        };
        let vector = if mode != SearchMode::Lexical {
            let t = Instant::now();
            let query = self.embedder.embed_query(question)?;
            timings.embed_ms = ms(t);
            let t = Instant::now();
            let found = self.index.vectors().search(
                &query,
                CANDIDATE_CHUNKS,
                HNSW_EF_SEARCH.max(CANDIDATE_CHUNKS),
            );
            timings.vector_ms = ms(t);
            self.lift(found.iter().map(|h| h.chunk))
        } else {
            Vec::new()
        };

        let lexical_ids: Vec<&str> = lexical.iter().map(|(id, _)| id.as_str()).collect();
        let vector_ids: Vec<&str> = vector.iter().map(|(id, _)| id.as_str()).collect();
        let fused = reciprocal_rank_fusion(&lexical_ids, &vector_ids, self.weights);
        let max = self.weights.max_score().max(f32::EPSILON);
        for (id, score) in fused {
            if hits.len() >= k.max(1) && seen.len() >= k.max(1) {
                break;
            }
            if !seen.insert(id.to_string()) {
                // A looked-up article: record its ranks and best chunk.
                if let Some(hit) = hits.iter_mut().find(|h| h.id == id) {
                    self.fill_ranks(hit, &lexical, &vector);
                }
                continue;
            }
            let mut hit = Hit {
                id: id.to_string(),
                score: (score / max).min(1.0),
                origin: HitOrigin::Ranked,
                lexical_rank: None,
                vector_rank: None,
                best_chunk: None,
                best_range: None,
                edition: self
                    .corpus
                    .get(id)
                    .map(|a| a.edition.clone())
                    .unwrap_or_default(),
                linked_from: None,
            };
            self.fill_ranks(&mut hit, &lexical, &vector);
            hits.push(hit);
        }
        hits.truncate(k.max(1));
        timings.total_ms = ms(started);
        Ok(SearchOutcome {
            hits,
            timings,
            date: None,
            editions: self
                .corpus
                .editions_in_force()
                .map(|e| EditionUsed {
                    code: e.code.clone(),
                    edition: e.date.clone(),
                    in_force: true,
                })
                .collect(),
        })
    }

    fn fill_ranks(&self, hit: &mut Hit, lexical: &[(String, usize)], vector: &[(String, usize)]) {
        let lexical_pos = lexical.iter().position(|(id, _)| *id == hit.id);
        let vector_pos = vector.iter().position(|(id, _)| *id == hit.id);
        hit.lexical_rank = lexical_pos.map(|p| p + 1);
        hit.vector_rank = vector_pos.map(|p| p + 1);
        // The best chunk: the one from the list where the article ranks best.
        let best = match (lexical_pos, vector_pos) {
            (Some(l), Some(v)) if v < l => Some(vector[v].1),
            (Some(l), _) => Some(lexical[l].1),
            (None, Some(v)) => Some(vector[v].1),
            (None, None) => None,
        };
        hit.best_chunk = best;
        hit.best_range = best
            .and_then(|c| self.index.chunks().get(c))
            .map(|c| (c.start, c.end));
    }

    /// Lifts ranked chunks to ranked articles (first occurrence wins), keeping the best chunk.
    fn lift(&self, chunks: impl Iterator<Item = usize>) -> Vec<(String, usize)> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for chunk in chunks {
            if let Some(c) = self.index.chunks().get(chunk)
                && seen.insert(c.article_id.clone())
            {
                out.push((c.article_id.clone(), chunk));
            }
        }
        out
    }

    /// An excerpt of a hit: its best chunk, or the article start, cut at a word boundary.
    pub fn excerpt(&self, hit: &Hit) -> String {
        let Some(article) = self.corpus.get(&hit.id) else {
            return String::new();
        };
        let text = match hit.best_range {
            Some((s, e)) => article.text.get(s..e).unwrap_or(&article.text),
            None => article.text.as_str(),
        };
        excerpt_of(text, EXCERPT_CHARS)
    }

    /// The article of a hit.
    pub fn article(&self, hit: &Hit) -> Option<&Article> {
        self.corpus.get(&hit.id)
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1_000.0
}

/// The first `max` characters of `text`.
pub fn clip_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// The start of `text`, at most `max` characters, ending on a word boundary, with `…` if cut.
pub fn excerpt_of(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max {
        return flat;
    }
    let clipped = clip_chars(&flat, max);
    let cut = clipped.rfind(' ').unwrap_or(clipped.len());
    format!("{}…", &clipped[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_end_on_words() {
        let e = excerpt_of("un deux trois quatre", 9);
        assert_eq!(e, "un deux…");
        assert_eq!(excerpt_of("court", 10), "court");
        assert_eq!(clip_chars("éèà", 2), "éè");
    }
}
