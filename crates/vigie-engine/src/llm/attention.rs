//! Attention over the KV cache: blocks of queries for a prompt, an in-place kernel for the
//! one new token of decoding.
//!
//! A prompt's score matrix grows with the square of its length (a 1,500-token prompt on a
//! 32-head model would take hundreds of megabytes), so queries go in blocks, each looking only
//! at the keys it may see. For one query, the tensor path spends most of its time packing K and
//! V for a matrix product with a handful of rows: the decode kernel reads them in place.

use candle_core::{Device, Tensor};

use super::model::ModelConfig;

/// Causal attention of `q` (`(1, heads, n, head_dim)`, positions `pos..pos + n`) over the
/// cached `k`, `v` (`(1, kv_heads, pos + n, head_dim)`); returns `(n, heads * head_dim)`.
///
/// Queries go in blocks of `attention_block`: the score matrix of a 1,500-token prompt
/// on a 32-head model would otherwise take hundreds of megabytes, and each block only looks
/// at the keys it may see, which halves the softmax work of a long prompt.
pub(super) fn attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    pos: usize,
    c: &ModelConfig,
    block: usize,
) -> candle_core::Result<Tensor> {
    let n = q.dim(2)?;
    if n == 1
        && let Some(y) = decode_attention(q, k, v, c.heads / c.kv_heads)?
    {
        return Ok(y);
    }
    let rep = c.heads / c.kv_heads;
    let scale = 1.0 / (c.head_dim as f64).sqrt();
    let mut blocks = Vec::with_capacity(n.div_ceil(block));
    let mut start = 0;
    while start < n {
        let len = block.min(n - start);
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
            let mask = causal_mask(len, pos + start, q.device())?;
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

/// Attention of one new token, computed directly on the cache buffers.
///
/// For a single query the tensor path spends most of its time packing K and V for a matrix
/// product with three rows; at 1,500 tokens of context that halved decoding speed. Here each
/// head reads its keys and values in place, once. Returns `None` when the tensors are not laid
/// out as the cache lays them (then the tensor path is used).
///
/// Heads are shared out on candle's own worker pool, the one the quantized products of the
/// same token run on: handing them to rayon instead left that pool's threads spinning beside
/// rayon's on two cores.
pub(super) fn decode_attention(
    q: &Tensor,
    k: &Tensor,
    v: &Tensor,
    rep: usize,
) -> candle_core::Result<Option<Tensor>> {
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
    let span = visible * head_dim;
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
    let out = std::sync::Mutex::new(vec![0.0f32; heads * head_dim]);
    let head = |h: usize| {
        let (kr, vr) = &ranges[h / rep];
        let qh = &q[h * head_dim..(h + 1) * head_dim];
        let keys = &k_all[kr.clone()];
        let mut probs = simd::scores(qh, keys, scale).unwrap_or_else(|| scores(qh, keys, scale));
        let mut sum = 0.0;
        let max = probs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        for s in probs.iter_mut() {
            *s = (*s - max).exp();
            sum += *s;
        }
        let values = &v_all[vr.clone()];
        let mut y = simd::weighted_sum(&probs, values, head_dim)
            .unwrap_or_else(|| weighted_sum(&probs, values, head_dim));
        let inv = 1.0 / sum;
        y.iter_mut().for_each(|x| *x *= inv);
        // A poisoned lock only means another head panicked; the pool re-raises that panic.
        let mut out = out
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        out[h * head_dim..(h + 1) * head_dim].copy_from_slice(&y);
    };
    if visible * heads >= 4096 {
        candle_core::utils::barrier_pool().execute_chunked(heads, |range| range.for_each(head));
    } else {
        (0..heads).for_each(head);
    }
    drop(k_storage);
    drop(v_storage);
    let out = out
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(Some(Tensor::from_vec(
        out,
        (1, heads * head_dim),
        k.device(),
    )?))
}

/// `scale · q·k` for every key of `keys` (rows of `q.len()` values).
///
/// Four keys at a time: a single running sum per key would wait on each fused multiply-add in
/// turn, four independent ones keep the units busy and read `q` once for four keys.
fn scores(q: &[f32], keys: &[f32], scale: f32) -> Vec<f32> {
    let d = q.len();
    let mut out = Vec::with_capacity(keys.len() / d.max(1));
    let mut quads = keys.chunks_exact(4 * d);
    for quad in quads.by_ref() {
        let (k0, rest) = quad.split_at(d);
        let (k1, rest) = rest.split_at(d);
        let (k2, k3) = rest.split_at(d);
        let mut acc = [[0.0f32; 8]; 4];
        let lanes = d - d % 8;
        for i in (0..lanes).step_by(8) {
            let qs = &q[i..i + 8];
            for (a, key) in acc.iter_mut().zip([k0, k1, k2, k3]) {
                let ks = &key[i..i + 8];
                for l in 0..8 {
                    a[l] += qs[l] * ks[l];
                }
            }
        }
        for (a, key) in acc.iter().zip([k0, k1, k2, k3]) {
            let tail: f32 = q[lanes..]
                .iter()
                .zip(&key[lanes..])
                .map(|(x, y)| x * y)
                .sum();
            out.push((a.iter().sum::<f32>() + tail) * scale);
        }
    }
    for key in quads.remainder().chunks_exact(d) {
        out.push(dot(q, key) * scale);
    }
    out
}

/// `Σ probs[j] · values[j]` over the rows of `values` (rows of `head_dim` values), four rows
/// per pass so the output row is read and written a quarter as often.
fn weighted_sum(probs: &[f32], values: &[f32], head_dim: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; head_dim];
    let mut rows = values.chunks_exact(4 * head_dim);
    let mut weights = probs.chunks_exact(4);
    for (quad, p) in rows.by_ref().zip(weights.by_ref()) {
        let (v0, rest) = quad.split_at(head_dim);
        let (v1, rest) = rest.split_at(head_dim);
        let (v2, v3) = rest.split_at(head_dim);
        for (i, o) in out.iter_mut().enumerate() {
            *o += p[0] * v0[i] + p[1] * v1[i] + p[2] * v2[i] + p[3] * v3[i];
        }
    }
    for (row, p) in rows
        .remainder()
        .chunks_exact(head_dim)
        .zip(weights.remainder())
    {
        for (o, x) in out.iter_mut().zip(row) {
            *o += p * x;
        }
    }
    out
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

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
mod simd {
    //! AVX2 versions of `scores` and `weighted_sum` for the usual head widths: the portable
    //! loops compile to separate multiplies and adds with lane shuffles, and the decode
    //! attention is a large part of a token's time at long contexts.

    use std::arch::x86_64::{
        __m256, _mm_add_ps, _mm256_castps256_ps128, _mm256_extractf128_ps, _mm256_fmadd_ps,
        _mm256_hadd_ps, _mm256_set1_ps, _mm256_setzero_ps,
    };

    /// The first eight values, read in place (one unaligned load).
    fn load(values: &[f32]) -> __m256 {
        bytemuck::pod_read_unaligned(bytemuck::cast_slice(&values[..8]))
    }

    /// `scale · q·k` for every key; `None` unless the head width is a multiple of 8.
    pub(super) fn scores(q: &[f32], keys: &[f32], scale: f32) -> Option<Vec<f32>> {
        if q.is_empty() || !q.len().is_multiple_of(8) || !keys.len().is_multiple_of(q.len()) {
            return None;
        }
        // SAFETY: this module is only compiled when AVX2 and FMA are enabled for the whole
        // build (`cfg(target_feature)` above); every function of the binary may already use
        // them (the CLI and the desktop app check the processor at start-up with
        // `cpu::check_cpu`).
        #[allow(unsafe_code)]
        let scores = unsafe { scores_avx2(q, keys, scale) };
        Some(scores)
    }

    /// `Σ probs[j] · values[j]`; `None` unless the head width is a multiple of 64.
    pub(super) fn weighted_sum(probs: &[f32], values: &[f32], head_dim: usize) -> Option<Vec<f32>> {
        if head_dim == 0 || !head_dim.is_multiple_of(64) || values.len() != probs.len() * head_dim {
            return None;
        }
        // SAFETY: as in `scores`.
        #[allow(unsafe_code)]
        let sum = unsafe { weighted_sum_avx2(probs, values, head_dim) };
        Some(sum)
    }

    #[target_feature(enable = "avx2,fma")]
    fn scores_avx2(q: &[f32], keys: &[f32], scale: f32) -> Vec<f32> {
        let d = q.len();
        let q: Vec<__m256> = q.chunks_exact(8).map(load).collect();
        let mut out = Vec::with_capacity(keys.len() / d);
        let mut quads = keys.chunks_exact(4 * d);
        for quad in quads.by_ref() {
            let (k0, rest) = quad.split_at(d);
            let (k1, rest) = rest.split_at(d);
            let (k2, k3) = rest.split_at(d);
            // Four named sums (not an array) so that they stay in registers.
            let (mut a0, mut a1, mut a2, mut a3) = (
                _mm256_setzero_ps(),
                _mm256_setzero_ps(),
                _mm256_setzero_ps(),
                _mm256_setzero_ps(),
            );
            let lanes = k0
                .chunks_exact(8)
                .zip(k1.chunks_exact(8))
                .zip(k2.chunks_exact(8).zip(k3.chunks_exact(8)));
            for (qi, ((c0, c1), (c2, c3))) in q.iter().zip(lanes) {
                a0 = _mm256_fmadd_ps(*qi, load(c0), a0);
                a1 = _mm256_fmadd_ps(*qi, load(c1), a1);
                a2 = _mm256_fmadd_ps(*qi, load(c2), a2);
                a3 = _mm256_fmadd_ps(*qi, load(c3), a3);
            }
            let acc = [a0, a1, a2, a3];
            // Lane sums of the four accumulators, side by side.
            let pairs = _mm256_hadd_ps(
                _mm256_hadd_ps(acc[0], acc[1]),
                _mm256_hadd_ps(acc[2], acc[3]),
            );
            let sums = _mm_add_ps(
                _mm256_castps256_ps128(pairs),
                _mm256_extractf128_ps::<1>(pairs),
            );
            out.extend(bytemuck::cast::<_, [f32; 4]>(sums).map(|s| s * scale));
        }
        for key in quads.remainder().chunks_exact(d) {
            let mut acc = _mm256_setzero_ps();
            for (qi, k) in q.iter().zip(key.chunks_exact(8)) {
                acc = _mm256_fmadd_ps(*qi, load(k), acc);
            }
            out.push(bytemuck::cast::<_, [f32; 8]>(acc).iter().sum::<f32>() * scale);
        }
        out
    }

    /// Sixty-four columns at a time: eight accumulators stay in registers over all rows.
    #[target_feature(enable = "avx2,fma")]
    fn weighted_sum_avx2(probs: &[f32], values: &[f32], head_dim: usize) -> Vec<f32> {
        let mut out = Vec::with_capacity(head_dim);
        for first in (0..head_dim).step_by(64) {
            let mut acc = [_mm256_setzero_ps(); 8];
            for (p, row) in probs.iter().zip(values.chunks_exact(head_dim)) {
                let p = _mm256_set1_ps(*p);
                let row = &row[first..first + 64];
                for (i, a) in acc.iter_mut().enumerate() {
                    *a = _mm256_fmadd_ps(p, load(&row[i * 8..]), *a);
                }
            }
            for a in acc {
                out.extend(bytemuck::cast::<_, [f32; 8]>(a));
            }
        }
        out
    }
}

#[cfg(not(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
)))]
mod simd {
    //! No SIMD version on this target: the portable loops are used.

