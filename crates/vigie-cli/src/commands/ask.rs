//! `vigie ask`: a grounded answer to one question, streamed, then its checked citations; with
//! `--json`, the whole answer as one JSON object (a stable contract).

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use vigie_engine::Paths;
use vigie_engine::answer::citations::{dated_reference, source_reference};
use vigie_engine::answer::{
    Answer, AnswerEvent, AnswerOptions, AnswerRequest, Answerer, Confidence, ExtractPassage,
    LOW_CONFIDENCE_SENTENCE, ModelIdentity, SynthesisIssue,
};
use vigie_engine::audit::AuditLog;
use vigie_engine::llm::{CandleGenerator, TextGenerator};
use vigie_engine::llm::{
    GenerationWorker, LoadOptions, SamplingParams, SinkControl, locate_verified,
};
use vigie_engine::retrieve::excerpt_of;

use super::open_retriever;

/// Options of `vigie ask`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// La question, en français.
    question: String,
    #[command(flatten)]
    settings: AnswerSettings,
    /// Sortie JSON : un seul objet à la fin.
    #[arg(long)]
    json: bool,
    /// Profil de l'agent : les passages des documents importés qu'il peut interroger sont
    /// fournis au modèle avec les articles et indiqués sous la réponse (par défaut, le profil
    /// de la politique).
    #[arg(long, env = "VIGIE_PROFILE", value_name = "PROFIL")]
    profile: Option<String>,
}

/// Settings shared by `vigie ask` and `vigie eval --answers`.
#[derive(Debug, Clone, clap::Args)]
pub struct AnswerSettings {
    /// Modèle de génération (nom du manifeste ; par défaut celui du manifeste).
    #[arg(long)]
    pub model: Option<String>,
    /// Nombre d'articles proposés au modèle.
    #[arg(long, default_value_t = 5)]
    pub sources: usize,
    /// Nombre maximal de jetons de réponse.
    #[arg(long, default_value_t = 384)]
    pub max_tokens: usize,
    /// Taille du contexte utilisé (demande et réponse), en jetons.
    #[arg(long, default_value_t = 2_560)]
    pub context_tokens: usize,
    /// Température (0 : décodage glouton, reproductible).
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f32,
    /// Graine du tirage aléatoire.
    #[arg(long, default_value_t = 299_792_458)]
    pub seed: u64,
    /// Demande d'abord au modèle si les articles trouvés traitent de la question.
    #[arg(long)]
    pub relevance_check: bool,
    /// Autorise le modèle à répondre lui-même « Je ne trouve pas… ».
    #[arg(long)]
    pub model_may_abstain: bool,
}

impl AnswerSettings {
    /// The engine's options.
    pub fn options(&self) -> AnswerOptions {
        AnswerOptions {
            sources: self.sources,
            max_tokens: self.max_tokens,
            context_tokens: self.context_tokens,
            sampling: SamplingParams {
                temperature: self.temperature,
                seed: self.seed,
                ..SamplingParams::default()
            },
            relevance_check: self.relevance_check,
            model_may_abstain: self.model_may_abstain,
            ..AnswerOptions::default()
        }
    }
}

