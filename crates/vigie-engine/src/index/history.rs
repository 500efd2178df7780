//! The full-text index of the historical editions (every edition that is not in force).
//!
//! A question about the past ("que disait l'article 265 en 2019 ?") may concern an article that
//! no longer exists, which the index of the law in force cannot find. Historical editions are
//! small and change rarely, so they get a lexical index only (BM25 with the same French analyzer
//! as the in-force index), rebuilt in seconds whenever the hash of the historical editions
//! changes. It lives beside the in-force index and never touches it or its manifest; like it,
//! it is built in a staging directory, swapped in with renames, and checked on opening.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::lexical::{ANALYZER, LexicalDocument, LexicalIndex};
use super::manifest::{FileChecksum, checksum_file, checksum_tree};
use super::{IndexError, lexical_text, remove_leftovers, swap_in, write_synced};
use crate::corpus::{Article, Chunk, Corpus, MAX_CHUNK_BYTES, TARGET_CHUNK_BYTES, chunk_article};

/// Format of the history index directory.
pub const HISTORY_FORMAT: u32 = 1;
const MANIFEST_FILE: &str = "manifest.json";
const CHUNKS_FILE: &str = "chunks.json";
const LEXICAL_DIR: &str = "lexical";

/// What the history index was built from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryManifest {
    /// [`HISTORY_FORMAT`].
    pub format: u32,
    /// Hash of the historical editions ([`Corpus::hash_history`]).
    pub corpus_hash: String,
    /// Analyzer name.
    pub analyzer: String,
    /// Chunking parameters.
    pub chunk_target_bytes: usize,
    /// Chunking parameters.
    pub chunk_max_bytes: usize,
    /// Number of chunks.
    pub chunk_count: usize,
    /// Checksum of every file but the manifest.
    pub files: BTreeMap<String, FileChecksum>,
}

/// A chunk of a historical article found by BM25.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryHit {
    /// Chunk position in [`HistoryIndex::chunks`].
    pub chunk: usize,
    /// BM25 score.
    pub score: f32,
}

/// The opened history index.
pub struct HistoryIndex {
    chunks: Vec<Chunk>,
    lexical: LexicalIndex,
}

impl HistoryIndex {
    /// Opens the index in `dir`, or (re)builds it when missing, stale or damaged.
    /// Returns whether it was built.
    pub fn open_or_build(dir: &Path, corpus: &Corpus) -> Result<(Self, bool), IndexError> {
        match Self::open(dir, corpus) {
            Ok(index) => return Ok((index, false)),
            Err(e) if e.needs_rebuild() => log::info!("history index: {e}; rebuilding"),
            Err(e) => return Err(e),
        }
        match Self::build(dir, corpus) {
            Ok(index) => Ok((index, true)),
            // Another process may have swapped its own build in first.
            Err(IndexError::Io { .. }) => Self::open(dir, corpus).map(|i| (i, false)),
            Err(e) => Err(e),
        }
    }

