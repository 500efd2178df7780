//! Quantized weight rows (GGUF's Q8_0, Q4_1 and Q5_0 blocks of 32 values) and the
//! matrix-vector product that generating a token spends most of its time in.
//!
//! Decoding multiplies one activation vector by every weight matrix of the model, once per
//! token, and on a laptop that is bound by the memory it reads. candle's quantized product
//! has no SIMD kernel for Q4_1 and Q5_0 (SmolLM2's and Qwen2.5-0.5B's formats; they were
//! re-rounded to Q8_0, which reads 1.5–1.7× the bytes), computes one row at a time with a
//! single running sum, quantizes the input again for every matrix, and opens one parallel
//! region per matrix. Here:
//! - Q4_1, Q5_0 (most of Qwen2.5-0.5B) and Q8_0 are read as stored; Q5_1, which has no fast
//!   kernel here either, is re-rounded to Q8_0 at load when asked;
//! - four rows are reduced together, with four independent sums, reading each input block
//!   once for the four;
//! - the input is quantized once for all the matrices that read it (q, k and v; gate and up),
//!   and their rows are shared out in one region of candle's worker pool (the pool the rest
//!   of the token's work runs on);
//! - scales are kept as `f32` beside the quantized values, so the inner loop converts nothing.
//!
//! The arithmetic is ggml's (Q8_0 × Q8_0, Q4_1 × Q8_1, Q5_0 × Q8_0, scales rounded to half
//! precision as the file format does), so the result is the one candle and llama.cpp compute,
//! up to the order of the float additions. The SIMD kernels are `std::arch` AVX2 (the build
//! targets x86-64-v3); other targets get the portable loops.

use std::sync::{Mutex, PoisonError};

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Device, Tensor};
use half::f16;

/// Values per block.
const BLOCK: usize = 32;
/// Bytes of one GGUF Q8_0 block: a half-precision scale, then 32 signed bytes.
const Q8_0_BYTES: usize = 2 + BLOCK;
/// Bytes of one GGUF Q4_1 block: half-precision scale and minimum, then 16 bytes of nibbles.
const Q4_1_BYTES: usize = 4 + BLOCK / 2;
/// Bytes of one GGUF Q5_0 block: half-precision scale, the 32 fifth bits, 16 bytes of nibbles.
const Q5_0_BYTES: usize = 2 + 4 + BLOCK / 2;
/// Rows handed to a worker at a time.
const ROWS_PER_JOB: usize = 32;

type Quants = [i8; BLOCK];
type Nibbles = [u8; BLOCK / 2];

/// The blocks of a whole matrix, row after row.
#[derive(Debug, Clone, PartialEq)]
enum Blocks {
    /// Value = scale · q, q signed 8 bits.
    Q8 {
        scales: Vec<f32>,
        quants: Vec<Quants>,
    },
    /// Value = scale · q + min, q unsigned 4 bits; value `j` is the low nibble of byte `j`,
    /// value `j + 16` its high nibble.
    Q4 {
        scales: Vec<f32>,
        mins: Vec<f32>,
        nibbles: Vec<Nibbles>,
    },
    /// Value = scale · (q − 16), q unsigned 5 bits: four as in `Q4`, the fifth of value `j`
    /// is bit `j` of `high`.
    Q5 {
        scales: Vec<f32>,
        high: Vec<u32>,
        nibbles: Vec<Nibbles>,
    },
}

/// One row of Q8_0 blocks.
#[derive(Clone, Copy)]
struct Q8Row<'a> {
    scales: &'a [f32],
    quants: &'a [Quants],
}

/// One row of Q4_1 blocks.
#[derive(Clone, Copy)]
struct Q4Row<'a> {
    scales: &'a [f32],
    mins: &'a [f32],
    nibbles: &'a [Nibbles],
}

/// One row of Q5_0 blocks.
#[derive(Clone, Copy)]
struct Q5Row<'a> {
    scales: &'a [f32],
    high: &'a [u32],
    nibbles: &'a [Nibbles],
}

