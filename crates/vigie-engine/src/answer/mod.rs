//! Grounded answers: a question in, an answer out whose every claim points to an article the
//! agent can open, or an abstention with the closest articles.
//!
//! The pipeline, in order (each step its own module):
//! 1. [`screen`]: refuse what is not a question (empty, too long, garbage, another language,
//!    an instruction to the model);
//! 2. [`scope`]: abstain without calling the model when the question names another text or a
//!    subject the codes do not govern;
//! 3. retrieval (exact lookup, then hybrid ranking) over the law in force, joined by the
//!    sections of the agents' own documents the caller found for the question (see
//!    [`crate::collection::answer_sources`]);
//! 4. [`budget`]: fit the sources into the model's context, trimming long articles to what
//!    matched; sources that address the model are withheld;
//! 5. optionally, the model's own judgement of whether the sources concern the question;
//! 6. [`prompt`]: the French prompt with numbered sources; generation streamed to the sink;
//! 7. [`citations`]: every citation resolved against the sources, quotations checked
//!    verbatim, unsupported citations removed; [`copied`]: source headers the model repeated
//!    cut to their label, sentences copied without a citation attributed to their source.
//!
//! Everything is reported as [`AnswerEvent`]s pushed to a sink (the CLI prints them, the
//! desktop shell forwards them to the page, the tests collect them); a sink that answers
//! [`SinkControl::Stop`] cancels the generation.

pub mod budget;
pub mod citations;
pub mod copied;
pub mod event;
pub mod prompt;
pub mod scope;
pub mod screen;

use std::sync::Arc;
use std::time::Instant;

pub use event::{
    Abstention, Answer, AnswerEvent, AnswerTimings, Citation, ClosestArticle, CorpusIdentity,
    ModelIdentity, QuoteCheck, RejectedCitation, SourceInfo, WithheldSource,
};
pub use screen::{MAX_QUESTION_CHARS, QuestionIssue};

use crate::collection::DocumentSource;
use crate::corpus::Article;
use crate::llm::{
    CancelToken, GenerationRequest, LlmError, SamplingParams, SinkControl, StopReason,
    TextGenerator,
};
use crate::retrieve::{Hit, Retriever, SearchError, SearchMode};
use budget::{Candidate, FittedSource, fit_sources};
use citations::{GivenSource, check_citations};
use prompt::{ABSTENTION_SENTENCE, PromptSource, answer_messages, is_abstention, judge_messages};

/// The most positions a prompt and its answer may use: candle's quantized llama stops there,
/// whatever the model was trained for.
pub const MAX_POSITIONS: usize = 4_096;

/// Bytes of French legal text per token, a little low so the first estimate rarely overflows
/// (the real count is checked before generating).
const BYTES_PER_TOKEN: f64 = 3.2;

/// Settings of one answer.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerOptions {
    /// Articles retrieved and offered to the model.
    pub sources: usize,
    /// Most tokens of answer.
    pub max_tokens: usize,
    /// Prompt plus answer, in tokens (capped by the model's context and [`MAX_POSITIONS`]).
    /// Every prompt token costs prefill time: the default keeps the first token within
    /// seconds on a 2-core laptop.
    pub context_tokens: usize,
    /// How tokens are chosen.
    pub sampling: SamplingParams,
    /// Ask the model whether the sources concern the question before answering.
    pub relevance_check: bool,
    /// Let the model answer « Je ne trouve pas… » by itself. Off by default: measured on the
    /// development set, small models abstain on answerable questions far too often (see the
    /// README); abstention is decided by Vigie's own signals instead.
    pub model_may_abstain: bool,
    /// Retrieval mode (hybrid unless measuring).
    pub mode: SearchMode,
}

impl Default for AnswerOptions {
    fn default() -> Self {
        Self {
            sources: 5,
            max_tokens: 384,
            context_tokens: 2_560,
            sampling: SamplingParams::default(),
            relevance_check: false,
            model_may_abstain: false,
            mode: SearchMode::Hybrid,
        }
    }
}

/// One question to answer.
#[derive(Debug, Clone)]
pub struct AnswerRequest {
    /// The agent's question.
    pub question: String,
    /// Settings.
    pub options: AnswerOptions,
    /// Set from any thread to stop the generation.
    pub cancel: CancelToken,
    /// Sections of imported documents offered beside the law, best first: the caller found
    /// them in the collections the agent's profile may query.
    pub documents: Vec<DocumentSource>,
}

