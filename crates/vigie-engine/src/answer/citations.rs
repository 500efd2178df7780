//! Checking what the model cites.
//!
//! The model is asked to cite `[art. 414]`; small models also write `[Source 2]`, `[2]` or
//! several numbers in one bracket. Every bracket is resolved against the sources given: an
//! article that was not given is removed from the answer and reported (it may exist in the
//! corpus, but the model did not read it, so nothing backs the claim). A quotation between « »
//! must appear verbatim (whitespace, apostrophes and case of the first letter aside) in the
//! article it is attributed to, or the citation is marked invalid. Each citation carries the
//! passage that supports it, for the agent to check.

use std::sync::OnceLock;

use regex::Regex;

use super::copied::{attribute_copied_sentences, drop_copied_headers};
use super::event::{Citation, QuoteCheck, RejectedCitation};
use crate::collection::is_document;
use crate::corpus::reference::{CodeHint, candidate_keys, canonical_key, find_mentions};
use crate::corpus::{Article, CODE_CIBS, CODE_DOUANES, Corpus};

/// How a citation added to a sentence copied from a source is marked (`written_as`).
pub const COPIED_SENTENCE: &str = "(phrase recopiée de la source)";

/// Longest supporting passage shown, in characters.
const PASSAGE_CHARS: usize = 400;

/// A source the model was given, as the checker needs it.
#[derive(Debug, Clone, Copy)]
pub struct GivenSource<'a> {
    /// `[Source N]` in the prompt.
    pub number: usize,
    /// The article.
    pub article: &'a Article,
    /// The part of its text the model read.
    pub text: &'a str,
}

/// The checked citations and the answer text rewritten.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedAnswer {
    /// The answer with source numbers written as article references and rejected citations
    /// removed.
    pub text: String,
    /// Citations of given sources, in order of first appearance.
    pub citations: Vec<Citation>,
    /// Removed citations and unverifiable quotations.
    pub rejected: Vec<RejectedCitation>,
}

fn bracket_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\[([^\[\]\n]{1,120})\]").unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

fn quote_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"«\s*([^«»]{3,}?)\s*»").unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

fn source_number_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)^\s*(?:source|src|doc(?:ument)?)?\.?\s*n?°?\s*(\d{1,2})\s*$")
            .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

/// What one bracket refers to.
enum Target {
    /// A given source (index into `sources`).
    Source(usize),
    /// An article reference not among the sources.
    Outside(String),
}

