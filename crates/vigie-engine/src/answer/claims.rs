//! Sentences of the synthesis checked against the articles they cite.
//!
//! A citation that exists says nothing of the sentence around it: a small model writes
//! « amende de 3 700 € » beside an article whose fine is 300 to 3 000 €, or « ne peut pas »
//! where the article says « peut ». The facts an agent acts on are the numbers (amounts,
//! durations, rates, article numbers) and the negation: every number of a sentence must be in
//! the text of an article the sentence cites (or, for a sentence citing nothing, of some
//! source given), written in digits or in words, or in the question itself; a negative sentence must cite an article
//! that itself holds a negation. A sentence that fails is removed from the synthesis and
//! listed with the reason, so that nothing unsupported is shown as verified.
//!
//! A yes/no question is answered by the law's own sentence (the extract); the model's
//! « oui » or « non » is kept only when the sentence it opens cites an article whose polarity
//! agrees (« non » needs a negation or a prohibition in it, « oui » a sentence of it without
//! one).

use std::collections::BTreeSet;
use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// A sentence removed from the synthesis, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnsupportedClaim {
    /// The sentence as the model wrote it (citations rewritten).
    pub sentence: String,
    /// The numbers of the sentence that no cited article holds.
    pub missing_numbers: Vec<String>,
    /// Why, in French.
    pub reason: String,
}

/// An article a sentence may cite, as the checker needs it.
#[derive(Debug, Clone, Copy)]
pub struct CitedText<'a> {
    /// How the final text cites it (`art. 414`).
    pub label: &'a str,
    /// Its text.
    pub text: &'a str,
}

/// The synthesis once its sentences are checked.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedClaims {
    /// The text without the unsupported sentences.
    pub text: String,
    /// What was removed.
    pub removed: Vec<UnsupportedClaim>,
}

fn bracket_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\[([^\[\]\n]{1,160})\]").unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

fn number_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // Digits with French thousands separators (space, no-break space, dot) and decimals.
    RE.get_or_init(|| {
        Regex::new(r"\d{1,3}(?:[ \u{a0}\u{202f}.]\d{3})+(?:,\d+)?|\d+(?:,\d+)?")
            .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

/// French number words, as the law writes durations and counts.
const NUMBER_WORDS: [(&str, u32); 30] = [
    ("un", 1),
    ("une", 1),
    ("deux", 2),
    ("trois", 3),
    ("quatre", 4),
    ("cinq", 5),
    ("six", 6),
    ("sept", 7),
    ("huit", 8),
    ("neuf", 9),
    ("dix", 10),
    ("onze", 11),
    ("douze", 12),
    ("treize", 13),
    ("quatorze", 14),
    ("quinze", 15),
    ("seize", 16),
    ("vingt", 20),
    ("trente", 30),
    ("quarante", 40),
    ("cinquante", 50),
    ("soixante", 60),
    ("cent", 100),
    ("mille", 1000),
    ("premier", 1),
    ("première", 1),
    ("double", 2),
    ("triple", 3),
    ("moitié", 2),
    ("tiers", 3),
];

fn article_mention_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    // « article 60 bis », « art. L. 312-1 », « articles 323-1 et 323-2 » written in the prose.
    RE.get_or_init(|| {
        Regex::new(r"(?i)\bart(?:icle)?s?\.?\s+((?:[LRD]\.?\s*)?\d+(?:-\d+)*(?:\s*(?:et|,)\s*(?:[LRD]\.?\s*)?\d+(?:-\d+)*)*)")
            .unwrap_or_else(|e| unreachable!("static regex: {e}"))
    })
}

/// Words that make a French sentence negative (after an elided or full « ne »), or forbid.
const NEGATIONS: [&str; 9] = [
    "pas",
    "plus",
    "jamais",
    "aucun",
    "aucune",
    "nul",
    "nulle",
    "interdit",
    "interdite",
];

/// The numbers a text holds, normalised (`3 750` and `3750` are one number), article
/// references in brackets left out.
pub fn numbers_of(text: &str) -> BTreeSet<String> {
    let without_refs = bracket_regex().replace_all(text, " ");
    let without_refs = article_mention_regex().replace_all(&without_refs, " ");
    let mut out: BTreeSet<String> = number_regex()
        .find_iter(&without_refs)
        .map(|m| {
            m.as_str()
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == ',')
                .collect()
        })
        .collect();
    // « vingt-quatre » is 24, « quatre-vingt-dix » 90: hyphenated number words are one number.
    for compound in without_refs.split(|c: char| !c.is_alphanumeric() && c != '-') {
        let parts: Vec<String> = compound
            .split('-')
            .filter(|p| !p.is_empty())
            .map(str::to_lowercase)
            .collect();
        if let Some(value) = number_value(&parts) {
            out.insert(value.to_string());
        }
    }
    out
}

