//! Whether the model's text is a synthesis an agent can use, or something to set aside.
//!
//! A small model, given the law, often answers by copying it: a source's header and nothing
//! else, the first source verbatim, the same sentence twice. Shown as « the answer », such
//! text looks certain while saying nothing the extract does not say better. Each case is
//! detected here: repeated sentences while generating ([`RepetitionGuard`] stops the model at
//! the first one), and after generating, header-only text, text that is mostly verbatim
//! source (its header counted as source), and citations none of which falls in a passage
//! ranked relevant to the question.
//! The pipeline then shows the extract and a plain sentence instead of the model's text.

use serde::{Deserialize, Serialize};

use super::copied::sentences;

/// An answer whose words come from the sources for at least this share is a copy.
pub const COPY_SHARE: f64 = 0.8;
/// Words in a run that counts as copied.
const COPY_RUN_WORDS: usize = 6;
/// Fewer words than this (labels set aside) is no answer.
const MIN_CONTENT_WORDS: usize = 4;
/// Fewer words of three letters or more than this, once the runs taken from the sources'
/// headers are set aside, is a header and nothing else.
const MIN_OWN_WORDS: usize = 3;

/// The sentence shown instead of an unusable synthesis.
pub const NO_SYNTHESIS_SENTENCE: &str =
    "Le modèle n'a pas produit de synthèse utilisable : lisez ci-dessus ce que dit le code.";

/// Why a synthesis was set aside.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SynthesisIssue {
    /// Nothing (or next to nothing) was written.
    Empty,
    /// Only the header of a source (label, code, edition, heading).
    HeaderOnly,
    /// Mostly source text copied verbatim.
    Copy,
    /// The text repeated itself and nothing usable came before.
    Repetition,
    /// Every citation falls outside the passages ranked relevant to the question.
    IrrelevantCitations,
    /// Every sentence stated a number or a negation the articles it cites do not hold.
    UnsupportedClaims,
    /// The model was not called (the answer is Vigie's own).
    NoModel,
}

/// The verdict on the model's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synthesis {
    /// Whether the model's text is shown as the synthesis.
    pub usable: bool,
    /// Why not, when it is not.
    pub issue: Option<SynthesisIssue>,
    /// Whether generation was stopped at a repeated sentence (the text was cut before it).
    #[serde(default)]
    pub repetition_stopped: bool,
}

impl Synthesis {
    /// A usable synthesis.
    pub fn usable(repetition_stopped: bool) -> Self {
        Self {
            usable: true,
            issue: None,
            repetition_stopped,
        }
    }

    /// A synthesis set aside.
    pub fn unusable(issue: SynthesisIssue, repetition_stopped: bool) -> Self {
        Self {
            usable: false,
            issue: Some(issue),
            repetition_stopped,
        }
    }
}

impl Default for Synthesis {
    fn default() -> Self {
        Self::usable(false)
    }
}