/// Resolves the references inside one bracket; `None` when the bracket is not a citation
/// (`[…]`, `[sic]`).
fn resolve_bracket(content: &str, sources: &[GivenSource<'_>]) -> Option<Vec<Target>> {
    let mut targets = Vec::new();
    for part in content.split([',', ';']).flat_map(|p| p.split(" et ")) {
        let part = part.trim();
        if part.is_empty() {
            continue;
        }
        if let Some(caps) = source_number_regex().captures(part) {
            let n: usize = caps[1].parse().unwrap_or(0);
            if let Some(i) = sources.iter().position(|s| s.number == n) {
                targets.push(Target::Source(i));
                continue;
            }
            // `[Source 7]` with fewer sources: a source that was never given.
            if !part.starts_with(|c: char| c.is_ascii_digit()) {
                targets.push(Target::Outside(part.to_string()));
                continue;
            }
            // `[414]` with fewer sources: an article number written bare.
        }
        // A document named by its file name (`[note.pdf]`, `[note.pdf, page 3]`).
        if let Some(i) = sources
            .iter()
            .position(|s| is_document(s.article) && names_document(part, s.article))
        {
            targets.push(Target::Source(i));
            continue;
        }
        let lower = part.to_lowercase();
        let reads_as_article = lower.contains("art")
            || part.starts_with(|c: char| c.is_ascii_digit())
            || lower.starts_with("l.")
            || lower.starts_with("l ");
        if !reads_as_article {
            continue;
        }
        let probe = if lower.contains("art") {
            part.to_string()
        } else {
            format!("article {part}")
        };
        let Some(mention) = find_mentions(&probe).into_iter().next() else {
            continue;
        };
        let keys = candidate_keys(&mention);
        let matched = keys.iter().find_map(|key| {
            sources.iter().position(|s| {
                canonical_key(&s.article.article) == *key
                    && code_allows(mention.code, &s.article.code)
            })
        });
        match matched {
            Some(i) => targets.push(Target::Source(i)),
            None => targets.push(Target::Outside(part.to_string())),
        }
    }
    (!targets.is_empty()).then_some(targets)
}

/// Whether `part` is the file name of the document `article` comes from.
fn names_document(part: &str, article: &Article) -> bool {
    let file = article
        .article
        .split_once(", ")
        .map_or(article.article.as_str(), |(file, _)| file);
    let part = part.trim_start_matches("doc.").trim();
    part.len() >= 3
        && (part.eq_ignore_ascii_case(file) || part.eq_ignore_ascii_case(&article.article))
}

fn code_allows(hint: CodeHint, code: &str) -> bool {
    match hint {
        CodeHint::Douanes => code == CODE_DOUANES,
        CodeHint::Cibs => code == CODE_CIBS,
        CodeHint::Unspecified => true,
    }
}

/// A cited source as a reader finds it, with its date: `art. 414 CD (édition du
/// 2025-07-13)`, or `doc. note.pdf, page 3 (importé le 2026-11-29)`.
pub fn dated_reference(code: &str, article: &str, edition: &str) -> String {
    let date = if code == crate::collection::DOCUMENT_CODE {
        "importé le"
    } else {
        "édition du"
    };
    format!("{} ({date} {edition})", source_reference(code, article))
}

/// A source as a reader finds it: `art. 414 CD`, `art. L. 312-1 CIBS`, `doc. note.pdf, page 3`.
pub fn source_reference(code: &str, article: &str) -> String {
    if code == crate::collection::DOCUMENT_CODE {
        format!("doc. {article}")
    } else {
        format!("art. {article} {}", crate::corpus::short_code_name(code))
    }
}

/// How an article is cited in the final text (a document: `doc. note.pdf, page 3`).
pub fn citation_label(article: &Article) -> String {
    if is_document(article) {
        format!("doc. {}", article.article)
    } else if article.code == CODE_DOUANES {
        format!("art. {}", article.article)
    } else {
        format!("art. {} {}", article.article, article.code_short())
    }
}

/// Checks the citations of `answer` against the sources given to the model.
pub fn check_citations(
    answer: &str,
    sources: &[GivenSource<'_>],
    corpus: &Corpus,
) -> CheckedAnswer {
    let answer = drop_copied_headers(answer, sources);
    let answer = answer.as_str();
    let mut citations: Vec<Citation> = Vec::new();
    let mut rejected: Vec<RejectedCitation> = Vec::new();
    let mut rewritten = String::with_capacity(answer.len());
    let mut last = 0usize;
    // Where each cited source appears in the original text (for quote attribution).
    let mut cited_at: Vec<(usize, usize)> = Vec::new();
    for caps in bracket_regex().captures_iter(answer) {
        let (Some(whole), Some(content)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        let Some(targets) = resolve_bracket(content.as_str(), sources) else {
            continue;
        };
        rewritten.push_str(&answer[last..whole.start()]);
        last = whole.end();
        let mut labels = Vec::new();
        for target in targets {
            match target {
                Target::Source(i) => {
                    let source = &sources[i];
                    cited_at.push((whole.start(), i));
                    labels.push(citation_label(source.article));
                    if !citations.iter().any(|c| c.id == source.article.id) {
                        citations.push(new_citation(source, whole.as_str()));
                    }
                }
                Target::Outside(reference) => rejected.push(RejectedCitation {
                    written_as: whole.as_str().to_string(),
                    reason: outside_reason(&reference, corpus),
                }),
            }
        }
        labels.dedup();
        if !labels.is_empty() {
            rewritten.push('[');
            rewritten.push_str(&labels.join(", "));
            rewritten.push(']');
        }
    }
    rewritten.push_str(&answer[last..]);
    let (rewritten, copied) = attribute_copied_sentences(&rewritten, sources);
    let text = tidy_spaces(&rewritten);
    for copy in copied {
        let source = &sources[copy.source];
        if !citations.iter().any(|c| c.id == source.article.id) {
            let mut citation = new_citation(source, COPIED_SENTENCE);
            citation.supporting_passage = clip(&copy.sentence, PASSAGE_CHARS);
            citations.push(citation);
        }
    }

    check_quotes(answer, sources, &cited_at, &mut citations, &mut rejected);
    for citation in &mut citations {
        citation.valid = citation.quotes.iter().all(|q| q.verbatim);
        if citation.supporting_passage.is_empty()
            && let Some(source) = sources.iter().find(|s| s.article.id == citation.id)
        {
            citation.supporting_passage = best_passage(answer, source.text);
        }
    }
    CheckedAnswer {
        text,
        citations,
        rejected,
    }
}

fn new_citation(source: &GivenSource<'_>, written_as: &str) -> Citation {
    Citation {
        id: source.article.id.clone(),
        article: source.article.article.clone(),
        code: source.article.code.clone(),
        label: citation_label(source.article),
        path: source.article.path.clone(),
        edition: source.article.edition.clone(),
        supporting_passage: String::new(),
        valid: true,
        relevant: true,
        quotes: Vec::new(),
        written_as: written_as.to_string(),
        now_at: Vec::new(),
    }
}

fn outside_reason(reference: &str, corpus: &Corpus) -> String {
    let exists = !corpus
        .lookup_mentions(&format!(
            "article {}",
            reference.trim_start_matches(|c: char| c.is_alphabetic() || c == '.' || c == ' ')
        ))
        .is_empty();
    if exists {
        format!(
            "« {reference} » n'était pas parmi les sources fournies au modèle : citation retirée"
        )
    } else {
        format!(
            "« {reference} » ne correspond à aucun article des sources ni du corpus : citation retirée"
        )
    }
}

/// Attributes each quotation to the citation that follows it in the same sentence (or the one
/// before), and checks it verbatim there; a quotation with no citation is checked against
/// every source.
fn check_quotes(
    answer: &str,
    sources: &[GivenSource<'_>],
    cited_at: &[(usize, usize)],
    citations: &mut Vec<Citation>,
    rejected: &mut Vec<RejectedCitation>,
) {
    for caps in quote_regex().captures_iter(answer) {
        let (Some(whole), Some(quote)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        let quote = quote.as_str();
        let sentence_end = answer[whole.end()..]
            .find(['.', '\n', '?', '!'])
            .map(|i| whole.end() + i)
            .unwrap_or(answer.len());
        let after = cited_at
            .iter()
            .find(|(at, _)| *at >= whole.end() && *at <= sentence_end);
        let before = cited_at.iter().rev().find(|(at, _)| *at < whole.start());
        let attributed = after.or(before).map(|(_, i)| *i);
        let source_index = match attributed {
            Some(i) => Some(i),
            None => sources
                .iter()
                .position(|s| contains_verbatim(&s.article.text, quote)),
        };
        let Some(i) = source_index else {
            rejected.push(RejectedCitation {
                written_as: format!("« {quote} »"),
                reason: "passage cité introuvable dans les sources fournies".into(),
            });
            continue;
        };
        let source = &sources[i];
        let verbatim = contains_verbatim(&source.article.text, quote);
        let position = match citations.iter().position(|c| c.id == source.article.id) {
            Some(p) => p,
            None => {
                citations.push(new_citation(source, &format!("« {quote} »")));
                citations.len() - 1
            }
        };
        let citation = &mut citations[position];
        citation.quotes.push(QuoteCheck {
            text: quote.to_string(),
            verbatim,
        });
        if verbatim && citation.supporting_passage.is_empty() {
            citation.supporting_passage = clip(quote, PASSAGE_CHARS);
        }
    }
}

/// Lower-cases the first letter, folds apostrophes and spaces.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        let c = match c {
            '’' | '‘' | 'ʼ' => '\'',
            '\u{a0}' | '\u{202f}' => ' ',
            c => c,
        };
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        out.push(c);
    }
    out.to_lowercase()
}

/// Whether `quote` appears in `text`; `…` or `[…]` inside a quotation stands for an omission,
/// and each part must then appear, in order.
pub fn contains_verbatim(text: &str, quote: &str) -> bool {
    let text = normalise(text);
    let quote = normalise(quote);
    let mut from = 0usize;
    let mut any = false;
    for part in quote
        .split(['…'])
        .flat_map(|p| p.split("[...]"))
        .flat_map(|p| p.split("(...)"))
    {
        let part = part
            .trim()
            .trim_matches(|c: char| c == '[' || c == ']' || c == '(' || c == ')')
            .trim()
            .trim_end_matches(['.', ',', ';', ':'])
            .trim();
        if part.is_empty() {
            continue;
        }
        match text[from..].find(part) {
            Some(i) => {
                from += i + part.len();
                any = true;
            }
            None => return false,
        }
    }
    any
}

fn content_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_lowercase)
        .collect()
}

