//! Start-up check that the CPU runs the instructions the binaries were compiled for.
//!
//! Release builds target `x86-64-v3` (AVX2, FMA, BMI2, F16C) because candle's quantized
//! kernels are 3–4× faster with them. On an older CPU such a binary would die on an illegal
//! instruction; checking first turns that into a clear message.

/// Features required by the build, as `(name, present)`; empty when nothing is required.
pub fn required_features() -> Vec<(&'static str, bool)> {
    #[allow(unused_mut)]
    let mut features: Vec<(&'static str, bool)> = Vec::new();
    #[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
    {
        features.push(("avx2", std::arch::is_x86_feature_detected!("avx2")));
        features.push(("fma", std::arch::is_x86_feature_detected!("fma")));
        features.push(("bmi2", std::arch::is_x86_feature_detected!("bmi2")));
        features.push(("f16c", std::arch::is_x86_feature_detected!("f16c")));
    }
    features
}

/// `Err` with a French message naming the missing instructions, if any.
pub fn check_cpu() -> Result<(), String> {
    let missing: Vec<&str> = required_features()
        .into_iter()
        .filter(|(_, present)| !present)
        .map(|(name, _)| name)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "Ce processeur ne prend pas en charge les instructions {} requises par cette version de Vigie (x86-64-v3 : processeurs Intel depuis 2013, AMD depuis 2015). Utilisez la version « compatible » construite sans ces instructions.",
            missing.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn this_machine_passes() {
        assert!(super::check_cpu().is_ok());
    }
}
