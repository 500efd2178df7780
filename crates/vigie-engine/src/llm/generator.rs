//! The candle implementation of [`TextGenerator`]: a GGUF model, its tokenizer and chat
//! template, and the KV cache of the last prompt.
//!
//! Consecutive prompts share a prefix (the system prompt, the earlier turns of a conversation):
//! the cache keeps the keys and values of everything the last request computed, and the next
//! request recomputes only from its first differing token. This needs no knowledge of where
//! the system prompt ends in a given template, and it works for any conversation.

use std::path::Path;
use std::time::Instant;

use super::error::LlmError;
use super::gguf::GgufFile;
use super::model::{KvCache, ModelOptions, Transformer};
use super::sampling::Sampler;
use super::template::{ChatMessage, ChatTemplate};
use super::tokenizer::{TextStream, Tokenizer};
use super::{
    CancelToken, Generation, GenerationRequest, GenerationStats, ModelInfo, SinkControl,
    StopReason, TextGenerator, TokenSink,
};

/// How to load a model.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Transformer options (context cap, GEMM threshold, device).
    pub model: ModelOptions,
    /// Prompt tokens computed per forward pass. Each pass dequantizes every weight matrix once,
    /// so larger is faster; the attention inside a pass works in blocks, so that a 2,048-token
    /// pass of a 7B model needs a few hundred megabytes of scratch. A cancellation is seen
    /// between layers.
    pub prefill_chunk: usize,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            model: ModelOptions::default(),
            prefill_chunk: 2048,
        }
    }
}

/// A GGUF model ready to generate.
pub struct CandleGenerator {
    model: Transformer,
    tokenizer: Tokenizer,
    template: ChatTemplate,
    cache: KvCache,
    /// Tokens whose keys and values are in `cache`, in order.
    cached: Vec<u32>,
    info: ModelInfo,
    prefill_chunk: usize,
}

impl CandleGenerator {
    /// Loads `path` (already verified against the manifest by the caller, see
    /// [`super::load_verified`]).
    pub fn load(path: &Path, name: &str, options: &LoadOptions) -> Result<Self, LlmError> {
        let mut gguf = GgufFile::open(path)?;
        let tokenizer = Tokenizer::for_model(&gguf)?;
        let template = ChatTemplate::new(
            gguf.opt_str("tokenizer.chat_template"),
            tokenizer.bos_text(),
            tokenizer.eos_text(),
        )?;
        let model = Transformer::load(&mut gguf, &options.model)?;
        let config = model.config();
        let info = ModelInfo {
            name: name.to_string(),
            architecture: gguf.architecture().key_prefix().to_string(),
            context_length: config.context_length,
            trained_context: config.trained_context,
            vocab_size: model.vocab_size(),
        };
        let cache = model.new_cache();
        Ok(Self {
            model,
            tokenizer,
            template,
            cache,
            cached: Vec::new(),
            info,
            prefill_chunk: options.prefill_chunk.max(1),
        })
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The chat template.
    pub fn template(&self) -> &ChatTemplate {
        &self.template
    }

    /// The transformer.
    pub fn model(&self) -> &Transformer {
        &self.model
    }

    /// Token ids of the rendered prompt.
    pub fn prompt_ids(&self, messages: &[ChatMessage]) -> Result<Vec<u32>, LlmError> {
        let text = self.template.render(messages)?;
        self.tokenizer.encode_prompt(&text)
    }

    /// Ids of the prompt prefix currently in the KV cache.
    pub fn cached_tokens(&self) -> &[u32] {
        &self.cached
    }

    /// Runs the prompt tokens from the generation directly (benchmarks): `ids` are fed after
    /// whatever part of them is cached; returns the logits of the last.
    pub fn prefill_ids(&mut self, ids: &[u32]) -> Result<Vec<f32>, LlmError> {
        if ids.len() >= self.info.context_length {
            return Err(LlmError::PromptTooLong {
                tokens: ids.len(),
                context: self.info.context_length,
            });
        }
        let reused = self.reuse_prefix(ids)?;
        let mut logits = Vec::new();
        for chunk in ids[reused..].chunks(self.prefill_chunk) {
            logits = self.step(chunk)?;
        }
        Ok(logits)
    }

    /// Keeps the longest cached prefix of `ids` (leaving at least one token to compute);
    /// returns its length.
    fn reuse_prefix(&mut self, ids: &[u32]) -> Result<usize, LlmError> {
        let common = self
            .cached
            .iter()
            .zip(ids)
            .take_while(|(a, b)| a == b)
            .count()
            .min(ids.len().saturating_sub(1));
        self.cache.truncate(common);
        self.cached.truncate(common);
        if self.cache.len() != self.cached.len() {
            TextGenerator::clear_cache(self);
            return Ok(0);
        }
        Ok(common)
    }

    fn step(&mut self, tokens: &[u32]) -> Result<Vec<f32>, LlmError> {
        step(&self.model, &mut self.cache, &mut self.cached, tokens, None)
    }
}

/// One forward pass over `tokens`, keeping `cached` in step with the cache.
fn step(
    model: &Transformer,
    cache: &mut KvCache,
    cached: &mut Vec<u32>,
    tokens: &[u32],
    cancel: Option<&CancelToken>,
) -> Result<Vec<f32>, LlmError> {
    match model.forward(tokens, cache, cancel) {
        Ok(logits) => {
            cached.extend_from_slice(tokens);
            Ok(logits)
        }
        Err(e) => {
            cached.truncate(cache.len());
            Err(e)
        }
    }
}

impl TextGenerator for CandleGenerator {
    fn model_info(&self) -> &ModelInfo {
        &self.info
    }