fn half(lo: u8, hi: u8) -> f32 {
    f16::from_le_bytes([lo, hi]).to_f32()
}

/// The 16 bytes of packed 4-bit values that end a Q4_1 or Q5_0 block.
fn trailing_nibbles(block: &[u8]) -> Nibbles {
    let mut nibbles = [0u8; BLOCK / 2];
    nibbles.copy_from_slice(&block[block.len() - BLOCK / 2..]);
    nibbles
}

/// A weight matrix (`rows` outputs of `cols` inputs) kept in quantized blocks.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct QuantRows {
    rows: usize,
    cols: usize,
    blocks: Blocks,
}

impl QuantRows {
    /// Takes a CPU weight stored as Q8_0, Q4_1 or Q5_0 (read as is), or as Q5_1 when
    /// `requantize` is set (its values re-rounded to Q8_0, within 1/16 of their own step);
    /// `None` for any other format, which stays with candle's kernels.
    pub(super) fn from_qtensor(
        weight: &QTensor,
        requantize: bool,
    ) -> candle_core::Result<Option<Self>> {
        let Ok((rows, cols)) = weight.shape().dims2() else {
            return Ok(None);
        };
        if !weight.device().is_cpu() || !cols.is_multiple_of(BLOCK) {
            return Ok(None);
        }
        let blocks = match weight.dtype() {
            GgmlDType::Q8_0 => {
                let data = weight.data()?;
                let (scales, quants) = data
                    .chunks_exact(Q8_0_BYTES)
                    .map(|b| {
                        let mut q = [0i8; BLOCK];
                        for (q, byte) in q.iter_mut().zip(&b[2..]) {
                            *q = i8::from_le_bytes([*byte]);
                        }
                        (half(b[0], b[1]), q)
                    })
                    .unzip();
                Blocks::Q8 { scales, quants }
            }
            GgmlDType::Q4_1 => {
                let data = weight.data()?;
                let mut scales = Vec::with_capacity(data.len() / Q4_1_BYTES);
                let mut mins = Vec::with_capacity(data.len() / Q4_1_BYTES);
                let mut nibbles = Vec::with_capacity(data.len() / Q4_1_BYTES);
                for b in data.chunks_exact(Q4_1_BYTES) {
                    scales.push(half(b[0], b[1]));
                    mins.push(half(b[2], b[3]));
                    nibbles.push(trailing_nibbles(b));
                }
                Blocks::Q4 {
                    scales,
                    mins,
                    nibbles,
                }
            }
            GgmlDType::Q5_0 => {
                let data = weight.data()?;
                let mut scales = Vec::with_capacity(data.len() / Q5_0_BYTES);
                let mut high = Vec::with_capacity(data.len() / Q5_0_BYTES);
                let mut nibbles = Vec::with_capacity(data.len() / Q5_0_BYTES);
                for b in data.chunks_exact(Q5_0_BYTES) {
                    scales.push(half(b[0], b[1]));
                    high.push(u32::from_le_bytes([b[2], b[3], b[4], b[5]]));
                    nibbles.push(trailing_nibbles(b));
                }
                Blocks::Q5 {
                    scales,
                    high,
                    nibbles,
                }
            }
            GgmlDType::Q5_1 if requantize => {
                let dense = weight.dequantize(&Device::Cpu)?.flatten_all()?;
                let q = ActivationBlocks::quantize(&dense.to_vec1::<f32>()?);
                Blocks::Q8 {
                    scales: q.scales,
                    quants: q.quants,
                }
            }
            _ => return Ok(None),
        };
        let count = match &blocks {
            Blocks::Q8 { quants, .. } => quants.len(),
            Blocks::Q4 { nibbles, .. } | Blocks::Q5 { nibbles, .. } => nibbles.len(),
        };
        if count != rows * cols / BLOCK {
            candle_core::bail!("{count} quantized blocks for a {rows}×{cols} matrix");
        }
        Ok(Some(Self { rows, cols, blocks }))
    }

    /// Output size.
    pub(super) fn rows(&self) -> usize {
        self.rows
    }

