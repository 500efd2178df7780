//! Cutting articles into chunks along their own structure.
//!
//! The article stays the citation unit: a chunk is only a window onto one article, and keeps the
//! article id, its heading path and its byte range in the article text. Short articles are one
//! chunk. Long ones (some exceed 14,000 characters) are cut between paragraphs, preferably before
//! a structural marker (`I. -`, `1.`, `1°`, `a)`), never inside a word. A paragraph that is itself
//! too long (the CIBS has some with glued paragraphs) is cut at a marker or a sentence end.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::article::Article;

/// Chunks aim at this size (about 300 tokens for the e5 tokenizer on French legal text).
pub const TARGET_CHUNK_BYTES: usize = 1_200;
/// A chunk is never longer than this unless a single word is.
pub const MAX_CHUNK_BYTES: usize = 1_600;

/// A window onto one article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// Id of the article it belongs to.
    pub article_id: String,
    /// Position of the chunk within its article (0-based).
    pub ordinal: usize,
    /// Byte range `[start, end)` in the article text.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
}

impl Chunk {
    /// The chunk's text, sliced from its article.
    pub fn text<'a>(&self, article: &'a Article) -> &'a str {
        article.text.get(self.start..self.end).unwrap_or("")
    }
}

/// Level of a structural marker at the start of a paragraph (lower is more important).
fn marker_level(paragraph: &str) -> Option<u8> {
    static RES: OnceLock<[Regex; 4]> = OnceLock::new();
    let res = RES.get_or_init(|| {
        let make = |p: &str| Regex::new(p).unwrap_or_else(|e| panic!("static regex: {e}"));
        [
            make(r"^[IVXL]+\.\s*(?:-|–|—|\s)"),
            make(r"^(?:[A-H]\.\s*(?:-|–|—)|\d+\.\s)"),
            make(r"^\d+°"),
            make(r"^[a-z]\)"),
        ]
    });
    let trimmed = paragraph.trim_start();
    res.iter()
        .position(|re| re.is_match(trimmed))
        .map(|level| level as u8)
}

/// Splits an article into chunks covering its whole text.
pub fn chunk_article(article: &Article) -> Vec<Chunk> {
    chunk_text(&article.id, &article.text)
}

/// Splits any text (an article, or a section of an imported document identified by `id`)
/// into chunks covering it.
pub fn chunk_text(id: &str, text: &str) -> Vec<Chunk> {
    let spans = if text.len() <= MAX_CHUNK_BYTES {
        vec![(0, text.len())]
    } else {
        pack(text, &paragraphs(text))
    };
    spans
        .into_iter()
        .filter(|(s, e)| text[*s..*e].trim().chars().next().is_some())
        .enumerate()
        .map(|(ordinal, (start, end))| Chunk {
            article_id: id.to_string(),
            ordinal,
            start,
            end,
        })
        .collect()
}

/// Paragraph spans (split after newlines), long paragraphs further split into pieces.
fn paragraphs(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if c == '\n' {
            spans.push((start, i + 1));
            start = i + 1;
        }
    }
    if start < text.len() {
        spans.push((start, text.len()));
    }
    let mut out = Vec::new();
    for (s, e) in spans {
        if e - s > TARGET_CHUNK_BYTES {
            out.extend(split_long_paragraph(text, s, e));
        } else {
            out.push((s, e));
        }
    }
    out
}

