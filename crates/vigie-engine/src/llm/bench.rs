//! Generation speed, measured the way `vigie bench --llm` reports it and the llama.cpp
//! comparison script reproduces it.
//!
//! The prompt is a fixed French text cut to an exact number of tokens (1,500 by default), fed
//! raw (no chat template) so that another engine can be given the very same token ids. Prefill
//! and decode are timed separately: time to first token is all prefill, reading speed is all
//! decode, and the two are served by different code paths (dequantized GEMM vs quantized
//! kernels). Decoding ignores end-of-turn tokens so that every run generates the same count.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::TextGenerator;
use super::error::LlmError;
use super::generator::{CandleGenerator, LoadOptions};
use super::sampling::{Sampler, SamplingParams};

/// Figures of one benchmark run.
#[derive(Debug, Clone, Serialize)]
pub struct LlmBench {
    /// Model name.
    pub model: String,
    /// Architecture.
    pub architecture: String,
    /// Threads of the CPU kernels.
    pub threads: usize,
    /// Time to read the GGUF and build the model (checksum excluded).
    pub load_ms: f64,
    /// Prompt length.
    pub prompt_tokens: usize,
    /// Prompt tokens per second.
    pub prefill_tokens_per_s: f64,
    /// Tokens generated.
    pub generated_tokens: usize,
    /// Generated tokens per second (after the first).
    pub decode_tokens_per_s: f64,
    /// Time from the start of the prompt to the first generated token.
    pub first_token_ms: f64,
    /// Batches from this size go through the dequantized GEMM.
    pub gemm_min_tokens: usize,
    /// Peak resident memory of the process.
    pub peak_rss_mb: f64,
}

/// A deterministic French prompt of exactly `tokens` ids for `generator`'s tokenizer.
pub fn bench_prompt_ids(generator: &CandleGenerator, tokens: usize) -> Result<Vec<u32>, LlmError> {
    const PARAGRAPH: &str = "Article 38 du code des douanes : sont considérées comme prohibées toutes \
marchandises dont l'importation ou l'exportation est interdite à quelque titre que ce soit, ou \
soumise à des restrictions, à des règles de qualité ou de conditionnement ou à des formalités \
particulières. Lorsque l'importation ou l'exportation n'est permise que sur présentation d'une \
autorisation, licence ou certificat, la marchandise est prohibée si elle n'est pas accompagnée \
d'un titre régulier ou si elle est présentée sous le couvert d'un titre non applicable. ";
    let mut text = String::new();
    let mut ids = Vec::new();
    while ids.len() < tokens {
        text.push_str(PARAGRAPH);
        ids = generator.tokenizer().encode(&text)?;
    }
    ids.truncate(tokens);
    Ok(ids)
}

/// Loads `path` and measures it. `prompt_tokens + generate_tokens` must fit the context.
pub fn run_bench(
    path: &Path,
    name: &str,
    options: &LoadOptions,
    prompt_tokens: usize,
    generate_tokens: usize,
) -> Result<(LlmBench, Vec<u32>), LlmError> {
    let started = Instant::now();
    let mut generator = CandleGenerator::load(path, name, options)?;
    let load_ms = ms(started);
    let ids = bench_prompt_ids(&generator, prompt_tokens)?;

    // Warm-up (allocations, thread pools), then a cold cache.
    generator.prefill_ids(&ids[..ids.len().min(32)])?;
    generator.clear_cache();

    let mut sampler = Sampler::new(SamplingParams::greedy());
    let started = Instant::now();
    let mut logits = generator.prefill_ids(&ids)?;
    let prefill_s = started.elapsed().as_secs_f64();
    let mut history = ids.clone();
    let first = sampler.sample(&mut logits, &history);
    let first_token_ms = ms(started);
    history.push(first);
    let decode_started = Instant::now();
    for _ in 1..generate_tokens {
        let mut logits = generator.prefill_ids(&history)?;
        let next = sampler.sample(&mut logits, &history);
        history.push(next);
    }
    let decode_s = decode_started.elapsed().as_secs_f64();
    let info = generator.model_info();
    let bench = LlmBench {
        model: name.to_string(),
        architecture: info.architecture.clone(),
        threads: candle_core::utils::get_num_threads(),
        load_ms: round1(load_ms),
        prompt_tokens: ids.len(),
        prefill_tokens_per_s: round1(ids.len() as f64 / prefill_s.max(1e-9)),
        generated_tokens: generate_tokens,
        decode_tokens_per_s: round1(generate_tokens.saturating_sub(1) as f64 / decode_s.max(1e-9)),
        first_token_ms: round1(first_token_ms),
        gemm_min_tokens: options.model.gemm_min_tokens,
        peak_rss_mb: round1(crate::usage::peak_rss_mb().unwrap_or(0.0)),
    };
    Ok((bench, ids))
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
