//! The decoder-only transformer of GGUF `llama` and `qwen2` models, on candle tensors.
//!
//! candle-transformers has `quantized_llama` and `quantized_qwen2`, but both hide the two
//! things Vigie's speed depends on: the matrix product used for a prompt, and the KV cache.
//! This module is the same computation in one type, driven by the GGUF metadata (Qwen2's q/k/v
//! biases and NeoX rotary embedding are read from the file, not from a per-model branch), with:
//! - **prefill through a GEMM**: when a batch of prompt tokens goes through a layer, each
//!   weight matrix is dequantized on its own into a scratch f32 tensor and multiplied with a
//!   real GEMM, then dropped; a 7B model never holds its f32 copy, yet prompts run at GEMM
//!   speed. A single token (decode) uses the quantized kernels, which read 4× less memory;
//! - **a KV cache the caller owns**: preallocated, grown in steps, truncated to any length, so a
//!   prompt prefix already computed (the system prompt, an earlier turn) is kept and only the
//!   new tokens are computed;
//! - **grouped-query attention without copies**: query heads are grouped under their KV head
//!   instead of repeating K and V for every query head;
//! - **rotary tables sized to the usable context** (candle's llama stops at 4,096 positions);
//! - the token embedding kept quantized (rows are dequantized on lookup), which saves Qwen2's
//!   150k-row table half a gigabyte of RAM.

use std::sync::Arc;

use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{DType, Device, Module, Tensor};

use super::CancelToken;
use super::error::LlmError;
use super::gguf::{Architecture, GgufFile};

/// Hyper-parameters read from the GGUF.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ModelConfig {
    /// Architecture.
    pub architecture: Architecture,
    /// Transformer blocks.
    pub layers: usize,
    /// Width of the residual stream.
    pub embedding_length: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads (grouped-query attention when fewer than `heads`).
    pub kv_heads: usize,
    /// Width of one head.
    pub head_dim: usize,
    /// RoPE base frequency.
    pub rope_base: f32,
    /// RMS-norm epsilon.
    pub rms_eps: f64,
    /// Context length the model was trained for.
    pub trained_context: usize,
    /// Context length this instance accepts (prompt plus answer).
    pub context_length: usize,
}

/// Options of [`Transformer::load`].
#[derive(Debug, Clone)]
pub struct ModelOptions {
    /// Upper bound on the usable context (memory of the KV cache and rotary tables).
    pub max_context: usize,
    /// Batches of at least this many tokens go through dequantized weights and a GEMM;
    /// `usize::MAX` keeps the quantized kernels everywhere.
    pub gemm_min_tokens: usize,
    /// Queries per block of attention (bounds the score matrix of long prompts).
    pub attention_block: usize,
    /// Device the weights live on.
    pub device: Device,
}

impl Default for ModelOptions {
    fn default() -> Self {
        Self {
            max_context: 8192,
            gemm_min_tokens: 16,
            attention_block: 256,
            device: Device::Cpu,
        }
    }
}

/// A weight matrix kept quantized, multiplied either with the quantized kernels or through a
/// one-off dequantization and a GEMM.
struct Linear {
    weight: Arc<QTensor>,
    matmul: QMatMul,
    bias: Option<Tensor>,
}

impl Linear {
    fn new(weight: QTensor, bias: Option<Tensor>) -> Result<Self, LlmError> {
        let weight = Arc::new(weight);
        let matmul = QMatMul::from_arc(Arc::clone(&weight))?;
        Ok(Self {
            weight,
            matmul,
            bias,
        })
    }

    /// `x` is `(tokens, in)`; returns `(tokens, out)`.
    fn forward(&self, x: &Tensor, gemm_min_tokens: usize) -> candle_core::Result<Tensor> {
        let tokens = x.dim(0)?;
        let quantized = matches!(self.matmul, QMatMul::QTensor(_));
        let y = if quantized && tokens >= gemm_min_tokens && x.device().is_cpu() {
            // Scratch copy of this one matrix, freed when the product is done.
            let w = self.weight.dequantize(x.device())?;
            x.matmul(&w.t()?)?
        } else {
            self.matmul.forward(x)?
        };
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

struct Layer {
    attn_norm: Tensor,
    wq: Linear,
    wk: Linear,
    wv: Linear,
    wo: Linear,
    ffn_norm: Tensor,
    gate: Linear,
    up: Linear,
    down: Linear,
}

/// Keys and values of the positions computed so far, per layer.
///
/// Buffers are preallocated and grown in steps of [`KV_STEP`] positions; [`KvCache::truncate`]
/// forgets the tail without touching the rest, which is how a prompt prefix is reused.
pub struct KvCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
    len: usize,
}

const KV_STEP: usize = 512;

impl KvCache {
    fn new(layers: usize) -> Self {
        Self {
            layers: (0..layers).map(|_| None).collect(),
            len: 0,
        }
    }

