//! The tokenizer, rebuilt from the GGUF's own metadata (or read from a `tokenizer.json`).
//!
//! No package ships a `tokenizer.json` for the GGUFs Vigie runs offline, so the tokenizer is
//! rebuilt from `tokenizer.ggml.*` with the `tokenizers` crate, the way llama.cpp reads it:
//! - `gpt2`: byte-level BPE from `tokens` and `merges`; the pre-tokenizer is chosen by
//!   `tokenizer.ggml.pre` (SmolLM splits digits one by one, Qwen2 has its own split regex);
//! - `llama`: SentencePiece. A BPE whose merges are rebuilt from the vocabulary ordered by piece
//!   score, with byte fallback and the `▁` metaspace, segments like SentencePiece's own BPE,
//!   where a plain Unigram over the scores segments badly.
//!
//! Control and user-defined tokens (`token_type` 3 and 4) are added as whole tokens so that the
//! rendered chat template (`<|im_start|>`, `[INST]`) maps onto single ids. When a
//! `<model>.tokenizer.json` sits beside the GGUF (the production Mistral case), it is preferred.
//!
//! [`TextStream`] turns ids into text as they come without ever cutting a UTF-8 character: a
//! byte-level token may hold half of an « é » or of an emoji.

use std::path::Path;

use tokenizers::decoders::byte_fallback::ByteFallback;
use tokenizers::decoders::fuse::Fuse;
use tokenizers::decoders::sequence::Sequence as DecoderSequence;
use tokenizers::decoders::strip::Strip;
use tokenizers::models::bpe::{BPE, Vocab};
use tokenizers::normalizers::{NFC, Prepend, Replace};
use tokenizers::pre_tokenizers::byte_level::ByteLevel;
use tokenizers::pre_tokenizers::digits::Digits;
use tokenizers::pre_tokenizers::sequence::Sequence as PreSequence;
use tokenizers::pre_tokenizers::split::{Split, SplitPattern};
use tokenizers::{
    AddedToken, DecoderWrapper, NormalizerWrapper, PreTokenizerWrapper, SplitDelimiterBehavior,
};

use super::error::LlmError;
use super::gguf::GgufFile;

/// GGUF token types (llama.cpp's `llama_token_type`).
const TOKEN_TYPE_NORMAL: i64 = 1;
const TOKEN_TYPE_CONTROL: i64 = 3;
const TOKEN_TYPE_USER_DEFINED: i64 = 4;

/// Texts of end-of-turn tokens, for GGUFs whose metadata names only `eos_token_id`. llama.cpp
/// keeps the same list (`llama-vocab.cpp`) for the same reason.
const END_OF_TURN_TEXTS: &[&str] = &[
    "<|im_end|>",
    "<|eot_id|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<EOT>",
];

const QWEN2_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const LLAMA3_SPLIT: &str = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
const TEKKEN_SPLIT: &str = r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

/// The model's tokenizer and its special tokens.
pub struct Tokenizer {
    inner: tokenizers::Tokenizer,
    bos: Option<(u32, String)>,
    eos: Option<(u32, String)>,
    add_bos: bool,
    stop_ids: Vec<u32>,
    source: TokenizerSource,
}

/// Where the tokenizer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenizerSource {
    /// Rebuilt from `tokenizer.ggml.*` (byte-level BPE).
    GgufBpe,
    /// Rebuilt from `tokenizer.ggml.*` (SentencePiece vocabulary).
    GgufSentencePiece,
    /// A `tokenizer.json` beside the model.
    TokenizerJson,
}

fn tok_err(e: impl std::fmt::Display) -> LlmError {
    LlmError::Tokenizer(e.to_string())
}

impl Tokenizer {
    /// The tokenizer of a GGUF: `<stem>.tokenizer.json` beside it if present, else rebuilt from
    /// its metadata.
    pub fn for_model(gguf: &GgufFile) -> Result<Self, LlmError> {
        let json = gguf.path().with_extension("tokenizer.json");
        if json.is_file() {
            return Self::from_json(&json, gguf);
        }
        Self::from_gguf(gguf)
    }

