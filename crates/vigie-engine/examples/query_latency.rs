//! Measures the latency of embedding one short question, for each encoder implementation.
//!
//! `cargo run --release -p vigie-engine --example query_latency -- models/e5-small-q4.bin`

use std::time::Instant;

use vigie_engine::embed::{E5Embedder, Embedder, EncoderKind};

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "models/e5-small-q4.bin".into());
    let question = "Un passager refuse la radiographie alors qu'on le soupçonne de transporter de la drogue : que faire ?";
    for kind in [EncoderKind::Fused, EncoderKind::Reference] {
        let embedder = match E5Embedder::from_e5s1_with(path.as_ref(), "e5", "-", kind) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        };
        let mut times = Vec::new();
        for _ in 0..30 {
            let t = Instant::now();
            if let Err(e) = embedder.embed_query(question) {
                eprintln!("{e}");
                std::process::exit(1);
            }
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!("{kind:?}: p50 {:.1} ms, min {:.1} ms", times[15], times[0]);
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build();
        if let Ok(pool) = pool {
            let mut single = Vec::new();
            for _ in 0..30 {
                let t = Instant::now();
                let _ = pool.install(|| embedder.embed_query(question));
                single.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            single.sort_by(f64::total_cmp);
            println!(
                "{kind:?} on one thread: p50 {:.1} ms, min {:.1} ms",
                single[15], single[0]
            );
        }
    }
}
