//! Fitting the sources into the model's context.
//!
//! The prompt must leave room for the answer inside the model's context (and inside the
//! 4,096 positions candle's quantized llama supports), and every source token costs prefill
//! time on a 2-core laptop. Sources are taken in rank order: a short article goes in whole (the
//! agent's citation unit); a long one is cut down to the chunks that matched, widened forwards
//! while room remains, and always cut between words. What was trimmed is reported.

use crate::corpus::Article;

/// Below this many bytes of room, a further source is not worth its header.
const MIN_SOURCE_BYTES: usize = 240;

/// One source as it will be written into the prompt.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedSource {
    /// Article id.
    pub id: String,
    /// The text given (whole, or the matched part with `[…]` marks at the cuts).
    pub text: String,
    /// Whether the text is only part of the article.
    pub trimmed: bool,
    /// Byte range of the article given (before the `[…]` marks).
    pub range: (usize, usize),
}

/// A retrieved article and the byte range of its best matching chunk.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// The article.
    pub article: &'a Article,
    /// Where it matched, when known.
    pub matched: Option<(usize, usize)>,
}

/// Chooses what each candidate contributes within `budget_bytes`; one source may take at most
/// `max_share` of the budget unless it is the only one.
pub fn fit_sources(
    candidates: &[Candidate<'_>],
    budget_bytes: usize,
    max_share: f64,
) -> Vec<FittedSource> {
    let mut fitted = Vec::new();
    let mut used = 0usize;
    let share_cap = ((budget_bytes as f64) * max_share.clamp(0.1, 1.0)) as usize;
    for candidate in candidates {
        let remaining = budget_bytes.saturating_sub(used);
        if remaining < MIN_SOURCE_BYTES {
            break;
        }
        // A lone source may use the whole budget; otherwise they share it.
        let allowance = if candidates.len() == 1 {
            remaining
        } else {
            remaining.min(share_cap)
        };
        let text = &candidate.article.text;
        let source = if text.len() <= allowance {
            FittedSource {
                id: candidate.article.id.clone(),
                text: text.clone(),
                trimmed: false,
                range: (0, text.len()),
            }
        } else {
            trim_to_match(candidate, allowance)
        };
        used += source.text.len();
        fitted.push(source);
    }
    fitted
}

/// The matched part of a long article, widened forwards up to `allowance` bytes.
fn trim_to_match(candidate: &Candidate<'_>, allowance: usize) -> FittedSource {
    let text = &candidate.article.text;
    let (start, _) = candidate.matched.unwrap_or((0, 0));
    let start = floor_char_boundary(text, start.min(text.len()));
    let limit = floor_char_boundary(text, (start + allowance).min(text.len()));
    let end = if limit >= text.len() {
        text.len()
    } else {
        word_boundary_before(text, start, limit)
    };
    let mut given = String::new();
    if start > 0 {
        given.push_str("[…] ");
    }
    given.push_str(text[start..end].trim_end());
    if end < text.len() {
        given.push_str(" […]");
    }
    FittedSource {
        id: candidate.article.id.clone(),
        text: given,
        trimmed: true,
        range: (start, end),
    }
}

/// The last whitespace at or before `limit` (and after `start`), so no word is cut.
fn word_boundary_before(text: &str, start: usize, limit: usize) -> usize {
    text[start..limit]
        .rfind(char::is_whitespace)
        .map(|i| start + i)
        .filter(|&i| i > start)
        .unwrap_or(limit)
}

fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::corpus::article::test_article;

    fn article(id: &str, text: &str) -> Article {
        test_article(id.trim_start_matches("CD-art-"), text)
    }

    #[test]
    fn short_articles_go_in_whole() {
        let a = article("CD-art-1", "Court.");
        let b = article("CD-art-2", "Aussi court.");
        let fitted = fit_sources(
            &[
                Candidate {
                    article: &a,
                    matched: None,
                },
                Candidate {
                    article: &b,
                    matched: None,
                },
            ],
            1_000,
            0.5,
        );
        assert_eq!(fitted.len(), 2);
        assert!(fitted.iter().all(|s| !s.trimmed));
        assert_eq!(fitted[1].text, "Aussi court.");
    }

    #[test]
    fn a_long_article_is_cut_to_its_match_between_words() {
        let text = format!(
            "{} MATCH ici commence la partie utile {}",
            "début ".repeat(200),
            "suite ".repeat(400)
        );
        let a = article("CD-art-414", &text);
        let start = text.find("MATCH").unwrap_or(0);
        let fitted = fit_sources(
            &[Candidate {
                article: &a,
                matched: Some((start, start + 30)),
            }],
            500,
            0.5,
        );
        let s = &fitted[0];
        assert!(s.trimmed);
        assert!(s.text.starts_with("[…] MATCH"), "{}", s.text);
        assert!(s.text.ends_with(" […]"));
        assert!(s.text.len() <= 500 + "[…]  […]".len());
        // No word is cut: the text before the end mark ends with a whole word of the article.
        let body = s.text.trim_start_matches("[…] ").trim_end_matches(" […]");
        assert!(text.contains(body));
        assert!(text[s.range.1..].starts_with(char::is_whitespace));
    }

    #[test]
    fn the_budget_is_never_exceeded_by_much_and_accents_are_not_split() {
        let text = "é".repeat(3_000);
        let a = article("CD-art-9", &text);
        let b = article("CD-art-10", &text);
        let fitted = fit_sources(
            &[
                Candidate {
                    article: &a,
                    matched: Some((1, 10)),
                },
                Candidate {
                    article: &b,
                    matched: None,
                },
            ],
            2_000,
            0.5,
        );
        let total: usize = fitted.iter().map(|s| s.text.len()).sum();
        assert!(total <= 2_000 + 20, "{total}");
        assert!(fitted.iter().all(|s| s.trimmed));
    }
}