    /// The matrix in `f32`, `(rows, cols)`, for a GEMM over many tokens.
    pub(super) fn dequantize(&self, device: &Device) -> candle_core::Result<Tensor> {
        let mut dense = Vec::with_capacity(self.rows * self.cols);
        match &self.blocks {
            Blocks::Q8 { scales, quants } => {
                for (d, q) in scales.iter().zip(quants) {
                    dense.extend(q.iter().map(|&q| d * f32::from(q)));
                }
            }
            Blocks::Q4 {
                scales,
                mins,
                nibbles,
            } => {
                for ((d, m), n) in scales.iter().zip(mins).zip(nibbles) {
                    dense.extend(n.iter().map(|&b| d * f32::from(b & 0x0F) + m));
                    dense.extend(n.iter().map(|&b| d * f32::from(b >> 4) + m));
                }
            }
            Blocks::Q5 {
                scales,
                high,
                nibbles,
            } => {
                for ((d, h), n) in scales.iter().zip(high).zip(nibbles) {
                    let q = |j: usize, nibble: u8| {
                        let fifth = ((h >> j) & 1) as u8;
                        f32::from(nibble | (fifth << 4)) - 16.0
                    };
                    dense.extend(n.iter().enumerate().map(|(j, &b)| d * q(j, b & 0x0F)));
                    dense.extend(n.iter().enumerate().map(|(j, &b)| d * q(j + 16, b >> 4)));
                }
            }
        }
        Tensor::from_vec(dense, (self.rows, self.cols), device)
    }

    /// Rows `first..first + out.len()` against `x`.
    fn dot_rows(&self, first: usize, out: &mut [f32], x: &ActivationBlocks) {
        let per_row = self.cols / BLOCK;
        let span = |r: usize| r * per_row..(r + 1) * per_row;
        match &self.blocks {
            Blocks::Q8 { scales, quants } => {
                let row = |r: usize| Q8Row {
                    scales: &scales[span(r)],
                    quants: &quants[span(r)],
                };
                by_fours(first, out, row, |rows| kernel::q8_dot4(rows, x));
            }
            Blocks::Q4 {
                scales,
                mins,
                nibbles,
            } => {
                let row = |r: usize| Q4Row {
                    scales: &scales[span(r)],
                    mins: &mins[span(r)],
                    nibbles: &nibbles[span(r)],
                };
                by_fours(first, out, row, |rows| kernel::q4_dot4(rows, x));
            }
            Blocks::Q5 {
                scales,
                high,
                nibbles,
            } => {
                let row = |r: usize| Q5Row {
                    scales: &scales[span(r)],
                    high: &high[span(r)],
                    nibbles: &nibbles[span(r)],
                };
                by_fours(first, out, row, |rows| kernel::q5_dot4(rows, x));
            }
        }
    }
}

/// Rows `first..first + out.len()`, four at a time through `dot4`; the last one to three rows
/// go through it too, repeated.
fn by_fours<R: Copy>(
    first: usize,
    out: &mut [f32],
    row: impl Fn(usize) -> R,
    dot4: impl Fn([R; 4]) -> [f32; 4],
) {
    let mut quads = out.chunks_exact_mut(4);
    let mut r = first;
    for quad in quads.by_ref() {
        quad.copy_from_slice(&dot4([row(r), row(r + 1), row(r + 2), row(r + 3)]));
        r += 4;
    }
    for o in quads.into_remainder() {
        *o = dot4([row(r); 4])[0];
        r += 1;
    }
}

/// An input quantized as ggml's Q8_1: Q8_0 blocks plus `scale · Σ q` per block (what the
/// minimum of a Q4_1 block multiplies).
#[derive(Debug, Clone, PartialEq)]
struct ActivationBlocks {
    scales: Vec<f32>,
    quants: Vec<Quants>,
    sums: Vec<f32>,
    /// Σ q per block, exact (what Q5_0's offset of 16 multiplies).
    quant_sums: Vec<i32>,
}