    /// Positions held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Keeps the first `len` positions.
    pub fn truncate(&mut self, len: usize) {
        self.len = self.len.min(len);
    }

    /// Writes `k`, `v` (`(1, kv_heads, n, head_dim)`) at `pos` in layer `layer`; returns views
    /// of positions `0..pos + n`.
    fn append(
        &mut self,
        layer: usize,
        pos: usize,
        k: &Tensor,
        v: &Tensor,
        limit: usize,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let (_, kv_heads, n, head_dim) = k.dims4()?;
        let needed = pos + n;
        let slot = self
            .layers
            .get_mut(layer)
            .ok_or_else(|| candle_core::Error::Msg(format!("no cache slot for layer {layer}")))?;
        let capacity = slot
            .as_ref()
            .map(|(k, _)| k.dim(2))
            .transpose()?
            .unwrap_or(0);
        if needed > capacity {
            let new_cap = needed
                .div_ceil(KV_STEP)
                .saturating_mul(KV_STEP)
                .min(limit.max(needed));
            let kb = Tensor::zeros((1, kv_heads, new_cap, head_dim), DType::F32, k.device())?;
            let vb = Tensor::zeros((1, kv_heads, new_cap, head_dim), DType::F32, k.device())?;
            if let Some((old_k, old_v)) = slot.as_ref()
                && pos > 0
            {
                kb.slice_set(&old_k.narrow(2, 0, pos)?.contiguous()?, 2, 0)?;
                vb.slice_set(&old_v.narrow(2, 0, pos)?.contiguous()?, 2, 0)?;
            }
            *slot = Some((kb, vb));
        }
        let (kb, vb) = slot
            .as_ref()
            .ok_or_else(|| candle_core::Error::Msg("cache slot missing".into()))?;
        kb.slice_set(&k.contiguous()?, 2, pos)?;
        vb.slice_set(&v.contiguous()?, 2, pos)?;
        Ok((kb.narrow(2, 0, needed)?, vb.narrow(2, 0, needed)?))
    }
}

/// A loaded GGUF transformer.
pub struct Transformer {
    config: ModelConfig,
    embedding: Arc<QTensor>,
    layers: Vec<Layer>,
    norm: Tensor,
    output: Linear,
    cos: Tensor,
    sin: Tensor,
    neox: bool,
    gemm_min_tokens: usize,
    attention_block: usize,
    device: Device,
}

impl Transformer {
    /// Reads the weights of a validated GGUF.
    pub fn load(gguf: &mut GgufFile, options: &ModelOptions) -> Result<Self, LlmError> {
        let arch = gguf.architecture();
        let p = arch.key_prefix();
        let key = |k: &str| format!("{p}.{k}");
        let heads = gguf.u32(&key("attention.head_count"))? as usize;
        let kv_heads = gguf
            .opt_u32(&key("attention.head_count_kv"))
            .map(|x| x as usize)
            .unwrap_or(heads);
        let embedding_length = gguf.u32(&key("embedding_length"))? as usize;
        let layers_n = gguf.u32(&key("block_count"))? as usize;
        if heads == 0 || kv_heads == 0 || !heads.is_multiple_of(kv_heads) {
            return Err(LlmError::Metadata {
                key: key("attention.head_count_kv"),
                reason: format!("{heads} heads for {kv_heads} KV heads"),
            });
        }
        let head_dim = gguf
            .opt_u32(&key("attention.key_length"))
            .map(|x| x as usize)
            .unwrap_or(embedding_length / heads);
        let rope_dim = gguf
            .opt_u32(&key("rope.dimension_count"))
            .map(|x| x as usize)
            .unwrap_or(head_dim);
        if rope_dim != head_dim || !head_dim.is_multiple_of(2) {
            return Err(LlmError::Metadata {
                key: key("rope.dimension_count"),
                reason: format!("partial rotary embedding ({rope_dim} of {head_dim}) unsupported"),
            });
        }
        let trained_context = gguf
            .opt_u32(&key("context_length"))
            .map(|x| x as usize)
            .unwrap_or(4096);
        let config = ModelConfig {
            architecture: arch,
            layers: layers_n,
            embedding_length,
            heads,
            kv_heads,
            head_dim,
            rope_base: gguf.opt_f32(&key("rope.freq_base")).unwrap_or(10_000.0),
            rms_eps: f64::from(
                gguf.opt_f32(&key("attention.layer_norm_rms_epsilon"))
                    .unwrap_or(1e-5),
            ),
            trained_context,
            context_length: trained_context.min(options.max_context).max(1),
        };
        let device = options.device.clone();
        let dense = |gguf: &mut GgufFile, name: &str| -> Result<Tensor, LlmError> {
            Ok(gguf.tensor(name, &device)?.dequantize(&device)?)
        };
        let optional_bias = |gguf: &mut GgufFile, name: &str| -> Result<Option<Tensor>, LlmError> {
            if gguf.has_tensor(name) {
                Ok(Some(gguf.tensor(name, &device)?.dequantize(&device)?))
            } else {
                Ok(None)
            }
        };
        let embedding = gguf.tensor("token_embd.weight", &device)?;
        let mut layers = Vec::with_capacity(layers_n);
        for i in 0..layers_n {
            let name = |n: &str| format!("blk.{i}.{n}");
            let mut linear = |n: &str, bias: bool| -> Result<Linear, LlmError> {
                let b = if bias {
                    optional_bias(gguf, &name(&format!("{n}.bias")))?
                } else {
                    None
                };
                Linear::new(gguf.tensor(&name(&format!("{n}.weight")), &device)?, b)
            };
            let wq = linear("attn_q", true)?;
            let wk = linear("attn_k", true)?;
            let wv = linear("attn_v", true)?;
            let wo = linear("attn_output", false)?;
            let gate = linear("ffn_gate", false)?;
            let up = linear("ffn_up", false)?;
            let down = linear("ffn_down", false)?;
            layers.push(Layer {
                attn_norm: dense(gguf, &name("attn_norm.weight"))?,
                wq,
                wk,
                wv,
                wo,
                ffn_norm: dense(gguf, &name("ffn_norm.weight"))?,
                gate,
                up,
                down,
            });
        }
        let norm = dense(gguf, "output_norm.weight")?;
        let output = if gguf.has_tensor("output.weight") {
            gguf.tensor("output.weight", &device)?
        } else {
            // Tied embeddings: the output projection is the embedding table.
            gguf.tensor("token_embd.weight", &device)?
        };
        let (cos, sin) = rotary_tables(head_dim, config.rope_base, config.context_length, &device)?;
        Ok(Self {
            neox: arch == Architecture::Qwen2,
            config,
            embedding: Arc::new(embedding),
            layers,
            norm,
            output: Linear::new(output, None)?,
            cos,
            sin,
            gemm_min_tokens: options.gemm_min_tokens,
            attention_block: options.attention_block.max(1),
            device,
        })
    }