    /// Reads a Hugging Face `tokenizer.json`; special-token ids still come from the GGUF.
    pub fn from_json(path: &Path, gguf: &GgufFile) -> Result<Self, LlmError> {
        let inner = tokenizers::Tokenizer::from_file(path)
            .map_err(|e| LlmError::Tokenizer(format!("{}: {e}", path.display())))?;
        let token = |id: u32| inner.id_to_token(id).map(|t| (id, t));
        let bos = gguf.opt_u32("tokenizer.ggml.bos_token_id").and_then(token);
        let eos = gguf.opt_u32("tokenizer.ggml.eos_token_id").and_then(token);
        let mut stop_ids: Vec<u32> = eos.iter().map(|(id, _)| *id).collect();
        for key in ["tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            stop_ids.extend(gguf.opt_u32(key));
        }
        for text in END_OF_TURN_TEXTS {
            stop_ids.extend(inner.token_to_id(text));
        }
        stop_ids.sort_unstable();
        stop_ids.dedup();
        Ok(Self {
            inner,
            bos,
            eos,
            add_bos: gguf
                .opt_bool("tokenizer.ggml.add_bos_token")
                .unwrap_or(false),
            stop_ids,
            source: TokenizerSource::TokenizerJson,
        })
    }

    /// Rebuilds the tokenizer from `tokenizer.ggml.*`.
    pub fn from_gguf(gguf: &GgufFile) -> Result<Self, LlmError> {
        let kind = gguf.opt_str("tokenizer.ggml.model").unwrap_or("gpt2");
        let tokens = gguf.strings("tokenizer.ggml.tokens")?;
        let types = gguf
            .opt_ints("tokenizer.ggml.token_type")
            .unwrap_or_else(|| vec![TOKEN_TYPE_NORMAL; tokens.len()]);
        if types.len() != tokens.len() {
            return Err(LlmError::Metadata {
                key: "tokenizer.ggml.token_type".into(),
                reason: format!("{} types for {} tokens", types.len(), tokens.len()),
            });
        }
        let (mut inner, source) = match kind {
            "gpt2" => (byte_level_bpe(gguf, &tokens)?, TokenizerSource::GgufBpe),
            "llama" => (
                sentencepiece_bpe(gguf, &tokens, &types)?,
                TokenizerSource::GgufSentencePiece,
            ),
            other => {
                return Err(LlmError::Tokenizer(format!(
                    "unsupported tokenizer.ggml.model {other:?} (supported: gpt2, llama)"
                )));
            }
        };
        let mut specials = Vec::new();
        let mut added = Vec::new();
        for (token, kind) in tokens.iter().zip(&types) {
            match *kind {
                TOKEN_TYPE_CONTROL => specials.push(AddedToken::from(token.to_string(), true)),
                TOKEN_TYPE_USER_DEFINED => added.push(AddedToken::from(token.to_string(), false)),
                _ => {}
            }
        }
        inner.add_special_tokens(specials).map_err(tok_err)?;
        inner.add_tokens(added).map_err(tok_err)?;

        let token = |id: u32| tokens.get(id as usize).map(|t| (id, t.to_string()));
        let bos = gguf.opt_u32("tokenizer.ggml.bos_token_id").and_then(token);
        let eos = gguf.opt_u32("tokenizer.ggml.eos_token_id").and_then(token);
        let mut stop_ids: Vec<u32> = eos.iter().map(|(id, _)| *id).collect();
        for key in ["tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            stop_ids.extend(gguf.opt_u32(key));
        }
        for (id, (token, kind)) in tokens.iter().zip(&types).enumerate() {
            if *kind == TOKEN_TYPE_CONTROL && END_OF_TURN_TEXTS.contains(token) {
                stop_ids.extend(u32::try_from(id).ok());
            }
        }
        stop_ids.sort_unstable();
        stop_ids.dedup();
        let default_add_bos = source == TokenizerSource::GgufSentencePiece;
        Ok(Self {
            inner,
            bos,
            eos,
            add_bos: gguf
                .opt_bool("tokenizer.ggml.add_bos_token")
                .unwrap_or(default_add_bos),
            stop_ids,
            source,
        })
    }

