//! A scripted [`TextGenerator`] for fast logic tests (prompt building, citation parsing,
//! cancellation, the worker), which never replaces the tests on the real model.
//!
//! It "generates" a fixed list of pieces, one per token, honours `max_tokens`, cancellation and
//! the sink exactly as the real generator does, and records the requests it received so that a
//! test can check the prompt a pipeline built.

use std::time::Duration;

use super::error::LlmError;
use super::template::ChatMessage;
use super::{
    Generation, GenerationRequest, GenerationStats, ModelInfo, SinkControl, StopReason,
    TextGenerator, TokenSink,
};

/// A generator that answers with a script.
pub struct ScriptedGenerator {
    pieces: Vec<String>,
    delay: Duration,
    info: ModelInfo,
    requests: Vec<GenerationRequest>,
}

impl ScriptedGenerator {
    /// Answers every request with `pieces`, one per token, then ends its turn.
    pub fn new<I, S>(pieces: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self {
            pieces: pieces.into_iter().map(Into::into).collect(),
            delay: Duration::ZERO,
            info: ModelInfo {
                name: "scripted".into(),
                architecture: "scripted".into(),
                context_length: 4096,
                trained_context: 4096,
                vocab_size: 0,
            },
            requests: Vec::new(),
        }
    }

    /// Waits `delay` before each token (to test cancellation from another thread).
    pub fn with_delay(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }

    /// The requests received so far.
    pub fn requests(&self) -> &[GenerationRequest] {
        &self.requests
    }
}

impl TextGenerator for ScriptedGenerator {
    fn model_info(&self) -> &ModelInfo {
        &self.info
    }

    fn count_prompt_tokens(&mut self, messages: &[ChatMessage]) -> Result<usize, LlmError> {
        // One "token" per whitespace-separated word: enough for budget logic tests.
        Ok(messages
            .iter()
            .map(|m| m.content.split_whitespace().count() + 4)
            .sum())
    }

    fn generate(
        &mut self,
        request: &GenerationRequest,
        sink: &mut dyn TokenSink,
    ) -> Result<Generation, LlmError> {
        request.sampling.validate()?;
        self.requests.push(request.clone());
        let mut text = String::new();
        let mut ids = Vec::new();
        let mut stop = StopReason::EndOfTurn;
        for (i, piece) in self.pieces.iter().enumerate() {
            if request.cancel.is_cancelled() {
                stop = StopReason::Cancelled;
                break;
            }
            if ids.len() >= request.max_tokens {
                stop = StopReason::MaxTokens;
                break;
            }
            std::thread::sleep(self.delay);
            ids.push(i as u32);
            text.push_str(piece);
            if sink.token(piece) == SinkControl::Stop {
                request.cancel.cancel();
                stop = StopReason::Cancelled;
                break;
            }
        }
        let stats = GenerationStats {
            prompt_tokens: self.count_prompt_tokens(&request.messages)?,
            generated_tokens: ids.len(),
            ..GenerationStats::default()
        };
        Ok(Generation {
            text,
            token_ids: ids,
            stop,
            stats,
        })
    }
}
