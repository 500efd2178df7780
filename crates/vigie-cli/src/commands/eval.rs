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
    /// Avec --answers : seulement l'extrait (« ce que dit le code »), sans appeler le modèle.
    #[arg(long, requires = "answers")]
    extract_only: bool,
    /// Poids du classement des passages de l'extrait, `LEXICAL,ARTICLE[,PASSAGES_PAR_ARTICLE]`
    /// (pour les mesurer).
    #[arg(long, value_name = "L,A[,P]", hide = true)]
    extract_weights: Option<String>,
    /// Ce que le modèle reçoit de chaque source : `passages` (défaut) ou `articles`.
    #[arg(long, value_name = "MODE", default_value = "passages")]
    prompt: String,
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

    use vigie_engine::answer::{ExtractWeights, PromptMode, SynthesisIssue};
    use vigie_engine::eval::key_fact_recall;

    let (mut answerer, mut worker) =
        super::ask::open_answerer(paths, args.settings.model.as_deref())?;
    if let Some(weights) = &args.extract_weights {
        let parts: Vec<f32> = weights
            .split(',')
            .map(|p| p.trim().parse::<f32>())
            .collect::<Result<_, _>>()
            .context("--extract-weights : deux ou trois nombres séparés par des virgules")?;
        let (lexical, article, per_article) = match parts[..] {
            [lexical, article] => (lexical, article, ExtractWeights::default().per_article),
            [lexical, article, per_article] if per_article >= 1.0 => {
                (lexical, article, per_article as usize)
            }
            _ => {
                anyhow::bail!("--extract-weights : deux ou trois nombres séparés par des virgules")
            }
        };
        answerer.set_extract_weights(ExtractWeights {
            lexical,
            article,
            per_article,
        });
    }
    let prompt_mode = match args.prompt.as_str() {
        "passages" => PromptMode::Passages,
        "articles" => PromptMode::Articles,
        other => anyhow::bail!("--prompt : « {other} » inconnu (passages ou articles)"),
    };
    let mut details = match &args.details {
        Some(path) => Some(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => None,
    };
    let mut outcomes = Vec::with_capacity(questions.len());
    for (i, q) in questions.iter().enumerate() {
        let mut options = args.settings.options();
        options.prompt = prompt_mode;
        let request = AnswerRequest {
            question: q.question.clone(),
            options,
            cancel: Default::default(),
            documents: Vec::new(),
        };
        if args.extract_only {
            let shown = answerer
                .extract_only(&request)
                .with_context(|| format!("question {}", q.qid))?;
            let (extract, extract_ms) = (shown.extract, shown.extract_ms);
            let extract_text = extract_text(&extract);
            outcomes.push(AnswerOutcome {
                qid: q.qid.clone(),
                kind: q.kind.clone(),
                gold: q.gold.clone(),
                abstained: extract.is_empty(),
                cited: Vec::new(),
                invalid_citations: 0,
                cited_outside_sources: 0,
                rejected_citations: 0,
                first_token_ms: None,
                total_ms: extract_ms,
                extract_ids: extract.iter().map(|p| p.id.clone()).collect(),
                extract_ms: Some(extract_ms),
                key_recall_extract: q
                    .answer_key
                    .as_deref()
                    .and_then(|k| key_fact_recall(k, &extract_text)),
                key_recall_answer: None,
                generated: false,
                synthesis_issue: None,
                repetition_stopped: false,
                citations_off_question: 0,
                prompt_tokens: None,
                confidence: shown.confidence,
                unsupported_numbers: 0,
            });
            if let Some(file) = details.as_mut() {
                serde_json::to_writer(
                    &mut *file,
                    &serde_json::json!({
                        "qid": q.qid,
                        "kind": q.kind,
                        "gold": q.gold,
                        "extract": extract,
                        "confidence": shown.confidence,
                        "confidence_signals": shown.signals,
                    }),
                )?;
                writeln!(file)?;
            }
            continue;
        }
        let answer = answerer
            .ask(&request, &mut worker, &mut |_| SinkControl::Continue)
            .with_context(|| format!("question {}", q.qid))?;
        let generated = answer.timings.first_token_ms.is_some();
        let model_text = answer.set_aside_text.as_deref().unwrap_or(&answer.answer);
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
            extract_ids: answer.extract.iter().map(|p| p.id.clone()).collect(),
            extract_ms: answer.timings.extract_ms,
            key_recall_extract: q
                .answer_key
                .as_deref()
                .and_then(|k| key_fact_recall(k, &extract_text(&answer.extract))),
            key_recall_answer: if generated {
                q.answer_key
                    .as_deref()
                    .and_then(|k| key_fact_recall(k, model_text))
            } else {
                None
            },
            generated,
            synthesis_issue: answer
                .synthesis
                .issue
                .filter(|i| *i != SynthesisIssue::NoModel)
                .and_then(|i| serde_json::to_value(i).ok())
                .and_then(|v| v.as_str().map(String::from)),
            repetition_stopped: answer.synthesis.repetition_stopped,
            citations_off_question: answer
                .citations
                .iter()
                .filter(|c| c.valid && !c.relevant)
                .count(),
            prompt_tokens: answer.prompt_tokens,
            confidence: answer.confidence,
            unsupported_numbers: unsupported_numbers(&answer, answerer.retriever().corpus()),
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
    } else if args.extract_only {
        print_extract_table(&report);
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
        print_extract_table(r);
    }
    Ok(ExitCode::SUCCESS)
}

