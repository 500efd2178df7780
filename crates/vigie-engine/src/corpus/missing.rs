//! Article numbers a question names that no loaded code has, and the nearest ones that exist.
//!
//! Lookup matches a number by its longest existing prefix (`l'article 414 a été modifié`
//! finds 414), which is right for words glued to a number but wrong for a sub-number:
//! « article 414-9 » is not article 414, it does not exist. An agent who typed a wrong number
//! must be told so, with the numbers that do exist near it, not handed another article.

use serde::{Deserialize, Serialize};

use super::reference::{CodeHint, candidate_keys, canonical_key, find_mentions};
use super::{CODE_CIBS, CODE_DOUANES, Corpus};

/// Nearest numbers offered for a missing one.
const NEAREST: usize = 4;

/// A number the question names that no code in force has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MissingArticle {
    /// The number as the question wrote it.
    pub written: String,
    /// The code the question named, if any.
    pub code: Option<String>,
    /// The nearest existing articles, as cited (`art. 414-2`, `art. L. 312-1 CIBS`).
    pub nearest: Vec<String>,
}

/// Leading number of a canonical key, and the rest (`414 - 9` → (414, ["-", "9"])).
fn split_key(key: &str) -> (Option<u64>, Vec<&str>) {
    let mut tokens = key.split(' ');
    let first = tokens.next().unwrap_or("");
    let (number, rest): (Option<u64>, Vec<&str>) = if first == "l" || first == "r" {
        (tokens.next().and_then(|t| t.parse().ok()), tokens.collect())
    } else {
        (first.parse().ok(), tokens.collect())
    };
    (number, rest)
}

/// Whether a key differs from the longest reading only by letters glued to it (a word of
/// the sentence), not by a sub-number.
fn dropped_only_words(full: &[String], matched: &str) -> bool {
    let kept = matched.split(' ').count();
    full.iter()
        .skip(kept)
        .all(|t| t.chars().all(char::is_alphabetic))
}

impl Corpus {
    /// The numbers `question` names that no edition in force has (of the code it names, or
    /// of any code when it names none), each with the nearest existing numbers.
    pub fn missing_mentions(&self, question: &str) -> Vec<MissingArticle> {
        let mut out = Vec::new();
        for mention in find_mentions(question) {
            let codes: Vec<&str> = match mention.code {
                CodeHint::Douanes => vec![CODE_DOUANES],
                CodeHint::Cibs => vec![CODE_CIBS],
                CodeHint::Unspecified => vec![CODE_DOUANES, CODE_CIBS],
            };
            let codes: Vec<&str> = codes
                .into_iter()
                .filter(|c| self.edition_in_force(c).is_some())
                .collect();
            if codes.is_empty() {
                continue;
            }
            let found = candidate_keys(&mention).into_iter().find(|key| {
                codes.iter().any(|code| {
                    let edition = self.edition_in_force(code).map(|e| e.date.clone());
                    let Some(edition) = edition else {
                        return false;
                    };
                    let mut tries = vec![key.clone()];
                    if *code == CODE_CIBS && key.starts_with(|c: char| c.is_ascii_digit()) {
                        tries.push(format!("l {key}"));
                    }
                    tries.iter().any(|k| {
                        self.by_number
                            .contains_key(&(code.to_string(), edition.clone(), k.clone()))
                    })
                })
            });
            if found.is_some_and(|key| dropped_only_words(&mention.tokens, &key)) {
                continue;
            }
            let written = question[mention.span.0..mention.span.1].trim().to_string();
            let full_key = mention.tokens.join(" ");
            out.push(MissingArticle {
                nearest: self.nearest_numbers(&codes, &full_key),
                code: match mention.code {
                    CodeHint::Douanes => Some(CODE_DOUANES.to_string()),
                    CodeHint::Cibs => Some(CODE_CIBS.to_string()),
                    CodeHint::Unspecified => None,
                },
                written,
            });
        }
        out
    }

    /// Existing articles of `codes` nearest to a canonical key: same leading number first
    /// (its sub-numbers in order), then the closest leading numbers.
    fn nearest_numbers(&self, codes: &[&str], key: &str) -> Vec<String> {
        let (number, rest) = split_key(key);
        let Some(number) = number else {
            return Vec::new();
        };
        let mut scored: Vec<(u64, usize, String)> = Vec::new();
        for article in self.articles_in_force() {
            if !codes.contains(&article.code.as_str()) {
                continue;
            }
            let article_key = canonical_key(&article.article);
            let (n, article_rest) = split_key(&article_key);
            let Some(n) = n else { continue };
            let distance = n.abs_diff(number);
            // Among siblings, the one sharing the longest sub-number prefix first.
            let shared = rest
                .iter()
                .zip(&article_rest)
                .take_while(|(a, b)| a == b)
                .count();
            let label = if article.code == CODE_DOUANES {
                format!("art. {}", article.article)
            } else {
                format!("art. {} {}", article.article, article.code_short())
            };
            scored.push((distance, usize::MAX - shared, label));
        }
        scored.sort();
        scored.dedup_by(|a, b| a.2 == b.2);
        scored
            .into_iter()
            .take(NEAREST)
            .map(|(_, _, l)| l)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_split_into_number_and_rest() {
        assert_eq!(split_key("414 - 9"), (Some(414), vec!["-", "9"]));
        assert_eq!(split_key("l 312 - 1"), (Some(312), vec!["-", "1"]));
        assert_eq!(split_key("bis"), (None, vec![]));
    }

    #[test]
    fn a_dropped_sub_number_is_not_a_dropped_word() {
        let tokens = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        assert!(dropped_only_words(&tokens("414 a"), "414"));
        assert!(!dropped_only_words(&tokens("414 - 9"), "414"));
    }
}
