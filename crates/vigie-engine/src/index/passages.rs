//! The passages of the law in force and their vectors, stored with the index.
//!
//! The extract (the sentence or the `2°` that answers) is chosen among the passages of the few
//! articles retrieval found, and must be ready before the model writes a word: embedding those
//! passages at question time would cost a second on a 2-core laptop, so each passage is
//! embedded once, at index time, beside the chunks. Ranking then reads a few dozen vectors
//! by article (an exact scan: no graph is needed for so few).

use std::collections::HashMap;
use std::fs;
use std::ops::Range;
use std::path::Path;

use super::{IndexError, write_synced};
use crate::corpus::Passage;

const PASSAGES_FILE: &str = "passages.json";
const VECTORS_FILE: &str = "passage_vectors.f32";

/// Passages, their unit vectors and, per article, where its passages are.
pub struct PassageStore {
    passages: Vec<Passage>,
    vectors: Vec<f32>,
    dimension: usize,
    by_article: HashMap<String, Range<usize>>,
}

impl PassageStore {
    /// An empty store (indexes without passages, such as document collections).
    pub fn empty(dimension: usize) -> Self {
        Self {
            passages: Vec::new(),
            vectors: Vec::new(),
            dimension,
            by_article: HashMap::new(),
        }
    }

    /// Writes `passages` (grouped by article, in order) and their vectors into `dir`.
    pub fn write(dir: &Path, passages: &[Passage], vectors: &[Vec<f32>]) -> Result<(), IndexError> {
        if passages.len() != vectors.len() {
            return Err(IndexError::Damaged(
                "passage and vector counts differ".into(),
            ));
        }
        let json = serde_json::to_vec(passages)
            .map_err(|e| IndexError::Damaged(format!("cannot serialise passages: {e}")))?;
        write_synced(&dir.join(PASSAGES_FILE), &json)?;
        let mut raw = Vec::with_capacity(vectors.iter().map(|v| v.len() * 4).sum());
        for value in vectors.iter().flatten() {
            raw.extend_from_slice(&value.to_le_bytes());
        }
        write_synced(&dir.join(VECTORS_FILE), &raw)
    }

    /// Reads the store of `dir` (its files were checked against the manifest by the caller).
    pub fn load(dir: &Path, dimension: usize) -> Result<Self, IndexError> {
        let path = dir.join(PASSAGES_FILE);
        if !path.exists() {
            return Ok(Self::empty(dimension));
        }
        let text = fs::read_to_string(&path).map_err(|source| IndexError::Io {
            path: path.clone(),
            source,
        })?;
        let passages: Vec<Passage> = serde_json::from_str(&text)
            .map_err(|e| IndexError::Damaged(format!("{PASSAGES_FILE}: {e}")))?;
        let vectors_path = dir.join(VECTORS_FILE);
        let raw = fs::read(&vectors_path).map_err(|source| IndexError::Io {
            path: vectors_path,
            source,
        })?;
        if dimension == 0 || raw.len() != passages.len() * dimension * 4 {
            return Err(IndexError::Damaged(format!(
                "{VECTORS_FILE} holds {} bytes, {} passages of {dimension} dimensions expected",
                raw.len(),
                passages.len()
            )));
        }
        let vectors: Vec<f32> = raw
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        let mut by_article: HashMap<String, Range<usize>> = HashMap::new();
        for (i, passage) in passages.iter().enumerate() {
            let range = by_article.entry(passage.article_id.clone()).or_insert(i..i);
            if range.end != i {
                return Err(IndexError::Damaged(format!(
                    "{PASSAGES_FILE}: passages of {} are not contiguous",
                    passage.article_id
                )));
            }
            range.end = i + 1;
        }
        Ok(Self {
            passages,
            vectors,
            dimension,
            by_article,
        })
    }

    /// The passages of an article with their vectors, in text order (empty when unknown).
    pub fn of_article(&self, article_id: &str) -> Vec<(&Passage, &[f32])> {
        let Some(range) = self.by_article.get(article_id) else {
            return Vec::new();
        };
        range
            .clone()
            .map(|i| {
                let v = &self.vectors[i * self.dimension..(i + 1) * self.dimension];
                (&self.passages[i], v)
            })
            .collect()
    }

    /// Number of passages.
    pub fn len(&self) -> usize {
        self.passages.len()
    }

    /// Whether there is none.
    pub fn is_empty(&self) -> bool {
        self.passages.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(article: &str, ordinal: usize) -> Passage {
        Passage {
            article_id: article.into(),
            ordinal,
            start: ordinal * 10,
            end: ordinal * 10 + 9,
            location: format!("al. {}", ordinal + 1),
            lead: None,
        }
    }

    #[test]
    fn passages_round_trip_by_article() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let passages = vec![passage("a", 0), passage("a", 1), passage("b", 0)];
        let vectors = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![0.6, 0.8]];
        PassageStore::write(dir.path(), &passages, &vectors).unwrap_or_else(|e| panic!("{e}"));
        let store = PassageStore::load(dir.path(), 2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(store.len(), 3);
        let a = store.of_article("a");
        assert_eq!(a.len(), 2);
        assert_eq!(a[1].1, &[0.0, 1.0]);
        assert_eq!(store.of_article("b")[0].1, &[0.6, 0.8]);
        assert!(store.of_article("c").is_empty());
    }

    #[test]
    fn a_truncated_vector_file_is_damage_not_a_panic() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let passages = vec![passage("a", 0)];
        PassageStore::write(dir.path(), &passages, &[vec![1.0, 0.0]])
            .unwrap_or_else(|e| panic!("{e}"));
        let path = dir.path().join(VECTORS_FILE);
        fs::write(&path, [0u8; 5]).unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(
            PassageStore::load(dir.path(), 2),
            Err(IndexError::Damaged(_))
        ));
    }
}