/// Cuts a long paragraph at inline markers (`; 2°`, `: a)`) or sentence ends, at word boundaries.
fn split_long_paragraph(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        // A cut point: after `;`, `:` or `.`, followed by a space, before the next word.
        Regex::new(r"[;:.]\s+").unwrap_or_else(|e| panic!("static regex: {e}"))
    });
    let slice = &text[start..end];
    let mut cuts: Vec<usize> = re.find_iter(slice).map(|m| start + m.end()).collect();
    cuts.retain(|&c| c < end);
    let mut pieces = Vec::new();
    let mut piece_start = start;
    let mut last_cut = None;
    for cut in cuts {
        if cut - piece_start > TARGET_CHUNK_BYTES {
            let at = last_cut.filter(|&c| c > piece_start).unwrap_or(cut);
            pieces.push((piece_start, at));
            piece_start = at;
        }
        last_cut = Some(cut);
    }
    // What remains may still be too long (no punctuation): cut at whitespace.
    let mut rest = (piece_start, end);
    while rest.1 - rest.0 > MAX_CHUNK_BYTES {
        let window = &text[rest.0..rest.1];
        let limit = floor_char_boundary(window, TARGET_CHUNK_BYTES);
        let at = window[..limit]
            .rfind(char::is_whitespace)
            .map(|i| i + 1)
            .filter(|&i| i > 0)
            .unwrap_or_else(|| {
                window[limit..]
                    .find(char::is_whitespace)
                    .map(|i| limit + i + 1)
                    .unwrap_or(window.len())
            });
        pieces.push((rest.0, rest.0 + at));
        rest = (rest.0 + at, rest.1);
    }
    if rest.1 > rest.0 {
        pieces.push(rest);
    }
    pieces
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    if i >= s.len() {
        return s.len();
    }
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Packs consecutive paragraph spans into chunks, cutting preferably before a marker.
fn pack(text: &str, spans: &[(usize, usize)]) -> Vec<(usize, usize)> {
    let mut chunks = Vec::new();
    let mut current: Option<(usize, usize)> = None;
    for &(s, e) in spans {
        let Some((cs, ce)) = current else {
            current = Some((s, e));
            continue;
        };
        let size = ce - cs;
        let would_be = e - cs;
        let starts_section = marker_level(&text[s..e]).is_some_and(|level| level <= 1);
        let cut =
            would_be > TARGET_CHUNK_BYTES || (starts_section && size >= TARGET_CHUNK_BYTES / 2);
        if cut {
            chunks.push((cs, ce));
            current = Some((s, e));
        } else {
            current = Some((cs, e));
        }
    }
    if let Some(last) = current {
        chunks.push(last);
    }
    chunks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(text: &str) -> Article {
        crate::corpus::article::test_article("1", text)
    }

    #[test]
    fn short_article_is_one_chunk() {
        let a = article("Texte court.");
        let chunks = chunk_article(&a);
        assert_eq!(chunks.len(), 1);
        assert_eq!((chunks[0].start, chunks[0].end), (0, a.text.len()));
    }

    #[test]
    fn long_article_cut_before_markers_and_covers_text() {
        let mut text = String::new();
        for roman in ["I", "II", "III", "IV", "V"] {
            text.push_str(&format!(
                "{roman}. - Disposition générale sur les marchandises "
            ));
            text.push_str(&"prohibées à l'importation ou à l'exportation. ".repeat(8));
            text.push_str("\n\n");
        }
        let a = article(&text);
        let chunks = chunk_article(&a);
        assert!(chunks.len() > 1);
        // Contiguous and complete coverage.
        assert_eq!(chunks[0].start, 0);
        for pair in chunks.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
        }
        assert_eq!(chunks.last().map(|c| c.end), Some(text.len()));
        // Every chunk after the first starts on a structural marker.
        for c in &chunks[1..] {
            assert!(marker_level(c.text(&a)).is_some(), "{:?}", c.text(&a));
        }
    }

    #[test]
    fn glued_paragraph_is_cut_between_words() {
        let text = "mot ".repeat(1_000) + "fin";
        let a = article(&text);
        let chunks = chunk_article(&a);
        assert!(chunks.len() > 2);
        for c in &chunks {
            assert!(c.end - c.start <= MAX_CHUNK_BYTES);
            let t = c.text(&a);
            assert!(!t.starts_with("ot"), "cut inside a word");
        }
        assert_eq!(chunks.last().map(|c| c.end), Some(text.len()));
    }

    #[test]
    fn markers_recognised() {
        assert_eq!(marker_level("I. - Les agents"), Some(0));
        assert_eq!(marker_level("1. Le territoire"), Some(1));
        assert_eq!(marker_level("2° Les produits"), Some(2));
        assert_eq!(marker_level("a) les tabacs"), Some(3));
        assert_eq!(marker_level("Les agents"), None);
    }
}
