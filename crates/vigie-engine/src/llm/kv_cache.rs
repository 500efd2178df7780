//! The KV cache: keys and values of every position computed so far, per layer.
//!
//! Buffers are preallocated and grown in steps rather than concatenated at every token (a copy
//! of the whole cache per token), and the cache can be truncated to any length without touching
//! the rest: that is how a prompt prefix already computed (the system prompt, an earlier turn)
//! is kept while the next question overwrites what follows it.

use candle_core::{DType, Tensor};

/// Keys and values of the positions computed so far, per layer, in buffers grown by
/// `KV_STEP` positions.
pub struct KvCache {
    layers: Vec<Option<(Tensor, Tensor)>>,
    pub(super) len: usize,
}

const KV_STEP: usize = 512;

impl KvCache {
    pub(super) fn new(layers: usize) -> Self {
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
    pub(super) fn append(
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