/// A sentence reduced to what makes two of them the same: lower-case words, no labels.
fn sentence_key(sentence: &str) -> String {
    let without_labels = strip_brackets(sentence);
    words(&without_labels).join(" ")
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// `text` without its `[…]` parts.
fn strip_brackets(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            c if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// Watches the text as it is generated and says when a finished sentence repeats an earlier
/// one, so that generation stops there.
#[derive(Debug, Default)]
pub struct RepetitionGuard {
    text: String,
    /// Byte offset up to which sentences have been checked.
    checked: usize,
    seen: Vec<String>,
    /// Where the repeated sentence starts, once found.
    cut_at: Option<usize>,
}

impl RepetitionGuard {
    /// Adds generated text; true once a finished sentence repeats an earlier one.
    pub fn push(&mut self, piece: &str) -> bool {
        if self.cut_at.is_some() {
            return true;
        }
        self.text.push_str(piece);
        let pending = &self.text[self.checked..];
        let parts = sentences(pending);
        // The last part may still be growing, unless the text ends with a sentence end
        // followed by nothing: wait for the next piece to be sure.
        let finished = parts.len().saturating_sub(1);
        let mut offset = self.checked;
        for part in parts.iter().take(finished) {
            let key = sentence_key(part);
            if key.split(' ').count() >= 3 {
                if self.seen.contains(&key) {
                    self.cut_at = Some(offset + (part.len() - part.trim_start().len()));
                    return true;
                }
                self.seen.push(key);
            }
            offset += part.len();
        }
        self.checked = offset;
        false
    }

    /// Checks the last sentence once generation has ended; true if it repeats.
    pub fn finish(&mut self) -> bool {
        if self.cut_at.is_some() {
            return true;
        }
        let rest = &self.text[self.checked..];
        let key = sentence_key(rest);
        if key.split(' ').count() >= 3 && self.seen.contains(&key) {
            self.cut_at = Some(self.checked + (rest.len() - rest.trim_start().len()));
            return true;
        }
        false
    }

    /// Where the text must be cut (before the first repeated sentence), if it must.
    pub fn cut_at(&self) -> Option<usize> {
        self.cut_at
    }
}

/// `text` cut before its first sentence that repeats an earlier one, and whether it was cut.
pub fn cut_repetition(text: &str) -> (String, bool) {
    let mut guard = RepetitionGuard::default();
    guard.push(text);
    guard.finish();
    match guard.cut_at() {
        Some(at) => (text[..at].trim_end().to_string(), true),
        None => (text.to_string(), false),
    }
}

/// Share of the answer's words that lie in runs of [`COPY_RUN_WORDS`] words found verbatim
/// in one of the sources.
pub fn copied_share(answer: &str, sources: &[&str]) -> f64 {
    let answer_words = words(&strip_brackets(answer));
    if answer_words.len() < COPY_RUN_WORDS {
        return 0.0;
    }
    let mut runs = std::collections::HashSet::new();
    for source in sources {
        let w = words(source);
        for window in w.windows(COPY_RUN_WORDS) {
            runs.insert(window.join(" "));
        }
    }
    let mut covered = vec![false; answer_words.len()];
    for (i, window) in answer_words.windows(COPY_RUN_WORDS).enumerate() {
        if runs.contains(&window.join(" ")) {
            for c in covered.iter_mut().skip(i).take(COPY_RUN_WORDS) {
                *c = true;
            }
        }
    }
    covered.iter().filter(|&&c| c).count() as f64 / answer_words.len() as f64
}

/// Words in a run that counts as copied from a header.
const HEADER_RUN_WORDS: usize = 3;

/// Content words the answer says beyond its labels and the runs of words it took from the
/// sources' headers (a whole header, or its start: `Code des douanes, édition du …`).
fn content_words_beyond_headers(answer: &str, headers: &[String]) -> usize {
    let answer_words = words(&strip_brackets(answer));
    let mut runs = std::collections::HashSet::new();
    for header in headers {
        let w = words(&strip_brackets(header));
        for window in w.windows(HEADER_RUN_WORDS) {
            runs.insert(window.join(" "));
        }
    }
    let mut covered = vec![false; answer_words.len()];
    for (i, window) in answer_words.windows(HEADER_RUN_WORDS).enumerate() {
        if runs.contains(&window.join(" ")) {
            for c in covered.iter_mut().skip(i).take(HEADER_RUN_WORDS) {
                *c = true;
            }
        }
    }
    answer_words
        .iter()
        .zip(covered)
        .filter(|(w, covered)| !covered && w.chars().count() >= 3)
        .count()
}

/// What the judgement looks at.
pub struct Judged<'a> {
    /// The model's text as generated (before citation rewriting).
    pub generated: &'a str,
    /// The text given for each source.
    pub source_texts: &'a [&'a str],
    /// The header line of each source, as the prompt wrote it.
    pub headers: &'a [String],
    /// For each kept citation: whether its passage concerns the question.
    pub citations_relevant: &'a [bool],
    /// Whether generation was cut at a repeated sentence.
    pub repetition_stopped: bool,
}

