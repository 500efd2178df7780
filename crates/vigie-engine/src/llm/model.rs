//! The decoder-only transformer of GGUF `llama` and `qwen2` models, on candle tensors.
//!
//! candle-transformers has `quantized_llama` and `quantized_qwen2`, but both hide the two
//! things Vigie's speed depends on: the matrix product used for a prompt, and the KV cache.
//! This module is the same computation in one type, driven by the GGUF metadata (Qwen2's q/k/v
//! biases and NeoX rotary embedding are read from the file, not from a per-model branch), with:
//! - **prefill through a GEMM**: when a batch of prompt tokens goes through a layer, each
//!   weight matrix is dequantized on its own into a scratch f32 tensor and multiplied with a
//!   real GEMM, then dropped; a 7B model never holds its f32 copy, yet prompts run at GEMM
//!   speed. A single token (decode) uses the quantized kernels, which read 4× less memory
//!   (Vigie's own for Q8_0, Q4_1 and Q5_0, see `quant_rows`, candle's for k-quants); the
//!   matrices that read the same input (q, k, v; gate, up) are multiplied together;
//! - **a KV cache the caller owns**: preallocated, grown in steps, truncated to any length, so a
//!   prompt prefix already computed (the system prompt, an earlier turn) is kept and only the
//!   new tokens are computed;
//! - **grouped-query attention without copies**: query heads are grouped under their KV head
//!   instead of repeating K and V for every query head;
//! - **rotary tables sized to the usable context** (candle's llama stops at 4,096 positions);
//! - the token embedding kept quantized (rows are dequantized on lookup), which saves Qwen2's
//!   150k-row table half a gigabyte of RAM.

use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor};
use candle_core::{DType, Device, Module, Tensor};

use super::CancelToken;
use super::attention::attention;
use super::error::LlmError;
use super::gguf::{Architecture, GgufFile};
pub use super::kv_cache::KvCache;
use super::quant_rows::{self, Q8Vector, QuantRows};

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
    /// Re-quantize to Q8_0, at load, the weight formats that have no SIMD kernel (Q5_1, and
    /// on another device than the CPU also Q4_1 and Q5_0): decoding with them runs scalar
    /// code. Q8_0 represents their values within 1/16 of their own step, at 1.5× their size.
    pub requantize_slow_formats: bool,
    /// Device the weights live on.
    pub device: Device,
}

impl Default for ModelOptions {
    fn default() -> Self {
        Self {
            max_context: 8192,
            gemm_min_tokens: 16,
            attention_block: 256,
            requantize_slow_formats: true,
            device: Device::Cpu,
        }
    }
}

/// How a weight matrix is multiplied.
enum Kernel {
    /// Q8_0, Q4_1 or Q5_0 blocks and Vigie's product (see [`quant_rows`](super::quant_rows)).
    Rows(QuantRows),
    /// Any other format: candle's quantized kernels.
    Candle {
        weight: Arc<QTensor>,
        matmul: QMatMul,
    },
}

/// A weight matrix kept quantized, multiplied either with the quantized kernels or through a
/// one-off dequantization and a GEMM.
struct Linear {
    kernel: Kernel,
    bias: Option<Tensor>,
}

impl Linear {
    fn new(weight: QTensor, bias: Option<Tensor>, requantize: bool) -> Result<Self, LlmError> {
        if let Some(rows) = QuantRows::from_qtensor(&weight, requantize)? {
            return Ok(Self {
                kernel: Kernel::Rows(rows),
                bias,
            });
        }
        let slow = matches!(
            weight.dtype(),
            GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1
        );
        let weight = if requantize && slow {
            let dense = weight.dequantize(&weight.device())?;
            QTensor::quantize(&dense, GgmlDType::Q8_0)?
        } else {
            weight
        };
        let weight = Arc::new(weight);
        let matmul = QMatMul::from_arc(Arc::clone(&weight))?;
        Ok(Self {
            kernel: Kernel::Candle { weight, matmul },
            bias,
        })
    }

