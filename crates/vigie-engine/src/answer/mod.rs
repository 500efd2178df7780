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
//!    A number the question names that no code has is answered as such, without the model;
//! 4. [`extract`]: the passages of the retrieved articles ranked against the question; the
//!    best ones are sent to the sink before the model is called (what the code says);
//!    [`confidence`]: when the two halves of retrieval do not agree on the first article,
//!    the agent is told that no provision answers directly and sees the closest articles
//!    with the extract; the model is not called;
//! 5. the sources given to the model are those passages with a little context, not whole
//!    articles (fewer prompt tokens, a first token sooner; [`budget`] fits whole articles
//!    instead when [`PromptMode::Articles`] is asked, to measure the difference); sources that
//!    address the model are withheld;
//! 6. optionally, the model's own judgement of whether the sources concern the question;
//! 7. [`prompt`]: the French prompt with numbered sources; generation streamed to the sink,
//!    stopped at the first repeated sentence;
//! 8. [`citations`]: every citation resolved against the sources, quotations checked
//!    verbatim, unsupported citations removed, and each marked relevant only if its passage is
//!    among those ranked relevant to the question; [`copied`]: source headers the model
//!    repeated cut to their label, sentences copied without a citation attributed to their
//!    source; [`synthesis`]: a text that is only a header, mostly a copy or cites nothing
//!    relevant is set aside, and the agent is told so under the extract.
//!
//! Everything is reported as [`AnswerEvent`]s pushed to a sink (the CLI prints them, the
//! desktop shell forwards them to the page, the tests collect them); a sink that answers
//! [`SinkControl::Stop`] cancels the generation.

pub mod budget;
pub mod citations;
pub mod claims;
pub mod confidence;
pub mod copied;
pub mod event;
pub mod extract;
pub mod prompt;
pub mod scope;
pub mod screen;
pub mod synthesis;

use std::sync::Arc;
use std::time::Instant;

pub use confidence::{Confidence, ConfidenceRule, ConfidenceSignals, LOW_CONFIDENCE_SENTENCE};
pub use event::{
    Abstention, Answer, AnswerEvent, AnswerTimings, Citation, ClosestArticle, CorpusIdentity,
    ExtractPassage, MissingArticle, ModelIdentity, QuoteCheck, RejectedCitation, SourceInfo,
    Synthesis, SynthesisIssue, UnsupportedClaim, WithheldSource,
};
pub use extract::ExtractWeights;
pub use screen::{MAX_QUESTION_CHARS, QuestionIssue};

use crate::collection::DocumentSource;
use crate::corpus::Article;
use crate::llm::{
    CancelToken, GenerationRequest, LlmError, SamplingParams, SinkControl, StopReason,
    TextGenerator,
};
use crate::retrieve::{Hit, Retriever, SearchError, SearchMode};
use budget::{Candidate, FittedSource, fit_sources};
use citations::{GivenSource, check_citations, contains_verbatim};
use extract::{PassageRanking, RankedArticle, rank_passages};
use prompt::{
    ABSTENTION_SENTENCE, PromptSource, answer_messages, is_abstention, judge_messages,
    source_header,
};
use synthesis::{Judged, NO_SYNTHESIS_SENTENCE, RepetitionGuard, judge};

/// An article this short goes into the prompt whole; a longer one gives its passages.
const WHOLE_ARTICLE_BYTES: usize = 700;
/// Articles whose passages are ranked for the extract: more than are given to the model, since
/// the article that answers is often found a few ranks down.
const EXTRACT_ARTICLES: usize = 8;
/// Passages of one article given to the model, at most.
const PASSAGES_PER_SOURCE: usize = 3;

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
    /// What the model is given of each source.
    pub prompt: PromptMode,
}

/// What the model is given of each source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptMode {
    /// The passages ranked relevant to the question, with their lead and label.
    #[default]
    Passages,
    /// Whole articles (long ones cut to what matched): the earlier prompt, kept to measure.
    Articles,
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
            prompt: PromptMode::Passages,
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
    extract_weights: ExtractWeights,
    confidence_rule: ConfidenceRule,
}

