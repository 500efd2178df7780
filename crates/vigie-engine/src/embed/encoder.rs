//! A BERT encoder for inference, written for speed on CPU.
//!
//! candle's reference BERT is written for clarity: separate Q/K/V products, scaling and masking
//! of the full attention matrix in separate passes, and a generic softmax of five passes. On a
//! 2-core laptop those passes over `[batch, heads, T, T]` cost as much as the matrix products.
//! This encoder loads the same weights (standard BERT names) and fuses what can be fused: one
//! Q/K/V product, queries scaled before the product (T×d instead of T×T), a softmax in one pass
//! that skips the padded keys, and biases added in one pass, with GELU where it follows (see
//! `fused_ops`). Dense weights are kept transposed, so the GEMM reads them in order instead of
//! repacking a transposed view at every call (a fifth of the time of a question's embedding).
//! Its output matches candle's reference BERT (see the tests).

use std::collections::HashMap;

use candle_core::{D, DType, Module, Tensor};
use candle_nn::{LayerNorm, Linear};

use super::{EmbedError, fused_ops};

/// Shape parameters of the encoder.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EncoderShape {
    /// Hidden size.
    pub hidden: usize,
    /// Attention heads.
    pub heads: usize,
    /// Layers.
    pub layers: usize,
    /// Layer-norm epsilon.
    pub eps: f64,
}

/// A dense layer whose weight is stored transposed (`[in, out]`, contiguous): the matrix
/// product then reads it row by row, where candle's `Linear` hands the GEMM a transposed view
/// to repack at every call (which dominates a short query).
struct Dense {
    weight_t: Tensor,
    bias: Vec<f32>,
}

impl Dense {
    fn new(linear: &Linear) -> Result<Self, EmbedError> {
        let bias = linear
            .bias()
            .cloned()
            .ok_or_else(|| EmbedError::Format("dense layer without bias".into()))?;
        Ok(Self {
            weight_t: linear.weight().t()?.contiguous()?,
            bias: bias.to_dtype(DType::F32)?.to_vec1()?,
        })
    }

    /// `x · W` without the bias, as `(rows, out)`, and the shape of the result with `x`'s
    /// leading dimensions.
    fn product(&self, x: &Tensor) -> Result<(Tensor, Vec<usize>), EmbedError> {
        let mut shape = x.dims().to_vec();
        let inner = shape.last().copied().unwrap_or(0);
        let rows = x.elem_count() / inner.max(1);
        let out = x.reshape((rows, inner))?.matmul(&self.weight_t)?;
        if let Some(last) = shape.last_mut() {
            *last = out.dim(1)?;
        }
        Ok((out, shape))
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor, EmbedError> {
        let (out, shape) = self.product(x)?;
        Ok(fused_ops::add_bias(&out, &self.bias)?.reshape(shape)?)
    }

    /// `gelu(x · W + b)` in one pass after the product.
    fn forward_gelu(&self, x: &Tensor) -> Result<Tensor, EmbedError> {
        let (out, shape) = self.product(x)?;
        Ok(fused_ops::bias_gelu(&out, &self.bias)?.reshape(shape)?)
    }
}

struct Layer {
    qkv: Dense,
    attention_out: Dense,
    attention_norm: LayerNorm,
    ffn_in: Dense,
    ffn_out: Dense,
    output_norm: LayerNorm,
}

/// BERT encoder weights.
pub struct BertEncoder {
    word: Tensor,
    position: Tensor,
    token_type: Tensor,
    embedding_norm: LayerNorm,
    layers: Vec<Layer>,
    shape: EncoderShape,
}

fn take(weights: &mut HashMap<String, Tensor>, name: &str) -> Result<Tensor, EmbedError> {
    weights
        .remove(name)
        .ok_or_else(|| EmbedError::Format(format!("missing tensor {name}")))
}

fn linear(weights: &mut HashMap<String, Tensor>, prefix: &str) -> Result<Linear, EmbedError> {
    let w = take(weights, &format!("{prefix}.weight"))?;
    let b = take(weights, &format!("{prefix}.bias"))?;
    Ok(Linear::new(w, Some(b)))
}

fn norm(
    weights: &mut HashMap<String, Tensor>,
    prefix: &str,
    eps: f64,
) -> Result<LayerNorm, EmbedError> {
    let w = take(weights, &format!("{prefix}.weight"))?;
    let b = take(weights, &format!("{prefix}.bias"))?;
    Ok(LayerNorm::new(w, b, eps))
}

impl BertEncoder {
    /// Builds the encoder from tensors named as in Hugging Face BERT checkpoints.
    pub fn from_weights(
        mut weights: HashMap<String, Tensor>,
        shape: EncoderShape,
    ) -> Result<Self, EmbedError> {
        if shape.heads == 0 || !shape.hidden.is_multiple_of(shape.heads) {
            return Err(EmbedError::Format(
                "hidden size not divisible by heads".into(),
            ));
        }
        let word = take(&mut weights, "embeddings.word_embeddings.weight")?;
        let position = take(&mut weights, "embeddings.position_embeddings.weight")?;
        let token_type = take(&mut weights, "embeddings.token_type_embeddings.weight")?
            .get(0)?
            .unsqueeze(0)?;
        let embedding_norm = norm(&mut weights, "embeddings.LayerNorm", shape.eps)?;
        let mut layers = Vec::with_capacity(shape.layers);
        for i in 0..shape.layers {
            let p = format!("encoder.layer.{i}");
            let q = linear(&mut weights, &format!("{p}.attention.self.query"))?;
            let k = linear(&mut weights, &format!("{p}.attention.self.key"))?;
            let v = linear(&mut weights, &format!("{p}.attention.self.value"))?;
            let qkv_w = Tensor::cat(&[q.weight(), k.weight(), v.weight()], 0)?;
            let bias = |l: &Linear| {
                l.bias()
                    .cloned()
                    .ok_or_else(|| EmbedError::Format("attention without bias".into()))
            };
            let qkv_b = Tensor::cat(&[bias(&q)?, bias(&k)?, bias(&v)?], 0)?;
            layers.push(Layer {
                qkv: Dense::new(&Linear::new(qkv_w, Some(qkv_b)))?,
                attention_out: Dense::new(&linear(
                    &mut weights,
                    &format!("{p}.attention.output.dense"),
                )?)?,
                attention_norm: norm(
                    &mut weights,
                    &format!("{p}.attention.output.LayerNorm"),
                    shape.eps,
                )?,
                ffn_in: Dense::new(&linear(&mut weights, &format!("{p}.intermediate.dense"))?)?,
                ffn_out: Dense::new(&linear(&mut weights, &format!("{p}.output.dense"))?)?,
                output_norm: norm(&mut weights, &format!("{p}.output.LayerNorm"), shape.eps)?,
            });
        }
        let expected = [shape.hidden];
        if embedding_norm_dims(&word)? != expected[0] {
            return Err(EmbedError::Format(
                "embedding width differs from hidden size".into(),
            ));
        }
        Ok(Self {
            word,
            position,
            token_type,
            embedding_norm,
            layers,
            shape,
        })
    }