    pub(super) fn scores(_: &[f32], _: &[f32], _: f32) -> Option<Vec<f32>> {
        None
    }

    pub(super) fn weighted_sum(_: &[f32], _: &[f32], _: usize) -> Option<Vec<f32>> {
        None
    }
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
        // Lengths that leave 0 to 3 keys after the groups of four, on both sides of the
        // threshold above which heads go to the worker pool; head widths for the SIMD paths
        // (64, 128), for SIMD scores only (24) and for the portable loops only (20).
        for (head_dim, visible) in [
            (64usize, 1usize),
            (64, 3),
            (64, 300),
            (64, 1001),
            (128, 301),
            (24, 9),
            (20, 7),
        ] {
            let (kv_heads, rep, cap) = (3usize, 3usize, 1024usize);
            let heads = kv_heads * rep;
            let q = Tensor::randn(0f32, 1.0, (1, heads, 1, head_dim), &dev)?;
            let k = Tensor::randn(0f32, 1.0, (1, kv_heads, cap, head_dim), &dev)?
                .narrow(2, 0, visible)?;
            let v = Tensor::randn(0f32, 1.0, (1, kv_heads, cap, head_dim), &dev)?
                .narrow(2, 0, visible)?;
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
            assert!(
                diff < 1e-5,
                "{visible} keys of {head_dim}: difference {diff}"
            );
        }
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
