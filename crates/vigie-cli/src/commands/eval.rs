//! `vigie eval`: retrieval quality on an annotated question set, for hybrid, lexical-only and
//! vector-only ranking, overall, per question kind and per code.

use std::path::PathBuf;
use std::process::ExitCode;

use vigie_engine::Paths;
use vigie_engine::eval::{EvalQuestion, EvalReport, Metrics, evaluate, read_questions};
use vigie_engine::retrieve::{Retriever, SearchMode};

use super::open_retriever;

/// Options of `vigie eval`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Fichier JSON Lines des questions (`qid`, `question`, `gold`, `kind`).
    #[arg(long, value_name = "FILE")]
    questions: PathBuf,
    /// Sortie JSON.
    #[arg(long)]
    json: bool,
}

/// Ranked ids for every question in one mode.
pub fn ranked_ids(
    retriever: &Retriever,
    questions: &[EvalQuestion],
    mode: SearchMode,
) -> anyhow::Result<Vec<(EvalQuestion, Vec<String>)>> {
    let mut out = Vec::with_capacity(questions.len());
    for q in questions {
        let outcome = retriever.search(&q.question, 10, mode)?;
        let ids = outcome.hits.into_iter().map(|h| h.id).collect();
        out.push((q.clone(), ids));
    }
    Ok(out)
}

fn row(label: &str, m: &Metrics) -> String {
    format!(
        "| {label:<22} | {:>3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
        m.questions, m.recall_at_1, m.recall_at_3, m.recall_at_5, m.recall_at_10, m.mrr_at_10
    )
}

fn print_report(mode: &str, report: &EvalReport) {
    println!("\n### {mode}\n");
    println!("| questions              |  n  |  R@1  |  R@3  |  R@5  |  R@10 | MRR@10 |");
    println!("|------------------------|-----|-------|-------|-------|-------|--------|");
    println!("{}", row("toutes (avec réponse)", &report.overall));
    for (kind, m) in &report.per_kind {
        println!("{}", row(&format!("type {kind}"), m));
    }
    for (code, m) in &report.per_code {
        println!("{}", row(&format!("code {code}"), m));
    }
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let questions = read_questions(&args.questions).map_err(anyhow::Error::msg)?;
    let (_engine, retriever) = open_retriever(paths)?;
    let mut reports = Vec::new();
    for (name, mode) in [
        ("hybrid", SearchMode::Hybrid),
        ("lexical", SearchMode::Lexical),
        ("vector", SearchMode::Vector),
    ] {
        let results = ranked_ids(&retriever, &questions, mode)?;
        reports.push((name, evaluate(&results)));
    }
    if args.json {
        let object: serde_json::Map<String, serde_json::Value> = reports
            .iter()
            .map(|(name, r)| {
                (
                    name.to_string(),
                    serde_json::to_value(r).unwrap_or_default(),
                )
            })
            .collect();
        println!("{}", serde_json::Value::Object(object));
    } else {
        println!(
            "Évaluation sur {} questions ({} avec réponse).",
            questions.len(),
            questions.iter().filter(|q| q.answerable()).count()
        );
        for (name, report) in &reports {
            print_report(name, report);
        }
    }
    Ok(ExitCode::SUCCESS)
}
