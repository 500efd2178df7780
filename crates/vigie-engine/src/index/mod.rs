//! The retrieval index of the law in force: chunks, their vectors (HNSW) and a full-text
//! index, built together as one immutable snapshot directory.
//!
//! A build writes a fresh directory beside the current one and swaps it in with renames, so a
//! crash mid-build leaves the previous index intact (or none, never a half-written one). The
//! manifest, written last, records the corpus hash, the embedding model's SHA-256, the
//! parameters and every file's checksum; opening checks all of them.

mod error;
mod history;
mod lexical;
mod manifest;
mod passages;
mod vector;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

pub use error::IndexError;
pub use history::{HISTORY_FORMAT, HistoryHit, HistoryIndex, HistoryManifest};
pub use lexical::{ANALYZER, LexicalDocument, LexicalHit, LexicalIndex, french_analyzer};
pub use manifest::{
    FORMAT_VERSION, FileChecksum, IndexExpectation, IndexManifest, IndexParameters, IndexedEdition,
    checksum_file, checksum_tree,
};
pub use passages::PassageStore;
pub use vector::{VectorHit, VectorIndex};

use crate::corpus::{
    Article, Chunk, Corpus, MAX_CHUNK_BYTES, Passage, TARGET_CHUNK_BYTES, chunk_article,
    passages_of,
};
use crate::embed::{Embedder, TextKind};

/// HNSW neighbours per node.
pub const HNSW_MAX_CONNECTIONS: usize = 24;
/// HNSW candidate list at construction.
pub const HNSW_EF_CONSTRUCTION: usize = 200;
/// HNSW candidate list at search.
pub const HNSW_EF_SEARCH: usize = 96;

const CHUNKS_FILE: &str = "chunks.json";
const LEXICAL_DIR: &str = "lexical";

/// The parameters this build of Vigie uses.
pub fn current_parameters() -> IndexParameters {
    IndexParameters {
        hnsw_max_connections: HNSW_MAX_CONNECTIONS,
        hnsw_ef_construction: HNSW_EF_CONSTRUCTION,
        chunk_target_bytes: TARGET_CHUNK_BYTES,
        chunk_max_bytes: MAX_CHUNK_BYTES,
        lexical_analyzer: ANALYZER.to_string(),
        passage_cutting: crate::corpus::PASSAGE_CUTTING.to_string(),
    }
}

/// Progress of a build, reported to the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum BuildProgress {
    /// Articles cut into chunks.
    Chunked {
        /// Number of chunks.
        chunks: usize,
    },
    /// Passages embedded so far.
    Embedding {
        /// Done.
        done: usize,
        /// Total.
        total: usize,
    },
    /// Building the HNSW graph.
    Graph,
    /// Building the full-text index.
    FullText,
    /// Writing and verifying files.
    Writing,
}

/// Text embedded for a chunk: the reference and heading give the model context.
pub fn passage_text(article: &Article, chunk: &Chunk) -> String {
    let heading = article.path.last().map(String::as_str).unwrap_or("");
    format!(
        "{} {} {}\n{}",
        article.code_short(),
        article.reference(),
        heading,
        chunk.text(article)
    )
}

/// Text embedded for a passage of an extract: an item of a list is read with the sentence
/// that introduces it (« Sont passibles… : 1° … »), clipped, so that it keeps its meaning.
pub fn extract_passage_text(
    article_text: &str,
    passage: &Passage,
    lead: Option<&Passage>,
) -> String {
    let body = passage.text(article_text).trim();
    match lead {
        Some(lead) => {
            let lead_text = crate::retrieve::excerpt_of(lead.text(article_text).trim(), 240);
            format!("{lead_text} {body}")
        }
        None => body.to_string(),
    }
}

/// Text indexed for full-text search.
fn lexical_text(article: &Article, chunk: &Chunk) -> String {
    format!("{}\n{}", article.reference(), chunk.text(article))
}

/// An opened, verified index snapshot.
pub struct RetrievalIndex {
    dir: PathBuf,
    manifest: IndexManifest,
    chunks: Vec<Chunk>,
    vectors: VectorIndex,
    lexical: LexicalIndex,
    passages: PassageStore,
}

