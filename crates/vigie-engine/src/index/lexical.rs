//! The lexical index: BM25 over chunks with tantivy and a French analyzer.
//!
//! Agents type article numbers, acronyms and legal terms that embeddings blur; BM25 on stemmed,
//! accent-folded French catches them. Questions are analysed with the same analyzer and turned
//! into a disjunction of term queries, so no user input can be a query-syntax error.

use std::collections::HashSet;
use std::path::Path;

use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, Occur, Query, TermQuery};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument, Term, doc};

use super::IndexError;

/// Name under which the analyzer is registered, recorded in the manifest.
pub const ANALYZER: &str = "fr_stem_folded_v1";
/// Weight of heading-path matches relative to text matches.
const PATH_BOOST: f32 = 0.4;

fn lexical(e: impl std::fmt::Display) -> IndexError {
    IndexError::Lexical(e.to_string())
}

/// The French analyzer: split, lower-case, fold accents, drop stop words, stem.
pub fn french_analyzer() -> TextAnalyzer {
    let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .dynamic();
    if let Some(stop) = StopWordFilter::new(Language::French) {
        builder = builder.filter_dynamic(stop);
    }
    builder
        .filter_dynamic(AsciiFoldingFilter)
        .filter_dynamic(Stemmer::new(Language::French))
        .build()
}

struct Fields {
    chunk: Field,
    text: Field,
    path: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(ANALYZER)
        .set_index_option(IndexRecordOption::WithFreqs);
    let text_options = TextOptions::default().set_indexing_options(indexing);
    let chunk = builder.add_u64_field("chunk", STORED | FAST);
    let text = builder.add_text_field("text", text_options.clone());
    let path = builder.add_text_field("path", text_options);
    (builder.build(), Fields { chunk, text, path })
}

/// A scored chunk from the lexical index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LexicalHit {
    /// Chunk position in the index.
    pub chunk: usize,
    /// BM25 score.
    pub score: f32,
}

/// A chunk to index: its text and heading path.
pub struct LexicalDocument<'a> {
    /// Chunk text (with the article reference).
    pub text: &'a str,
    /// Heading path joined.
    pub path: &'a str,
}

/// A tantivy index opened for reading.
pub struct LexicalIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    analyzer: TextAnalyzer,
}

impl LexicalIndex {
    /// Builds the index in `dir` (which must be empty) from chunks in order.
    pub fn build(dir: &Path, documents: &[LexicalDocument<'_>]) -> Result<(), IndexError> {
        let (schema, fields) = schema();
        let index = Index::create_in_dir(dir, schema).map_err(lexical)?;
        index.tokenizers().register(ANALYZER, french_analyzer());
        let mut writer = index
            .writer_with_num_threads::<TantivyDocument>(1, 50_000_000)
            .map_err(lexical)?;
        for (i, d) in documents.iter().enumerate() {
            writer
                .add_document(doc!(
                    fields.chunk => i as u64,
                    fields.text => d.text,
                    fields.path => d.path,
                ))
                .map_err(lexical)?;
        }
        writer.commit().map_err(lexical)?;
        writer.wait_merging_threads().map_err(lexical)?;
        Ok(())
    }

    /// Opens a built index.
    pub fn open(dir: &Path) -> Result<Self, IndexError> {
        let index = Index::open_in_dir(dir).map_err(|e| IndexError::Damaged(e.to_string()))?;
        index.tokenizers().register(ANALYZER, french_analyzer());
        let (_, fields) = schema();
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(lexical)?;
        Ok(Self {
            index,
            reader,
            fields,
            analyzer: french_analyzer(),
        })
    }

    /// Analysed terms of a text (deduplicated, in order).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut analyzer = self.analyzer.clone();
        let mut stream = analyzer.token_stream(text);
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        while stream.advance() {
            let t = stream.token().text.clone();
            if seen.insert(t.clone()) {
                out.push(t);
            }
        }
        out
    }

    /// Best chunks for a question by BM25.
    pub fn search(&self, question: &str, k: usize) -> Result<Vec<LexicalHit>, IndexError> {
        let terms = self.terms(question);
        if terms.is_empty() || k == 0 {
            return Ok(Vec::new());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for t in &terms {
            let text_term = Term::from_field_text(self.fields.text, t);
            clauses.push((
                Occur::Should,
                Box::new(TermQuery::new(text_term, IndexRecordOption::WithFreqs)),
            ));
            let path_term = Term::from_field_text(self.fields.path, t);
            clauses.push((
                Occur::Should,
                Box::new(BoostQuery::new(
                    Box::new(TermQuery::new(path_term, IndexRecordOption::WithFreqs)),
                    PATH_BOOST,
                )),
            ));
        }
        let query = BooleanQuery::new(clauses);
        let searcher = self.reader.searcher();
        let top = searcher
            .search(&query, &TopDocs::with_limit(k))
            .map_err(lexical)?;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let document: TantivyDocument = searcher.doc(address).map_err(lexical)?;
            if let Some(chunk) = document
                .get_first(self.fields.chunk)
                .and_then(|v| v.as_u64())
            {
                hits.push(LexicalHit {
                    chunk: chunk as usize,
                    score,
                });
            }
        }
        Ok(hits)
    }

    /// How many chunks contain an analysed term (in their text).
    pub fn document_frequency(&self, term: &str) -> u64 {
        self.reader
            .searcher()
            .doc_freq(&Term::from_field_text(self.fields.text, term))
            .unwrap_or(0)
    }

    /// Number of indexed chunks.
    pub fn len(&self) -> usize {
        self.reader.searcher().num_docs() as usize
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The underlying tantivy index.
    pub fn tantivy(&self) -> &Index {
        &self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(text: &str) -> Vec<String> {
        let mut analyzer = french_analyzer();
        let mut stream = analyzer.token_stream(text);
        let mut out = Vec::new();
        while stream.advance() {
            out.push(stream.token().text.clone());
        }
        out
    }

    #[test]
    fn analyzer_folds_accents_and_stems() {
        assert_eq!(terms("Douanière"), terms("douaniere"));
        assert_eq!(terms("marchandises"), terms("marchandise"));
        assert!(terms("le la les des").is_empty());
        assert_eq!(
            terms("article 414"),
            vec!["articl".to_string(), "414".to_string()]
        );
    }
}