    /// `x` is `(tokens, in)`; returns `(tokens, out)`.
    fn forward(&self, x: &Tensor, gemm_min_tokens: usize) -> candle_core::Result<Tensor> {
        let tokens = x.dim(0)?;
        let gemm = tokens >= gemm_min_tokens && x.device().is_cpu();
        let y = match &self.kernel {
            // Scratch copy of this one matrix, freed when the product is done.
            Kernel::Rows(rows) if gemm => x.matmul(&rows.dequantize(x.device())?.t()?)?,
            Kernel::Rows(rows) => {
                let mut out = vec![0.0f32; tokens * rows.rows()];
                for (input, output) in x
                    .to_vec2::<f32>()?
                    .iter()
                    .zip(out.chunks_exact_mut(rows.rows()))
                {
                    quant_rows::matvec(&mut [(rows, output)], &Q8Vector::quantize(input))?;
                }
                Tensor::from_vec(out, (tokens, rows.rows()), x.device())?
            }
            Kernel::Candle { weight, matmul } => {
                if gemm && matches!(matmul, QMatMul::QTensor(_)) {
                    let w = weight.dequantize(x.device())?;
                    x.matmul(&w.t()?)?
                } else {
                    matmul.forward(x)?
                }
            }
        };
        self.add_bias(y)
    }

    fn add_bias(&self, y: Tensor) -> candle_core::Result<Tensor> {
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }
}

/// Products of one input with several matrices (q, k, v; gate, up). For a single token whose
/// matrices are all [`QuantRows`], the input is quantized once and all rows go through one
/// parallel region; otherwise each matrix is multiplied on its own.
fn project<const N: usize>(
    linears: [&Linear; N],
    x: &Tensor,
    gemm_min_tokens: usize,
) -> candle_core::Result<[Tensor; N]> {
    let all_rows: Option<Vec<&QuantRows>> = linears
        .iter()
        .map(|l| match &l.kernel {
            Kernel::Rows(rows) => Some(rows),
            Kernel::Candle { .. } => None,
        })
        .collect();
    let outputs: Vec<Tensor> = match all_rows {
        Some(rows) if x.dim(0)? == 1 && x.device().is_cpu() => {
            let input = Q8Vector::quantize(&x.flatten_all()?.to_vec1::<f32>()?);
            let mut buffers: Vec<Vec<f32>> = rows.iter().map(|m| vec![0.0; m.rows()]).collect();
            let mut products: Vec<(&QuantRows, &mut [f32])> = rows
                .iter()
                .copied()
                .zip(buffers.iter_mut().map(Vec::as_mut_slice))
                .collect();
            quant_rows::matvec(&mut products, &input)?;
            buffers
                .into_iter()
                .zip(linears)
                .map(|(b, l)| {
                    let n = b.len();
                    l.add_bias(Tensor::from_vec(b, (1, n), x.device())?)
                })
                .collect::<candle_core::Result<_>>()?
        }
        _ => linears
            .iter()
            .map(|l| l.forward(x, gemm_min_tokens))
            .collect::<candle_core::Result<_>>()?,
    };
    outputs
        .try_into()
        .map_err(|_| candle_core::Error::Msg("projection count".into()))
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
                let w = gguf.tensor(&name(&format!("{n}.weight")), &device)?;
                Linear::new(w, b, options.requantize_slow_formats)
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
            output: Linear::new(output, None, options.requantize_slow_formats)?,
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
            let [q, k, v] = project([&layer.wq, &layer.wk, &layer.wv], &h, gemm)?;
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
            let y = attention(&q, &k, &v, pos, &self.config, self.attention_block)?;
            x = (x + layer.wo.forward(&y, gemm)?)?;
            let h = candle_nn::ops::rms_norm(&x, &layer.ffn_norm, eps)?;
            let [g, u] = project([&layer.gate, &layer.up], &h, gemm)?;
            let m = (candle_nn::ops::silu(&g)? * u)?;
            x = (x + layer.down.forward(&m, gemm)?)?;
        }
        let last = x.narrow(0, n - 1, 1)?;
        let last = candle_nn::ops::rms_norm(&last, &self.norm, eps)?;
        let logits = self.output.forward(&last, usize::MAX)?;
        logits.squeeze(0)?.to_dtype(DType::F32)?.to_vec1::<f32>()
    }
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