    /// Writes the tokenizer as a Hugging Face `tokenizer.json` (to inspect it, or to compare it
    /// with the publisher's).
    pub fn save_json(&self, path: &Path) -> Result<(), LlmError> {
        self.inner
            .save(path, true)
            .map_err(|e| LlmError::Tokenizer(format!("{}: {e}", path.display())))
    }

    /// Where the tokenizer came from.
    pub fn source(&self) -> TokenizerSource {
        self.source
    }

    /// Token ids of a text; special tokens written in the text (`<|im_start|>`) are recognised.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, LlmError> {
        let encoding = self.inner.encode(text, false).map_err(tok_err)?;
        Ok(encoding.get_ids().to_vec())
    }

    /// Ids of a rendered prompt: the BOS token is prepended when the model wants one and the
    /// template did not write it.
    pub fn encode_prompt(&self, text: &str) -> Result<Vec<u32>, LlmError> {
        let mut ids = self.encode(text)?;
        if let (true, Some((bos, _))) = (self.add_bos, &self.bos)
            && ids.first() != Some(bos)
        {
            ids.insert(0, *bos);
        }
        Ok(ids)
    }

    /// Text of token ids, special tokens left out.
    pub fn decode(&self, ids: &[u32]) -> Result<String, LlmError> {
        self.inner.decode(ids, true).map_err(tok_err)
    }

    /// Number of ids (vocabulary plus added tokens).
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// Ids that end a turn (EOS, end-of-turn).
    pub fn stop_ids(&self) -> &[u32] {
        &self.stop_ids
    }

    /// The beginning-of-sequence token text, for the chat template.
    pub fn bos_text(&self) -> &str {
        self.bos.as_ref().map(|(_, t)| t.as_str()).unwrap_or("")
    }

    /// The end-of-sequence token text, for the chat template.
    pub fn eos_text(&self) -> &str {
        self.eos.as_ref().map(|(_, t)| t.as_str()).unwrap_or("")
    }

    /// Id of a token text, if it is one token.
    pub fn token_id(&self, text: &str) -> Option<u32> {
        self.inner.token_to_id(text)
    }
}

fn vocab_map(tokens: &[&str]) -> Vocab {
    tokens
        .iter()
        .enumerate()
        .map(|(id, t)| (t.to_string(), id as u32))
        .collect()
}