impl ActivationBlocks {
    /// ggml's rounding: scale = max |x| / 127 (kept to half precision), q = round(x / scale).
    fn quantize(values: &[f32]) -> Self {
        let blocks = values.len() / BLOCK;
        let mut out = Self {
            scales: Vec::with_capacity(blocks),
            quants: Vec::with_capacity(blocks),
            sums: Vec::with_capacity(blocks),
            quant_sums: Vec::with_capacity(blocks),
        };
        for chunk in values.chunks_exact(BLOCK) {
            let amax = chunk.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            let d = amax / 127.0;
            let inverse = if d == 0.0 { 0.0 } else { 1.0 / d };
            let mut q = [0i8; BLOCK];
            for (q, x) in q.iter_mut().zip(chunk) {
                // |x · inverse| ≤ 127 by construction; the cast saturates anyway.
                *q = (x * inverse).round() as i8;
            }
            let d = f16::from_f32(d);
            let sum: i32 = q.iter().map(|&v| i32::from(v)).sum();
            // As ggml stores it: both factors and the product in half precision.
            let s = f16::from_f32(f16::from_f32(sum as f32).to_f32() * d.to_f32());
            out.scales.push(d.to_f32());
            out.quants.push(q);
            out.sums.push(s.to_f32());
            out.quant_sums.push(sum);
        }
        out
    }
}

/// An input vector quantized once, for every matrix that reads it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Q8Vector {
    len: usize,
    blocks: ActivationBlocks,
}

impl Q8Vector {
    /// Quantizes `values`; [`matvec`] refuses it if its length is not a multiple of 32.
    pub(super) fn quantize(values: &[f32]) -> Self {
        Self {
            len: values.len(),
            blocks: ActivationBlocks::quantize(values),
        }
    }
}

/// `outputs[i] = matrices[i] · x` for every pair, in one parallel region.
pub(super) fn matvec(
    products: &mut [(&QuantRows, &mut [f32])],
    x: &Q8Vector,
) -> candle_core::Result<()> {
    for (m, out) in products.iter() {
        if m.cols != x.len || !x.len.is_multiple_of(BLOCK) || out.len() != m.rows {
            candle_core::bail!(
                "product of a {}×{} matrix with {} values into {}",
                m.rows,
                m.cols,
                x.len,
                out.len()
            );
        }
    }
    let work: usize = products.iter().map(|(m, _)| m.rows * m.cols).sum();
    // One job per run of rows; each owns its slice of the output.
    let jobs: Vec<(&QuantRows, usize, Mutex<&mut [f32]>)> = products
        .iter_mut()
        .flat_map(|(m, out)| {
            let m: &QuantRows = m;
            out.chunks_mut(ROWS_PER_JOB)
                .enumerate()
                .map(move |(i, chunk)| (m, i * ROWS_PER_JOB, Mutex::new(chunk)))
        })
        .collect();
    let run = |job: &(&QuantRows, usize, Mutex<&mut [f32]>)| {
        let (m, first, out) = job;
        // A poisoned lock only means another job panicked; the pool re-raises that panic.
        let mut out = out.lock().unwrap_or_else(PoisonError::into_inner);
        m.dot_rows(*first, &mut out, &x.blocks);
    };
    if work < 64 * 1024 {
        jobs.iter().for_each(run);
    } else {
        candle_core::utils::barrier_pool()
            .execute_chunked(jobs.len(), |range| jobs[range].iter().for_each(run));
    }
    Ok(())
}

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
))]
mod kernel {
    //! AVX2. Q8_0: ggml's sign trick (|w| · sign(x, w) through `maddubs`). Q4_1: the
    //! unsigned nibbles go straight into `maddubs`, the minimum is added per block from the
    //! input's block sums. Q5_0: nibbles and fifth bits make unsigned bytes for `maddubs`,
    //! and 16 times the input's integer block sum is taken off. Then one fused multiply-add
    //! per block with the product of scales.