    /// Hyper-parameters.
    pub fn config(&self) -> &ModelConfig {
        &self.config
    }

    /// An empty KV cache for this model.
    pub fn new_cache(&self) -> KvCache {
        KvCache::new(self.layers.len())
    }

    /// Size of the output (vocabulary).
    pub fn vocab_size(&self) -> usize {
        self.embedding.shape().dims().first().copied().unwrap_or(0)
    }

    /// Runs `tokens` at positions `cache.len()..`, appends them to the cache and returns the
    /// logits of the last one.
    ///
    /// `cancel` is looked at between layers, so that a long prompt stops within a layer's time;
    /// a cancelled pass leaves the cache as it was and returns [`LlmError::Cancelled`].
    pub fn forward(
        &self,
        tokens: &[u32],
        cache: &mut KvCache,
        cancel: Option<&CancelToken>,
    ) -> Result<Vec<f32>, LlmError> {
        let pos = cache.len();
        if tokens.is_empty() {
            return Err(LlmError::InvalidRequest("no token to run".into()));
        }
        if pos + tokens.len() > self.config.context_length {
            return Err(LlmError::PromptTooLong {
                tokens: pos + tokens.len(),
                context: self.config.context_length,
            });
        }
        let logits = self.forward_inner(tokens, pos, cache, cancel);
        match logits {
            Ok(l) => {
                cache.len = pos + tokens.len();
                Ok(l)
            }
            Err(e) => {
                // The layers may have written part of the new positions: keep only the old.
                cache.truncate(pos);
                if cancel.is_some_and(CancelToken::is_cancelled) {
                    Err(LlmError::Cancelled)
                } else {
                    Err(e.into())
                }
            }
        }
    }

