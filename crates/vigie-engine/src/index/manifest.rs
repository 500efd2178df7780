//! The manifest written beside an index: what it was built from, and checksums of its files.
//!
//! An index is only used if its manifest matches the current corpus, embedding model and
//! parameters, and every file it lists still has the recorded size and SHA-256. Anything else
//! is stale or damaged and triggers a rebuild; an index is never silently used.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::IndexError;

/// Current on-disk format version.
/// 3: passages of the articles and their vectors, for extracts.
pub const FORMAT_VERSION: u32 = 3;

/// Parameters that change the content of an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexParameters {
    /// HNSW: neighbours kept per node.
    pub hnsw_max_connections: usize,
    /// HNSW: candidate list size at construction.
    pub hnsw_ef_construction: usize,
    /// Target chunk size in bytes.
    pub chunk_target_bytes: usize,
    /// Maximum chunk size in bytes.
    pub chunk_max_bytes: usize,
    /// Name of the lexical analyzer.
    pub lexical_analyzer: String,
    /// How articles are cut into extract passages (see [`crate::corpus::PASSAGE_CUTTING`]).
    #[serde(default)]
    pub passage_cutting: String,
}

/// One edition indexed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexedEdition {
    /// Code.
    pub code: String,
    /// Edition date.
    pub date: String,
    /// Content hash of the edition.
    pub hash: String,
}

/// A file of the index with its checksum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileChecksum {
    /// Size in bytes.
    pub size: u64,
    /// SHA-256.
    pub sha256: String,
}

/// Everything recorded about a built index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexManifest {
    /// Format version.
    pub format: u32,
    /// Hash of the corpus editions indexed.
    pub corpus_hash: String,
    /// Editions indexed.
    pub editions: Vec<IndexedEdition>,
    /// Embedding model name.
    pub embedder_name: String,
    /// SHA-256 of the embedding model file.
    pub embedder_sha256: String,
    /// Vector dimension.
    pub dimension: usize,
    /// Build parameters.
    pub parameters: IndexParameters,
    /// Number of chunks (= vectors).
    pub vector_count: usize,
    /// Seconds spent building.
    pub build_seconds: f64,
    /// Seconds spent embedding passages.
    pub embed_seconds: f64,
    /// Files relative to the index directory, with checksums.
    pub files: BTreeMap<String, FileChecksum>,
}

/// What an index must have been built from to be usable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexExpectation {
    /// Hash of the corpus editions in force.
    pub corpus_hash: String,
    /// SHA-256 of the embedding model.
    pub embedder_sha256: String,
    /// Parameters.
    pub parameters: IndexParameters,
}

impl IndexManifest {
    /// Reads `manifest.json` from an index directory.
    pub fn read(dir: &Path) -> Result<Self, IndexError> {
        let path = dir.join("manifest.json");
        if !path.exists() {
            return Err(IndexError::Missing(dir.to_path_buf()));
        }
        let text = fs::read_to_string(&path).map_err(|source| IndexError::Io {
            path: path.clone(),
            source,
        })?;
        serde_json::from_str(&text)
            .map_err(|e| IndexError::Damaged(format!("manifest.json unreadable: {e}")))
    }

    /// Checks that the index was built from what is expected now.
    pub fn check_matches(&self, expected: &IndexExpectation) -> Result<(), IndexError> {
        if self.format != FORMAT_VERSION {
            return Err(IndexError::Stale(format!(
                "format {} (expected {FORMAT_VERSION})",
                self.format
            )));
        }
        if self.corpus_hash != expected.corpus_hash {
            return Err(IndexError::Stale("the corpus has changed".into()));
        }
        if self.embedder_sha256 != expected.embedder_sha256 {
            return Err(IndexError::Stale("the embedding model has changed".into()));
        }
        if self.parameters != expected.parameters {
            return Err(IndexError::Stale(
                "the index parameters have changed".into(),
            ));
        }
        Ok(())
    }

    /// Checks every listed file against its recorded size and checksum.
    pub fn check_files(&self, dir: &Path) -> Result<(), IndexError> {
        for (name, expected) in &self.files {
            let path = dir.join(name);
            let actual = checksum_file(&path)
                .map_err(|_| IndexError::Damaged(format!("{name} is missing or unreadable")))?;
            if actual.size != expected.size {
                return Err(IndexError::Damaged(format!(
                    "{name} has {} bytes, {} expected",
                    actual.size, expected.size
                )));
            }
            if actual.sha256 != expected.sha256 {
                return Err(IndexError::Damaged(format!("{name} checksum mismatch")));
            }
        }
        Ok(())
    }
}

/// Size and SHA-256 of a file.
pub fn checksum_file(path: &Path) -> std::io::Result<FileChecksum> {
    let mut file = fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buffer[..n]);
    }
    Ok(FileChecksum {
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Checksums of every file under `dir` (recursively), keyed by relative path.
pub fn checksum_tree(dir: &Path) -> Result<BTreeMap<String, FileChecksum>, IndexError> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(current) = stack.pop() {
        let entries = fs::read_dir(&current).map_err(|source| IndexError::Io {
            path: current.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| IndexError::Io {
                path: current.clone(),
                source,
            })?;
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let relative = path
                .strip_prefix(dir)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            // Lock files of the full-text engine change on every open.
            if relative == "manifest.json" || relative.ends_with(".lock") {
                continue;
            }
            let sum = checksum_file(&path).map_err(|source| IndexError::Io {
                path: path.clone(),
                source,
            })?;
            out.insert(relative, sum);
        }
    }
    Ok(out)
}