    /// Opens a built index if it matches the corpus and its files are intact.
    pub fn open(dir: &Path, corpus: &Corpus) -> Result<Self, IndexError> {
        let manifest_path = dir.join(MANIFEST_FILE);
        let text = match fs::read_to_string(&manifest_path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(IndexError::Missing(dir.to_path_buf()));
            }
            Err(source) => {
                return Err(IndexError::Io {
                    path: manifest_path,
                    source,
                });
            }
        };
        let manifest: HistoryManifest = serde_json::from_str(&text)
            .map_err(|e| IndexError::Damaged(format!("history manifest: {e}")))?;
        if manifest.format != HISTORY_FORMAT
            || manifest.analyzer != ANALYZER
            || manifest.chunk_target_bytes != TARGET_CHUNK_BYTES
            || manifest.chunk_max_bytes != MAX_CHUNK_BYTES
        {
            return Err(IndexError::Stale(
                "history index format or parameters".into(),
            ));
        }
        if manifest.corpus_hash != corpus.hash_history() {
            return Err(IndexError::Stale("historical editions changed".into()));
        }
        for (name, expected) in &manifest.files {
            let actual = checksum_file(&dir.join(name))
                .map_err(|_| IndexError::Damaged(format!("{name} is missing or unreadable")))?;
            if actual != *expected {
                return Err(IndexError::Damaged(format!("{name} checksum mismatch")));
            }
        }
        let chunks_path = dir.join(CHUNKS_FILE);
        let text = fs::read_to_string(&chunks_path).map_err(|source| IndexError::Io {
            path: chunks_path,
            source,
        })?;
        let chunks: Vec<Chunk> = serde_json::from_str(&text)
            .map_err(|e| IndexError::Damaged(format!("history {CHUNKS_FILE}: {e}")))?;
        let lexical = LexicalIndex::open(&dir.join(LEXICAL_DIR))?;
        if chunks.len() != manifest.chunk_count || lexical.len() != chunks.len() {
            return Err(IndexError::Damaged(
                "history index chunk count differs from its manifest".into(),
            ));
        }
        Ok(Self { chunks, lexical })
    }

    /// Builds the index of every historical edition into `dir` (replaced atomically).
    pub fn build(dir: &Path, corpus: &Corpus) -> Result<Self, IndexError> {
        let parent = dir.parent().unwrap_or(Path::new("."));
        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "history".into());
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| IndexError::Io { path, source }
        };
        fs::create_dir_all(parent).map_err(io(parent))?;
        remove_leftovers(parent, &name);
        let staging = parent.join(format!("{name}.building-{}", std::process::id()));
        fs::create_dir_all(staging.join(LEXICAL_DIR)).map_err(io(&staging))?;

        let historical: Vec<&Article> = corpus
            .articles()
            .iter()
            .filter(|a| !corpus.is_in_force(a))
            .collect();
        let mut chunks = Vec::new();
        let mut texts = Vec::new();
        for article in historical {
            for chunk in chunk_article(article) {
                texts.push((lexical_text(article, &chunk), article.path.join(" ; ")));
                chunks.push(chunk);
            }
        }
        let documents: Vec<LexicalDocument<'_>> = texts
            .iter()
            .map(|(text, path)| LexicalDocument { text, path })
            .collect();
        LexicalIndex::build(&staging.join(LEXICAL_DIR), &documents)?;
        let chunks_json = serde_json::to_vec(&chunks)
            .map_err(|e| IndexError::Damaged(format!("cannot serialise chunks: {e}")))?;
        write_synced(&staging.join(CHUNKS_FILE), &chunks_json)?;
        let manifest = HistoryManifest {
            format: HISTORY_FORMAT,
            corpus_hash: corpus.hash_history(),
            analyzer: ANALYZER.to_string(),
            chunk_target_bytes: TARGET_CHUNK_BYTES,
            chunk_max_bytes: MAX_CHUNK_BYTES,
            chunk_count: chunks.len(),
            files: checksum_tree(&staging)?,
        };
        let manifest_json = serde_json::to_vec_pretty(&manifest)
            .map_err(|e| IndexError::Damaged(format!("cannot serialise manifest: {e}")))?;
        write_synced(&staging.join(MANIFEST_FILE), &manifest_json)?;
        swap_in(&staging, dir)?;
        Self::open(dir, corpus)
    }

    /// Best historical chunks for a question by BM25.
    pub fn search(&self, question: &str, k: usize) -> Result<Vec<HistoryHit>, IndexError> {
        Ok(self
            .lexical
            .search(question, k)?
            .into_iter()
            .map(|h| HistoryHit {
                chunk: h.chunk,
                score: h.score,
            })
            .collect())
    }

    /// All chunks, in index order.
    pub fn chunks(&self) -> &[Chunk] {
        &self.chunks
    }
}
