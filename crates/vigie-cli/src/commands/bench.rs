//! `vigie bench`: retrieval speed and memory, as one JSON object.
//!
//! The index is built from scratch in a scratch directory (the real one is left alone), then
//! every question of the set is searched several times. Exact (brute-force) vector search is
//! measured in the same run as the peer of the HNSW graph, for recall and for speed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use serde::Serialize;
use vigie_engine::answer::{AnswerError, AnswerRequest, Answerer, ModelIdentity};
use vigie_engine::eval::read_questions;
use vigie_engine::index::RetrievalIndex;
use vigie_engine::retrieve::{Retriever, SearchMode};
use vigie_engine::usage::{peak_rss_mb, percentile};
use vigie_engine::{Engine, Paths};

use crate::progress::IndexProgress;

/// Options of `vigie bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sortie JSON (toujours JSON ; option gardée pour la symétrie avec les autres commandes).
    #[arg(long)]
    json: bool,
    /// Questions à chronométrer (par défaut : le jeu de développement).
    #[arg(long, value_name = "FILE")]
    questions: Option<PathBuf>,
    /// Passages de chaque question.
    #[arg(long, default_value_t = 3)]
    rounds: usize,
    /// Écrit aussi le JSON dans ce fichier.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Mesure le modèle de langue (génération) au lieu de la recherche.
    #[arg(long)]
    llm: bool,
    /// Modèle de génération mesuré avec --llm (par défaut celui du manifeste).
    #[arg(long, requires = "llm")]
    model: Option<String>,
}

#[derive(Debug, Serialize)]
struct RetrievalBench {
    index_build_s: f64,
    embed_s: f64,
    passages: usize,
    passages_per_s: f64,
    queries: usize,
    query_p50_ms: f64,
    query_p95_ms: f64,
    query_embed_p50_ms: f64,
    hnsw_search_p50_ms: f64,
    exact_search_p50_ms: f64,
    hnsw_speedup_vs_exact: f64,
    hnsw_recall_at_10: f64,
    hnsw_recall_at_10_passage_queries: f64,
    /// Extract passages stored with the index.
    extract_passages: usize,
    /// From the question to the extract (« ce que dit le code »), retrieval included.
    extract_p50_ms: f64,
    extract_p95_ms: f64,
    threads: usize,
    peak_rss_mb: f64,
}