impl RetrievalIndex {
    /// Opens the index in `dir` if it matches `expected` and its files are intact.
    pub fn open(dir: &Path, expected: &IndexExpectation) -> Result<Self, IndexError> {
        let manifest = IndexManifest::read(dir)?;
        manifest.check_matches(expected)?;
        manifest.check_files(dir)?;
        let chunks_path = dir.join(CHUNKS_FILE);
        let text = fs::read_to_string(&chunks_path).map_err(|source| IndexError::Io {
            path: chunks_path,
            source,
        })?;
        let chunks: Vec<Chunk> = serde_json::from_str(&text)
            .map_err(|e| IndexError::Damaged(format!("{CHUNKS_FILE}: {e}")))?;
        if chunks.len() != manifest.vector_count {
            return Err(IndexError::Damaged(
                "chunk count differs from the manifest".into(),
            ));
        }
        let vectors = VectorIndex::load(dir, chunks.len())?;
        let lexical = LexicalIndex::open(&dir.join(LEXICAL_DIR))?;
        if lexical.len() != chunks.len() {
            return Err(IndexError::Damaged(
                "the full-text index does not hold every chunk".into(),
            ));
        }
        let passages = PassageStore::load(dir, manifest.dimension)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            manifest,
            chunks,
            vectors,
            lexical,
            passages,
        })
    }

    /// Builds the index of the editions in force into `dir`, replacing what is there
    /// atomically, then opens it.
    pub fn build(
        dir: &Path,
        corpus: &Corpus,
        embedder: &dyn Embedder,
        progress: &mut dyn FnMut(BuildProgress),
    ) -> Result<Self, IndexError> {
        let parent = dir.parent().unwrap_or(Path::new("."));
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "index".into());
        fs::create_dir_all(parent).map_err(|source| IndexError::Io {
            path: parent.to_path_buf(),
            source,
        })?;
        remove_leftovers(parent, &name);
        let staging = parent.join(format!("{name}.building-{}", std::process::id()));

        let articles: Vec<&Article> = corpus.articles_in_force().collect();
        let mut source = SnapshotSource {
            chunks: Vec::new(),
            chunk_texts: Vec::new(),
            lexical: Vec::new(),
            passages: Vec::new(),
            corpus_hash: corpus.hash_in_force(),
            editions: corpus
                .editions_in_force()
                .map(|e| IndexedEdition {
                    code: e.code.clone(),
                    date: e.date.clone(),
                    hash: e.hash.clone(),
                })
                .collect(),
        };
        for article in &articles {
            let passages = passages_of(article);
            for passage in &passages {
                let lead = passage.lead.and_then(|i| passages.get(i));
                let text = extract_passage_text(&article.text, passage, lead);
                source.passages.push((passage.clone(), text));
            }
            for chunk in chunk_article(article) {
                source.chunk_texts.push(passage_text(article, &chunk));
                source
                    .lexical
                    .push((lexical_text(article, &chunk), article.path.join(" ; ")));
                source.chunks.push(chunk);
            }
        }
        let manifest = write_snapshot(&staging, source, embedder, progress)?;
        swap_in(&staging, dir)?;
        let expected = IndexExpectation {
            corpus_hash: manifest.corpus_hash.clone(),
            embedder_sha256: manifest.embedder_sha256.clone(),
            parameters: manifest.parameters.clone(),
        };
        Self::open(dir, &expected)
    }

    /// Directory of the snapshot.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest.
    pub fn manifest(&self) -> &IndexManifest {
        &self.manifest
    }

    /// All chunks, in index order.
    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }

    /// The vector index.
    pub fn vectors(&self) -> &VectorIndex {
        &self.vectors
    }

    /// The full-text index.
    pub fn lexical(&self) -> &LexicalIndex {
        &self.lexical
    }

    /// The passages of the articles, with their vectors (empty for document collections).
    pub fn passages(&self) -> &PassageStore {
        &self.passages
    }
}

/// What a snapshot is built from: chunks, the text embedded for each and the text indexed
/// for full-text search (with its heading path), and the identity of the source.
///
/// The law in force and each collection of imported documents are built by the same code
/// from this, so both get the same manifest, checksums and verification at open.
pub struct SnapshotSource {
    /// Chunks, in index order.
    pub chunks: Vec<Chunk>,
    /// Text embedded for each chunk.
    pub chunk_texts: Vec<String>,
    /// Text indexed for each chunk, and its heading path.
    pub lexical: Vec<(String, String)>,
    /// Passages of the articles for extracts, each with the text embedded for it (grouped by
    /// article; may be empty).
    pub passages: Vec<(Passage, String)>,
    /// Content hash of what the chunks come from.
    pub corpus_hash: String,
    /// Editions indexed (empty for documents).
    pub editions: Vec<IndexedEdition>,
}

