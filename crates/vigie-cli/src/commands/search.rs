//! `vigie search`: the articles in force that best match a question.
//!
//! The JSON shape is a contract used by other tools: `{"query", "hits": [{"id", "article",
//! "code", "path", "score", "excerpt"}]}`, one object per question in `--questions` mode.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;
use vigie_engine::Paths;
use vigie_engine::eval::read_questions;
use vigie_engine::retrieve::{Hit, HitOrigin, Retriever, SearchMode};

use super::open_retriever;

/// Options of `vigie search`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// La question (ou des mots-clés, ou un numéro d'article).
    question: Option<String>,
    /// Sortie JSON.
    #[arg(long)]
    json: bool,
    /// Nombre de résultats.
    #[arg(short = 'k', long = "top", default_value_t = 10)]
    k: usize,
    /// Classement : hybrid, lexical ou vector.
    #[arg(long, default_value = "hybrid", value_parser = parse_mode)]
    mode: SearchMode,
    /// Fichier JSON Lines de questions (`qid`, `question`) : une ligne JSON par question.
    #[arg(long, value_name = "FILE")]
    questions: Option<PathBuf>,
}

/// Parses a search mode name.
pub fn parse_mode(s: &str) -> Result<SearchMode, String> {
    match s {
        "hybrid" | "hybride" => Ok(SearchMode::Hybrid),
        "lexical" => Ok(SearchMode::Lexical),
        "vector" | "vectoriel" => Ok(SearchMode::Vector),
        other => Err(format!("mode inconnu : {other} (hybrid, lexical, vector)")),
    }
}

/// One hit as the JSON contract describes it.
#[derive(Debug, Serialize)]
pub struct JsonHit {
    id: String,
    article: String,
    code: String,
    path: Vec<String>,
    score: f32,
    excerpt: String,
    edition: String,
    origin: HitOrigin,
    lexical_rank: Option<usize>,
    vector_rank: Option<usize>,
}

/// Converts a hit for output.
pub fn json_hit(retriever: &Retriever, hit: &Hit) -> Option<JsonHit> {
    let article = retriever.article(hit)?;
    Some(JsonHit {
        id: hit.id.clone(),
        article: article.article.clone(),
        code: article.code.clone(),
        path: article.path.clone(),
        score: (hit.score * 1000.0).round() / 1000.0,
        excerpt: retriever.excerpt(hit),
        edition: article.edition.clone(),
        origin: hit.origin,
        lexical_rank: hit.lexical_rank,
        vector_rank: hit.vector_rank,
    })
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let mut journal = vigie_engine::audit::AuditLog::open(&paths.data_dir)?;
    let (_engine, retriever) = open_retriever(paths)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if let Some(file) = &args.questions {
        let questions = read_questions(file).map_err(anyhow::Error::msg)?;
        for q in questions {
            let outcome = retriever
                .search(&q.question, args.k, args.mode)
                .with_context(|| format!("question {}", q.qid))?;
            journal.append(
                "search",
                serde_json::json!({
                    "qid": q.qid,
                    "question": vigie_engine::retrieve::clip_chars(&q.question, 2_000),
                    "hits": outcome.hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
                }),
            )?;
            let hits: Vec<JsonHit> = outcome
                .hits
                .iter()
                .filter_map(|h| json_hit(&retriever, h))
                .collect();
            let line = serde_json::json!({ "qid": q.qid, "hits": hits });
            writeln!(out, "{line}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(question) = args.question.as_deref() else {
        anyhow::bail!("indiquez une question, ou --questions FICHIER");
    };
    let outcome = retriever.search(question, args.k, args.mode)?;
    journal.append(
        "search",
        serde_json::json!({
            "question": vigie_engine::retrieve::clip_chars(question, 2_000),
            "mode": args.mode,
            "hits": outcome.hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
        }),
    )?;
    let hits: Vec<JsonHit> = outcome
        .hits
        .iter()
        .filter_map(|h| json_hit(&retriever, h))
        .collect();
    if args.json {
        let object = serde_json::json!({ "query": question, "hits": hits });
        writeln!(out, "{object}")?;
        return Ok(ExitCode::SUCCESS);
    }
    if hits.is_empty() {
        writeln!(out, "Aucun article trouvé.")?;
    }
    for (rank, hit) in hits.iter().enumerate() {
        let code = vigie_engine::corpus::short_code_name(&hit.code);
        let marker = if hit.origin == HitOrigin::Lookup {
            " (numéro cité)"
        } else {
            ""
        };
        writeln!(
            out,
            "{:>2}. {} art. {} — score {:.2}{marker}",
            rank + 1,
            code,
            hit.article,
            hit.score
        )?;
        if !hit.path.is_empty() {
            writeln!(out, "    {}", hit.path.join(" › "))?;
        }
        writeln!(out, "    {}", hit.excerpt)?;
    }
    writeln!(
        out,
        "\n({} résultats en {:.0} ms ; source : Légifrance (DILA), Licence Ouverte 2.0)",
        hits.len(),
        outcome.timings.total_ms
    )?;
    Ok(ExitCode::SUCCESS)
}
