//! The encoder's element-wise passes as single candle operations.
//!
//! Each candle operation reads its input and writes a new, zeroed tensor: the feed-forward
//! layer paid a pass for its bias, another for GELU (through scalar libm), and the attention
//! paid one to add the padding mask and five in the softmax, over `[batch, heads, T, T]`
//! scores. Here a bias, or a bias and GELU, is one pass, and the softmax of a row of scores is one read
//! and one write that skips the padded keys altogether (right padding: a sequence's keys
//! beyond its length get probability 0, as an additive `-1e9` mask gave). Outputs are filled
//! as they are computed, never zeroed first; the arithmetic is `vector_math`'s.

use candle_core::{CpuStorage, CustomOp1, Layout, Shape, Tensor};

use super::vector_math::{self, exp_non_positive, gelu_erf};

/// `activation(x + bias)` over the last dimension of a contiguous `f32` tensor.
struct BiasThen<'a, F> {
    bias: &'a [f32],
    activation: F,
    name: &'static str,
}

impl<F: Fn(f32) -> f32> CustomOp1 for BiasThen<'_, F> {
    fn name(&self) -> &'static str {
        self.name
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let src = contiguous_f32(storage, layout)?;
        let width = self.bias.len();
        if width == 0 || layout.dims().last() != Some(&width) {
            candle_core::bail!("bias of {width} for a tensor of shape {:?}", layout.dims());
        }
        let mut out = Vec::with_capacity(src.len());
        for row in src.chunks_exact(width) {
            out.extend(
                row.iter()
                    .zip(self.bias)
                    .map(|(&x, &b)| (self.activation)(x + b)),
            );
        }
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

/// Softmax over the last dimension of `[batch, heads, queries, keys]` scores, where sequence
/// `b` of the batch has `lengths[b]` real keys and the rest is padding.
struct PaddedSoftmax<'a> {
    lengths: &'a [usize],
}

impl CustomOp1 for PaddedSoftmax<'_> {
    fn name(&self) -> &'static str {
        "padded-softmax"
    }

    fn cpu_fwd(
        &self,
        storage: &CpuStorage,
        layout: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let src = contiguous_f32(storage, layout)?;
        let &[batch, heads, queries, keys] = layout.dims() else {
            candle_core::bail!("scores of shape {:?}, expected 4 dims", layout.dims());
        };
        if self.lengths.len() != batch || self.lengths.iter().any(|&l| l == 0 || l > keys) {
            candle_core::bail!("lengths {:?} for {batch} sequences of {keys}", self.lengths);
        }
        let rows_per_sequence = heads * queries;
        let mut out = Vec::with_capacity(src.len());
        for (r, row) in src.chunks_exact(keys).enumerate() {
            let (real, padding) = row.split_at(self.lengths[r / rows_per_sequence]);
            let max = vector_math::max(real);
            let start = out.len();
            out.extend(real.iter().map(|&s| exp_non_positive(s - max)));
            let inverse = 1.0 / vector_math::sum(&out[start..]);
            out[start..].iter_mut().for_each(|p| *p *= inverse);
            out.extend(std::iter::repeat_n(0.0, padding.len()));
        }
        Ok((CpuStorage::F32(out), layout.shape().clone()))
    }
}

fn contiguous_f32<'a>(storage: &'a CpuStorage, layout: &Layout) -> candle_core::Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else {
        candle_core::bail!("expected f32 data");
    };
    match layout.contiguous_offsets() {
        Some((start, end)) => Ok(&data[start..end]),
        None => candle_core::bail!("expected a contiguous tensor"),
    }
}

/// `x + bias`, `bias` applying to the last dimension.
pub(super) fn add_bias(x: &Tensor, bias: &[f32]) -> candle_core::Result<Tensor> {
    x.apply_op1_no_bwd(&BiasThen {
        bias,
        activation: |v| v,
        name: "bias",
    })
}

/// `gelu(x + bias)`, `bias` applying to the last dimension.
pub(super) fn bias_gelu(x: &Tensor, bias: &[f32]) -> candle_core::Result<Tensor> {
    x.apply_op1_no_bwd(&BiasThen {
        bias,
        activation: gelu_erf,
        name: "bias-gelu-erf",
    })
}

/// Softmax of attention scores `[batch, heads, queries, keys]` over each sequence's first
/// `lengths[b]` keys; padded keys get 0.
pub(super) fn padded_softmax(scores: &Tensor, lengths: &[usize]) -> candle_core::Result<Tensor> {
    scores.apply_op1_no_bwd(&PaddedSoftmax { lengths })
}

#[cfg(test)]
mod tests {
    use candle_core::{D, Device, Tensor};

    use super::*;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (state >> 8) as f32 / (1u32 << 24) as f32 * 16.0 - 8.0
            })
            .collect()
    }

    fn max_difference(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .and_then(|d| d.abs())
            .and_then(|d| d.flatten_all())
            .and_then(|d| d.max(0))
            .and_then(|d| d.to_scalar::<f32>())
            .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn bias_gelu_matches_candles_two_passes() -> candle_core::Result<()> {
        let x = Tensor::from_vec(values(3 * 5 * 7, 1), (3, 5, 7), &Device::Cpu)?;
        let bias = values(7, 2);
        let want = x
            .broadcast_add(&Tensor::new(bias.as_slice(), &Device::Cpu)?)?
            .gelu_erf()?;
        assert!(max_difference(&bias_gelu(&x, &bias)?, &want) < 5e-6);
        let plain = x.broadcast_add(&Tensor::new(bias.as_slice(), &Device::Cpu)?)?;
        assert_eq!(max_difference(&add_bias(&x, &bias)?, &plain), 0.0);
        assert!(bias_gelu(&x, &bias[..6]).is_err());
        assert!(bias_gelu(&x.transpose(1, 2)?, &bias[..5]).is_err());
        Ok(())
    }

    #[test]
    fn padded_softmax_matches_a_masked_softmax() -> candle_core::Result<()> {
        let (batch, heads, queries, keys) = (3, 2, 4, 6);
        let lengths = [6, 1, 4];
        let scores = Tensor::from_vec(
            values(batch * heads * queries * keys, 3),
            (batch, heads, queries, keys),
            &Device::Cpu,
        )?;
        let mask: Vec<f32> = lengths
            .iter()
            .flat_map(|&l| (0..keys).map(move |k| if k < l { 0.0 } else { -1e9 }))
            .collect();
        let mask = Tensor::from_vec(mask, (batch, 1, 1, keys), &Device::Cpu)?;
        let want = candle_nn::ops::softmax_last_dim(&scores.broadcast_add(&mask)?)?;
        let got = padded_softmax(&scores, &lengths)?;
        assert!(max_difference(&got, &want) < 1e-6);
        let sums = got.sum(D::Minus1)?.flatten_all()?.to_vec1::<f32>()?;
        assert!(sums.iter().all(|s| (s - 1.0).abs() < 1e-5), "{sums:?}");
        assert!(padded_softmax(&scores, &[6, 0, 4]).is_err());
        assert!(padded_softmax(&scores, &[6, 7, 4]).is_err());
        assert!(padded_softmax(&scores, &[6, 6]).is_err());
        Ok(())
    }
}