    fn forward_inner(
        &self,
        tokens: &[u32],
        pos: usize,
        cache: &mut KvCache,
        cancel: Option<&CancelToken>,
    ) -> candle_core::Result<Vec<f32>> {
        let n = tokens.len();
        let ids = Tensor::new(tokens, &self.device)?;
        let mut x = self.embedding.embedding(&ids)?.to_dtype(DType::F32)?;
        let cos = self.cos.narrow(0, pos, n)?;
        let sin = self.sin.narrow(0, pos, n)?;
        let c = &self.config;
        let gemm = self.gemm_min_tokens;
        let eps = c.rms_eps as f32;
        for (i, layer) in self.layers.iter().enumerate() {
            if cancel.is_some_and(CancelToken::is_cancelled) {
                return Err(candle_core::Error::Msg("cancelled".into()));
            }
            let h = candle_nn::ops::rms_norm(&x, &layer.attn_norm, eps)?;
            let q = layer.wq.forward(&h, gemm)?;
            let k = layer.wk.forward(&h, gemm)?;
            let v = layer.wv.forward(&h, gemm)?;
            let q = q
                .reshape((1, n, c.heads, c.head_dim))?
                .transpose(1, 2)?
                .contiguous()?;
            let k = k
                .reshape((1, n, c.kv_heads, c.head_dim))?
                .transpose(1, 2)?
                .contiguous()?;
            let v = v
                .reshape((1, n, c.kv_heads, c.head_dim))?
                .transpose(1, 2)?
                .contiguous()?;
            let (q, k) = if self.neox {
                (
                    candle_nn::rotary_emb::rope(&q, &cos, &sin)?,
                    candle_nn::rotary_emb::rope(&k, &cos, &sin)?,
                )
            } else {
                (
                    candle_nn::rotary_emb::rope_i(&q, &cos, &sin)?,
                    candle_nn::rotary_emb::rope_i(&k, &cos, &sin)?,
                )
            };
            let (k, v) = cache.append(i, pos, &k, &v, c.context_length)?;
            let y = self.attention(&q, &k, &v, pos)?;
            x = (x + layer.wo.forward(&y, gemm)?)?;
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, eps)?;
            let g = layer.gate.forward(&h, gemm)?;
            let u = layer.up.forward(&h, gemm)?;
            let m = (candle_nn::ops::silu(&g)? * u)?;
            x = (x + layer.down.forward(&m, gemm)?)?;
        }
        let last = x.narrow(0, n - 1, 1)?;
        let last = candle_nn::ops::rms_norm(&last, &self.norm, eps)?;
        let logits = self.output.forward(&last, usize::MAX)?;
        logits.squeeze(0)?.to_dtype(DType::F32)?.to_vec1::<f32>()
    }
}