fn default_questions(paths: &Paths) -> PathBuf {
    paths
        .corpus_dir
        .parent()
        .map(|p| p.join("eval").join("dev-questions.jsonl"))
        .unwrap_or_else(|| PathBuf::from("dev-questions.jsonl"))
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    if args.llm {
        return super::bench_llm::run(paths, args.model.as_deref(), args.output.as_ref());
    }
    let questions_file = args
        .questions
        .clone()
        .unwrap_or_else(|| default_questions(&paths));
    let questions = read_questions(&questions_file).map_err(anyhow::Error::msg)?;
    let scratch = paths.data_dir.join(format!("bench-{}", std::process::id()));
    let engine = Engine::open(paths).context("opening the engine")?;
    let embedder = engine.load_embedder(None)?;
    let mut progress = IndexProgress::new();
    let started = Instant::now();
    let built = RetrievalIndex::build(
        &scratch.join("inforce"),
        engine.corpus(),
        embedder.as_ref(),
        &mut |p| progress.update(p),
    );
    let index_build_s = started.elapsed().as_secs_f64();
    let index = match built {
        Ok(index) => index,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&scratch);
            return Err(e.into());
        }
    };
    let embed_s = index.manifest().embed_seconds;
    let passages = index.manifest().vector_count;
    let extract_passages = index.passages().len();
    let retriever = std::sync::Arc::new(Retriever::new(
        std::sync::Arc::clone(engine.corpus()),
        embedder,
        index,
    ));

    // Warm-up, then timed searches.
    if let Some(q) = questions.first() {
        retriever.search(&q.question, 10, SearchMode::Hybrid)?;
    }
    let mut totals = Vec::new();
    let mut embeds = Vec::new();
    let mut hnsw = Vec::new();
    let mut exact = Vec::new();
    let mut recall_sum = 0.0;
    for round in 0..args.rounds.max(1) {
        for q in &questions {
            let outcome = retriever.search(&q.question, 10, SearchMode::Hybrid)?;
            totals.push(outcome.timings.total_ms);
            embeds.push(outcome.timings.embed_ms);
            if round == 0 {
                let vector = retriever.embedder().embed_query(&q.question)?;
                let (h, e, recall) = compare_graph_and_exact(&retriever, &vector);
                hnsw.push(h);
                exact.push(e);
                recall_sum += recall;
            }
        }
    }
    // Recall with passages as queries: every 7th chunk vector.
    let vectors = retriever.index().vectors();
    let mut passage_recall = Vec::new();
    for chunk in (0..vectors.len()).step_by(7) {
        if let Some(v) = vectors.vector(chunk) {
            let v = v.to_vec();
            passage_recall.push(compare_graph_and_exact(&retriever, &v).2);
        }
    }
    // The extract, as `ask` sends it first (no model is called).
    let answerer = Answerer::new(
        std::sync::Arc::clone(&retriever),
        ModelIdentity {
            name: String::new(),
            sha256: String::new(),
        },
    );
    let mut extracts = Vec::new();
    for _ in 0..args.rounds.max(1) {
        for q in &questions {
            match answerer.extract_only(&AnswerRequest::new(q.question.clone())) {
                Ok(shown) => extracts.push(shown.extract_ms),
                // A question the screen refuses has no extract to time.
                Err(AnswerError::Question(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }
    drop(answerer);
    let hnsw_p50 = percentile(&hnsw, 50.0);
    let exact_p50 = percentile(&exact, 50.0);
    let result = RetrievalBench {
        index_build_s: round3(index_build_s),
        embed_s: round3(embed_s),
        passages,
        passages_per_s: round3(passages as f64 / embed_s.max(1e-9)),
        queries: totals.len(),
        query_p50_ms: round3(percentile(&totals, 50.0)),
        query_p95_ms: round3(percentile(&totals, 95.0)),
        query_embed_p50_ms: round3(percentile(&embeds, 50.0)),
        hnsw_search_p50_ms: round3(hnsw_p50),
        exact_search_p50_ms: round3(exact_p50),
        hnsw_speedup_vs_exact: round3(exact_p50 / hnsw_p50.max(1e-9)),
        hnsw_recall_at_10: round3(recall_sum / questions.len().max(1) as f64),
        hnsw_recall_at_10_passage_queries: round3(
            passage_recall.iter().sum::<f64>() / passage_recall.len().max(1) as f64,
        ),
        extract_passages,
        extract_p50_ms: round3(percentile(&extracts, 50.0)),
        extract_p95_ms: round3(percentile(&extracts, 95.0)),
        threads: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        peak_rss_mb: round3(peak_rss_mb().unwrap_or(0.0)),
    };
    drop(retriever);
    let _ = std::fs::remove_dir_all(&scratch);
    let json = serde_json::to_string_pretty(&result)?;
    println!("{json}");
    if let Some(path) = &args.output {
        std::fs::write(path, format!("{json}\n"))
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Times the graph and the exact search for one query; returns (graph ms, exact ms, recall@10).
fn compare_graph_and_exact(retriever: &Retriever, query: &[f32]) -> (f64, f64, f64) {
    let vectors = retriever.index().vectors();
    let t = Instant::now();
    let graph = vectors.search(query, 10, vigie_engine::index::HNSW_EF_SEARCH);
    let graph_ms = t.elapsed().as_secs_f64() * 1000.0;
    let t = Instant::now();
    let truth = vectors.search_exact(query, 10);
    let exact_ms = t.elapsed().as_secs_f64() * 1000.0;
    let found = truth
        .iter()
        .filter(|t| graph.iter().any(|g| g.chunk == t.chunk))
        .count();
    (graph_ms, exact_ms, found as f64 / truth.len().max(1) as f64)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