/// The extract's passages and their leads, as one text (for key-fact recall).
fn extract_text(extract: &[vigie_engine::answer::ExtractPassage]) -> String {
    extract
        .iter()
        .map(|p| format!("{} {}", p.lead.as_deref().unwrap_or(""), p.text))
        .collect::<Vec<_>>()
        .join("\n")
}

fn print_extract_table(r: &vigie_engine::eval::AnswerEvalReport) {
    let pct = |v: f64| format!("{:.0} %", 100.0 * v);
    let opt_pct = |v: Option<f64>| v.map(pct).unwrap_or_else(|| "—".into());
    let secs = |v: Option<f64>| {
        v.map(|t| format!("{:.1} s", t / 1000.0))
            .unwrap_or_else(|| "—".into())
    };
    let millis = |v: Option<f64>| v.map(|t| format!("{t:.0}")).unwrap_or_else(|| "—".into());
    println!(
        "\n| questions | n | extrait@1 | extrait@3 | faits clés (extrait) | faits clés (modèle) | copies | en-têtes seuls | répétitions | écartées | ✓ retirés | extrait p50 / p95 (ms) | 1er jeton p50 | jetons de la demande p50 |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    let rows = std::iter::once(("toutes (avec réponse)".to_string(), &r.extract)).chain(
        r.extract_per_kind
            .iter()
            .map(|(kind, e)| (format!("type {kind}"), e)),
    );
    for (label, e) in rows {
        println!(
            "| {label} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} / {} | {} | {} |",
            e.questions,
            pct(e.extract_at_1),
            pct(e.extract_at_3),
            pct(e.key_recall_extract),
            opt_pct(e.key_recall_answer),
            pct(e.copy_rate),
            pct(e.header_only_rate),
            pct(e.repetition_rate),
            pct(e.set_aside_rate),
            e.citations_off_question,
            millis(e.extract_ms_p50),
            millis(e.extract_ms_p95),
            secs(e.first_token_ms_p50),
            e.prompt_tokens_p50
                .map(|t| format!("{t:.0}"))
                .unwrap_or_else(|| "—".into()),
        );
    }
    let c = &r.confidence;
    println!(
        "\nConfiance : | réponses sûres mais fausses | confiance faible (avec réponse) | sans réponse : abstention ou faible | chiffres non soutenus |"
    );
    println!(
        "| {}/{} ({}) | {}/{} ({}) | {}/{} ({}) | {} |",
        c.confident_wrong,
        c.answerable,
        pct(c.confident_wrong_rate),
        c.low_or_abstained,
        c.answerable,
        pct(c.low_rate),
        c.unanswerable_abstained_or_low,
        c.unanswerable,
        pct(c.unanswerable_abstained_or_low_rate),
        c.unsupported_numbers,
    );
}

/// Numbers of the final synthesis that the whole text of the articles its sentences cite (or,
/// for a sentence citing none, of the articles given) does not hold: checked again here,
/// apart from the pipeline, against the corpus.
fn unsupported_numbers(
    answer: &vigie_engine::answer::Answer,
    corpus: &vigie_engine::corpus::Corpus,
) -> usize {
    use vigie_engine::answer::citations::citation_label;
    use vigie_engine::answer::claims::{CitedText, check_claims};
    if !answer.synthesis.usable || answer.abstained {
        return 0;
    }
    let given: Vec<(&vigie_engine::corpus::Article, String)> = answer
        .sources
        .iter()
        .filter_map(|id| corpus.get(id))
        .map(|article| (article, citation_label(article)))
        .collect();
    let cited: Vec<CitedText<'_>> = given
        .iter()
        .map(|(article, label)| CitedText {
            label,
            text: &article.text,
        })
        .collect();
    check_claims(&answer.question, &answer.answer, &cited)
        .removed
        .iter()
        .map(|claim| claim.missing_numbers.len())
        .sum()
}

fn answerer_model(settings: &super::ask::AnswerSettings) -> String {
    settings
        .model
        .clone()
        .unwrap_or_else(|| "par défaut".into())
}
