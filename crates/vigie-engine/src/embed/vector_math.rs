//! Branch-free `exp` and GELU in `f32`, written so that a loop over a slice becomes vector code.
//!
//! The encoder's element-wise passes (GELU over the feed-forward activations, the attention
//! softmax) went through libm's scalar `expf` and `erff`, one lane at a time, with branches on
//! the argument's range: a tenth of a passage's encoding time. These functions have no branch
//! and no table, so the compiler runs eight lanes at once. Their error (a few units in the last
//! place for `exp`, under 3e-7 absolute for `erfc`) is far below what the model's 8-bit
//! weights already round.

use std::f32::consts::{FRAC_1_SQRT_2, LOG2_E};

/// `e^x` for `x ≤ 0`; arguments below -87 give `e^-87` (≈ 1.6e-38, where `f32` leaves its normal
/// range), positive arguments give 1, NaN gives NaN.
///
/// Cephes' `expf`: `x = n·ln 2 + r` with `|r| ≤ ln 2 / 2`, a degree-6 polynomial for `e^r`, and
/// `2^n` written straight into the exponent bits.
#[inline(always)]
pub fn exp_non_positive(x: f32) -> f32 {
    // 1.5 × 2^23: adding it rounds to an integer, which then sits in the low mantissa bits.
    const SHIFT: f32 = 12_582_912.0;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 0.0);
    let shifted = x.mul_add(LOG2_E, SHIFT);
    let n = shifted - SHIFT;
    let r = n.mul_add(-LN2_LO, n.mul_add(-LN2_HI, x));
    let mut p = 1.987_569_1e-4_f32;
    p = p.mul_add(r, 1.398_199_9e-3);
    p = p.mul_add(r, 8.333_452e-3);
    p = p.mul_add(r, 4.166_579_6e-2);
    p = p.mul_add(r, 1.666_666_5e-1);
    p = p.mul_add(r, 0.5);
    let e_r = (p * r).mul_add(r, r) + 1.0;
    // n is in [-126, 0]: 2^n is a normal number whose biased exponent is n + 127.
    let n_bits = (shifted.to_bits() as i32).wrapping_sub(SHIFT.to_bits() as i32);
    let two_to_n = f32::from_bits((n_bits.wrapping_add(127) as u32) << 23);
    e_r * two_to_n
}

/// `erfc(z)` for `z ≥ 0` (Abramowitz & Stegun 7.1.26, absolute error below 1.5e-7).
#[inline(always)]
fn erfc_non_negative(z: f32) -> f32 {
    let t = 1.0 / 0.327_591_1f32.mul_add(z, 1.0);
    let mut p = 1.061_405_4_f32;
    p = p.mul_add(t, -1.453_152_1);
    p = p.mul_add(t, 1.421_413_8);
    p = p.mul_add(t, -0.284_496_74);
    p = p.mul_add(t, 0.254_829_6);
    p * t * exp_non_positive(-z * z)
}

/// GELU in its exact form, `v · (1 + erf(v / √2)) / 2`, as BERT defines it.
///
/// For negative `v`, `1 + erf(v/√2)` is `erfc(|v|/√2)`, computed directly, so the small values
/// keep their relative precision instead of being a difference of two numbers near 1.
#[inline(always)]
pub fn gelu_erf(v: f32) -> f32 {
    let q = erfc_non_negative(v.abs() * FRAC_1_SQRT_2);
    let one_plus_erf = if v < 0.0 { q } else { 2.0 - q };
    0.5 * v * one_plus_erf
}

/// Largest element (negative infinity for an empty slice), eight lanes at a time.
pub fn max(values: &[f32]) -> f32 {
    let mut lanes = [f32::NEG_INFINITY; 8];
    let chunks = values.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane = lane.max(v);
        }
    }
    tail.iter()
        .chain(&lanes)
        .copied()
        .fold(f32::NEG_INFINITY, f32::max)
}

/// Sum, eight lanes at a time (the order of the additions differs from a left fold).
pub fn sum(values: &[f32]) -> f32 {
    let mut lanes = [0.0f32; 8];
    let chunks = values.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += v;
        }
    }
    tail.iter().chain(&lanes).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_the_standard_library_over_its_range() {
        let mut worst = 0.0f64;
        for i in 0..=870_000 {
            let x = -(i as f32) * 1e-4;
            let got = f64::from(exp_non_positive(x));
            let want = f64::from(x).exp();
            worst = worst.max((got - want).abs() / want);
        }
        assert!(worst < 5e-7, "worst relative error {worst}");
        assert_eq!(exp_non_positive(0.0), 1.0);
        assert!(exp_non_positive(-1000.0) > 0.0 && exp_non_positive(-1000.0) < 2e-38);
        assert_eq!(exp_non_positive(3.0), 1.0);
        assert!(exp_non_positive(f32::NAN).is_nan());
    }

    #[test]
    fn lane_reductions_match_folds() {
        for n in [0, 1, 7, 8, 9, 64, 1001] {
            let v: Vec<f32> = (0..n).map(|i| ((i * 37) % 101) as f32 - 50.0).collect();
            assert_eq!(max(&v), v.iter().copied().fold(f32::NEG_INFINITY, f32::max));
            assert_eq!(sum(&v), v.iter().sum::<f32>(), "{n}");
        }
    }

    #[test]
    fn gelu_matches_candles_erf_form() {
        let values: Vec<f32> = (-200_000..=200_000).map(|i| i as f32 * 5e-5).collect();
        let tensor = candle_core::Tensor::new(values.as_slice(), &candle_core::Device::Cpu)
            .and_then(|t| t.gelu_erf())
            .and_then(|t| t.to_vec1::<f32>())
            .unwrap_or_else(|e| panic!("{e}"));
        for (&v, &want) in values.iter().zip(&tensor) {
            let got = gelu_erf(v);
            assert!(
                (got - want).abs() <= 3e-7 * v.abs().max(1.0),
                "gelu({v}) = {got}, candle {want}"
            );
        }
        assert_eq!(gelu_erf(0.0), 0.0);
        assert!((gelu_erf(30.0) - 30.0).abs() < 1e-5);
        assert!(gelu_erf(-30.0).abs() < 1e-30);
    }
}