/// The article numbers a text mentions in its prose (`article 60 bis` gives `60`).
pub fn article_mentions(text: &str) -> BTreeSet<String> {
    let without_refs = bracket_regex().replace_all(text, " ");
    article_mention_regex()
        .captures_iter(&without_refs)
        .filter_map(|c| c.get(1))
        .flat_map(|m| {
            m.as_str()
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|p| p.starts_with(|c: char| c.is_ascii_digit()))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The value of number words (`["quatre", "vingt", "dix"]` is 90); none if one is not.
fn number_value(parts: &[String]) -> Option<u32> {
    if parts.is_empty() {
        return None;
    }
    let (mut total, mut current) = (0u32, 0u32);
    for part in parts {
        if part == "et" {
            continue;
        }
        let (_, n) = NUMBER_WORDS.iter().find(|(w, _)| *w == part)?;
        match *n {
            100 => current = current.max(1) * 100,
            1000 => {
                total += current.max(1) * 1000;
                current = 0;
            }
            20 if current == 4 => current = 80,
            n => current += n,
        }
    }
    Some(total + current)
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
}

/// Whether a text holds a negation or a prohibition.
fn is_negative(text: &str) -> bool {
    let lower = text.to_lowercase();
    let has_ne = lower
        .split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .any(|w| w == "ne" || w == "n" || w.starts_with("n'") || w.starts_with("n’"))
        || lower.contains(" n'")
        || lower.contains(" n’");
    let words: Vec<String> = words(&lower).collect();
    let negation_word = words.iter().any(|w| NEGATIONS.contains(&w.as_str()));
    // The law's « ne peut excéder », « ne saurait » deny without « pas ».
    let bare_ne = words.windows(2).any(|pair| {
        pair[0] == "ne"
            && [
                "peut",
                "peuvent",
                "pourra",
                "pourront",
                "saurait",
                "sauraient",
            ]
            .contains(&pair[1].as_str())
    });
    (has_ne && negation_word)
        || bare_ne
        || words.iter().any(|w| {
            matches!(
                w.as_str(),
                "interdit" | "interdite" | "prohibé" | "prohibée"
            )
        })
        || lower.contains("sans ")
}

/// Abbreviations a full stop does not end a sentence after (`art. 414`, `al. 2`, `L. 312-1`).
const ABBREVIATIONS: [&str; 8] = ["art", "al", "l", "r", "d", "cf", "n", "p"];

/// Whether the word that ends `before` is an abbreviation.
fn ends_with_abbreviation(before: &str) -> bool {
    let reversed: String = before
        .chars()
        .rev()
        .take_while(|c| c.is_alphabetic())
        .collect();
    let word: String = reversed.chars().rev().collect::<String>().to_lowercase();
    ABBREVIATIONS.contains(&word.as_str())
}

/// The sentences of a text, with their byte ranges (a full stop inside a reference or after
/// an abbreviation ends none).
fn sentences(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut depth = 0usize;
    let bytes: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(at, c)) in bytes.iter().enumerate() {
        let next = bytes.get(i + 1).map(|&(_, n)| n);
        match c {
            '[' => depth += 1,
            ']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        let ends = match c {
            '.' => {
                depth == 0
                    && next.is_none_or(char::is_whitespace)
                    && !ends_with_abbreviation(&text[..at])
            }
            '!' | '?' => depth == 0 && next.is_none_or(char::is_whitespace),
            '\n' => true,
            _ => false,
        };
        if ends && at >= start {
            let end = at + c.len_utf8();
            // A reference right after the full stop belongs to this sentence.
            let rest = &text[end..];
            let trimmed = rest.trim_start();
            let end = if trimmed.starts_with('[') {
                trimmed
                    .find(']')
                    .map_or(end, |close| end + (rest.len() - trimmed.len()) + close + 1)
            } else {
                end
            };
            if end > start {
                out.push((start, end));
            }
            start = end;
        }
    }
    if start < text.len() {
        out.push((start, text.len()));
    }
    out.into_iter()
        .filter(|&(s, e)| !text[s..e].trim().is_empty())
        .collect()
}

/// Whether a question asks for a yes or a no.
pub fn is_yes_no_question(question: &str) -> bool {
    let q = question.trim().to_lowercase();
    let first = q
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .next()
        .unwrap_or("");
    // « peut-il », « doit-elle », « a-t-on »: the verb before its subject.
    let inverted = q
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .any(|word| {
            word.contains("-t-")
                || [
                    "-il", "-elle", "-on", "-ils", "-elles", "-je", "-nous", "-vous",
                ]
                .iter()
                .any(|s| word.len() > s.len() && word.ends_with(s))
        });
    // An open question asks for more than yes or no.
    let open = [
        "quel", "quelle", "quels", "quelles", "combien", "comment", "pourquoi", "qui", "que", "qu",
        "quand", "où", "dans",
    ]
    .contains(&first);
    !open && (q.starts_with("est-ce qu") || inverted)
}

/// Checks every sentence of `text` against the articles it cites (`cited`, every source
/// given; a sentence citing none is checked against all of them).
pub fn check_claims(question: &str, text: &str, cited: &[CitedText<'_>]) -> CheckedClaims {
    let mut kept = String::with_capacity(text.len());
    let mut removed = Vec::new();
    let yes_no = is_yes_no_question(question);
    let mut first = true;
    for (start, end) in sentences(text) {
        let sentence = &text[start..end];
        let cites: Vec<&CitedText<'_>> = bracket_regex()
            .captures_iter(sentence)
            .filter_map(|c| c.get(1))
            .flat_map(|m| m.as_str().split(',').map(str::trim))
            .filter_map(|label| cited.iter().find(|c| c.label == label))
            .collect();
        let grounds: Vec<&CitedText<'_>> = if cites.is_empty() {
            cited.iter().collect()
        } else {
            cites
        };
        // The question's own numbers (a date, an amount the agent gives) are no claim.
        let ground_numbers: BTreeSet<String> = grounds
            .iter()
            .flat_map(|g| numbers_of(g.text))
            .chain(numbers_of(question))
            .collect();
        let cited_articles: BTreeSet<String> = cited
            .iter()
            .filter_map(|c| {
                c.label
                    .split_whitespace()
                    .find(|w| w.starts_with(|ch: char| ch.is_ascii_digit()))
                    .map(str::to_string)
            })
            .chain(grounds.iter().flat_map(|g| article_mentions(g.text)))
            .chain(article_mentions(question))
            .collect();
        let missing: Vec<String> = numbers_of(sentence)
            .into_iter()
            .filter(|n| !ground_numbers.contains(n))
            .chain(
                article_mentions(sentence)
                    .into_iter()
                    .filter(|a| !cited_articles.contains(a))
                    .map(|a| format!("art. {a}")),
            )
            .collect();
        let mut sentence = sentence.to_string();
        let mut reason = None;
        if !missing.is_empty() {
            reason = Some(format!(
                "chiffre{} absent{} de l'article cité : {}",
                plural(missing.len()),
                plural(missing.len()),
                missing.join(", ")
            ));
        } else if is_negative(&strip_polarity(&sentence))
            && !grounds.iter().any(|g| is_negative(g.text))
        {
            reason = Some("négation absente de l'article cité".to_string());
        }
        if yes_no
            && first
            && reason.is_none()
            && let Some((polarity, rest)) = leading_polarity(&sentence)
        {
            let supported = !grounds.is_empty()
                && grounds.iter().any(|g| match polarity {
                    Polarity::No => is_negative(g.text),
                    Polarity::Yes => sentences(g.text)
                        .iter()
                        .any(|&(s, e)| !is_negative(&g.text[s..e])),
                });
            if !supported {
                removed.push(UnsupportedClaim {
                    sentence: sentence.trim().to_string(),
                    missing_numbers: Vec::new(),
                    reason: format!(
                        "« {} » non soutenu par l'article cité : seul le texte de la loi fait foi",
                        polarity.word()
                    ),
                });
                sentence = capitalise(rest);
            }
        }
        first = false;
        match reason {
            Some(reason) => removed.push(UnsupportedClaim {
                sentence: sentence.trim().to_string(),
                missing_numbers: missing,
                reason,
            }),
            None => {
                if !kept.is_empty() && !kept.ends_with(char::is_whitespace) {
                    kept.push(' ');
                }
                kept.push_str(sentence.trim());
            }
        }
    }
    CheckedClaims {
        text: kept,
        removed,
    }
}

fn plural(n: usize) -> &'static str {
    if n > 1 { "s" } else { "" }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Polarity {
    Yes,
    No,
}

impl Polarity {
    fn word(self) -> &'static str {
        match self {
            Self::Yes => "Oui",
            Self::No => "Non",
        }
    }
}