    use std::arch::x86_64::{
        __m128i, __m256, __m256i, _mm_srli_epi16, _mm256_and_si256, _mm256_cmpeq_epi8,
        _mm256_cvtepi32_ps, _mm256_fmadd_ps, _mm256_madd_epi16, _mm256_maddubs_epi16,
        _mm256_or_si256, _mm256_set_epi64x, _mm256_set_m128i, _mm256_set1_epi8, _mm256_set1_epi16,
        _mm256_set1_epi32, _mm256_set1_epi64x, _mm256_set1_ps, _mm256_setr_epi32,
        _mm256_setzero_ps, _mm256_shuffle_epi8, _mm256_sign_epi8, _mm256_sub_epi32,
    };

    use super::{ActivationBlocks, Nibbles, Q4Row, Q5Row, Q8Row};

    /// Four rows against `x`.
    pub(super) fn q8_dot4(rows: [Q8Row<'_>; 4], x: &ActivationBlocks) -> [f32; 4] {
        // SAFETY: this module is only compiled when AVX2 and FMA are enabled for the whole
        // build (`cfg(target_feature)` above); every function of the binary may already use
        // them (the CLI and the desktop app check the processor at start-up with
        // `cpu::check_cpu`).
        #[allow(unsafe_code)]
        unsafe {
            q8_dot4_avx2(rows, x)
        }
    }

    /// Four rows against `x`.
    pub(super) fn q4_dot4(rows: [Q4Row<'_>; 4], x: &ActivationBlocks) -> [f32; 4] {
        // SAFETY: as in `q8_dot4`.
        #[allow(unsafe_code)]
        unsafe {
            q4_dot4_avx2(rows, x)
        }
    }

    /// Four rows against `x`.
    pub(super) fn q5_dot4(rows: [Q5Row<'_>; 4], x: &ActivationBlocks) -> [f32; 4] {
        // SAFETY: as in `q8_dot4`.
        #[allow(unsafe_code)]
        unsafe {
            q5_dot4_avx2(rows, x)
        }
    }

    fn sum(v: __m256) -> f32 {
        bytemuck::cast::<__m256, [f32; 8]>(v).iter().sum()
    }

    #[target_feature(enable = "avx2,fma")]
    fn q8_dot4_avx2(rows: [Q8Row<'_>; 4], x: &ActivationBlocks) -> [f32; 4] {
        let ones = _mm256_set1_epi16(1);
        let mut acc = [_mm256_setzero_ps(); 4];
        for (b, (xd, xq)) in x.scales.iter().zip(&x.quants).enumerate() {
            let xv: __m256i = bytemuck::cast(*xq);
            for (acc, row) in acc.iter_mut().zip(&rows) {
                let w: __m256i = bytemuck::cast(row.quants[b]);
                let pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(xv, w));
                let dot = _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, ones));
                *acc = _mm256_fmadd_ps(_mm256_set1_ps(row.scales[b] * xd), dot, *acc);
            }
        }
        acc.map(sum)
    }

    #[target_feature(enable = "avx2,fma")]
    fn q4_dot4_avx2(rows: [Q4Row<'_>; 4], x: &ActivationBlocks) -> [f32; 4] {
        let ones = _mm256_set1_epi16(1);
        let low = _mm256_set1_epi8(0x0F);
        let mut acc = [_mm256_setzero_ps(); 4];
        let mut mins = [0.0f32; 4];
        for (b, ((xd, xq), xs)) in x.scales.iter().zip(&x.quants).zip(&x.sums).enumerate() {
            let xv: __m256i = bytemuck::cast(*xq);
            for ((acc, min), row) in acc.iter_mut().zip(&mut mins).zip(&rows) {
                let packed: __m128i = bytemuck::cast(row.nibbles[b]);
                let w = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed), low);
                let dot = _mm256_cvtepi32_ps(_mm256_madd_epi16(_mm256_maddubs_epi16(w, xv), ones));
                *acc = _mm256_fmadd_ps(_mm256_set1_ps(row.scales[b] * xd), dot, *acc);
                *min += row.mins[b] * xs;
            }
        }
        let mut out = acc.map(sum);
        for (o, m) in out.iter_mut().zip(mins) {
            *o += m;
        }
        out
    }

