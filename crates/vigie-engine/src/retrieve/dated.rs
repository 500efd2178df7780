//! Searching the law as it stood at a date.
//!
//! For each code, the edition in force at the date ([`versions::edition_at`]) is searched; a
//! code with no edition that early is left out (the CIBS did not exist in 2019). Where that
//! edition is the one in force, the ordinary search is used as is. Otherwise three sources are
//! combined, because the vector index only covers the law in force:
//! 1. numbers named in the question, looked up in that edition (then through the
//!    correspondence tables);
//! 2. the hybrid ranking of the law in force, each article mapped by number to the same article
//!    in that edition when it existed then (most articles keep their number across editions);
//! 3. BM25 over the historical editions, so that articles that no longer exist can be found.
//!
//! 2 and 3 are fused by reciprocal rank. Every hit carries the edition it comes from.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use super::{
    CANDIDATE_CHUNKS, EditionUsed, FusionWeights, Hit, HitOrigin, MAX_QUERY_CHARS, Retriever,
    SearchError, SearchMode, SearchOutcome, clip_chars, linked, ms, reciprocal_rank_fusion,
};
use crate::corpus::is_iso_date;
use crate::versions::{self, dated};

impl Retriever {
    /// The `k` best articles for a question, at the date it names if it names one (see
    /// [`dated::find_date`]), otherwise in force.
    pub fn search_auto(
        &self,
        question: &str,
        k: usize,
        mode: SearchMode,
    ) -> Result<SearchOutcome, SearchError> {
        match dated::find_date(clip_chars(question, MAX_QUERY_CHARS)) {
            Some(mention) => self.search_at(question, k, mode, &mention.date),
            None => self.search(question, k, mode),
        }
    }

    /// The `k` best articles of the editions in force at `date` (`YYYY-MM-DD`).
    pub fn search_at(
        &self,
        question: &str,
        k: usize,
        mode: SearchMode,
        date: &str,
    ) -> Result<SearchOutcome, SearchError> {
        let started = Instant::now();
        if !is_iso_date(date) {
            return Err(SearchError::InvalidDate(date.to_string()));
        }
        let question = clip_chars(question.trim(), MAX_QUERY_CHARS);
        if question.is_empty() {
            return Err(SearchError::EmptyQuestion);
        }
        let corpus = &self.corpus;
        let mut editions: Vec<EditionUsed> = Vec::new();
        for edition in corpus.editions_in_force() {
            if let Ok(at) = versions::edition_at(corpus, &edition.code, date) {
                editions.push(EditionUsed {
                    in_force: at == edition.date,
                    code: edition.code.clone(),
                    edition: at,
                });
            }
        }
        if editions.is_empty() {
            let oldest = corpus
                .editions()
                .iter()
                .map(|e| e.date.clone())
                .min()
                .unwrap_or_default();
            return Err(SearchError::NoEditionAt {
                date: date.to_string(),
                oldest,
            });
        }
        let target: HashMap<String, String> = editions
            .iter()
            .map(|e| (e.code.clone(), e.edition.clone()))
            .collect();
        // The year is not a word to search for.
        let ranking_question = match dated::find_date(question) {
            Some(m) => dated::without_date(question, &m),
            None => question.to_string(),
        };
        let ranking_question = if ranking_question.trim().is_empty() {
            question.to_string()
        } else {
            ranking_question
        };

        if editions.iter().all(|e| e.in_force) {
            let mut outcome = self.search(question, k, mode)?;
            outcome.hits.retain(|h| {
                self.corpus
                    .get(&h.id)
                    .is_some_and(|a| target.contains_key(&a.code))
            });
            outcome.date = Some(date.to_string());
            outcome.editions = editions;
            outcome.timings.total_ms = ms(started);
            return Ok(outcome);
        }

        let edition_of = |code: &str| target.get(code).cloned();
        let mut hits: Vec<Hit> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        if mode == SearchMode::Hybrid {
            for article in corpus.lookup_mentions_in(question, &edition_of) {
                if seen.insert(article.id.clone()) {
                    hits.push(Hit::lookup(article, None));
                }
            }
            if let Some(set) = &self.correspondence {
                for (article, named) in linked::linked_lookups(corpus, set, question, &edition_of) {
                    if seen.insert(article.id.clone()) {
                        hits.push(Hit::lookup(article, Some(named)));
                    }
                }
            }
        }

        // 2. The ranking in force, mapped to the editions at the date.
        let mut timings = super::SearchTimings::default();
        let in_force = self.search(&ranking_question, CANDIDATE_CHUNKS / 2, mode)?;
        timings.embed_ms = in_force.timings.embed_ms;
        timings.lexical_ms = in_force.timings.lexical_ms;
        timings.vector_ms = in_force.timings.vector_ms;
        let mut mapped: Vec<String> = Vec::new();
        let mut in_force_hits: HashMap<String, Hit> = HashMap::new();
        for hit in in_force.hits {
            let Some(article) = corpus.get(&hit.id) else {
                continue;
            };
            let Some(edition) = target.get(&article.code) else {
                continue;
            };
            if *edition == article.edition {
                mapped.push(hit.id.clone());
                in_force_hits.insert(hit.id.clone(), hit);
            } else if let Some(then) = corpus.find_number(&article.code, edition, &article.article)
                && !mapped.contains(&then.id)
            {
                mapped.push(then.id.clone());
            }
        }

        // 3. BM25 over the historical editions.
        let mut historical: Vec<(String, (usize, usize))> = Vec::new();
        if mode != SearchMode::Vector
            && let Some(history) = &self.history
        {
            let t = Instant::now();
            let found = history.search(&ranking_question, CANDIDATE_CHUNKS)?;
            timings.lexical_ms += ms(t);
            let mut taken = HashSet::new();
            for h in found {
                let Some(chunk) = history.chunks().get(h.chunk) else {
                    continue;
                };
                let Some(article) = corpus.get(&chunk.article_id) else {
                    continue;
                };
                if target.get(&article.code) == Some(&article.edition)
                    && taken.insert(article.id.clone())
                {
                    historical.push((article.id.clone(), (chunk.start, chunk.end)));
                }
            }
        }

        let historical_ids: Vec<&str> = historical.iter().map(|(id, _)| id.as_str()).collect();
        let mapped_ids: Vec<&str> = mapped.iter().map(String::as_str).collect();
        let weights = FusionWeights::default();
        let fused = reciprocal_rank_fusion(&mapped_ids, &historical_ids, weights);
        let max = weights.max_score().max(f32::EPSILON);
        for (id, score) in fused {
            if hits.len() >= k.max(1) {
                break;
            }
            if !seen.insert(id.to_string()) {
                continue;
            }
            if let Some(mut hit) = in_force_hits.remove(id) {
                hit.score = (score / max).min(1.0);
                hits.push(hit);
                continue;
            }
            let Some(article) = corpus.get(id) else {
                continue;
            };
            let range = historical
                .iter()
                .find(|(h, _)| h == id)
                .map(|(_, range)| *range);
            hits.push(Hit {
                id: id.to_string(),
                score: (score / max).min(1.0),
                origin: HitOrigin::Ranked,
                lexical_rank: historical_ids.iter().position(|h| *h == id).map(|p| p + 1),
                vector_rank: None,
                // Chunk positions refer to the in-force index; historical hits have none.
                best_chunk: None,
                best_range: range,
                edition: article.edition.clone(),
                linked_from: None,
            });
        }
        hits.truncate(k.max(1));
        timings.total_ms = ms(started);
        Ok(SearchOutcome {
            hits,
            timings,
            date: Some(date.to_string()),
            editions,
        })
    }
}