/// The sentence of `source` that shares most words with the answer.
fn best_passage(answer: &str, source: &str) -> String {
    let answer_words = content_words(answer);
    let mut best: Option<(usize, &str)> = None;
    for sentence in source
        .split_inclusive(['.', ';', '\n'])
        .map(str::trim)
        .filter(|s| s.chars().count() >= 20)
    {
        let score = content_words(sentence)
            .iter()
            .filter(|w| answer_words.contains(w))
            .count();
        if best.is_none_or(|(b, _)| score > b) {
            best = Some((score, sentence));
        }
    }
    clip(best.map(|(_, s)| s).unwrap_or(source).trim(), PASSAGE_CHARS)
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => {
            let cut = text[..i].rfind(char::is_whitespace).unwrap_or(i);
            format!("{}…", &text[..cut])
        }
        None => text.to_string(),
    }
}

/// Collapses the double spaces and space-before-punctuation left by removed citations.
fn tidy_spaces(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split('\n') {
        let mut l = line
            .split(' ')
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        for p in [" .", " ,", " ;"] {
            l = l.replace(p, &p[1..]);
        }
        out.push_str(&l);
        out.push('\n');
    }
    out.pop();
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verbatim_ignores_spacing_apostrophes_and_omissions() {
        let text = "Sont passibles d’un emprisonnement de trois ans et de la confiscation de l'objet de fraude.";
        assert!(contains_verbatim(
            text,
            "passibles d'un  emprisonnement de trois ans"
        ));
        assert!(contains_verbatim(
            text,
            "Sont passibles […] de la confiscation"
        ));
        assert!(!contains_verbatim(text, "emprisonnement de dix ans"));
        assert!(!contains_verbatim(text, "…"));
    }

    #[test]
    fn spaces_left_by_removed_citations_are_tidied() {
        assert_eq!(
            tidy_spaces("La peine  est lourde . Voir ."),
            "La peine est lourde. Voir."
        );
    }
}