impl Transformer {
    /// Causal attention of `q` (`(1, heads, n, head_dim)`, positions `pos..pos + n`) over the
    /// cached `k`, `v` (`(1, kv_heads, pos + n, head_dim)`); returns `(n, heads * head_dim)`.
    ///
    /// Queries go in blocks of `attention_block`: the score matrix of a 1,500-token prompt
    /// on a 32-head model would otherwise take hundreds of megabytes, and each block only looks
    /// at the keys it may see, which halves the softmax work of a long prompt.
    fn attention(
        &self,
        q: &Tensor,
        k: &Tensor,
        v: &Tensor,
        pos: usize,
    ) -> candle_core::Result<Tensor> {
        let c = &self.config;
        let n = q.dim(2)?;
        if n == 1
            && let Some(y) = decode_attention(q, k, v, c.heads / c.kv_heads)?
        {
            return Ok(y);
        }
        let rep = c.heads / c.kv_heads;
        let scale = 1.0 / (c.head_dim as f64).sqrt();
        let mut blocks = Vec::with_capacity(n.div_ceil(self.attention_block));
        let mut start = 0;
        while start < n {
            let len = self.attention_block.min(n - start);
            let visible = pos + start + len;
            // Query heads sharing a KV head are adjacent: fold them into the row dimension, so
            // K and V are never copied per query head.
            let qb = q.narrow(2, start, len)?.contiguous()?.reshape((
                1,
                c.kv_heads,
                rep * len,
                c.head_dim,
            ))?;
            let kb = k.narrow(2, 0, visible)?;
            let vb = v.narrow(2, 0, visible)?;
            let att = (qb.matmul(&kb.t()?)? * scale)?;
            let att = if len > 1 {
                let mask = causal_mask(len, pos + start, &self.device)?;
                att.reshape((1, c.kv_heads, rep, len, visible))?
                    .broadcast_add(&mask)?
                    .reshape((1, c.kv_heads, rep * len, visible))?
            } else {
                att
            };
            let att = candle_nn::ops::softmax_last_dim(&att)?;
            let y = att.matmul(&vb)?; // (1, kv_heads, rep * len, head_dim)
            blocks.push(y.reshape((1, c.heads, len, c.head_dim))?);
            start += len;
        }
        let y = if blocks.len() == 1 {
            blocks.swap_remove(0)
        } else {
            Tensor::cat(&blocks, 2)?
        };
        y.transpose(1, 2)?.reshape((n, c.heads * c.head_dim))
    }
}

/// Attention of one new token, computed directly on the cache buffers.
///
/// For a single query the tensor path spends most of its time packing K and V for a matrix
/// product with three rows; at 1,500 tokens of context that halved decoding speed. Here each
/// head reads its keys and values in place, once. Returns `None` when the tensors are not laid
/// out as the cache lays them (then the tensor path is used).
fn decode_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    rep: usize,
) -> candle_core::Result<Option<Tensor>> {
    use rayon::prelude::*;

    let (_, heads, _, head_dim) = q.dims4()?;
    let (_, kv_heads, visible, _) = k.dims4()?;
    let q = q.flatten_all()?.to_vec1::<f32>()?;
    let (k_storage, k_layout) = k.storage_and_layout();
    let (v_storage, v_layout) = v.storage_and_layout();
    let (candle_core::Storage::Cpu(k_cpu), candle_core::Storage::Cpu(v_cpu)) =
        (&*k_storage, &*v_storage)
    else {
        return Ok(None);
    };
    let row_major = |l: &candle_core::Layout| {
        let st = l.stride();
        st.len() == 4 && st[3] == 1 && st[2] == head_dim
    };
    if !row_major(k_layout) || !row_major(v_layout) || kv_heads * rep != heads {
        return Ok(None);
    }
    let k_all = k_cpu.as_slice::<f32>()?;
    let v_all = v_cpu.as_slice::<f32>()?;
    let scale = 1.0 / (head_dim as f32).sqrt();
    let span = (visible - 1) * head_dim + head_dim;
    let slice_of =
        |all: &'_ [f32], l: &candle_core::Layout, g: usize| -> Option<std::ops::Range<usize>> {
            let start = l.start_offset() + g * l.stride()[1];
            (start + span <= all.len()).then_some(start..start + span)
        };
    let mut ranges = Vec::with_capacity(kv_heads);
    for g in 0..kv_heads {
        match (slice_of(k_all, k_layout, g), slice_of(v_all, v_layout, g)) {
            (Some(kr), Some(vr)) => ranges.push((kr, vr)),
            _ => return Ok(None),
        }
    }
    let head = |h: usize| -> Vec<f32> {
        let (kr, vr) = &ranges[h / rep];
        let keys = &k_all[kr.clone()];
        let values = &v_all[vr.clone()];
        let qh = &q[h * head_dim..(h + 1) * head_dim];
        let mut scores: Vec<f32> = keys
            .chunks_exact(head_dim)
            .map(|key| dot(qh, key) * scale)
            .collect();
        let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for s in scores.iter_mut() {
            *s = (*s - max).exp();
            sum += *s;
        }
        let mut out = vec![0.0f32; head_dim];
        for (p, value) in scores.iter().zip(values.chunks_exact(head_dim)) {
            let p = p / sum;
            for (o, x) in out.iter_mut().zip(value) {
                *o += p * x;
            }
        }
        out
    };
    let out: Vec<f32> = if visible * heads >= 4096 {
        (0..heads).into_par_iter().flat_map_iter(head).collect()
    } else {
        (0..heads).flat_map(head).collect()
    };
    drop(k_storage);
    drop(v_storage);
    Ok(Some(Tensor::from_vec(
        out,
        (1, heads * head_dim),
        k.device(),
    )?))
}