/// The retriever, the model worker (with its system prompt computed ahead) and the answerer.
pub fn open_answerer(
    paths: Paths,
    model: Option<&str>,
) -> anyhow::Result<(Answerer, GenerationWorker)> {
    let (engine, retriever) = open_retriever(paths)?;
    let (entry, path) = locate_verified(engine.registry(), engine.checksums(), model)
        .context("checking the generation model")?;
    let name = entry.name.clone();
    let worker = GenerationWorker::spawn(move || {
        let generator = CandleGenerator::load(&path, &name, &LoadOptions::default())?;
        Ok(Box::new(generator) as Box<dyn TextGenerator>)
    })
    .context("loading the generation model")?;
    let mut journal = AuditLog::open(&engine.paths().data_dir)?;
    journal.append(
        "model_load",
        serde_json::json!({ "model": entry.name, "sha256": entry.sha256 }),
    )?;
    // The system prompt never changes: compute its KV state while nobody waits.
    let warm = vec![
        vigie_engine::llm::ChatMessage::system(vigie_engine::answer::prompt::ANSWER_SYSTEM_PROMPT),
        vigie_engine::llm::ChatMessage::user(""),
    ];
    if let Err(e) = worker.warm_up(&warm) {
        log::warn!("warm-up failed: {e}");
    }
    let answerer = Answerer::new(
        Arc::new(retriever),
        ModelIdentity {
            name: entry.name,
            sha256: entry.sha256,
        },
    );
    Ok((answerer, worker))
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let mut journal = AuditLog::open(&paths.data_dir)?;
    let data_dir = paths.data_dir.clone();
    let (answerer, mut worker) = open_answerer(paths, args.settings.model.as_deref())?;
    // The service's own documents that the profile may query join the law as sources.
    let documents = super::document_search::search(
        &data_dir,
        &mut journal,
        answerer.retriever(),
        args.profile.as_deref(),
        &[],
        &args.question,
        DOCUMENT_HITS,
    )?;
    let request = AnswerRequest {
        question: args.question.clone(),
        options: args.settings.options(),
        cancel: Default::default(),
        documents: documents
            .sources
            .iter()
            .take(DOCUMENT_SOURCES)
            .cloned()
            .collect(),
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let json = args.json;
    let mut synthesis_started = false;
    let result = answerer.ask(&request, &mut worker, &mut |event: AnswerEvent| {
        if json {
            return SinkControl::Continue;
        }
        let written = match &event {
            AnswerEvent::Extract {
                passages,
                confidence,
            } if !passages.is_empty() => print_extract(&mut out, passages, *confidence),
            AnswerEvent::Sources { sources, .. } if !sources.is_empty() => {
                let refs: Vec<String> = sources
                    .iter()
                    .map(|s| {
                        let trimmed = if s.trimmed { " (extrait)" } else { "" };
                        format!(
                            "[{}] {}{trimmed}",
                            s.number,
                            source_reference(&s.code, &s.article)
                        )
                    })
                    .collect();
                writeln!(out, "Sources : {}\n", refs.join(" ; "))
            }
            AnswerEvent::Token { text } => {
                let heading = if synthesis_started {
                    Ok(())
                } else {
                    synthesis_started = true;
                    writeln!(out, "Synthèse du modèle (à vérifier) :")
                };
                heading
                    .and_then(|_| write!(out, "{text}"))
                    .and_then(|_| out.flush())
            }
            _ => Ok(()),
        };
        // A closed pipe stops the generation.
        if written.is_err() {
            SinkControl::Stop
        } else {
            SinkControl::Continue
        }
    });
    let answer = match result {
        Ok(answer) => answer,
        Err(e) => {
            journal.append(
                "question_refused",
                serde_json::json!({
                    "question": vigie_engine::retrieve::clip_chars(&args.question, 2_000),
                    "reason": e.to_string(),
                }),
            )?;
            return Err(e).context("answering");
        }
    };
    journal.append(
        "answer",
        vigie_engine::assistant::answer_journal_entry(&answer, false),
    )?;
    // The sections found are also listed beside the answer, for the agent to open.
    if !documents.hits.is_empty() {
        journal.append(
            "documents_shown",
            serde_json::json!({
                "profile": documents.profile,
                "documents": documents.hits.iter().map(|h| h.citation()).collect::<Vec<_>>(),
            }),
        )?;
    }
    if json {
        let mut object = serde_json::to_value(&answer)?;
        object["profile"] = serde_json::json!(documents.profile);
        object["documents"] = serde_json::json!(documents.hits);
        serde_json::to_writer_pretty(&mut out, &object)?;
        writeln!(out)?;
    } else {
        print_answer(&mut out, &answer)?;
        if !documents.hits.is_empty() {
            super::document_search::print(&mut out, &documents)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Why the model's text was set aside, for the agent.
fn issue_fr(issue: SynthesisIssue) -> &'static str {
    match issue {
        SynthesisIssue::Empty => "vide",
        SynthesisIssue::HeaderOnly => "seulement l'en-tête d'une source",
        SynthesisIssue::Copy => "recopie presque mot pour mot des sources",
        SynthesisIssue::Repetition => "le modèle se répétait",
        SynthesisIssue::IrrelevantCitations => {
            "ses citations portent sur des passages sans rapport avec la question"
        }
        SynthesisIssue::UnsupportedClaims => {
            "chaque phrase avançait un chiffre ou une négation absents des articles cités"
        }
        SynthesisIssue::NoModel => "modèle non appelé",
    }
}

/// Sections of imported documents searched for a question.
const DOCUMENT_HITS: usize = 3;
/// Of those, the most given to the model.
const DOCUMENT_SOURCES: usize = 2;

/// « Ce que dit le code » : the passages that answer, with their place in the article.
/// A low-confidence extract is announced as such, before any passage.
fn print_extract(
    out: &mut impl Write,
    passages: &[ExtractPassage],
    confidence: Confidence,
) -> std::io::Result<()> {
    if confidence == Confidence::Low {
        writeln!(out, "Confiance faible : {LOW_CONFIDENCE_SENTENCE}\n")?;
        writeln!(out, "Ce que disent les articles les plus proches :")?;
    } else {
        writeln!(out, "Ce que dit le code :")?;
    }
    for p in passages {
        let place = if p.location.is_empty() {
            p.label.clone()
        } else {
            format!("{}, {}", p.label, p.location)
        };
        writeln!(out, "  ▸ {place} (édition du {})", p.edition)?;
        if let Some(lead) = &p.lead {
            writeln!(out, "      {}", excerpt_of(lead, 200))?;
        }
        writeln!(out, "      « {} »", p.text.trim())?;
    }
    writeln!(out)
}

fn print_answer(out: &mut impl Write, answer: &Answer) -> std::io::Result<()> {
    for m in &answer.missing_articles {
        if !answer.abstained {
            let nearest = if m.nearest.is_empty() {
                String::new()
            } else {
                format!(" (numéros proches : {})", m.nearest.join(", "))
            };
            writeln!(
                out,
                "\nAttention : l'article {} n'existe pas dans les codes chargés{nearest}.",
                m.written
            )?;
        }
    }
    let low_confidence = !answer.abstained && answer.confidence == Confidence::Low;
    if low_confidence {
        if answer.extract.is_empty() {
            writeln!(out, "Confiance faible : {LOW_CONFIDENCE_SENTENCE}")?;
        }
        writeln!(
            out,
            "Aucune synthèse : le modèle n'est pas appelé quand la confiance est faible."
        )?;
    } else if !answer.abstained && !answer.synthesis.usable {
        writeln!(out, "\n\n{}", answer.answer)?;
        if let Some(issue) = answer.synthesis.issue {
            writeln!(out, "  (texte du modèle écarté : {})", issue_fr(issue))?;
        }
    }
    if answer.abstained {
        if answer.timings.first_token_ms.is_some() {
            // The model's own abstention was streamed already.
            writeln!(out)?;
        } else {
            writeln!(out, "{}", answer.answer)?;
        }
    }
    if answer.abstained || low_confidence {
        if !answer.closest.is_empty() {
            writeln!(
                out,
                "\nArticles les plus proches (à consulter, pas une réponse) :"
            )?;
            for a in &answer.closest {
                writeln!(
                    out,
                    "  • {} — {}",
                    source_reference(&a.code, &a.article),
                    a.excerpt
                )?;
            }
        }
    } else if answer.synthesis.usable {
        writeln!(out, "\n\nCitations vérifiées :")?;
        if answer.citations.is_empty() {
            writeln!(
                out,
                "  (aucune : la réponse ne cite aucune source, vérifiez-la avec les sources fournies)"
            )?;
        }
        for c in &answer.citations {
            let mark = if !c.valid {
                "✗ citation entre « » introuvable"
            } else if !c.relevant {
                "○ passage sans rapport avec la question"
            } else {
                "✓"
            };
            writeln!(
                out,
                "  {mark} {} — {}\n      « {} »",
                dated_reference(&c.code, &c.article, &c.edition),
                c.path.last().map(String::as_str).unwrap_or(""),
                c.supporting_passage
            )?;
            if !c.now_at.is_empty() {
                writeln!(
                    out,
                    "      → devenu {} (table de correspondance)",
                    c.now_at.join(", ")
                )?;
            }
        }
        for r in &answer.rejected_citations {
            writeln!(out, "  ✗ {} : {}", r.written_as, r.reason)?;
        }
    }
    writeln!(
        out,
        "\nModèle : {} · {} · extrait {} · premier jeton {} · total {:.1} s",
        answer.model.name,
        answer.edition_note,
        answer
            .timings
            .extract_ms
            .map(|t| format!("{t:.0} ms"))
            .unwrap_or_else(|| "—".into()),
        answer
            .timings
            .first_token_ms
            .map(|t| format!("{:.1} s", t / 1000.0))
            .unwrap_or_else(|| "—".into()),
        answer.timings.total_ms / 1000.0
    )?;
    writeln!(
        out,
        "Réponse produite par une IA : vérifiez-la dans les articles cités."
    )
}