    /// Most positions the model can encode.
    pub fn max_positions(&self) -> usize {
        self.position.dims().first().copied().unwrap_or(0)
    }

    /// Hidden states `[batch, T, hidden]` for right-padded ids and a 0/1 mask, both `[batch, T]`
    /// (every sequence at least one token long).
    pub fn forward(&self, ids: &Tensor, mask: &Tensor) -> Result<Tensor, EmbedError> {
        let (batch, width) = ids.dims2()?;
        if width > self.max_positions() {
            return Err(EmbedError::Model(format!(
                "sequence of {width} tokens exceeds the {} positions of the model",
                self.max_positions()
            )));
        }
        let h = self.shape.hidden;
        let heads = self.shape.heads;
        let head_dim = h / heads;
        let words = self
            .word
            .index_select(&ids.flatten_all()?, 0)?
            .reshape((batch, width, h))?;
        let positions = self.position.narrow(0, 0, width)?;
        let mut x = words
            .broadcast_add(&positions)?
            .broadcast_add(&self.token_type)?;
        x = self.embedding_norm.forward(&x)?;
        let lengths = padded_lengths(mask)?;
        let scale = 1.0 / (head_dim as f64).sqrt();
        for layer in &self.layers {
            let qkv = layer.qkv.forward(&x)?;
            let split = |i: usize| -> Result<Tensor, EmbedError> {
                Ok(qkv
                    .narrow(D::Minus1, i * h, h)?
                    .reshape((batch, width, heads, head_dim))?
                    .transpose(1, 2)?
                    .contiguous()?)
            };
            let q = (split(0)? * scale)?;
            let k = split(1)?;
            let v = split(2)?;
            let probs = fused_ops::padded_softmax(&q.matmul(&k.t()?)?, &lengths)?;
            let context = probs
                .matmul(&v)?
                .transpose(1, 2)?
                .reshape((batch, width, h))?;
            let attended = layer.attention_out.forward(&context)?;
            x = layer.attention_norm.forward(&(attended + &x)?)?;
            let inner = layer.ffn_in.forward_gelu(&x)?;
            let out = layer.ffn_out.forward(&inner)?;
            x = layer.output_norm.forward(&(out + &x)?)?;
        }
        Ok(x)
    }
}

/// Length of each sequence of a right-padded 0/1 mask `[batch, T]`; a mask with a hole or an
/// empty sequence is an error.
fn padded_lengths(mask: &Tensor) -> Result<Vec<usize>, EmbedError> {
    mask.to_dtype(DType::U32)?
        .to_vec2::<u32>()?
        .iter()
        .map(|row| {
            let length = row.iter().take_while(|&&m| m == 1).count();
            if length == 0 || row[length..].iter().any(|&m| m != 0) {
                Err(EmbedError::Model(
                    "attention mask is not a right-padded 0/1 mask".into(),
                ))
            } else {
                Ok(length)
            }
        })
        .collect()
}

fn embedding_norm_dims(word: &Tensor) -> Result<usize, EmbedError> {
    Ok(word.dims().get(1).copied().unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};

    use super::padded_lengths;

    fn mask(rows: &[&[u32]]) -> Tensor {
        let width = rows[0].len();
        let flat: Vec<u32> = rows.iter().flat_map(|r| r.iter().copied()).collect();
        Tensor::from_vec(flat, (rows.len(), width), &Device::Cpu).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn lengths_come_from_right_padded_masks_only() {
        let lengths = padded_lengths(&mask(&[&[1, 1, 1], &[1, 0, 0], &[1, 1, 0]]));
        assert_eq!(lengths.ok(), Some(vec![3, 1, 2]));
        assert!(padded_lengths(&mask(&[&[1, 0, 1]])).is_err());
        assert!(padded_lengths(&mask(&[&[0, 0, 0]])).is_err());
        assert!(padded_lengths(&mask(&[&[1, 2, 0]])).is_err());
    }
}
