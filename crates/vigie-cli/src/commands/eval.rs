//! `vigie eval`: retrieval quality on an annotated question set, for hybrid, lexical-only and
//! vector-only ranking, overall, per question kind and per code.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
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
    /// Évalue les réponses (`vigie ask`) : abstentions, citations, temps de réponse.
    #[arg(long)]
    answers: bool,
    /// Réglages des réponses (avec --answers).
    #[command(flatten)]
    settings: super::ask::AnswerSettings,
    /// Écrit aussi le détail de chaque réponse (JSON Lines) dans ce fichier (avec --answers).
    #[arg(long, value_name = "FILE", requires = "answers")]
    details: Option<PathBuf>,
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
    if args.answers {
        return run_answers(paths, &args, &questions);
    }
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

/// `vigie eval --answers`: every question through the answer pipeline.
fn run_answers(paths: Paths, args: &Args, questions: &[EvalQuestion]) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    use vigie_engine::answer::AnswerRequest;
    use vigie_engine::eval::{AnswerOutcome, evaluate_answers};
    use vigie_engine::llm::SinkControl;

    let (answerer, mut worker) = super::ask::open_answerer(paths, args.settings.model.as_deref())?;
    let mut details = match &args.details {
        Some(path) => Some(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => None,
    };
    let mut outcomes = Vec::with_capacity(questions.len());
    for (i, q) in questions.iter().enumerate() {
        let request = AnswerRequest {
            question: q.question.clone(),
            options: args.settings.options(),
            cancel: Default::default(),
            documents: Vec::new(),
        };
        let answer = answerer
            .ask(&request, &mut worker, &mut |_| SinkControl::Continue)
            .with_context(|| format!("question {}", q.qid))?;
        let outcome = AnswerOutcome {
            qid: q.qid.clone(),
            kind: q.kind.clone(),
            gold: q.gold.clone(),
            abstained: answer.abstained,
            cited: answer.citations.iter().map(|c| c.id.clone()).collect(),
            invalid_citations: answer.citations.iter().filter(|c| !c.valid).count(),
            cited_outside_sources: answer
                .citations
                .iter()
                .filter(|c| !answer.sources.contains(&c.id))
                .count(),
            rejected_citations: answer.rejected_citations.len(),
            first_token_ms: answer.timings.first_token_ms,
            total_ms: answer.timings.total_ms,
        };
        eprintln!(
            "[{}/{}] {} {} : {}",
            i + 1,
            questions.len(),
            q.qid,
            if answer.abstained {
                "abstention"
            } else {
                "réponse"
            },
            outcome.cited.join(", ")
        );
        if let Some(file) = details.as_mut() {
            serde_json::to_writer(
                &mut *file,
                &serde_json::json!({ "qid": q.qid, "kind": q.kind, "gold": q.gold, "answer": answer }),
            )?;
            writeln!(file)?;
        }
        outcomes.push(outcome);
    }
    let report = evaluate_answers(&outcomes);
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let r = &report;
        println!(
            "Réponses sur {} questions ({} sans réponse dans le corpus), modèle {}.",
            r.questions,
            r.unanswerable,
            answerer_model(&args.settings)
        );
        println!("| mesure | valeur |\n|---|---|");
        println!(
            "| abstentions justes (rappel) | {}/{} ({:.0} %) |",
            r.correct_abstentions,
            r.unanswerable,
            100.0 * r.abstention_recall
        );
        println!(
            "| précision des abstentions | {:.0} % |",
            100.0 * r.abstention_precision
        );
        println!(
            "| abstentions à tort | {} ({:.1} %) |",
            r.false_abstentions,
            100.0 * r.false_abstention_rate
        );
        println!(
            "| citations finales | {} (valides {:.0} %) |",
            r.citations,
            100.0 * r.citation_validity
        );
        println!(
            "| citations hors sources (finales) | {} |",
            r.citations_outside_sources
        );
        println!("| citations retirées | {} |", r.rejected_citations);
        println!(
            "| réponses citant un article attendu | {:.0} % |",
            100.0 * r.answers_citing_gold
        );
        println!(
            "| premier jeton (médiane) | {} |",
            r.first_token_ms_p50
                .map(|t| format!("{:.1} s", t / 1000.0))
                .unwrap_or_else(|| "—".into())
        );
        println!(
            "| réponse complète (médiane) | {:.1} s |",
            r.total_ms_p50 / 1000.0
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn answerer_model(settings: &super::ask::AnswerSettings) -> String {
    settings
        .model
        .clone()
        .unwrap_or_else(|| "par défaut".into())
}