    /// The 32 values of a Q5_0 block as unsigned bytes (0..=31): nibbles, plus 16 where the
    /// block's bit is set (ggml's `bytes_from_bits_32`: each byte picks its bit's byte of
    /// `high`, all other bits are forced to one, and a byte equal to 0xFF had its bit set).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn q5_values(nibbles: &Nibbles, high: u32) -> __m256i {
        let packed: __m128i = bytemuck::cast(*nibbles);
        let low = _mm256_and_si256(
            _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed),
            _mm256_set1_epi8(0x0F),
        );
        let spread = _mm256_shuffle_epi8(
            _mm256_set1_epi32(i32::from_le_bytes(high.to_le_bytes())),
            _mm256_set_epi64x(
                0x0303_0303_0303_0303,
                0x0202_0202_0202_0202,
                0x0101_0101_0101_0101,
                0,
            ),
        );
        let others = _mm256_set1_epi64x(0x7fbf_dfef_f7fb_fdfe);
        let set = _mm256_cmpeq_epi8(_mm256_or_si256(spread, others), _mm256_set1_epi8(-1));
        _mm256_or_si256(low, _mm256_and_si256(set, _mm256_set1_epi8(0x10)))
    }

    #[target_feature(enable = "avx2,fma")]
    fn q5_dot4_avx2(rows: [Q5Row<'_>; 4], x: &ActivationBlocks) -> [f32; 4] {
        let ones = _mm256_set1_epi16(1);
        let mut acc = [_mm256_setzero_ps(); 4];
        for (b, ((xd, xq), xs)) in x
            .scales
            .iter()
            .zip(&x.quants)
            .zip(&x.quant_sums)
            .enumerate()
        {
            let xv: __m256i = bytemuck::cast(*xq);
            // Σ (q − 16)·x = Σ q·x − 16 Σ x, exactly, in integers (taken from one lane).
            let offset = _mm256_setr_epi32(16 * xs, 0, 0, 0, 0, 0, 0, 0);
            for (acc, row) in acc.iter_mut().zip(&rows) {
                let w = q5_values(&row.nibbles[b], row.high[b]);
                let dot = _mm256_madd_epi16(_mm256_maddubs_epi16(w, xv), ones);
                let dot = _mm256_cvtepi32_ps(_mm256_sub_epi32(dot, offset));
                *acc = _mm256_fmadd_ps(_mm256_set1_ps(row.scales[b] * xd), dot, *acc);
            }
        }
        acc.map(sum)
    }
}

#[cfg(not(all(
    target_arch = "x86_64",
    target_feature = "avx2",
    target_feature = "fma"
)))]
mod kernel {
    //! Portable fallback: integer sums per block, then the scales.

    use super::{ActivationBlocks, Q4Row, Q5Row, Q8Row};