/// The verdict on a generated text.
pub fn judge(input: &Judged<'_>) -> Synthesis {
    let stopped = input.repetition_stopped;
    let content = content_words_beyond_headers(input.generated, input.headers);
    if words(&strip_brackets(input.generated)).len() < MIN_CONTENT_WORDS {
        let issue = if stopped {
            SynthesisIssue::Repetition
        } else {
            SynthesisIssue::Empty
        };
        return Synthesis::unusable(issue, stopped);
    }
    if content < MIN_OWN_WORDS {
        return Synthesis::unusable(SynthesisIssue::HeaderOnly, stopped);
    }
    // A header the model copied is source text too.
    let copied_from: Vec<&str> = input
        .source_texts
        .iter()
        .copied()
        .chain(input.headers.iter().map(String::as_str))
        .collect();
    if copied_share(input.generated, &copied_from) >= COPY_SHARE {
        return Synthesis::unusable(SynthesisIssue::Copy, stopped);
    }
    // A text with no citation is shown as such (« cite aucune source ») for the agent to check
    // against the extract; one whose citations all miss the question is not.
    if !input.citations_relevant.is_empty() && !input.citations_relevant.iter().any(|&r| r) {
        return Synthesis::unusable(SynthesisIssue::IrrelevantCitations, stopped);
    }
    Synthesis::usable(stopped)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "Les agents des douanes peuvent exiger la présentation des documents de toute nature relatifs aux opérations intéressant leur service. Ce droit est ouvert aux agents ayant au moins le grade de contrôleur.";

    fn judged<'a>(generated: &'a str, relevant: &'a [bool], headers: &'a [String]) -> Synthesis {
        judge(&Judged {
            generated,
            source_texts: &[SOURCE],
            headers,
            citations_relevant: relevant,
            repetition_stopped: false,
        })
    }

    #[test]
    fn a_repeated_sentence_stops_generation_and_is_cut() {
        let mut guard = RepetitionGuard::default();
        let mut stopped_at = None;
        let pieces = [
            "Le contrôleur peut ",
            "exiger les documents. ",
            "Il dresse procès-verbal. ",
            "Le contrôleur peut exiger ",
            "les documents. Encore",
        ];
        for (i, piece) in pieces.iter().enumerate() {
            if guard.push(piece) {
                stopped_at = Some(i);
                break;
            }
        }
        assert_eq!(stopped_at, Some(4));
        let text: String = pieces.concat();
        let cut = guard.cut_at().unwrap_or(text.len());
        assert_eq!(
            text[..cut].trim_end(),
            "Le contrôleur peut exiger les documents. Il dresse procès-verbal."
        );
        let (cut_text, was_cut) = cut_repetition(&text);
        assert!(was_cut);
        assert!(cut_text.ends_with("procès-verbal."));
    }

    #[test]
    fn the_same_sentence_with_another_label_is_a_repetition_but_short_ones_are_not() {
        let (_, cut) = cut_repetition("Oui [art. 60]. Oui [art. 61]. Oui.");
        assert!(!cut, "three-word minimum");
        let (text, cut) = cut_repetition(
            "La retenue dure vingt-quatre heures [art. 323-1]. La retenue dure vingt-quatre heures [art. 323-2].",
        );
        assert!(cut);
        assert_eq!(text, "La retenue dure vingt-quatre heures [art. 323-1].");
    }

    #[test]
    fn a_header_followed_by_the_source_text_is_a_copy() {
        let headers = vec!["[art. 65] Code des douanes, édition du 2025-07-13 — Section 3 : Droit de communication — extrait".to_string()];
        let generated = format!("{} {SOURCE}", headers[0]);
        assert_eq!(
            judged(&generated, &[true], &headers).issue,
            Some(SynthesisIssue::Copy)
        );
    }

    #[test]
    fn a_header_alone_is_no_answer() {
        let headers = vec![
            "[art. 56] Code des douanes, édition du 2025-07-13 — Chapitre III : Droit de communication".to_string(),
        ];
        let verdict = judged(
            "[art. 56] Code des douanes, édition du 2025-07-13 — Chapitre III",
            &[true],
            &headers,
        );
        assert_eq!(verdict.issue, Some(SynthesisIssue::HeaderOnly));
    }

    #[test]
    fn words_of_the_heading_said_in_a_sentence_of_its_own_are_an_answer() {
        let headers = vec![
            "[art. 60] Code des douanes, édition du 2019-07-01 — Section 1 : Visite des marchandises".to_string(),
        ];
        let verdict = judged(
            "En 2019, l'article 60 prévoyait la visite des marchandises [art. 60].",
            &[true],
            &headers,
        );
        assert!(verdict.usable, "{verdict:?}");
    }

    #[test]
    fn a_verbatim_copy_is_set_aside_and_a_rephrasing_is_kept() {
        let copy = format!("{SOURCE} [art. 65]");
        assert!(copied_share(&copy, &[SOURCE]) > 0.95);
        assert_eq!(
            judged(&copy, &[true], &[]).issue,
            Some(SynthesisIssue::Copy)
        );
        let own = "Il faut être au moins contrôleur pour exiger ces documents [art. 65] ; l'agent peut alors demander tout document lié aux opérations de son service.";
        assert!(copied_share(own, &[SOURCE]) < 0.5);
        assert!(judged(own, &[true], &[]).usable);
    }

    #[test]
    fn citations_that_all_miss_the_question_are_not_a_synthesis() {
        let own = "Il faut être au moins contrôleur pour exiger ces documents.";
        assert_eq!(
            judged(own, &[false, false], &[]).issue,
            Some(SynthesisIssue::IrrelevantCitations)
        );
        assert!(judged(own, &[], &[]).usable, "no citation: shown, to check");
        assert!(judged(own, &[false, true], &[]).usable);
        assert_eq!(
            judged("  ", &[true], &[]).issue,
            Some(SynthesisIssue::Empty)
        );
    }
}