fn byte_level_bpe(gguf: &GgufFile, tokens: &[&str]) -> Result<tokenizers::Tokenizer, LlmError> {
    let merges = gguf
        .strings("tokenizer.ggml.merges")?
        .into_iter()
        .map(|m| {
            m.split_once(' ')
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .ok_or_else(|| LlmError::Metadata {
                    key: "tokenizer.ggml.merges".into(),
                    reason: format!("merge without a space: {m:?}"),
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let pre = gguf.opt_str("tokenizer.ggml.pre").unwrap_or("default");
    let model = BPE::builder()
        .vocab_and_merges(vocab_map(tokens), merges)
        .ignore_merges(matches!(pre, "llama-bpe" | "llama3"))
        .build()
        .map_err(tok_err)?;
    let mut tokenizer = tokenizers::Tokenizer::new(model);
    tokenizer.with_pre_tokenizer(Some(byte_level_pre_tokenizer(pre)?));
    if matches!(pre, "qwen2" | "deepseek-r1-qwen") {
        tokenizer
            .with_normalizer(Some(NormalizerWrapper::from(NFC)))
            .map_err(tok_err)?;
    }
    tokenizer.with_decoder(Some(DecoderWrapper::from(ByteLevel::default())));
    Ok(tokenizer)
}

/// The pre-tokenizer llama.cpp uses for a `tokenizer.ggml.pre` name.
fn byte_level_pre_tokenizer(pre: &str) -> Result<PreTokenizerWrapper, LlmError> {
    let split = |regex: &str| -> Result<PreTokenizerWrapper, LlmError> {
        let split = Split::new(
            SplitPattern::Regex(regex.to_string()),
            SplitDelimiterBehavior::Isolated,
            false,
        )
        .map_err(tok_err)?;
        Ok(PreSequence::new(vec![
            split.into(),
            ByteLevel::new(false, false, false).into(),
        ])
        .into())
    };
    match pre {
        "smollm" | "starcoder" | "refact" | "command-r" | "codeshell" | "exaone" | "minerva" => {
            Ok(PreSequence::new(vec![
                Digits::new(true).into(),
                ByteLevel::new(false, true, true).into(),
            ])
            .into())
        }
        "qwen2" | "deepseek-r1-qwen" => split(QWEN2_SPLIT),
        "llama-bpe" | "llama3" | "smaug-bpe" => split(LLAMA3_SPLIT),
        "tekken" => split(TEKKEN_SPLIT),
        "default" | "gpt2" | "gpt-2" => Ok(ByteLevel::new(false, true, true).into()),
        other => {
            log::warn!("unknown tokenizer.ggml.pre {other:?}: using the GPT-2 pre-tokenizer");
            Ok(ByteLevel::new(false, true, true).into())
        }
    }
}

/// SentencePiece vocabulary as a BPE: merges rebuilt from the pieces, best score first.
fn sentencepiece_bpe(
    gguf: &GgufFile,
    tokens: &[&str],
    types: &[i64],
) -> Result<tokenizers::Tokenizer, LlmError> {
    let scores = gguf
        .opt_floats("tokenizer.ggml.scores")
        .unwrap_or_else(|| (0..tokens.len()).map(|i| -(i as f32)).collect());
    let unk = gguf
        .opt_u32("tokenizer.ggml.unknown_token_id")
        .and_then(|id| tokens.get(id as usize))
        .map(|t| t.to_string());
    let add_space_prefix = gguf
        .opt_bool("tokenizer.ggml.add_space_prefix")
        .unwrap_or(true);
    sentencepiece_tokenizer(tokens, types, &scores, unk, add_space_prefix)
}

/// Builds the SentencePiece-as-BPE tokenizer (separate from the GGUF for unit tests).
pub(crate) fn sentencepiece_tokenizer(
    tokens: &[&str],
    types: &[i64],
    scores: &[f32],
    unk: Option<String>,
    add_space_prefix: bool,
) -> Result<tokenizers::Tokenizer, LlmError> {
    let vocab = vocab_map(tokens);
    let mut merges: Vec<(f32, u32, String, String)> = Vec::new();
    for (id, piece) in tokens.iter().enumerate() {
        if types.get(id).copied().unwrap_or(TOKEN_TYPE_NORMAL) != TOKEN_TYPE_NORMAL {
            continue;
        }
        let score = scores.get(id).copied().unwrap_or(0.0);
        for (split, _) in piece.char_indices().skip(1) {
            let (left, right) = piece.split_at(split);
            if vocab.contains_key(left) && vocab.contains_key(right) {
                merges.push((score, id as u32, left.to_string(), right.to_string()));
            }
        }
    }
    merges.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let merges = merges.into_iter().map(|(_, _, l, r)| (l, r)).collect();
    let mut builder = BPE::builder()
        .vocab_and_merges(vocab, merges)
        .byte_fallback(true)
        .fuse_unk(true);
    if let Some(unk) = unk {
        builder = builder.unk_token(unk);
    }
    let model = builder.build().map_err(tok_err)?;
    let mut tokenizer = tokenizers::Tokenizer::new(model);
    let replace = Replace::new(" ", "▁").map_err(tok_err)?;
    let normalizer: NormalizerWrapper = if add_space_prefix {
        tokenizers::normalizers::Sequence::new(vec![
            Prepend::new("▁".to_string()).into(),
            replace.into(),
        ])
        .into()
    } else {
        replace.into()
    };
    tokenizer
        .with_normalizer(Some(normalizer))
        .map_err(tok_err)?;
    let mut decoders: Vec<DecoderWrapper> = vec![
        Replace::new("▁", " ").map_err(tok_err)?.into(),
        ByteFallback::default().into(),
        Fuse::default().into(),
    ];
    if add_space_prefix {
        decoders.push(Strip::new(' ', 1, 0).into());
    }
    tokenizer.with_decoder(Some(DecoderSequence::new(decoders)));
    Ok(tokenizer)
}

/// Incremental detokenizer: yields text only once it forms whole UTF-8 characters.
///
/// Each step decodes a window that starts one token back, so that decoders which depend on the
/// previous token (SentencePiece's leading space) give the same text as a decode of the whole.
pub struct TextStream<'a> {
    tokenizer: &'a Tokenizer,
    ids: Vec<u32>,
    prefix_offset: usize,
    read_offset: usize,
}

impl<'a> TextStream<'a> {
    /// A stream over `tokenizer`.
    pub fn new(tokenizer: &'a Tokenizer) -> Self {
        Self {
            tokenizer,
            ids: Vec::new(),
            prefix_offset: 0,
            read_offset: 0,
        }
    }

    /// Adds a token; returns the new text, if any is complete.
    pub fn push(&mut self, id: u32) -> Result<Option<String>, LlmError> {
        self.ids.push(id);
        let prefix = self
            .tokenizer
            .decode(&self.ids[self.prefix_offset..self.read_offset])?;
        let text = self.tokenizer.decode(&self.ids[self.prefix_offset..])?;
        if text.len() > prefix.len() && !text.ends_with('\u{FFFD}') {
            let new = match text.get(prefix.len()..) {
                Some(new) => new.to_string(),
                // The window changed the prefix's rendering: emit what is past its characters.
                None => text.chars().skip(prefix.chars().count()).collect(),
            };
            self.prefix_offset = self.read_offset;
            self.read_offset = self.ids.len();
            Ok(Some(new))
        } else {
            Ok(None)
        }
    }

    /// Text held back at the end (an incomplete character), as decoded.
    pub fn finish(&mut self) -> Result<Option<String>, LlmError> {
        let prefix = self
            .tokenizer
            .decode(&self.ids[self.prefix_offset..self.read_offset])?;
        let text = self.tokenizer.decode(&self.ids[self.prefix_offset..])?;
        self.prefix_offset = self.ids.len();
        self.read_offset = self.ids.len();
        Ok(text
            .get(prefix.len()..)
            .filter(|s| !s.is_empty())
            .map(str::to_string))
    }

    /// All ids pushed.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentencepiece_vocabulary_segments_by_score() {
        // "▁h", "▁he", "ll", "llo", "▁hello" with byte tokens for fallback.
        let mut tokens = vec!["<unk>", "<s>", "</s>"];
        let mut types = vec![2, 3, 3];
        let bytes: Vec<String> = (0..=255u8).map(|b| format!("<0x{b:02X}>")).collect();
        for b in &bytes {
            tokens.push(b);
            types.push(6);
        }
        let pieces = ["▁", "h", "e", "l", "o", "▁h", "ll", "▁he", "llo", "▁hello"];
        for p in pieces {
            tokens.push(p);
            types.push(1);
        }
        let scores: Vec<f32> = (0..tokens.len()).map(|i| -(i as f32)).collect();
        let tok = sentencepiece_tokenizer(&tokens, &types, &scores, Some("<unk>".into()), true)
            .expect("tokenizer");
        let enc = tok.encode("hello", false).expect("encode");
        assert_eq!(enc.get_tokens(), ["▁hello"]);
        // A character outside the vocabulary falls back to its bytes and decodes back.
        let enc = tok.encode("hé", false).expect("encode");
        assert!(enc.get_tokens().iter().any(|t| t == "<0xC3>"));
        let text = tok.decode(enc.get_ids(), true).expect("decode");
        assert_eq!(text, "hé");
    }
}