    pub(super) fn q8_dot4(rows: [Q8Row<'_>; 4], x: &ActivationBlocks) -> [f32; 4] {
        rows.map(|row| {
            let mut acc = 0.0f32;
            for (b, (xd, xq)) in x.scales.iter().zip(&x.quants).enumerate() {
                let s: i32 = row.quants[b]
                    .iter()
                    .zip(xq)
                    .map(|(a, b)| i32::from(*a) * i32::from(*b))
                    .sum();
                acc += row.scales[b] * xd * s as f32;
            }
            acc
        })
    }

    pub(super) fn q4_dot4(rows: [Q4Row<'_>; 4], x: &ActivationBlocks) -> [f32; 4] {
        rows.map(|row| {
            let mut acc = 0.0f32;
            for (b, ((xd, xq), xs)) in x.scales.iter().zip(&x.quants).zip(&x.sums).enumerate() {
                let n = &row.nibbles[b];
                let (lo, hi) = xq.split_at(16);
                let s: i32 = n
                    .iter()
                    .zip(lo.iter().zip(hi))
                    .map(|(w, (a, b))| {
                        i32::from(w & 0x0F) * i32::from(*a) + i32::from(w >> 4) * i32::from(*b)
                    })
                    .sum();
                acc += row.scales[b] * xd * s as f32 + row.mins[b] * xs;
            }
            acc
        })
    }

    pub(super) fn q5_dot4(rows: [Q5Row<'_>; 4], x: &ActivationBlocks) -> [f32; 4] {
        rows.map(|row| {
            let mut acc = 0.0f32;
            for (b, (xd, xq)) in x.scales.iter().zip(&x.quants).enumerate() {
                let (n, h) = (&row.nibbles[b], row.high[b]);
                let value = |j: usize| {
                    let nibble = if j < 16 { n[j] & 0x0F } else { n[j - 16] >> 4 };
                    i32::from(nibble | ((((h >> j) & 1) as u8) << 4)) - 16
                };
                let s: i32 = xq
                    .iter()
                    .enumerate()
                    .map(|(j, q)| value(j) * i32::from(*q))
                    .sum();
                acc += row.scales[b] * xd * s as f32;
            }
            acc
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Module;

    fn values(n: usize, seed: u32) -> Vec<f32> {
        // Deterministic, signed, of varied magnitude.
        (0..n)
            .map(|i| {
                let h = (i as u32 ^ seed).wrapping_mul(2_654_435_761);
                (h >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
            })
            .collect()
    }

    /// Each row against the input, block by block in f64: scale products times the integer
    /// sums, plus (Q4_1) the minimum times the input's block sum as ggml stores it.
    fn reference(m: &QuantRows, x: &Q8Vector) -> candle_core::Result<Vec<f32>> {
        let dense = m.dequantize(&Device::Cpu)?.to_vec2::<f32>()?;
        let per_row = m.cols / BLOCK;
        let a = &x.blocks;
        Ok((0..m.rows)
            .map(|r| {
                (0..per_row)
                    .map(|b| {
                        let i = r * per_row + b;
                        let xd = f64::from(a.scales[b]);
                        let xq = a.quants[b].iter().map(|&q| f64::from(q));
                        match &m.blocks {
                            Blocks::Q8 { scales, quants } => {
                                let s: f64 = quants[i]
                                    .iter()
                                    .map(|&q| f64::from(q))
                                    .zip(xq)
                                    .map(|(w, x)| w * x)
                                    .sum();
                                f64::from(scales[i]) * xd * s
                            }
                            Blocks::Q5 { scales, .. } => {
                                let w = &dense[r][b * BLOCK..(b + 1) * BLOCK];
                                let d = f64::from(scales[i]);
                                let s: f64 = w
                                    .iter()
                                    .map(|&v| (f64::from(v) / d).round())
                                    .zip(xq)
                                    .map(|(w, x)| w * x)
                                    .sum();
                                d * xd * s
                            }
                            Blocks::Q4 { scales, mins, .. } => {
                                // The dequantized row gives back the 4-bit values.
                                let w = &dense[r][b * BLOCK..(b + 1) * BLOCK];
                                let d = f64::from(scales[i]);
                                let m = f64::from(mins[i]);
                                let s: f64 = w
                                    .iter()
                                    .map(|&v| ((f64::from(v) - m) / d).round())
                                    .zip(xq)
                                    .map(|(w, x)| w * x)
                                    .sum();
                                d * xd * s + m * f64::from(a.sums[b])
                            }
                        }
                    })
                    .sum::<f64>() as f32
            })
            .collect())
    }

    fn assert_close(ours: &[f32], expected: &[f32], tolerance: f32, what: &str) {
        assert_eq!(ours.len(), expected.len());
        for (a, b) in ours.iter().zip(expected) {
            assert!(
                (a - b).abs() <= tolerance * b.abs().max(1.0),
                "{what}: {a} vs {b}"
            );
        }
    }

    /// Our product and candle's own quantized product of the same weight and input.
    fn compare_with_candle(dtype: GgmlDType, rows: usize, cols: usize) -> candle_core::Result<()> {
        let dense = Tensor::from_vec(values(rows * cols, 7), (rows, cols), &Device::Cpu)?;
        let weight = QTensor::quantize(&dense, dtype)?;
        let m = QuantRows::from_qtensor(&weight, false)?.expect("format taken as is");
        let diff = (weight.dequantize(&Device::Cpu)? - m.dequantize(&Device::Cpu)?)?
            .abs()?
            .flatten_all()?
            .max(0)?
            .to_scalar::<f32>()?;
        assert_eq!(diff, 0.0, "{dtype:?} values read differently");

        let input = values(cols, 99);
        let x = Q8Vector::quantize(&input);
        let mut out = vec![0.0f32; rows];
        matvec(&mut [(&m, &mut out)], &x)?;
        assert_close(&out, &reference(&m, &x)?, 1e-4, "block sums");
        let candle = candle_core::quantized::QMatMul::from_qtensor(weight)?
            .forward(&Tensor::from_vec(input, (1, cols), &Device::Cpu)?)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        assert_close(&out, &candle, 1e-3, "candle");
        Ok(())
    }

    #[test]
    fn q8_0_q4_1_and_q5_0_weights_compute_what_candle_computes() -> candle_core::Result<()> {
        // 4 · 32 + 3 rows: whole groups of four, then a remainder; several jobs, so the
        // worker pool runs them.
        compare_with_candle(GgmlDType::Q8_0, 4 * 32 + 3, 640)?;
        compare_with_candle(GgmlDType::Q4_1, 4 * 32 + 3, 640)?;
        compare_with_candle(GgmlDType::Q5_0, 4 * 32 + 3, 640)?;
        // Small enough to stay on the calling thread.
        compare_with_candle(GgmlDType::Q4_1, 6, 64)
    }

    #[test]
    fn q5_1_is_re_rounded_only_when_asked_and_matrices_share_one_input() -> candle_core::Result<()>
    {
        let cols = 96;
        let make = |rows: usize, seed: u32| -> candle_core::Result<QuantRows> {
            let dense = Tensor::from_vec(values(rows * cols, seed), (rows, cols), &Device::Cpu)?;
            let w = QTensor::quantize(&dense, GgmlDType::Q5_1)?;
            assert!(QuantRows::from_qtensor(&w, false)?.is_none());
            let m = QuantRows::from_qtensor(&w, true)?.expect("re-rounded");
            // Within a Q8_0 step of the Q5_1 values.
            let diff = (w.dequantize(&Device::Cpu)? - m.dequantize(&Device::Cpu)?)?
                .abs()?
                .flatten_all()?
                .max(0)?
                .to_scalar::<f32>()?;
            assert!(diff < 1.0 / 127.0, "{diff}");
            Ok(m)
        };
        let (a, b) = (make(64, 1)?, make(5, 2)?);
        let x = Q8Vector::quantize(&values(cols, 3));
        let (mut ya, mut yb) = (vec![0.0; 64], vec![0.0; 5]);
        matvec(&mut [(&a, &mut ya), (&b, &mut yb)], &x)?;
        assert_close(&ya, &reference(&a, &x)?, 1e-4, "first matrix");
        assert_close(&yb, &reference(&b, &x)?, 1e-4, "second matrix");
        Ok(())
    }

    #[test]
    fn a_mismatched_product_is_an_error_not_a_panic() -> candle_core::Result<()> {
        let dense = Tensor::from_vec(values(8 * 64, 5), (8, 64), &Device::Cpu)?;
        let m = QuantRows::from_qtensor(&QTensor::quantize(&dense, GgmlDType::Q8_0)?, false)?
            .expect("Q8_0");
        let mut out = vec![0.0; 8];
        let short = Q8Vector::quantize(&values(32, 1));
        assert!(matvec(&mut [(&m, &mut out)], &short).is_err());
        let mut too_few = vec![0.0; 7];
        let x = Q8Vector::quantize(&values(64, 1));
        assert!(matvec(&mut [(&m, &mut too_few)], &x).is_err());
        Ok(())
    }

    #[test]
    fn other_formats_stay_with_candle() -> candle_core::Result<()> {
        let dense = Tensor::from_vec(values(4 * 256, 5), (4, 256), &Device::Cpu)?;
        let w = QTensor::quantize(&dense, GgmlDType::Q4K)?;
        assert!(QuantRows::from_qtensor(&w, true)?.is_none());
        Ok(())
    }
}
