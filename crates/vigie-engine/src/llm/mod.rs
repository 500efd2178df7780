//! Local text generation from GGUF models (Mistral family, Qwen2), on the agent's CPU.
//!
//! The layers, from the file up:
//! - [`gguf`] opens a model file and refuses a damaged one before reading a tensor;
//! - [`tokenizer`] rebuilds the tokenizer from the GGUF metadata, [`template`] renders the
//!   conversation with the model's own Jinja chat template;
//! - [`model`] is the transformer: dequantized-GEMM prefill, quantized decode, a KV cache that
//!   keeps a prompt prefix between questions;
//! - [`generator`] ties them into a [`TextGenerator`]; [`sampling`] chooses tokens;
//! - [`worker`] gives the model its own thread and callers a cheap, cloneable handle
//!   ([`GenerationWorker`]); [`scripted`] is a fake generator for fast logic tests;
//! - [`verified`] finds a model in the manifest and checks its SHA-256 before it is loaded.
//!
//! The seam is [`TextGenerator`]: chat messages in, tokens pushed to a [`TokenSink`] as they are
//! produced, the final text and statistics out. The grounded-answer pipeline depends on that
//! trait only, so it can be tested with the scripted generator and run with the real one.

mod attention;
pub mod bench;
pub mod error;
pub mod generator;
pub mod gguf;
pub mod kv_cache;
pub mod model;
mod quant_rows;
pub mod sampling;
pub mod scripted;
pub mod template;
pub mod tokenizer;
pub mod verified;
pub mod worker;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

pub use error::LlmError;
pub use generator::{CandleGenerator, LoadOptions};
pub use gguf::Architecture;
pub use sampling::SamplingParams;
pub use scripted::ScriptedGenerator;
pub use template::{ChatMessage, DEFAULT_SYSTEM_PROMPT, Role};
pub use verified::{load_verified, locate_verified};
pub use worker::GenerationWorker;

/// What to generate.
#[derive(Debug, Clone)]
pub struct GenerationRequest {
    /// The conversation; Vigie's system prompt is added when there is no system message.
    pub messages: Vec<ChatMessage>,
    /// Most tokens to generate.
    pub max_tokens: usize,
    /// How tokens are chosen.
    pub sampling: SamplingParams,
    /// Keep going past end-of-turn tokens (benchmarks only).
    pub ignore_eos: bool,
    /// Set from any thread to stop the generation before its next token.
    pub cancel: CancelToken,
}

impl GenerationRequest {
    /// A request with default settings (greedy, 512 tokens).
    pub fn new(messages: Vec<ChatMessage>) -> Self {
        Self {
            messages,
            max_tokens: 512,
            sampling: SamplingParams::default(),
            ignore_eos: false,
            cancel: CancelToken::default(),
        }
    }
}

/// A flag shared between the caller and the generation.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// Asks the generation to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether a stop was asked.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// What the sink wants after a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkControl {
    /// Go on.
    Continue,
    /// Stop the generation (the user cancelled, the window closed).
    Stop,
}

/// Receives text as it is generated. Each piece is whole UTF-8 characters.
pub trait TokenSink {
    /// A new piece of text.
    fn token(&mut self, text: &str) -> SinkControl;
}

impl<F: FnMut(&str) -> SinkControl> TokenSink for F {
    fn token(&mut self, text: &str) -> SinkControl {
        self(text)
    }
}

/// Why the generation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// The model ended its turn (EOS or end-of-turn token).
    EndOfTurn,
    /// `max_tokens` was reached.
    MaxTokens,
    /// The context is full.
    ContextFull,
    /// Cancelled by the caller or the sink.
    Cancelled,
    /// Stopped by the answer pipeline at a sentence the model repeated (never set by a
    /// generator: see `answer::synthesis::RepetitionGuard`).
    Repetition,
}

/// Figures of one generation.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct GenerationStats {
    /// Tokens of the rendered prompt.
    pub prompt_tokens: usize,
    /// Of which taken from the KV cache (not recomputed).
    pub reused_prompt_tokens: usize,
    /// Tokens generated (end-of-turn token excluded).
    pub generated_tokens: usize,
    /// Time to compute the prompt.
    pub prefill_ms: f64,
    /// Time from the request to the first generated token.
    pub first_token_ms: f64,
    /// Time spent generating after the first token.
    pub decode_ms: f64,
}

impl GenerationStats {
    /// Prompt tokens computed per second.
    pub fn prefill_tokens_per_s(&self) -> f64 {
        let computed = self.prompt_tokens - self.reused_prompt_tokens;
        computed as f64 / (self.prefill_ms / 1000.0).max(1e-9)
    }

    /// Tokens generated per second after the first.
    pub fn decode_tokens_per_s(&self) -> f64 {
        self.generated_tokens.saturating_sub(1) as f64 / (self.decode_ms / 1000.0).max(1e-9)
    }
}

/// The result of a generation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Generation {
    /// The text, exactly the concatenation of what the sink received.
    pub text: String,
    /// The generated token ids.
    pub token_ids: Vec<u32>,
    /// Why it ended.
    pub stop: StopReason,
    /// Figures.
    pub stats: GenerationStats,
}

/// What a loaded model is.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelInfo {
    /// Name (from the manifest, or the file name).
    pub name: String,
    /// Architecture, from the GGUF.
    pub architecture: String,
    /// Tokens a prompt plus its answer may use.
    pub context_length: usize,
    /// Context the model was trained for.
    pub trained_context: usize,
    /// Vocabulary size.
    pub vocab_size: usize,
}

/// A model that answers a conversation, token by token.
///
/// One thread owns an implementation (`&mut self`); share it through a [`GenerationWorker`].
pub trait TextGenerator: Send {
    /// What the model is.
    fn model_info(&self) -> &ModelInfo;

    /// Tokens the rendered prompt of `messages` takes (for context budgets).
    fn count_prompt_tokens(&mut self, messages: &[ChatMessage]) -> Result<usize, LlmError>;

    /// Forgets any cached prompt state, so that the next generation starts cold.
    fn clear_cache(&mut self) {}

    /// Computes the prompt of `messages` ahead of time (the system prompt, at start-up) so that
    /// the first question reuses it; returns the number of tokens computed.
    fn warm_up(&mut self, messages: &[ChatMessage]) -> Result<usize, LlmError> {
        let _ = messages;
        Ok(0)
    }

    /// Generates the answer to `request.messages`, pushing text to `sink` as it comes.
    fn generate(
        &mut self,
        request: &GenerationRequest,
        sink: &mut dyn TokenSink,
    ) -> Result<Generation, LlmError>;
}
