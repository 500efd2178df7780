//! The answer stream as data: one serde-tagged [`AnswerEvent`] type, produced by the pipeline
//! and consumed unchanged by the CLI (`vigie ask --json`), the desktop shell (forwarded to the
//! page through a channel, mirrored there as a TypeScript union) and the tests.
//!
//! The final [`Answer`] is the contract of `vigie ask --json`: keep its keys stable.

use serde::{Deserialize, Serialize};

pub use super::claims::UnsupportedClaim;
pub use super::confidence::{Confidence, ConfidenceSignals};
pub use super::extract::ExtractPassage;
pub use super::synthesis::{Synthesis, SynthesisIssue};
pub use crate::corpus::MissingArticle;

/// One step of an answer, in the order they happen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AnswerEvent {
    /// What the code says: the passages of the retrieved articles that best answer the
    /// question, found before the model is called (first event of an answer that retrieved
    /// anything).
    Extract {
        /// Best first.
        passages: Vec<ExtractPassage>,
        /// How sure Vigie is that they answer (when `low`, no model is called and the
        /// answer says first that no provision answers directly).
        #[serde(default)]
        confidence: Confidence,
    },
    /// The sources given to the model (empty when Vigie abstains before generating).
    Sources {
        /// Numbered as in the prompt.
        sources: Vec<SourceInfo>,
        /// Retrieved articles kept away from the model, and why.
        withheld: Vec<WithheldSource>,
    },
    /// A piece of generated text (whole UTF-8 characters).
    Token {
        /// The text.
        text: String,
    },
    /// Citations found in the generated text, once checked.
    Citations {
        /// Citations of articles that were given to the model.
        citations: Vec<Citation>,
        /// Citations removed from the answer (article not among the sources).
        rejected: Vec<RejectedCitation>,
    },
    /// The final answer.
    Done {
        /// Everything about it.
        answer: Box<Answer>,
    },
    /// The pipeline failed; no `Done` follows.
    Error {
        /// For the user.
        message_fr: String,
        /// For the logs.
        message: String,
    },
}

/// A source as numbered in the prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceInfo {
    /// `[Source N]` in the prompt.
    pub number: usize,
    /// Article id (`CD-art-414`).
    pub id: String,
    /// Article number (`414`).
    pub article: String,
    /// Code name.
    pub code: String,
    /// Heading path.
    pub path: Vec<String>,
    /// Edition date (`2025-07-13`).
    pub edition: String,
    /// Whether only part of the article was given (the chunks that matched).
    pub trimmed: bool,
    /// Characters of the article given to the model.
    pub chars_given: usize,
    /// Characters of the whole article.
    pub chars_total: usize,
}

/// A retrieved article not given to the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WithheldSource {
    /// Article id.
    pub id: String,
    /// Why, in French.
    pub reason: String,
}

/// A citation of an article that was among the sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Citation {
    /// Article id.
    pub id: String,
    /// Article number.
    pub article: String,
    /// Code name ([`crate::collection::DOCUMENT_CODE`] for an imported document).
    pub code: String,
    /// How the final text cites it (`art. 414`, `art. L. 312-1 CIBS`,
    /// `doc. note.pdf, page 3`).
    #[serde(default)]
    pub label: String,
    /// Heading path.
    pub path: Vec<String>,
    /// Edition date.
    pub edition: String,
    /// The passage of the article that supports the statement (the quote when there is one).
    pub supporting_passage: String,
    /// False when a quotation attributed to this article is not in its text.
    pub valid: bool,
    /// Whether the cited passage is among the passages ranked relevant to the question (a
    /// citation is shown as verified only when `valid` and `relevant`).
    #[serde(default = "default_true")]
    pub relevant: bool,
    /// Quotations (« … ») attributed to this article, each checked against its text.
    pub quotes: Vec<QuoteCheck>,
    /// How the model wrote it (`[art. 414]`, `[Source 2]`).
    pub written_as: String,
    /// Where the article went, per the imported correspondence tables (`CIBS L. 312-1`).
    pub now_at: Vec<String>,
}

fn default_true() -> bool {
    true
}

/// A quotation and whether it appears verbatim in the cited article.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuoteCheck {
    /// The quoted text.
    pub text: String,
    /// Found verbatim (whitespace and apostrophes normalised).
    pub verbatim: bool,
}

/// A citation removed from the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RejectedCitation {
    /// How the model wrote it.
    pub written_as: String,
    /// Why, in French.
    pub reason: String,
}

/// The model that wrote an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelIdentity {
    /// Manifest name.
    pub name: String,
    /// SHA-256 of the weights.
    pub sha256: String,
}

/// The corpus an answer was drawn from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CorpusIdentity {
    /// Content hash of the law in force.
    pub hash: String,
    /// Editions in force, `code: date`.
    pub editions: Vec<String>,
}

