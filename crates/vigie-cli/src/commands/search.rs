//! `vigie search`: the articles in force that best match a question.
//!
//! The JSON shape is a contract used by other tools: `{"query", "hits": [{"id", "article",
//! "code", "path", "score", "excerpt"}]}`, one object per question in `--questions` mode.
//! Added keys (optional for readers): `editions` (the edition of each code searched), `date`
//! (when the search was made at a date: `--date`, or a date named in the question) and, per
//! hit, `edition` and `linked_from` (the number named, when the hit was found through a
//! correspondence table).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;
use vigie_engine::Paths;
use vigie_engine::eval::read_questions;
use vigie_engine::retrieve::{Hit, HitOrigin, Retriever, SearchMode, SearchOutcome};

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
    /// Chercher dans le droit en vigueur à cette date (AAAA-MM-JJ) ; sans cette option, une
    /// date citée dans la question (« en 2019 », « au 1er janvier 2020 ») est prise en compte.
    #[arg(long, value_name = "AAAA-MM-JJ")]
    date: Option<String>,
    /// Profil de l'agent : seules les collections de documents des niveaux qu'il peut
    /// interroger sont cherchées (par défaut, celui de la politique).
    #[arg(long, env = "VIGIE_PROFILE", value_name = "PROFIL")]
    profile: Option<String>,
    /// Ne chercher que dans ces collections de documents (répétable).
    #[arg(long = "collection", value_name = "NOM")]
    collections: Vec<String>,
    /// Nombre de passages de documents importés affichés.
    #[arg(long, default_value_t = 5, value_name = "N")]
    documents: usize,
}

/// Searches at `--date`, or at the date the question names, or in force.
fn run_search(
    retriever: &Retriever,
    question: &str,
    args: &Args,
) -> Result<SearchOutcome, vigie_engine::retrieve::SearchError> {
    match &args.date {
        Some(date) => retriever.search_at(question, args.k, args.mode, date),
        None => retriever.search_auto(question, args.k, args.mode),
    }
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
    #[serde(skip_serializing_if = "Option::is_none")]
    linked_from: Option<String>,
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
        linked_from: hit.linked_from.clone(),
    })
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let mut journal = vigie_engine::audit::AuditLog::open(&paths.data_dir)?;
    let data_dir = paths.data_dir.clone();
    let (_engine, retriever) = open_retriever(paths)?;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if let Some(file) = &args.questions {
        let questions = read_questions(file).map_err(anyhow::Error::msg)?;
        for q in questions {
            let outcome = run_search(&retriever, &q.question, &args)
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
            let mut line = serde_json::json!({
                "qid": q.qid,
                "hits": hits,
                "editions": outcome.editions,
            });
            if let Some(date) = &outcome.date {
                line["date"] = serde_json::json!(date);
            }
            writeln!(out, "{line}")?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let Some(question) = args.question.as_deref() else {
        anyhow::bail!("indiquez une question, ou --questions FICHIER");
    };
    let outcome = run_search(&retriever, question, &args)?;
    let documents = super::document_search::search(
        &data_dir,
        &mut journal,
        &retriever,
        args.profile.as_deref(),
        &args.collections,
        question,
        args.documents,
    )?;
    journal.append(
        "search",
        serde_json::json!({
            "question": vigie_engine::retrieve::clip_chars(question, 2_000),
            "mode": args.mode,
            "date": outcome.date,
            "hits": outcome.hits.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
            "profile": documents.profile,
            "documents": documents.hits.iter().map(|h| h.citation()).collect::<Vec<_>>(),
        }),
    )?;
    let hits: Vec<JsonHit> = outcome
        .hits
        .iter()
        .filter_map(|h| json_hit(&retriever, h))
        .collect();
    if args.json {
        let mut object = serde_json::json!({
            "query": question,
            "hits": hits,
            "editions": outcome.editions,
        });
        if let Some(date) = &outcome.date {
            object["date"] = serde_json::json!(date);
        }
        object["profile"] = serde_json::json!(documents.profile);
        object["documents"] = serde_json::json!(documents.hits);
        writeln!(out, "{object}")?;
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(date) = &outcome.date {
        let used: Vec<String> = outcome
            .editions
            .iter()
            .map(|e| format!("{}, édition du {}", e.code, e.edition))
            .collect();
        writeln!(out, "Droit en vigueur au {date} : {}.\n", used.join(" ; "))?;
    }
    if hits.is_empty() {
        writeln!(out, "Aucun article trouvé.")?;
    }
    for (rank, hit) in hits.iter().enumerate() {
        let code = vigie_engine::corpus::short_code_name(&hit.code);
        let marker = match (&hit.linked_from, hit.origin) {
            (Some(named), _) => format!(" (correspondance de {named})"),
            (None, HitOrigin::Lookup) => " (numéro cité)".to_string(),
            _ => String::new(),
        };
        let marker = if outcome.date.is_some() {
            format!("{marker} [édition du {}]", hit.edition)
        } else {
            marker
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
    super::document_search::print(&mut out, &documents)?;
    writeln!(
        out,
        "\n({} résultats en {:.0} ms ; source : Légifrance (DILA), Licence Ouverte 2.0)",
        hits.len(),
        outcome.timings.total_ms
    )?;
    Ok(ExitCode::SUCCESS)
}
