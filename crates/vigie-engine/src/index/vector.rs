//! The vector index: an HNSW graph (hnsw_rs) over chunk embeddings, plus the raw vectors.
//!
//! The raw vectors are kept in a flat little-endian file so that exact search is always
//! available to measure the graph's recall. Vectors are L2-normalised, so the dot-product
//! distance (1 − cosine) is used.

use std::fs;
use std::io::Write;
use std::path::Path;

use hnsw_rs::api::AnnT;
use hnsw_rs::hnswio::HnswIo;
use hnsw_rs::prelude::{Distance, Hnsw};

use super::IndexError;

const BASENAME: &str = "vectors";
const RAW_FILE: &str = "vectors.f32";
/// Layers of the graph (hnsw_rs caps it at 16).
const MAX_LAYERS: usize = 16;

/// Cosine distance of unit vectors, `1 − a·b`, clamped at 0.
///
/// hnsw_rs's own dot-product distance asserts `a·b ≤ 1`, which rounding breaks when a query
/// equals a stored vector: a panic waiting for a user to paste a passage as a question.
#[derive(Debug, Default, Clone, Copy)]
pub struct UnitCosine;

impl Distance<f32> for UnitCosine {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        (1.0 - dot).max(0.0)
    }
}

/// A scored chunk from the vector index.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VectorHit {
    /// Chunk position in the index.
    pub chunk: usize,
    /// Cosine similarity.
    pub similarity: f32,
}

/// HNSW graph and raw vectors.
pub struct VectorIndex {
    graph: Hnsw<'static, f32, UnitCosine>,
    vectors: Vec<f32>,
    dimension: usize,
}

impl VectorIndex {
    /// Builds the graph over `vectors` (all the same dimension), using every core.
    pub fn build(
        vectors: &[Vec<f32>],
        dimension: usize,
        max_connections: usize,
        ef_construction: usize,
    ) -> Result<Self, IndexError> {
        if vectors.iter().any(|v| v.len() != dimension) {
            return Err(IndexError::Vector("vectors of mixed dimensions".into()));
        }
        let graph = Hnsw::<f32, UnitCosine>::new(
            max_connections,
            vectors.len().max(1),
            MAX_LAYERS,
            ef_construction,
            UnitCosine,
        );
        let data: Vec<(&[f32], usize)> = vectors
            .iter()
            .enumerate()
            .map(|(i, v)| (v.as_slice(), i))
            .collect();
        graph.parallel_insert_slice(&data);
        let mut flat = Vec::with_capacity(vectors.len() * dimension);
        for v in vectors {
            flat.extend_from_slice(v);
        }
        Ok(Self {
            graph,
            vectors: flat,
            dimension,
        })
    }

    /// Writes the graph and the raw vectors into `dir`.
    pub fn save(&self, dir: &Path) -> Result<(), IndexError> {
        self.graph
            .file_dump(dir, BASENAME)
            .map_err(|e| IndexError::Vector(format!("cannot write the graph: {e}")))?;
        let path = dir.join(RAW_FILE);
        let mut file = fs::File::create(&path).map_err(|source| IndexError::Io {
            path: path.clone(),
            source,
        })?;
        let mut bytes = Vec::with_capacity(self.vectors.len() * 4 + 8);
        bytes.extend_from_slice(&(self.dimension as u64).to_le_bytes());
        for v in &self.vectors {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        file.write_all(&bytes)
            .and_then(|_| file.sync_all())
            .map_err(|source| IndexError::Io { path, source })
    }

    /// Loads a saved index; the caller has already checked the files' checksums.
    pub fn load(dir: &Path, expected_count: usize) -> Result<Self, IndexError> {
        let raw_path = dir.join(RAW_FILE);
        let bytes = fs::read(&raw_path).map_err(|source| IndexError::Io {
            path: raw_path.clone(),
            source,
        })?;
        if bytes.len() < 8 || (bytes.len() - 8) % 4 != 0 {
            return Err(IndexError::Damaged(format!("{RAW_FILE} has a bad size")));
        }
        let mut dim = [0u8; 8];
        dim.copy_from_slice(&bytes[..8]);
        let dimension = u64::from_le_bytes(dim) as usize;
        let vectors: Vec<f32> = bytes[8..]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if dimension == 0 || vectors.len() != expected_count * dimension {
            return Err(IndexError::Damaged(format!(
                "{RAW_FILE} holds {} values, {expected_count} vectors of dimension {dimension} expected",
                vectors.len()
            )));
        }
        // hnsw_rs ties the loaded graph to its loader's lifetime; the loader is small and an
        // index is opened a handful of times per process, so it is leaked to get a 'static
        // graph that can live in a struct.
        let graph = std::panic::catch_unwind(|| {
            let loader: &'static mut HnswIo = Box::leak(Box::new(HnswIo::new(dir, BASENAME)));
            loader.load_hnsw::<f32, UnitCosine>()
        })
        .map_err(|_| IndexError::Damaged("the HNSW graph could not be decoded".into()))?
        .map_err(|e| IndexError::Damaged(format!("the HNSW graph could not be read: {e}")))?;
        if graph.get_nb_point() != expected_count {
            return Err(IndexError::Damaged(format!(
                "the graph holds {} points, {expected_count} expected",
                graph.get_nb_point()
            )));
        }
        Ok(Self {
            graph,
            vectors,
            dimension,
        })
    }

    /// Number of vectors.
    pub fn len(&self) -> usize {
        self.vectors.len() / self.dimension.max(1)
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Approximate nearest chunks through the graph.
    pub fn search(&self, query: &[f32], k: usize, ef_search: usize) -> Vec<VectorHit> {
        if query.len() != self.dimension || self.is_empty() {
            return Vec::new();
        }
        self.graph
            .search(query, k, ef_search.max(k))
            .into_iter()
            .map(|n| VectorHit {
                chunk: n.d_id,
                similarity: 1.0 - n.distance,
            })
            .collect()
    }

    /// Exact nearest chunks by brute force (for recall measurement).
    pub fn search_exact(&self, query: &[f32], k: usize) -> Vec<VectorHit> {
        if query.len() != self.dimension {
            return Vec::new();
        }
        let mut scored: Vec<VectorHit> = self
            .vectors
            .chunks_exact(self.dimension)
            .enumerate()
            .map(|(chunk, v)| VectorHit {
                chunk,
                similarity: v.iter().zip(query).map(|(a, b)| a * b).sum(),
            })
            .collect();
        scored.sort_by(|a, b| b.similarity.total_cmp(&a.similarity));
        scored.truncate(k);
        scored
    }

    /// The stored vector of a chunk.
    pub fn vector(&self, chunk: usize) -> Option<&[f32]> {
        self.vectors
            .get(chunk * self.dimension..(chunk + 1) * self.dimension)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn querying_with_a_stored_vector_finds_it_without_panicking() {
        let vectors: Vec<Vec<f32>> = (0..200)
            .map(|i| unit(&[1.0, (i as f32 * 0.37).sin(), (i as f32 * 0.11).cos(), 0.3]))
            .collect();
        let index = VectorIndex::build(&vectors, 4, 16, 100).unwrap_or_else(|e| panic!("{e}"));
        for (i, v) in vectors.iter().enumerate().step_by(17) {
            let hits = index.search(v, 5, 64);
            assert!(hits.iter().any(|h| h.chunk == i), "vector {i} not found");
            assert!(hits.iter().all(|h| h.similarity <= 1.0 + 1e-6));
        }
        let exact = index.search_exact(&vectors[3], 1);
        assert_eq!(exact[0].chunk, 3);
    }
}
