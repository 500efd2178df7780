//! Tokenizers for e5 models: XLM-R's SentencePiece Unigram rebuilt from an `E5S1` file, or a
//! Hugging Face `tokenizer.json`.
//!
//! For `E5S1`, the pipeline is the one the model was trained with: per-codepoint normalisation
//! map, runs of spaces collapsed, a leading `▁` and spaces turned into `▁`, then a Viterbi
//! segmentation over the piece scores (the `tokenizers` crate's Unigram model), framed by
//! `<s> … </s>`.

use tokenizers::models::unigram::Unigram;
use tokenizers::{Model, Tokenizer};

use super::EmbedError;
use super::e5s1::E5Vocab;

const METASPACE: char = '\u{2581}';

/// Turns text into model input ids, `<s>` and `</s>` included.
pub enum E5Tokenizer {
    /// Rebuilt from the pieces of an `E5S1` file.
    SentencePiece {
        /// The Unigram model.
        model: Box<Unigram>,
        /// Vocabulary data (special ids, normalisation map).
        vocab: Box<E5Vocab>,
    },
    /// Read from a `tokenizer.json`.
    HuggingFace {
        /// The tokenizer.
        tokenizer: Box<Tokenizer>,
        /// Padding id.
        pad: u32,
    },
}

impl E5Tokenizer {
    /// Builds the SentencePiece tokenizer of an `E5S1` file.
    pub fn from_e5s1(vocab: E5Vocab) -> Result<Self, EmbedError> {
        let model = Unigram::from(vocab.pieces.clone(), Some(vocab.unk as usize), false)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        Ok(Self::SentencePiece {
            model: Box::new(model),
            vocab: Box::new(vocab),
        })
    }

    /// Wraps a Hugging Face tokenizer.
    pub fn from_hugging_face(tokenizer: Tokenizer) -> Self {
        let pad = tokenizer
            .token_to_id("<pad>")
            .or_else(|| tokenizer.token_to_id("[PAD]"))
            .unwrap_or(0);
        Self::HuggingFace {
            tokenizer: Box::new(tokenizer),
            pad,
        }
    }

    /// Padding id.
    pub fn pad_id(&self) -> u32 {
        match self {
            E5Tokenizer::SentencePiece { vocab, .. } => vocab.pad,
            E5Tokenizer::HuggingFace { pad, .. } => *pad,
        }
    }

    /// Ids of `text` framed by the special tokens, truncated to `max_len` ids.
    pub fn encode(&self, text: &str, max_len: usize) -> Result<Vec<u32>, EmbedError> {
        let max_len = max_len.max(2);
        match self {
            E5Tokenizer::SentencePiece { model, vocab } => {
                let normalised = normalise(text, vocab);
                let tokens = model
                    .tokenize(&normalised)
                    .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
                let mut ids = Vec::with_capacity(tokens.len().min(max_len) + 2);
                ids.push(vocab.bos);
                ids.extend(tokens.iter().take(max_len - 2).map(|t| t.id));
                ids.push(vocab.eos);
                Ok(ids)
            }
            E5Tokenizer::HuggingFace { tokenizer, .. } => {
                let encoding = tokenizer
                    .encode(text, true)
                    .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
                let mut ids = encoding.get_ids().to_vec();
                if ids.len() > max_len {
                    let last = ids[ids.len() - 1];
                    ids.truncate(max_len - 1);
                    ids.push(last);
                }
                Ok(ids)
            }
        }
    }

    /// Pieces of a text (without specials), for tests and diagnostics.
    pub fn pieces(&self, text: &str) -> Result<Vec<String>, EmbedError> {
        match self {
            E5Tokenizer::SentencePiece { model, vocab } => Ok(model
                .tokenize(&normalise(text, vocab))
                .map_err(|e| EmbedError::Tokenizer(e.to_string()))?
                .into_iter()
                .map(|t| t.value)
                .collect()),
            E5Tokenizer::HuggingFace { tokenizer, .. } => Ok(tokenizer
                .encode(text, false)
                .map_err(|e| EmbedError::Tokenizer(e.to_string()))?
                .get_tokens()
                .to_vec()),
        }
    }
}

/// Normalisation map, space collapsing and metaspace, as SentencePiece does it.
fn normalise(text: &str, vocab: &E5Vocab) -> String {
    let mut mapped = String::with_capacity(text.len() + 4);
    for c in text.chars() {
        match vocab.normalisation.get(&c) {
            Some(replacement) => mapped.push_str(replacement),
            None => mapped.push(c),
        }
    }
    let mut out = String::with_capacity(mapped.len() + 4);
    if !mapped.starts_with(' ') {
        out.push(METASPACE);
    }
    let mut previous_space = false;
    for c in mapped.chars() {
        if c == ' ' {
            if previous_space {
                continue;
            }
            previous_space = true;
            out.push(METASPACE);
        } else {
            previous_space = false;
            out.push(c);
        }
    }
    out
}
