//! Choosing the next token from the logits: sampling as plain data.
//!
//! Grounded answers want greedy decoding (deterministic, reproducible for an audit); the other
//! strategies exist for the UI's "creative" setting and for tests. The random generator is a
//! seeded SplitMix64 so that a fixed seed gives the same text on every machine and every build,
//! without a dependency whose stream could change between versions.

use serde::{Deserialize, Serialize};

use super::error::LlmError;

/// How the next token is chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SamplingParams {
    /// 0 for greedy decoding; otherwise the softmax temperature.
    pub temperature: f32,
    /// Nucleus sampling: keep the smallest set of tokens whose probability reaches `top_p`
    /// (1.0 keeps all).
    pub top_p: f32,
    /// Divides positive logits (multiplies negative ones) of recently seen tokens; 1.0 is off.
    pub repeat_penalty: f32,
    /// How many recent tokens the repeat penalty looks at.
    pub repeat_last_n: usize,
    /// Seed of the random generator.
    pub seed: u64,
}

impl Default for SamplingParams {
    fn default() -> Self {
        Self {
            temperature: 0.0,
            top_p: 1.0,
            repeat_penalty: 1.1,
            repeat_last_n: 64,
            seed: 299_792_458,
        }
    }
}

impl SamplingParams {
    /// Greedy decoding without repeat penalty (the reference for tests and benchmarks).
    pub fn greedy() -> Self {
        Self {
            repeat_penalty: 1.0,
            ..Self::default()
        }
    }

    /// Checks the values are usable.
    pub fn validate(&self) -> Result<(), LlmError> {
        if !self.temperature.is_finite() || self.temperature < 0.0 {
            return Err(LlmError::InvalidRequest(format!(
                "temperature {} (expected ≥ 0)",
                self.temperature
            )));
        }
        if !(self.top_p > 0.0 && self.top_p <= 1.0) {
            return Err(LlmError::InvalidRequest(format!(
                "top_p {} (expected in ]0, 1])",
                self.top_p
            )));
        }
        if !self.repeat_penalty.is_finite() || self.repeat_penalty <= 0.0 {
            return Err(LlmError::InvalidRequest(format!(
                "repeat_penalty {} (expected > 0)",
                self.repeat_penalty
            )));
        }
        Ok(())
    }
}

/// A sampler for one generation.
pub struct Sampler {
    params: SamplingParams,
    state: u64,
}

impl Sampler {
    /// A sampler seeded from `params.seed`.
    pub fn new(params: SamplingParams) -> Self {
        let state = params.seed;
        Self { params, state }
    }

    fn next_f32(&mut self) -> f32 {
        // SplitMix64.
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 40) as f32 / (1u64 << 24) as f32
    }

    /// The next token; `history` is the prompt and the tokens generated so far.
    pub fn sample(&mut self, logits: &mut [f32], history: &[u32]) -> u32 {
        if self.params.repeat_penalty != 1.0 {
            let start = history.len().saturating_sub(self.params.repeat_last_n);
            let mut seen = history[start..].to_vec();
            seen.sort_unstable();
            seen.dedup();
            for id in seen {
                if let Some(l) = logits.get_mut(id as usize) {
                    *l = if *l >= 0.0 {
                        *l / self.params.repeat_penalty
                    } else {
                        *l * self.params.repeat_penalty
                    };
                }
            }
        }
        if self.params.temperature <= 0.0 {
            return argmax(logits);
        }
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut probs: Vec<(u32, f32)> = logits
            .iter()
            .enumerate()
            .map(|(i, &l)| (i as u32, ((l - max) / self.params.temperature).exp()))
            .filter(|(_, p)| p.is_finite() && *p > 0.0)
            .collect();
        if probs.is_empty() {
            return argmax(logits);
        }
        probs.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let total: f32 = probs.iter().map(|(_, p)| p).sum();
        if self.params.top_p < 1.0 {
            let mut cumulative = 0.0;
            let mut keep = probs.len();
            for (i, (_, p)) in probs.iter().enumerate() {
                cumulative += p / total;
                if cumulative >= self.params.top_p {
                    keep = i + 1;
                    break;
                }
            }
            probs.truncate(keep);
        }
        let total: f32 = probs.iter().map(|(_, p)| p).sum();
        let mut target = self.next_f32() * total;
        for (id, p) in &probs {
            if target < *p {
                return *id;
            }
            target -= p;
        }
        probs.last().map(|(id, _)| *id).unwrap_or(0)
    }
}

fn argmax(logits: &[f32]) -> u32 {
    let mut best = 0usize;
    for (i, &l) in logits.iter().enumerate() {
        if l > logits[best] {
            best = i;
        }
    }
    best as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_largest_logit() {
        let mut s = Sampler::new(SamplingParams::greedy());
        assert_eq!(s.sample(&mut [0.1, 3.0, -1.0], &[]), 1);
    }

    #[test]
    fn repeat_penalty_lowers_seen_tokens() {
        let params = SamplingParams {
            repeat_penalty: 2.0,
            ..SamplingParams::greedy()
        };
        let mut s = Sampler::new(params);
        assert_eq!(s.sample(&mut [2.0, 1.5], &[0]), 1);
    }

    #[test]
    fn a_fixed_seed_gives_the_same_draws_and_top_p_cuts_the_tail() {
        let params = SamplingParams {
            temperature: 1.0,
            top_p: 0.5,
            repeat_penalty: 1.0,
            ..SamplingParams::default()
        };
        let draw = |params: &SamplingParams| {
            let mut s = Sampler::new(params.clone());
            (0..50)
                .map(|_| s.sample(&mut [1.0, 0.9, 0.0, -5.0], &[]))
                .collect::<Vec<_>>()
        };
        let a = draw(&params);
        assert_eq!(a, draw(&params));
        assert!(a.iter().all(|&t| t <= 1), "top-p kept the tail: {a:?}");
        let greedy_free = SamplingParams {
            top_p: 1.0,
            ..params
        };
        assert!(draw(&greedy_free).iter().any(|&t| t >= 2));
    }

    #[test]
    fn invalid_values_are_refused() {
        let bad = SamplingParams {
            temperature: -1.0,
            ..SamplingParams::default()
        };
        assert!(bad.validate().is_err());
    }
}