impl AnswerRequest {
    /// A request with default settings.
    pub fn new(question: impl Into<String>) -> Self {
        Self {
            question: question.into(),
            options: AnswerOptions::default(),
            cancel: CancelToken::default(),
            documents: Vec::new(),
        }
    }
}

/// Why an answer failed (an abstention is not a failure).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnswerError {
    /// The input is not a question Vigie takes.
    #[error(transparent)]
    Question(#[from] QuestionIssue),
    /// Retrieval failed.
    #[error(transparent)]
    Search(#[from] SearchError),
    /// Generation failed.
    #[error(transparent)]
    Generation(#[from] LlmError),
    /// Even the shortest source does not fit the model's context.
    #[error("the model's context ({context} tokens) cannot hold a source and an answer")]
    ContextTooSmall {
        /// Usable context.
        context: usize,
    },
}

impl AnswerError {
    /// The message for the agent.
    pub fn message_fr(&self) -> String {
        match self {
            Self::Question(e) => e.message_fr(),
            Self::Search(e) => e.message_fr(),
            Self::Generation(e) => e.message_fr(),
            Self::ContextTooSmall { context } => format!(
                "Le contexte du modèle ({context} jetons) est trop petit pour une source et une réponse : réduisez la longueur de réponse ou choisissez un autre modèle."
            ),
        }
    }
}

/// Receives the answer's events as they happen.
pub trait AnswerSink {
    /// A new event; [`SinkControl::Stop`] cancels the generation.
    fn event(&mut self, event: AnswerEvent) -> SinkControl;
}

impl<F: FnMut(AnswerEvent) -> SinkControl> AnswerSink for F {
    fn event(&mut self, event: AnswerEvent) -> SinkControl {
        self(event)
    }
}

/// Answers questions from the law in force with a retriever and a generation model.
pub struct Answerer {
    retriever: Arc<Retriever>,
    model: ModelIdentity,
}

/// What the steps before generation decided.
struct Prepared {
    hits: Vec<Hit>,
    /// Which editions the sources come from, said to the model and to the agent.
    edition_note: String,
    /// The date a dated question asked about.
    date: Option<String>,
    sources: Vec<FittedSource>,
    withheld: Vec<WithheldSource>,
    retrieval_ms: f64,
}

impl Answerer {
    /// An answerer over `retriever`, answering with the model described by `model`.
    pub fn new(retriever: Arc<Retriever>, model: ModelIdentity) -> Self {
        Self { retriever, model }
    }

    /// The retriever.
    pub fn retriever(&self) -> &Arc<Retriever> {
        &self.retriever
    }

    /// The corpus the answers come from.
    pub fn corpus_identity(&self) -> CorpusIdentity {
        let corpus = self.retriever.corpus();
        CorpusIdentity {
            hash: corpus.hash_in_force(),
            editions: corpus
                .editions_in_force()
                .map(|e| format!("{}: {}", e.code, e.date))
                .collect(),
        }
    }

    /// Answers `request`, pushing events to `sink`; an error is also pushed as an event.
    pub fn ask(
        &self,
        request: &AnswerRequest,
        generator: &mut dyn TextGenerator,
        sink: &mut dyn AnswerSink,
    ) -> Result<Answer, AnswerError> {
        let result = self.ask_inner(request, generator, sink);
        if let Err(e) = &result {
            log::warn!("answer failed: {e}");
            sink.event(AnswerEvent::Error {
                message_fr: e.message_fr(),
                message: e.to_string(),
            });
        }
        result
    }

    fn ask_inner(
        &self,
        request: &AnswerRequest,
        generator: &mut dyn TextGenerator,
        sink: &mut dyn AnswerSink,
    ) -> Result<Answer, AnswerError> {
        let started = Instant::now();
        let question = screen::screen_question(&request.question)?;
        let options = &request.options;

        // Abstain on the question's own words, before retrieval costs anything but showing the
        // closest articles.
        let scope = scope::scope_abstention(question);
        let prepared = self.prepare(question, request, generator)?;
        if let Some(abstention) = scope {
            return Ok(self.abstain(question, abstention, &prepared, started, sink));
        }
        if prepared.sources.is_empty() {
            return Ok(self.abstain(question, Abstention::NoSources, &prepared, started, sink));
        }
        let corpus = self.retriever.corpus();
        let given: Vec<(usize, &Article, &FittedSource)> = prepared
            .sources
            .iter()
            .enumerate()
            .filter_map(|(i, s)| self.source(request, &s.id).map(|a| (i + 1, a, s)))
            .collect();

        let named_by_number = prepared
            .hits
            .iter()
            .any(|h| h.origin == crate::retrieve::HitOrigin::Lookup);
        if options.relevance_check
            && !named_by_number
            && !self.judge_relevant(question, &given, request, generator)?
        {
            return Ok(self.abstain(
                question,
                Abstention::ModelJudgedIrrelevant,
                &prepared,
                started,
                sink,
            ));
        }

        let source_infos: Vec<SourceInfo> = given
            .iter()
            .map(|(number, article, fitted)| SourceInfo {
                number: *number,
                id: article.id.clone(),
                article: article.article.clone(),
                code: article.code.clone(),
                path: article.path.clone(),
                edition: article.edition.clone(),
                trimmed: fitted.trimmed,
                chars_given: fitted.text.chars().count(),
                chars_total: article.text.chars().count(),
            })
            .collect();
        if sink.event(AnswerEvent::Sources {
            sources: source_infos.clone(),
            withheld: prepared.withheld.clone(),
        }) == SinkControl::Stop
        {
            request.cancel.cancel();
        }

        let prompt_sources: Vec<PromptSource<'_>> = given
            .iter()
            .map(|(number, article, fitted)| PromptSource {
                number: *number,
                article,
                text: &fitted.text,
                trimmed: fitted.trimmed,
            })
            .collect();
        let edition_note = prepared.edition_note.clone();
        let messages = answer_messages(
            question,
            &prompt_sources,
            &edition_note,
            options.model_may_abstain,
        );
        let generation_request = GenerationRequest {
            messages,
            max_tokens: options.max_tokens,
            sampling: options.sampling.clone(),
            ignore_eos: false,
            cancel: request.cancel.clone(),
        };
        let mut first_token_ms: Option<f64> = None;
        let cancel = request.cancel.clone();
        let generation = generator.generate(&generation_request, &mut |text: &str| {
            if first_token_ms.is_none() {
                first_token_ms = Some(ms_since(started));
            }
            let control = sink.event(AnswerEvent::Token {
                text: text.to_string(),
            });
            if control == SinkControl::Stop {
                cancel.cancel();
            }
            control
        })?;

        let given_sources: Vec<GivenSource<'_>> = given
            .iter()
            .map(|(number, article, fitted)| GivenSource {
                number: *number,
                article,
                text: &fitted.text,
            })
            .collect();
        let mut checked = check_citations(&generation.text, &given_sources, corpus);
        if let Some(tables) = self.retriever.correspondence() {
            // A cited article that the recodification moved: show its new number.
            for citation in &mut checked.citations {
                citation.now_at = tables
                    .successors(&citation.code, &citation.article)
                    .iter()
                    .map(|l| {
                        format!(
                            "art. {} {}",
                            l.article,
                            crate::corpus::short_code_name(&l.code)
                        )
                    })
                    .collect();
            }
        }
        let model_abstained =
            generation.stop != StopReason::Cancelled && is_abstention(&generation.text);
        let (citations, rejected) = if model_abstained {
            (Vec::new(), checked.rejected)
        } else {
            (checked.citations, checked.rejected)
        };
        sink.event(AnswerEvent::Citations {
            citations: citations.clone(),
            rejected: rejected.clone(),
        });
        let answer = Answer {
            question: question.to_string(),
            answer: if model_abstained {
                ABSTENTION_SENTENCE.to_string()
            } else {
                checked.text
            },
            abstained: model_abstained,
            abstention: model_abstained.then_some(Abstention::ModelAbstained),
            citations,
            rejected_citations: rejected,
            sources: prepared.sources.iter().map(|s| s.id.clone()).collect(),
            trimmed_sources: prepared
                .sources
                .iter()
                .filter(|s| s.trimmed)
                .map(|s| s.id.clone())
                .collect(),
            source_articles: source_infos,
            closest: if model_abstained {
                self.closest(&prepared.hits)
            } else {
                Vec::new()
            },
            edition_note,
            date: prepared.date.clone(),
            model: self.model.clone(),
            corpus: self.corpus_identity(),
            timings: AnswerTimings {
                retrieval_ms: prepared.retrieval_ms,
                first_token_ms,
                total_ms: ms_since(started),
            },
            stop: Some(generation.stop),
        };
        sink.event(AnswerEvent::Done {
            answer: Box::new(answer.clone()),
        });
        Ok(answer)
    }

    /// A source by id: an article of the corpus or a section offered with the request.
    fn source<'a>(&'a self, request: &'a AnswerRequest, id: &str) -> Option<&'a Article> {
        self.retriever.corpus().get(id).or_else(|| {
            request
                .documents
                .iter()
                .find(|d| d.article.id == id)
                .map(|d| &d.article)
        })
    }

    /// Retrieval and the context budget.
    fn prepare(
        &self,
        question: &str,
        request: &AnswerRequest,
        generator: &mut dyn TextGenerator,
    ) -> Result<Prepared, AnswerError> {
        let options = &request.options;
        let t = Instant::now();
        // A question that names a past date is answered from the edition in force then.
        let outcome = self
            .retriever
            .search_auto(question, options.sources.max(1), options.mode)?;
        let retrieval_ms = ms_since(t);
        let edition_note = edition_note(&outcome);
        let corpus = self.retriever.corpus();
        let mut withheld = Vec::new();
        let law = outcome
            .hits
            .iter()
            .filter_map(|hit| corpus.get(&hit.id).map(|a| (a, hit.best_range)));
        let documents = request.documents.iter().map(|d| (&d.article, d.matched));
        let mut candidates = Vec::new();
        for (article, matched) in interleave(law, documents) {
            if let Some(phrase) = screen::find_injection(&article.text) {
                withheld.push(WithheldSource {
                    id: article.id.clone(),
                    reason: format!(
                        "le texte contient une consigne adressée au modèle (« {phrase} »)"
                    ),
                });
                continue;
            }
            candidates.push(Candidate { article, matched });
        }
        let sources = self.fit(question, &candidates, request, generator, &edition_note)?;
        Ok(Prepared {
            hits: outcome.hits,
            edition_note,
            date: outcome.date,
            sources,
            withheld,
            retrieval_ms,
        })
    }

    /// Fits the candidates so that the real prompt, counted by the model's tokenizer, leaves
    /// room for the answer.
    fn fit(
        &self,
        question: &str,
        candidates: &[Candidate<'_>],
        request: &AnswerRequest,
        generator: &mut dyn TextGenerator,
        edition_note: &str,
    ) -> Result<Vec<FittedSource>, AnswerError> {
        let options = &request.options;
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let context = generator
            .model_info()
            .context_length
            .min(MAX_POSITIONS)
            .min(options.context_tokens.max(256));
        let prompt_limit = context.saturating_sub(options.max_tokens);
        let empty = answer_messages(question, &[], edition_note, options.model_may_abstain);
        let fixed = generator.count_prompt_tokens(&empty)?;
        let header_tokens = 25 * candidates.len();
        let mut budget_tokens = prompt_limit.saturating_sub(fixed + header_tokens);
        for _ in 0..6 {
            if budget_tokens < 64 {
                break;
            }
            let budget_bytes = (budget_tokens as f64 * BYTES_PER_TOKEN) as usize;
            let fitted = fit_sources(candidates, budget_bytes, 0.5);
            if fitted.is_empty() {
                break;
            }
            let prompt_sources: Vec<PromptSource<'_>> = fitted
                .iter()
                .enumerate()
                .filter_map(|(i, s)| {
                    self.source(request, &s.id).map(|article| PromptSource {
                        number: i + 1,
                        article,
                        text: &s.text,
                        trimmed: s.trimmed,
                    })
                })
                .collect();
            let total = generator.count_prompt_tokens(&answer_messages(
                question,
                &prompt_sources,
                edition_note,
                options.model_may_abstain,
            ))?;
            if total <= prompt_limit {
                return Ok(fitted);
            }
            // Shrink in proportion to the overflow, with a margin.
            let over = total - prompt_limit;
            budget_tokens = budget_tokens.saturating_sub(over + over / 4 + 16);
        }
        Err(AnswerError::ContextTooSmall { context })
    }

    /// Asks the model whether the top sources concern the question (`OUI`/`NON`).
    fn judge_relevant(
        &self,
        question: &str,
        given: &[(usize, &Article, &FittedSource)],
        request: &AnswerRequest,
        generator: &mut dyn TextGenerator,
    ) -> Result<bool, AnswerError> {
        let excerpts: Vec<(String, String)> = given
            .iter()
            .take(3)
            .map(|(_, article, fitted)| {
                (
                    citations::citation_label(article),
                    crate::retrieve::excerpt_of(&fitted.text, 400),
                )
            })
            .collect();
        let judge = GenerationRequest {
            messages: judge_messages(question, &excerpts),
            max_tokens: 3,
            sampling: SamplingParams::greedy(),
            ignore_eos: false,
            cancel: request.cancel.clone(),
        };
        let verdict = generator.generate(&judge, &mut |_: &str| SinkControl::Continue)?;
        let said = verdict.text.trim().to_uppercase();
        Ok(!said.starts_with("NON"))
    }

    /// The abstention answer: no model text, the closest articles instead.
    fn abstain(
        &self,
        question: &str,
        abstention: Abstention,
        prepared: &Prepared,
        started: Instant,
        sink: &mut dyn AnswerSink,
    ) -> Answer {
        sink.event(AnswerEvent::Sources {
            sources: Vec::new(),
            withheld: prepared.withheld.clone(),
        });
        let answer = Answer {
            question: question.to_string(),
            answer: format!("{ABSTENTION_SENTENCE} {}", abstention.explanation_fr()),
            abstained: true,
            abstention: Some(abstention),
            citations: Vec::new(),
            rejected_citations: Vec::new(),
            sources: Vec::new(),
            trimmed_sources: Vec::new(),
            source_articles: Vec::new(),
            closest: self.closest(&prepared.hits),
            edition_note: prepared.edition_note.clone(),
            date: prepared.date.clone(),
            model: self.model.clone(),
            corpus: self.corpus_identity(),
            timings: AnswerTimings {
                retrieval_ms: prepared.retrieval_ms,
                first_token_ms: None,
                total_ms: ms_since(started),
            },
            stop: None,
        };
        sink.event(AnswerEvent::Citations {
            citations: Vec::new(),
            rejected: Vec::new(),
        });
        sink.event(AnswerEvent::Done {
            answer: Box::new(answer.clone()),
        });
        answer
    }

    fn closest(&self, hits: &[Hit]) -> Vec<ClosestArticle> {
        hits.iter()
            .take(3)
            .filter_map(|hit| {
                let article = self.retriever.article(hit)?;
                Some(ClosestArticle {
                    id: article.id.clone(),
                    article: article.article.clone(),
                    code: article.code.clone(),
                    path: article.path.clone(),
                    edition: article.edition.clone(),
                    excerpt: self.retriever.excerpt(hit),
                })
            })
            .collect()
    }
}

/// The law's articles with the documents' sections slotted in after the best article, then
/// one after every further article: the agent's own instructions reach the prompt even when
/// the budget only holds a few sources, without pushing the law out of it.
fn interleave<'a>(
    law: impl Iterator<Item = (&'a Article, Option<(usize, usize)>)>,
    mut documents: impl Iterator<Item = (&'a Article, Option<(usize, usize)>)>,
) -> Vec<(&'a Article, Option<(usize, usize)>)> {
    let mut out = Vec::new();
    for article in law {
        out.push(article);
        if let Some(document) = documents.next() {
            out.push(document);
        }
    }
    out.extend(documents);
    out
}

/// Which editions a search drew from, in French: the law in force, or the edition of the date
/// a question named (then said to be no longer in force).
fn edition_note(outcome: &crate::retrieve::SearchOutcome) -> String {
    let editions: Vec<String> = outcome
        .editions
        .iter()
        .map(|e| {
            let state = if e.in_force {
                "en vigueur"
            } else {
                "ancienne version, plus en vigueur"
            };
            format!("{} (édition du {}, {state})", e.code, e.edition)
        })
        .collect();
    match &outcome.date {
        Some(date) => format!(
            "Question datée : textes applicables au {date} : {}.",
            editions.join(", ")
        ),
        None => format!("Textes en vigueur utilisés : {}.", editions.join(", ")),
    }
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}