    fn count_prompt_tokens(&mut self, messages: &[ChatMessage]) -> Result<usize, LlmError> {
        Ok(self.prompt_ids(messages)?.len())
    }

    fn clear_cache(&mut self) {
        self.cache.truncate(0);
        self.cached.clear();
    }

    fn warm_up(&mut self, messages: &[ChatMessage]) -> Result<usize, LlmError> {
        let ids = self.prompt_ids(messages)?;
        let reused = self.reuse_prefix(&ids)?;
        for chunk in ids[reused..].chunks(self.prefill_chunk) {
            self.step(chunk)?;
        }
        Ok(ids.len() - reused)
    }

    fn generate(
        &mut self,
        request: &GenerationRequest,
        sink: &mut dyn TokenSink,
    ) -> Result<Generation, LlmError> {
        let started = Instant::now();
        request.sampling.validate()?;
        let prompt = self.prompt_ids(&request.messages)?;
        let context = self.info.context_length;
        if prompt.len() >= context {
            return Err(LlmError::PromptTooLong {
                tokens: prompt.len(),
                context,
            });
        }
        let mut stats = GenerationStats {
            prompt_tokens: prompt.len(),
            ..GenerationStats::default()
        };
        let finish = |text: String, ids: Vec<u32>, stop, stats| Generation {
            text,
            token_ids: ids,
            stop,
            stats,
        };

        // Prompt: only what the cache does not hold, in chunks (cancellable between them).
        stats.reused_prompt_tokens = self.reuse_prefix(&prompt)?;
        let prefill_started = Instant::now();
        let mut logits = Vec::new();
        for chunk in prompt[stats.reused_prompt_tokens..].chunks(self.prefill_chunk) {
            let cancel = Some(&request.cancel);
            match step(
                &self.model,
                &mut self.cache,
                &mut self.cached,
                chunk,
                cancel,
            ) {
                Ok(l) => logits = l,
                Err(LlmError::Cancelled) => {
                    stats.prefill_ms = ms(prefill_started);
                    let stop = StopReason::Cancelled;
                    return Ok(finish(String::new(), Vec::new(), stop, stats));
                }
                Err(e) => return Err(e),
            }
        }
        stats.prefill_ms = ms(prefill_started);

        let mut sampler = Sampler::new(request.sampling.clone());
        let mut history = prompt.clone();
        let mut generated: Vec<u32> = Vec::new();
        let mut text = String::new();
        let mut stream = TextStream::new(&self.tokenizer);
        let stop_ids = self.tokenizer.stop_ids().to_vec();
        let mut first_token_at: Option<Instant> = None;
        let stop = loop {
            if request.cancel.is_cancelled() {
                break StopReason::Cancelled;
            }
            if generated.len() >= request.max_tokens {
                break StopReason::MaxTokens;
            }
            let next = sampler.sample(&mut logits, &history);
            if first_token_at.is_none() {
                first_token_at = Some(Instant::now());
                stats.first_token_ms = ms(started);
            }
            if !request.ignore_eos && stop_ids.contains(&next) {
                break StopReason::EndOfTurn;
            }
            generated.push(next);
            history.push(next);
            if let Some(piece) = stream.push(next)? {
                text.push_str(&piece);
                if sink.token(&piece) == SinkControl::Stop {
                    request.cancel.cancel();
                    break StopReason::Cancelled;
                }
            }
            if generated.len() >= request.max_tokens {
                break StopReason::MaxTokens;
            }
            if self.cache.len() + 1 >= context {
                break StopReason::ContextFull;
            }
            let cancel = Some(&request.cancel);
            match step(
                &self.model,
                &mut self.cache,
                &mut self.cached,
                &[next],
                cancel,
            ) {
                Ok(l) => logits = l,
                Err(LlmError::Cancelled) => break StopReason::Cancelled,
                Err(e) => return Err(e),
            }
        };
        if let Some(rest) = stream.finish()? {
            text.push_str(&rest);
            // The generation is over either way; a "stop" here changes nothing.
            let _ = sink.token(&rest);
        }
        stats.generated_tokens = generated.len();
        stats.decode_ms = first_token_at.map(ms).unwrap_or(0.0);
        Ok(finish(text, generated, stop, stats))
    }
}

fn ms(since: Instant) -> f64 {
    since.elapsed().as_secs_f64() * 1000.0
}