/// Builds a snapshot into `staging` (created, must not exist yet): vectors, graph, full-text
/// index, chunk list, and the manifest written last. Returns the manifest.
pub fn write_snapshot(
    staging: &Path,
    source: SnapshotSource,
    embedder: &dyn Embedder,
    progress: &mut dyn FnMut(BuildProgress),
) -> Result<IndexManifest, IndexError> {
    let started = Instant::now();
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| IndexError::Io { path, source }
    };
    fs::create_dir_all(staging.join(LEXICAL_DIR)).map_err(io(staging))?;
    let SnapshotSource {
        chunks,
        chunk_texts,
        lexical,
        passages,
        corpus_hash,
        editions,
    } = source;
    progress(BuildProgress::Chunked {
        chunks: chunks.len(),
    });
    // Chunks and passages in one call, so that the embedder keeps every core busy throughout.
    let refs: Vec<&str> = chunk_texts
        .iter()
        .map(String::as_str)
        .chain(passages.iter().map(|(_, text)| text.as_str()))
        .collect();
    let embed_started = Instant::now();
    let mut vectors = embedder.embed(&refs, TextKind::Passage, &mut |done, total| {
        progress(BuildProgress::Embedding { done, total })
    })?;
    let embed_seconds = embed_started.elapsed().as_secs_f64();
    let passage_vectors = vectors.split_off(chunk_texts.len().min(vectors.len()));

    progress(BuildProgress::Graph);
    let dimension = embedder.identity().dimension;
    let vector_index = VectorIndex::build(
        &vectors,
        dimension,
        HNSW_MAX_CONNECTIONS,
        HNSW_EF_CONSTRUCTION,
    )?;
    vector_index.save(staging)?;

    progress(BuildProgress::FullText);
    let documents: Vec<LexicalDocument<'_>> = lexical
        .iter()
        .map(|(text, path)| LexicalDocument { text, path })
        .collect();
    LexicalIndex::build(&staging.join(LEXICAL_DIR), &documents)?;

    progress(BuildProgress::Writing);
    if !passages.is_empty() {
        let passage_list: Vec<Passage> = passages.into_iter().map(|(p, _)| p).collect();
        PassageStore::write(staging, &passage_list, &passage_vectors)?;
    }
    let chunks_json = serde_json::to_vec(&chunks)
        .map_err(|e| IndexError::Damaged(format!("cannot serialise chunks: {e}")))?;
    write_synced(&staging.join(CHUNKS_FILE), &chunks_json)?;
    let files = checksum_tree(staging)?;
    let manifest = IndexManifest {
        format: FORMAT_VERSION,
        corpus_hash,
        editions,
        embedder_name: embedder.identity().name.clone(),
        embedder_sha256: embedder.identity().sha256.clone(),
        dimension,
        parameters: current_parameters(),
        vector_count: chunks.len(),
        build_seconds: started.elapsed().as_secs_f64(),
        embed_seconds,
        files,
    };
    let manifest_json = serde_json::to_vec_pretty(&manifest)
        .map_err(|e| IndexError::Damaged(format!("cannot serialise manifest: {e}")))?;
    // The manifest is written last: a directory without one is never opened.
    write_synced(&staging.join("manifest.json"), &manifest_json)?;
    Ok(manifest)
}

pub(crate) fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    use std::io::Write;
    let err = |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::File::create(path).map_err(err)?;
    file.write_all(bytes).map_err(err)?;
    file.sync_all().map_err(err)
}

/// Replaces `target` by `staging` with renames; the old snapshot is removed afterwards.
pub(crate) fn swap_in(staging: &Path, target: &Path) -> Result<(), IndexError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| IndexError::Io { path, source }
    };
    let retired = target.with_extension(format!("old-{}", std::process::id()));
    if target.exists() {
        fs::rename(target, &retired).map_err(io(target))?;
    }
    fs::rename(staging, target).map_err(io(staging))?;
    if retired.exists() {
        // Best effort: a leftover is removed at the next build.
        let _ = fs::remove_dir_all(&retired);
    }
    if let Some(parent) = target.parent()
        && let Ok(dir) = fs::File::open(parent)
    {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Removes staging and retired directories left by an interrupted build.
pub(crate) fn remove_leftovers(parent: &Path, name: &str) {
    let Ok(entries) = fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let file_name = entry.file_name().to_string_lossy().to_string();
        let leftover = file_name.starts_with(&format!("{name}.building-"))
            || file_name.starts_with(&format!("{name}.old-"));
        if leftover {
            log::info!("removing leftover index directory {file_name}");
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}
