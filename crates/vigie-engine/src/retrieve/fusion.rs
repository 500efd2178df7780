//! Reciprocal rank fusion of ranked article lists.
//!
//! Lexical and vector scores live on different scales (BM25 is unbounded, cosines crowd
//! between 0.8 and 0.9 for e5), so ranks are fused rather than scores: each list gives an
//! article `weight / (k + rank)`.

use std::collections::HashMap;

/// Fusion parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FusionWeights {
    /// Rank offset `k` (60 in the original paper).
    pub k: f32,
    /// Weight of the lexical list.
    pub lexical: f32,
    /// Weight of the vector list.
    pub vector: f32,
}

impl Default for FusionWeights {
    fn default() -> Self {
        Self {
            k: 60.0,
            lexical: 1.0,
            vector: 1.0,
        }
    }
}

impl FusionWeights {
    /// Highest score an article can get (first in both lists), to scale scores to [0, 1].
    pub fn max_score(&self) -> f32 {
        (self.lexical + self.vector) / (self.k + 1.0)
    }
}

/// Fuses two ranked lists of keys (best first) into one, best first, with scores.
pub fn reciprocal_rank_fusion<K: Clone + Eq + std::hash::Hash>(
    lexical: &[K],
    vector: &[K],
    weights: FusionWeights,
) -> Vec<(K, f32)> {
    let mut scores: HashMap<K, (f32, usize)> = HashMap::new();
    let mut order = 0usize;
    for (list, weight) in [(lexical, weights.lexical), (vector, weights.vector)] {
        for (rank, key) in list.iter().enumerate() {
            let entry = scores.entry(key.clone()).or_insert_with(|| {
                order += 1;
                (0.0, order)
            });
            entry.0 += weight / (weights.k + rank as f32 + 1.0);
        }
    }
    let mut fused: Vec<(K, f32, usize)> = scores.into_iter().map(|(k, (s, o))| (k, s, o)).collect();
    // Ties keep first-seen order so results are deterministic.
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.2.cmp(&b.2)));
    fused.into_iter().map(|(k, s, _)| (k, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_wins_over_a_single_first_place() {
        let lexical = vec!["a", "b", "c"];
        let vector = vec!["d", "b", "a"];
        let fused = reciprocal_rank_fusion(&lexical, &vector, FusionWeights::default());
        let keys: Vec<_> = fused.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys[0], "a");
        assert_eq!(keys[1], "b");
        assert_eq!(keys.len(), 4);
    }

    #[test]
    fn weights_shift_the_balance() {
        let weights = FusionWeights {
            k: 60.0,
            lexical: 0.0,
            vector: 1.0,
        };
        let fused = reciprocal_rank_fusion(&["a"], &["b"], weights);
        assert_eq!(fused[0].0, "b");
    }
}