/// Where the time went, in milliseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AnswerTimings {
    /// Retrieval, query embedding included.
    pub retrieval_ms: f64,
    /// From the question to the extract (absent when there is none).
    #[serde(default)]
    pub extract_ms: Option<f64>,
    /// From the question to the first generated piece of text (absent when nothing was
    /// generated).
    pub first_token_ms: Option<f64>,
    /// The whole answer.
    pub total_ms: f64,
}

/// An article shown instead of an answer when Vigie abstains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClosestArticle {
    /// Article id.
    pub id: String,
    /// Article number.
    pub article: String,
    /// Code name.
    pub code: String,
    /// Heading path.
    pub path: Vec<String>,
    /// Edition date.
    pub edition: String,
    /// The part that matched.
    pub excerpt: String,
}

/// Why Vigie abstained.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Abstention {
    /// The question names another text than the codes of the corpus.
    OtherText {
        /// The text named.
        text: String,
    },
    /// The question is about a subject the codes of the corpus do not govern.
    OutOfScope {
        /// The subject.
        subject: String,
    },
    /// Retrieval found nothing that could be given to the model.
    NoSources,
    /// Asked whether the sources answer the question, the model said no.
    ModelJudgedIrrelevant,
    /// The model itself said the sources do not answer.
    ModelAbstained,
    /// Every article number the question names is missing from the codes loaded.
    MissingArticle {
        /// The numbers as written.
        written: Vec<String>,
    },
}

impl Abstention {
    /// The explanation shown to the agent.
    pub fn explanation_fr(&self) -> String {
        match self {
            Self::OtherText { text } => {
                format!("La question porte sur un autre texte ({text}) que les codes du corpus.")
            }
            Self::OutOfScope { subject } => format!(
                "La question relève d'un domaine ({subject}) que les codes du corpus ne régissent pas."
            ),
            Self::NoSources => "Aucun article du corpus ne correspond à la question.".into(),
            Self::ModelJudgedIrrelevant => {
                "Les articles trouvés ne répondent pas à la question.".into()
            }
            Self::ModelAbstained => {
                "Le modèle n'a pas trouvé la réponse dans les articles fournis.".into()
            }
            Self::MissingArticle { written } => format!(
                "La question cite un numéro d'article ({}) qui n'existe pas dans les codes chargés.",
                written.join(", ")
            ),
        }
    }
}

/// A finished answer: the JSON object printed by `vigie ask --json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Answer {
    /// The question as asked.
    pub question: String,
    /// The answer text, with rejected citations removed and source numbers written as
    /// article references.
    pub answer: String,
    /// Whether Vigie declined to answer.
    pub abstained: bool,
    /// Why, when it did.
    pub abstention: Option<Abstention>,
    /// How sure Vigie is that the articles shown answer the question (`low` for an
    /// abstention; a low-confidence answer calls no model and shows nothing as verified).
    #[serde(default)]
    pub confidence: Confidence,
    /// What the confidence was decided from.
    #[serde(default)]
    pub confidence_signals: ConfidenceSignals,
    /// What the code says: the passages that best answer the question, best first.
    #[serde(default)]
    pub extract: Vec<ExtractPassage>,
    /// Whether the model's text is a usable synthesis (when not, `answer` is a plain sentence
    /// saying so and the agent reads the extract).
    #[serde(default)]
    pub synthesis: Synthesis,
    /// The model's text when it was set aside (kept for the journal, never shown as the
    /// answer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set_aside_text: Option<String>,
    /// Article numbers the question names that the codes loaded do not have.
    #[serde(default)]
    pub missing_articles: Vec<MissingArticle>,
    /// Checked citations.
    pub citations: Vec<Citation>,
    /// Citations removed from the answer.
    pub rejected_citations: Vec<RejectedCitation>,
    /// Sentences removed from the synthesis: a number or a negation the articles they cite
    /// do not hold, or a « oui » / « non » their article does not support.
    #[serde(default)]
    pub unsupported_claims: Vec<UnsupportedClaim>,
    /// Ids of the articles given to the model.
    pub sources: Vec<String>,
    /// Sources given only in part.
    pub trimmed_sources: Vec<String>,
    /// The articles given to the model, as announced by the `sources` event: kept with the
    /// answer so that a stored conversation still shows what the model was given.
    #[serde(default)]
    pub source_articles: Vec<SourceInfo>,
    /// The closest articles, shown when Vigie abstains.
    pub closest: Vec<ClosestArticle>,
    /// The edition the answer is drawn from, per code, and whether it is the one in force.
    pub edition_note: String,
    /// The date a dated question asked about (none: the law in force).
    pub date: Option<String>,
    /// The model configured for answers (called or not: see `timings.first_token_ms`).
    pub model: ModelIdentity,
    /// The corpus.
    pub corpus: CorpusIdentity,
    /// Timings.
    pub timings: AnswerTimings,
    /// Tokens of the prompt given to the model (absent when it was not called).
    #[serde(default)]
    pub prompt_tokens: Option<usize>,
    /// Why generation stopped (`end_of_turn`, `max_tokens`, `cancelled`…), when it ran.
    pub stop: Option<crate::llm::StopReason>,
}