/// What the steps before generation decided.
struct Prepared<'a> {
    hits: Vec<Hit>,
    /// Retrieved articles (and document sections) that may be given to the model, in rank
    /// order.
    candidates: Vec<Candidate<'a>>,
    /// Which editions the sources come from, said to the model and to the agent.
    edition_note: String,
    /// The date a dated question asked about.
    date: Option<String>,
    withheld: Vec<WithheldSource>,
    retrieval_ms: f64,
}

/// What an answer drew from before the model: shared by every way an answer ends.
struct Grounds {
    extract: Vec<ExtractPassage>,
    extract_ms: Option<f64>,
    missing: Vec<MissingArticle>,
}

impl Answerer {
    /// An answerer over `retriever`, answering with the model described by `model`.
    pub fn new(retriever: Arc<Retriever>, model: ModelIdentity) -> Self {
        Self {
            retriever,
            model,
            extract_weights: ExtractWeights::default(),
            confidence_rule: ConfidenceRule::default(),
        }
    }

    /// Uses other weights to rank the passages of the extract (to measure them).
    pub fn set_extract_weights(&mut self, weights: ExtractWeights) {
        self.extract_weights = weights;
    }

    /// Uses another rule to decide confidence (to measure it).
    pub fn set_confidence_rule(&mut self, rule: ConfidenceRule) {
        self.confidence_rule = rule;
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
        let corpus = self.retriever.corpus();

        // Abstain on the question's own words, before retrieval costs anything but showing the
        // closest articles.
        let scope = scope::scope_abstention(question);
        let missing = corpus.missing_mentions(question);
        let prepared = self.prepare(question, request)?;
        let mut grounds = Grounds {
            extract: Vec::new(),
            extract_ms: None,
            missing,
        };
        if let Some(abstention) = scope {
            return Ok(self.answer_without_model(
                question,
                WithoutModel::Abstention(abstention),
                &prepared,
                &grounds,
                started,
                sink,
            ));
        }
        let named_by_number = prepared
            .hits
            .iter()
            .any(|h| h.origin == crate::retrieve::HitOrigin::Lookup);
        // Every number the question names is missing (a prefix of one may have been looked
        // up: « 414-9 » finds 414, which is not what was asked).
        let all_missing = !grounds.missing.is_empty()
            && grounds.missing.len() >= crate::corpus::find_mentions(question).len();
        if all_missing || (!grounds.missing.is_empty() && !named_by_number) {
            let written = grounds.missing.iter().map(|m| m.written.clone()).collect();
            let abstention = Abstention::MissingArticle { written };
            return Ok(self.answer_without_model(
                question,
                WithoutModel::Abstention(abstention),
                &prepared,
                &grounds,
                started,
                sink,
            ));
        }
        if prepared.candidates.is_empty() {
            return Ok(self.answer_without_model(
                question,
                WithoutModel::Abstention(Abstention::NoSources),
                &prepared,
                &grounds,
                started,
                sink,
            ));
        }

        // What the code says, before the model is called.
        let ranking = self.rank(question, &prepared)?;
        grounds.extract = ranking.extract();
        grounds.extract_ms = Some(ms_since(started));
        let signals = ConfidenceSignals::of(&prepared.hits, &grounds.extract);
        let confidence = self.confidence_rule.assess(&signals);
        if sink.event(AnswerEvent::Extract {
            passages: grounds.extract.clone(),
            confidence,
        }) == SinkControl::Stop
        {
            request.cancel.cancel();
        }
        // Unsure that these articles answer: say so, show them, call no model.
        if confidence == Confidence::Low {
            return Ok(self.answer_without_model(
                question,
                WithoutModel::LowConfidence(signals),
                &prepared,
                &grounds,
                started,
                sink,
            ));
        }

        let sources = match options.prompt {
            PromptMode::Passages => {
                self.fit_passages(question, &ranking, request, generator, &prepared)?
            }
            PromptMode::Articles => self.fit(
                question,
                &prepared.candidates[..prepared.candidates.len().min(options.sources.max(1))],
                request,
                generator,
                &prepared.edition_note,
            )?,
        };
        let given: Vec<(usize, &Article, &FittedSource)> = sources
            .iter()
            .enumerate()
            .filter_map(|(i, s)| self.source(request, &s.id).map(|a| (i + 1, a, s)))
            .collect();

        if options.relevance_check
            && !named_by_number
            && !self.judge_relevant(question, &given, request, generator)?
        {
            return Ok(self.answer_without_model(
                question,
                WithoutModel::Abstention(Abstention::ModelJudgedIrrelevant),
                &prepared,
                &grounds,
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
        let headers: Vec<String> = prompt_sources.iter().map(source_header).collect();
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
        let mut repetition = RepetitionGuard::default();
        let mut stopped_by_repetition = false;
        let generation = generator.generate(&generation_request, &mut |text: &str| {
            if first_token_ms.is_none() {
                first_token_ms = Some(ms_since(started));
            }
            if repetition.push(text) {
                // The model repeats itself: nothing after this is worth reading. (Stopping
                // cancels the request's token: remember that the agent had not.)
                stopped_by_repetition = !cancel.is_cancelled();
                return SinkControl::Stop;
            }
            let control = sink.event(AnswerEvent::Token {
                text: text.to_string(),
            });
            if control == SinkControl::Stop {
                cancel.cancel();
            }
            control
        })?;
        let repetition_stopped = repetition.finish();
        let generated = match repetition.cut_at() {
            Some(at) => generation
                .text
                .get(..at)
                .unwrap_or(&generation.text)
                .trim_end(),
            None => generation.text.as_str(),
        };

        let given_sources: Vec<GivenSource<'_>> = given
            .iter()
            .map(|(number, article, fitted)| GivenSource {
                number: *number,
                article,
                text: &fitted.text,
            })
            .collect();
        let mut checked = check_citations(generated, &given_sources, corpus);
        for citation in &mut checked.citations {
            if let Some(article) = self.source(request, &citation.id) {
                citation.relevant = cites_relevant_passage(citation, article, &ranking);
            }
        }
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
        let model_abstained = generation.stop != StopReason::Cancelled && is_abstention(generated);
        let source_texts: Vec<&str> = given.iter().map(|(_, _, f)| f.text.as_str()).collect();
        let citations_relevant: Vec<bool> = checked.citations.iter().map(|c| c.relevant).collect();
        let mut synthesis = if model_abstained {
            Synthesis::unusable(SynthesisIssue::Empty, repetition_stopped)
        } else {
            judge(&Judged {
                generated,
                source_texts: &source_texts,
                headers: &headers,
                citations_relevant: &citations_relevant,
                repetition_stopped,
            })
        };
        // Each sentence's numbers and negation against the articles it cites: what fails is
        // removed, with its citations.
        let mut unsupported_claims = Vec::new();
        if synthesis.usable && !model_abstained {
            let labels: Vec<String> = given
                .iter()
                .map(|(_, article, _)| citations::citation_label(article))
                .collect();
            let cited_texts: Vec<claims::CitedText<'_>> = given
                .iter()
                .zip(&labels)
                .map(|((_, _, fitted), label)| claims::CitedText {
                    label,
                    text: &fitted.text,
                })
                .collect();
            let checked_claims = claims::check_claims(question, &checked.text, &cited_texts);
            if !checked_claims.removed.is_empty() {
                checked.text = checked_claims.text;
                checked
                    .citations
                    .retain(|c| checked.text.contains(c.label.as_str()));
                unsupported_claims = checked_claims.removed;
                if checked.text.trim().is_empty() {
                    synthesis =
                        Synthesis::unusable(SynthesisIssue::UnsupportedClaims, repetition_stopped);
                }
            }
        }
        // A synthesis set aside keeps no citation: nothing of it is shown as verified.
        let (citations, rejected) = if model_abstained || !synthesis.usable {
            (Vec::new(), checked.rejected)
        } else {
            (checked.citations, checked.rejected)
        };
        sink.event(AnswerEvent::Citations {
            citations: citations.clone(),
            rejected: rejected.clone(),
        });
        let (text, set_aside_text) = if model_abstained {
            (ABSTENTION_SENTENCE.to_string(), None)
        } else if !synthesis.usable {
            (
                NO_SYNTHESIS_SENTENCE.to_string(),
                Some(generation.text.clone()),
            )
        } else {
            (checked.text, None)
        };
        let answer = Answer {
            question: question.to_string(),
            answer: text,
            abstained: model_abstained,
            abstention: model_abstained.then_some(Abstention::ModelAbstained),
            confidence: if model_abstained {
                Confidence::Low
            } else {
                Confidence::High
            },
            confidence_signals: signals,
            extract: grounds.extract,
            synthesis,
            set_aside_text,
            missing_articles: grounds.missing,
            citations,
            rejected_citations: rejected,
            unsupported_claims,
            sources: sources.iter().map(|s| s.id.clone()).collect(),
            trimmed_sources: sources
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
                extract_ms: grounds.extract_ms,
                first_token_ms,
                total_ms: ms_since(started),
            },
            prompt_tokens: Some(generation.stats.prompt_tokens),
            // A stop at a repeated sentence is Vigie's, not the agent's.
            stop: Some(if stopped_by_repetition {
                StopReason::Repetition
            } else {
                generation.stop
            }),
        };
        sink.event(AnswerEvent::Done {
            answer: Box::new(answer.clone()),
        });
        Ok(answer)
    }

    /// The extract `ask` would send first and the confidence it would say, without calling
    /// the model, with the milliseconds it took from the question (to measure it). The
    /// extract is empty when `ask` would abstain before.
    pub fn extract_only(&self, request: &AnswerRequest) -> Result<ExtractOnly, AnswerError> {
        let started = Instant::now();
        let question = screen::screen_question(&request.question)?;
        if scope::scope_abstention(question).is_some() {
            return Ok(ExtractOnly {
                extract: Vec::new(),
                confidence: Confidence::Low,
                signals: ConfidenceSignals::default(),
                extract_ms: ms_since(started),
            });
        }
        let prepared = self.prepare(question, request)?;
        let extract = self.rank(question, &prepared)?.extract();
        let signals = ConfidenceSignals::of(&prepared.hits, &extract);
        Ok(ExtractOnly {
            confidence: self.confidence_rule.assess(&signals),
            signals,
            extract,
            extract_ms: ms_since(started),
        })
    }

    /// The passages of the prepared candidates, ranked against the question.
    fn rank<'a>(
        &self,
        question: &str,
        prepared: &Prepared<'a>,
    ) -> Result<PassageRanking<'a>, AnswerError> {
        // A question that names articles asks about them: the extract comes from them.
        let named: Vec<&str> = prepared
            .hits
            .iter()
            .filter(|h| h.origin == crate::retrieve::HitOrigin::Lookup)
            .map(|h| h.id.as_str())
            .collect();
        let ranked: Vec<RankedArticle<'a>> = prepared
            .candidates
            .iter()
            .filter(|c| {
                named.is_empty()
                    || named.contains(&c.article.id.as_str())
                    || crate::collection::is_document(c.article)
            })
            .enumerate()
            .map(|(rank, c)| RankedArticle {
                article: c.article,
                rank,
            })
            .collect();
        rank_passages(question, &ranked, &self.retriever, self.extract_weights)
            .map_err(|e| AnswerError::Search(SearchError::from(e)))
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

    /// Retrieval, and the articles (and document sections) that may be given to the model.
    fn prepare<'a>(
        &'a self,
        question: &str,
        request: &'a AnswerRequest,
    ) -> Result<Prepared<'a>, AnswerError> {
        let options = &request.options;
        let t = Instant::now();
        // A question that names a past date is answered from the edition in force then.
        let outcome = self.retriever.search_auto(
            question,
            options.sources.max(EXTRACT_ARTICLES),
            options.mode,
        )?;
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
        Ok(Prepared {
            hits: outcome.hits,
            candidates,
            edition_note,
            date: outcome.date,
            withheld,
            retrieval_ms,
        })
    }

    /// The sources as passages: each article whose passages rank relevant gives those
    /// passages (a short article is given whole), best article first, as many as the
    /// model's context holds with room for the answer.
    fn fit_passages(
        &self,
        question: &str,
        ranking: &PassageRanking<'_>,
        request: &AnswerRequest,
        generator: &mut dyn TextGenerator,
        prepared: &Prepared<'_>,
    ) -> Result<Vec<FittedSource>, AnswerError> {
        let options = &request.options;
        let mut order: Vec<&str> = Vec::new();
        for passage in ranking.relevant() {
            let id = ranking.article_of(passage).id.as_str();
            if !order.contains(&id) {
                order.push(id);
            }
        }
        // A question naming an article gets that article, relevant passages or not.
        for hit in &prepared.hits {
            if hit.origin == crate::retrieve::HitOrigin::Lookup && !order.contains(&hit.id.as_str())
            {
                order.push(hit.id.as_str());
            }
        }
        order.truncate(options.sources.max(1));
        // The service's own documents found for the question are given right after the best
        // article, relevant passages or not (as the whole-article prompt does).
        let mut slot = order.len().min(1);
        for document in request.documents.iter().take(options.sources.max(1)) {
            let id = document.article.id.as_str();
            let given = prepared.candidates.iter().any(|c| c.article.id == id);
            if given && !order.contains(&id) {
                order.insert(slot, id);
                slot += 1;
            }
        }
        // The law first: a section of the service's documents never heads the sources.
        if let Some(law) = order
            .iter()
            .position(|id| self.retriever.corpus().get(id).is_some())
        {
            let first_law = order.remove(law);
            order.insert(0, first_law);
        }
        let mut sources: Vec<FittedSource> = order
            .iter()
            .filter_map(|id| {
                let article = self.source(request, id)?;
                Some(passage_source(article, ranking))
            })
            .collect();
        let context = generator
            .model_info()
            .context_length
            .min(MAX_POSITIONS)
            .min(options.context_tokens.max(256));
        let prompt_limit = context.saturating_sub(options.max_tokens);
        loop {
            let prompt_sources: Vec<PromptSource<'_>> = sources
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
                &prepared.edition_note,
                options.model_may_abstain,
            ))?;
            if total <= prompt_limit || sources.is_empty() {
                return Ok(sources);
            }
            if sources.len() == 1 {
                return Err(AnswerError::ContextTooSmall { context });
            }
            sources.pop();
        }
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

    /// An answer without model text: the closest articles instead, and the extract if any.
    fn answer_without_model(
        &self,
        question: &str,
        why: WithoutModel,
        prepared: &Prepared<'_>,
        grounds: &Grounds,
        started: Instant,
        sink: &mut dyn AnswerSink,
    ) -> Answer {
        sink.event(AnswerEvent::Sources {
            sources: Vec::new(),
            withheld: prepared.withheld.clone(),
        });
        let (text, abstention, signals) = match why {
            WithoutModel::Abstention(abstention) => {
                let text = match &abstention {
                    Abstention::MissingArticle { .. } => missing_sentence(&grounds.missing),
                    other => format!("{ABSTENTION_SENTENCE} {}", other.explanation_fr()),
                };
                let signals = ConfidenceSignals::of(&prepared.hits, &grounds.extract);
                (text, Some(abstention), signals)
            }
            WithoutModel::LowConfidence(signals) => {
                (LOW_CONFIDENCE_SENTENCE.to_string(), None, signals)
            }
        };
        let answer = Answer {
            question: question.to_string(),
            answer: text,
            abstained: abstention.is_some(),
            abstention,
            confidence: Confidence::Low,
            confidence_signals: signals,
            extract: grounds.extract.clone(),
            synthesis: Synthesis::unusable(SynthesisIssue::NoModel, false),
            set_aside_text: None,
            missing_articles: grounds.missing.clone(),
            citations: Vec::new(),
            rejected_citations: Vec::new(),
            unsupported_claims: Vec::new(),
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
                extract_ms: grounds.extract_ms,
                first_token_ms: None,
                total_ms: ms_since(started),
            },
            prompt_tokens: None,
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

/// What an answer shows before the model is called (see [`Answerer::extract_only`]).
#[derive(Debug, Clone)]
pub struct ExtractOnly {
    /// The passages, best first.
    pub extract: Vec<ExtractPassage>,
    /// The confidence said with them.
    pub confidence: Confidence,
    /// What it was decided from.
    pub signals: ConfidenceSignals,
    /// From the question to the extract.
    pub extract_ms: f64,
}

/// Why an answer is given without calling the model.
enum WithoutModel {
    /// Vigie declines to answer.
    Abstention(Abstention),
    /// Articles are shown, but Vigie is not sure they answer.
    LowConfidence(ConfidenceSignals),
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

/// What the agent reads when every number the question names is missing.
fn missing_sentence(missing: &[MissingArticle]) -> String {
    missing
        .iter()
        .map(|m| {
            let codes = m.code.as_ref().map_or_else(
                || "les codes chargés".to_string(),
                |code| format!("le {code}"),
            );
            let nearest = if m.nearest.is_empty() {
                String::new()
            } else {
                format!(" Numéros proches : {}.", m.nearest.join(", "))
            };
            format!(
                "L'article {} n'existe pas dans {codes} (édition en vigueur).{nearest}",
                m.written.trim_start_matches(|c: char| !c.is_alphanumeric())
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// An article as the prompt gives it: whole when short, otherwise its relevant passages
/// (each with the sentence that introduces it when it is an item of a list), in text order,
/// `[…]` marking what was left out.
fn passage_source(article: &Article, ranking: &PassageRanking<'_>) -> FittedSource {
    let text = &article.text;
    let all = ranking.passages_of(&article.id);
    if text.len() <= WHOLE_ARTICLE_BYTES || all.is_empty() {
        return FittedSource {
            id: article.id.clone(),
            text: text.clone(),
            trimmed: false,
            range: (0, text.len()),
        };
    }
    let mut chosen: Vec<&extract::ScoredPassage> = ranking.relevant_of(&article.id);
    if chosen.is_empty() {
        // An article named by number with no relevant passage: its best one.
        chosen = all.clone();
        chosen.sort_by(|a, b| b.score.total_cmp(&a.score));
    }
    let mut best_first = chosen.clone();
    best_first.sort_by(|a, b| b.score.total_cmp(&a.score));
    best_first.truncate(PASSAGES_PER_SOURCE);
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    for passage in &best_first {
        if let Some(lead) = passage
            .passage
            .lead
            .and_then(|o| all.iter().find(|p| p.passage.ordinal == o))
        {
            ranges.push((lead.passage.start, lead.passage.end));
        }
        ranges.push((passage.passage.start, passage.passage.end));
    }
    ranges.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (start, end) in ranges {
        match merged.last_mut() {
            // Adjacent or overlapping (only spaces between): one piece.
            Some(last)
                if text
                    .get(last.1..start)
                    .is_some_and(|gap| gap.trim().is_empty()) =>
            {
                last.1 = last.1.max(end);
            }
            Some(last) if start <= last.1 => last.1 = last.1.max(end),
            _ => merged.push((start, end)),
        }
    }
    let mut out = String::new();
    let first = merged.first().map_or(0, |r| r.0);
    let last = merged.last().map_or(0, |r| r.1);
    if first > 0 {
        out.push_str("[…] ");
    }
    for (i, (start, end)) in merged.iter().enumerate() {
        if i > 0 {
            out.push_str(" […] ");
        }
        out.push_str(text.get(*start..*end).unwrap_or("").trim());
    }
    if last < text.trim_end().len() {
        out.push_str(" […]");
    }
    FittedSource {
        id: article.id.clone(),
        text: out,
        trimmed: true,
        range: (first, last),
    }
}

/// Whether a citation falls in a passage ranked relevant to the question: one of its
/// verbatim quotations, or else its supporting passage, lies in one.
fn cites_relevant_passage(
    citation: &Citation,
    article: &Article,
    ranking: &PassageRanking<'_>,
) -> bool {
    let located: Vec<(usize, usize)> = citation
        .quotes
        .iter()
        .filter(|q| q.verbatim)
        .filter_map(|q| locate(&article.text, &q.text))
        .collect();
    if !located.is_empty() {
        return located.iter().any(|&r| ranking.concerns(&article.id, r));
    }
    match locate(&article.text, &citation.supporting_passage) {
        Some(range) => ranking.concerns(&article.id, range),
        None => false,
    }
}

/// The byte range of `passage` (possibly clipped with `…`) in `text`, by its first words.
fn locate(text: &str, passage: &str) -> Option<(usize, usize)> {
    let head: &str = passage
        .split(['…', '«', '»'])
        .map(str::trim)
        .find(|p| p.chars().count() >= 12)?;
    let probe: String = head.chars().take(80).collect();
    let start = text.find(probe.trim()).or_else(|| {
        // Spacing or apostrophes differ: look for the probe word by word.
        contains_verbatim(text, &probe).then(|| {
            let first_word = probe.split_whitespace().next().unwrap_or("");
            text.find(first_word).unwrap_or(0)
        })
    })?;
    Some((start, (start + head.len()).min(text.len())))
}

fn ms_since(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}