/// Dot product written so that the compiler vectorizes it (eight lanes).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0.0f32; 8];
    let (a8, a_rest) = a.split_at(a.len() - a.len() % 8);
    let (b8, b_rest) = b.split_at(b.len() - b.len() % 8);
    for (ca, cb) in a8.chunks_exact(8).zip(b8.chunks_exact(8)) {
        for i in 0..8 {
            acc[i] += ca[i] * cb[i];
        }
    }
    let tail: f32 = a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

fn rotary_tables(
    head_dim: usize,
    base: f32,
    positions: usize,
    device: &Device,
) -> candle_core::Result<(Tensor, Tensor)> {
    let inv: Vec<f32> = (0..head_dim)
        .step_by(2)
        .map(|i| 1.0 / base.powf(i as f32 / head_dim as f32))
        .collect();
    let half = inv.len();
    let mut angles = Vec::with_capacity(positions * half);
    for p in 0..positions {
        angles.extend(inv.iter().map(|f| p as f32 * f));
    }
    let angles = Tensor::from_vec(angles, (positions, half), device)?;
    Ok((angles.cos()?, angles.sin()?))
}

/// Additive mask `(n, pos + n)`: 0 where query `i` may see key `j`, −∞ after it.
fn causal_mask(n: usize, pos: usize, device: &Device) -> candle_core::Result<Tensor> {
    let kv = pos + n;
    let mask: Vec<f32> = (0..n)
        .flat_map(|i| (0..kv).map(move |j| if j > pos + i { f32::NEG_INFINITY } else { 0.0 }))
        .collect();
    Tensor::from_vec(mask, (n, kv), device)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_attention_on_the_cache_matches_the_tensor_path() -> candle_core::Result<()> {
        let dev = Device::Cpu;
        let (kv_heads, rep, head_dim, cap, visible) = (3usize, 3usize, 64usize, 512usize, 300);
        let heads = kv_heads * rep;
        let q = Tensor::randn(0f32, 1.0, (1, heads, 1, head_dim), &dev)?;
        let k =
            Tensor::randn(0f32, 1.0, (1, kv_heads, cap, head_dim), &dev)?.narrow(2, 0, visible)?;
        let v =
            Tensor::randn(0f32, 1.0, (1, kv_heads, cap, head_dim), &dev)?.narrow(2, 0, visible)?;
        let fast = decode_attention(&q, &k, &v, rep)?.expect("cache layout");
        let qg = q.reshape((1, kv_heads, rep, head_dim))?;
        let att = (qg.matmul(&k.t()?)? * (1.0 / (head_dim as f64).sqrt()))?;
        let att = candle_nn::ops::softmax_last_dim(&att)?;
        let reference = att.matmul(&v)?.reshape((1, heads * head_dim))?;
        let diff = (fast - reference)?
            .abs()?
            .flatten_all()?
            .max(0)?
            .to_scalar::<f32>()?;
        assert!(diff < 1e-5, "difference {diff}");
        Ok(())
    }

    #[test]
    fn the_causal_mask_hides_later_keys_only() -> candle_core::Result<()> {
        let mask = causal_mask(2, 3, &Device::Cpu)?.to_vec2::<f32>()?;
        let inf = f32::NEG_INFINITY;
        assert_eq!(mask, vec![vec![0.0, 0.0, 0.0, 0.0, inf], vec![0.0; 5]]);
        Ok(())
    }
}