/// The « Oui » or « Non » a sentence opens with, and what follows it.
fn leading_polarity(sentence: &str) -> Option<(Polarity, &str)> {
    let trimmed = sentence.trim_start();
    for (word, polarity) in [("oui", Polarity::Yes), ("non", Polarity::No)] {
        let head = trimmed.get(..word.len())?;
        if head.eq_ignore_ascii_case(word) {
            let rest = &trimmed[word.len()..];
            if rest.starts_with(|c: char| c.is_alphanumeric()) {
                continue;
            }
            return Some((polarity, rest.trim_start_matches([',', '.', ':', ' '])));
        }
    }
    None
}

/// The sentence without its opening « Non » (which is the answer's polarity, checked apart).
fn strip_polarity(sentence: &str) -> String {
    match leading_polarity(sentence) {
        Some((_, rest)) => rest.to_string(),
        None => sentence.to_string(),
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ART_410: &str = "Est passible d'une amende de 300 euros à 3 000 euros toute infraction aux dispositions des lois et règlements que l'administration des douanes est chargée d'appliquer lorsque cette irrégularité n'est pas réprimée par une autre disposition.";
    const ART_323_2: &str = "La durée de la retenue douanière ne peut excéder vingt-quatre heures.";

    fn cited() -> Vec<CitedText<'static>> {
        vec![
            CitedText {
                label: "art. 410",
                text: ART_410,
            },
            CitedText {
                label: "art. 323-2",
                text: ART_323_2,
            },
        ]
    }

    #[test]
    fn numbers_are_read_in_digits_with_separators_and_in_words() {
        let n = numbers_of("une amende de 3 750 € et 3750 euros, trois ans [art. 414]");
        assert!(n.contains("3750"));
        assert!(n.contains("3"));
        assert!(
            !n.contains("414"),
            "a bracketed reference is not a fact: {n:?}"
        );
    }

    #[test]
    fn a_sentence_whose_amount_is_not_in_the_cited_article_is_removed() {
        let checked = check_claims(
            "Quelle amende pour une erreur de déclaration ?",
            "L'amende va de 300 à 3 000 euros [art. 410]. L'amende est de 3 700 € [art. 410].",
            &cited(),
        );
        assert_eq!(checked.text, "L'amende va de 300 à 3 000 euros [art. 410].");
        assert_eq!(checked.removed.len(), 1);
        assert_eq!(checked.removed[0].missing_numbers, vec!["3700".to_string()]);
    }

    #[test]
    fn a_number_is_checked_against_the_article_the_sentence_cites_not_another() {
        // 300 is in art. 410, not in the art. 323-2 the sentence cites.
        let checked = check_claims(
            "Combien dure la retenue ?",
            "La retenue dure au plus 300 heures [art. 323-2].",
            &cited(),
        );
        assert!(checked.text.is_empty(), "{checked:?}");
        assert_eq!(checked.removed[0].missing_numbers, vec!["300".to_string()]);
    }

    #[test]
    fn a_negative_sentence_needs_a_negation_in_what_it_cites() {
        let only_410 = [CitedText {
            label: "art. 1",
            text: "Le territoire douanier comprend les départements d'outre-mer.",
        }];
        let checked = check_claims(
            "Mayotte fait-elle partie du territoire douanier ?",
            "Mayotte ne fait pas partie du territoire douanier [art. 1].",
            &only_410,
        );
        assert!(checked.text.is_empty(), "{checked:?}");
        assert!(checked.removed[0].reason.contains("négation"));
    }

    #[test]
    fn a_yes_or_no_without_support_is_dropped_and_the_law_s_sentence_stays() {
        let positive = [CitedText {
            label: "art. 1",
            text: "Le territoire douanier comprend les départements d'outre-mer.",
        }];
        let checked = check_claims(
            "Mayotte est-elle hors du territoire douanier ?",
            "Non, le territoire douanier comprend les départements d'outre-mer [art. 1].",
            &positive,
        );
        assert_eq!(
            checked.text,
            "Le territoire douanier comprend les départements d'outre-mer [art. 1]."
        );
        assert!(checked.removed[0].reason.starts_with("« Non »"));
        // Supported, it stays.
        let checked = check_claims(
            "La retenue peut-elle durer deux jours ?",
            "Non, elle ne peut excéder vingt-quatre heures [art. 323-2].",
            &cited(),
        );
        assert!(checked.removed.is_empty(), "{checked:?}");
        assert!(checked.text.starts_with("Non, elle"));
    }

    #[test]
    fn an_article_named_in_the_prose_must_be_one_given_or_one_the_cited_text_names() {
        let checked = check_claims(
            "Quelle amende ?",
            "Selon l'article 410, l'amende va de 300 à 3 000 euros. L'article 414 punit aussi [art. 410].",
            &cited(),
        );
        assert_eq!(
            checked.text,
            "Selon l'article 410, l'amende va de 300 à 3 000 euros."
        );
        assert_eq!(
            checked.removed[0].missing_numbers,
            vec!["art. 414".to_string()]
        );
    }

    #[test]
    fn the_question_s_own_numbers_are_no_claim() {
        let checked = check_claims(
            "Que disait l'article 410 en 2019 ?",
            "En 2019, l'article 410 prévoyait une amende de 300 à 3 000 euros [art. 410].",
            &cited(),
        );
        assert!(checked.removed.is_empty(), "{checked:?}");
    }

    #[test]
    fn hyphenated_number_words_are_one_number() {
        assert!(numbers_of("vingt-quatre heures").contains("24"));
        assert!(numbers_of("quatre-vingt-dix jours").contains("90"));
        let checked = check_claims(
            "Combien dure la retenue ?",
            "La retenue ne peut excéder 24 heures [art. 323-2].",
            &cited(),
        );
        assert!(checked.removed.is_empty(), "{checked:?}");
    }

    #[test]
    fn yes_no_questions_are_recognised() {
        assert!(is_yes_no_question(
            "Un agent peut-il fouiller un véhicule ?"
        ));
        assert!(is_yes_no_question("Est-ce que la retenue est limitée ?"));
        assert!(is_yes_no_question(
            "La société doit-elle prouver sa régularité ?"
        ));
        assert!(!is_yes_no_question("Quelle est la durée de la retenue ?"));
    }
}
