//! Cutting articles into passages: the sentences and numbered items an answer quotes.
//!
//! Chunks (see [`super::chunk`]) are windows of about 1,200 bytes that retrieval matches on;
//! an agent reading an answer wants the one sentence or the one `2°` that says what was asked,
//! and where it sits in the article (`II, 2°`, `al. 3`). A passage is that unit: a byte range of
//! the article text, never rewritten, with its place in the article's own structure and, for an
//! item of a list, the sentence that introduces the list (« Sont passibles… : ») so that the item
//! can be read on its own.
//!
//! Cutting follows the text: paragraphs, then sentence ends and the inline list markers the
//! CIBS glues into one paragraph (`…suivants :1° Pour…`). Fragments too short to say anything
//! (a lone `I. -`, a heading such as `A. - Première classe.`, table cells) join the passage that
//! follows them; passages too long to read at a glance are cut at a clause or between words.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::article::Article;

/// Names the cutting below: stored with an index, so that passages cut another way are rebuilt,
/// never served. Change it with the rules or the limits.
pub const PASSAGE_CUTTING: &str = "sentences-items-60-700-v2";

/// A fragment shorter than this joins the next one.
const MIN_PASSAGE_BYTES: usize = 60;
/// A passage longer than this is cut at a clause (`, `, `; `) or between words.
const MAX_PASSAGE_BYTES: usize = 700;

/// One passage of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Passage {
    /// Id of the article.
    pub article_id: String,
    /// Position within the article (0-based).
    pub ordinal: usize,
    /// Byte range `[start, end)` in the article text.
    pub start: usize,
    /// End of the byte range (exclusive).
    pub end: usize,
    /// Place in the article: its structural markers (`II, 2°, a)`) or its paragraph (`al. 3`).
    pub location: String,
    /// For an item of a list: the ordinal of the passage that introduces the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lead: Option<usize>,
}

impl Passage {
    /// The passage's text, sliced from its article.
    pub fn text<'a>(&self, article_text: &'a str) -> &'a str {
        article_text.get(self.start..self.end).unwrap_or("")
    }
}

/// Structural marker at the start of a piece of text: its level (0 = `I.`, 1 = `A.` / `1.`,
/// 2 = `1°`, 3 = `a)`) and its label as cited.
fn leading_marker(text: &str) -> Option<(usize, String)> {
    static RES: OnceLock<[Regex; 4]> = OnceLock::new();
    let res = RES.get_or_init(|| {
        let make = |p: &str| Regex::new(p).unwrap_or_else(|e| panic!("static regex: {e}"));
        [
            make(r"^([IVXL]+)\.\s*(?:-|–|—|\s)"),
            make(r"^([A-H]|\d+)\.\s*(?:-|–|—|\s)"),
            make(r"^(\d+)°"),
            make(r"^([a-z])\)"),
        ]
    });
    let trimmed = text.trim_start();
    for (level, re) in res.iter().enumerate() {
        if let Some(caps) = re.captures(trimmed) {
            let raw = caps.get(1).map_or("", |m| m.as_str());
            let label = match level {
                2 => format!("{raw}°"),
                3 => format!("{raw})"),
                _ => raw.to_string(),
            };
            return Some((level, label));
        }
    }
    None
}

/// Whether a piece starts with a list marker (`1°`, `a)`, `2.`), i.e. is an item of a list.
fn is_list_item(text: &str) -> bool {
    leading_marker(text).is_some_and(|(level, _)| level >= 1)
}

/// Byte offsets inside `text[start..end]` where a new sentence or list item begins.
fn sentence_starts(text: &str, start: usize, end: usize) -> Vec<usize> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        // After a final stop followed by a capital, a digit or a quotation mark; or after `;`
        // or `:` followed by a list marker (glued or not).
        Regex::new(
            r"(?:[.!?]\s+[«A-ZÀÂÇÉÈÊÎÔÛ0-9])|(?:[;:]\s*(?:\d+°|[a-z]\)\s|[IVX]+\.\s*-|\d+\.\s))",
        )
        .unwrap_or_else(|e| panic!("static regex: {e}"))
    });
    let slice = &text[start..end];
    let mut out = Vec::new();
    for m in re.find_iter(slice) {
        let matched = m.as_str();
        // The new piece starts after the punctuation and the spaces.
        let punct_len = matched.chars().next().map_or(1, char::len_utf8);
        let rest = &matched[punct_len..];
        let spaces = rest.len() - rest.trim_start().len();
        let at = m.start() + punct_len + spaces;
        if matched.starts_with('.') && ends_with_abbreviation(&slice[..m.start()]) {
            continue;
        }
        if at > 0 && at < slice.len() {
            out.push(start + at);
        }
    }
    out
}

/// Words after which a full stop does not end a sentence (`art. 414`, `L. 312-1`, `n°`).
fn ends_with_abbreviation(before: &str) -> bool {
    const ABBREVIATIONS: [&str; 12] = [
        "art", "l", "r", "d", "a", "al", "cf", "p", "n°", "no", "ss", "etc",
    ];
    let word = before
        .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '\'' || c == '’')
        .next()
        .unwrap_or("")
        .to_lowercase();
    // A roman numeral or a capital letter alone is a marker (`I.`, `A.`), not an end.
    let is_marker =
        !word.is_empty() && word.len() <= 4 && word.chars().all(|c| matches!(c, 'i' | 'v' | 'x'));
    ABBREVIATIONS.contains(&word.as_str()) || is_marker
}

/// Non-empty paragraph spans (trimmed) of `text`.
fn paragraph_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut offset = 0;
    for line in text.split('\n') {
        let lead = line.len() - line.trim_start().len();
        let body = line.trim();
        if !body.is_empty() {
            let s = offset + lead;
            spans.push((s, s + body.len()));
        }
        offset += line.len() + 1;
    }
    spans
}

/// A piece before merging: its range, its paragraph number and its location.
#[derive(Debug, Clone)]
struct Piece {
    start: usize,
    end: usize,
    location: String,
    paragraph: usize,
}

/// Splits an article into passages covering all of its text.
pub fn passages_of(article: &Article) -> Vec<Passage> {
    passages_of_text(&article.id, &article.text)
}

/// Splits any text identified by `id` into passages.
pub fn passages_of_text(id: &str, text: &str) -> Vec<Passage> {
    let pieces = pieces(text);
    let merged = merge_short(text, pieces);
    let mut out: Vec<Passage> = Vec::with_capacity(merged.len());
    let mut lead: Option<usize> = None;
    for (ordinal, piece) in merged.into_iter().enumerate() {
        let body = text[piece.start..piece.end].trim();
        let item = is_list_item(body);
        let own_lead = if item { lead } else { None };
        if !item {
            lead = None;
        }
        if body.ends_with(':') {
            lead = Some(ordinal);
        }
        out.push(Passage {
            article_id: id.to_string(),
            ordinal,
            start: piece.start,
            end: piece.end,
            location: piece.location,
            lead: own_lead,
        });
    }
    out
}

/// Paragraphs cut into sentences and items, each with its location.
fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    // Markers in force per level, and the paragraph count.
    let mut markers: [Option<String>; 4] = Default::default();
    let mut paragraph = 0usize;
    for (s, e) in paragraph_spans(text) {
        paragraph += 1;
        let mut bounds = vec![s];
        bounds.extend(sentence_starts(text, s, e));
        bounds.push(e);
        for w in bounds.windows(2) {
            let (ps, pe) = (w[0], w[1]);
            let body = text[ps..pe].trim_end();
            if body.is_empty() {
                continue;
            }
            if let Some((level, label)) = leading_marker(body) {
                markers[level] = Some(label);
                for deeper in markers.iter_mut().skip(level + 1) {
                    *deeper = None;
                }
            }
            let parts: Vec<&str> = markers.iter().flatten().map(String::as_str).collect();
            let location = if parts.is_empty() {
                format!("al. {paragraph}")
            } else {
                parts.join(", ")
            };
            for (cs, ce) in cut_long(text, ps, ps + body.len()) {
                out.push(Piece {
                    start: cs,
                    end: ce,
                    location: location.clone(),
                    paragraph,
                });
            }
        }
    }
    out
}

/// Cuts `text[start..end]` into parts of at most [`MAX_PASSAGE_BYTES`], at `; `, `, ` or a
/// space, never inside a word.
fn cut_long(text: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = start;
    while end - from > MAX_PASSAGE_BYTES {
        let window_end = floor_boundary(text, from + MAX_PASSAGE_BYTES);
        let window = &text[from..window_end];
        let half = window.len() / 2;
        let at = [";", ",", " "]
            .iter()
            .find_map(|sep| {
                window
                    .rfind(sep)
                    .filter(|&i| i > half)
                    .map(|i| i + sep.len())
            })
            .unwrap_or(window.len());
        let cut = from + at;
        out.push((from, trim_end_at(text, from, cut)));
        from = skip_spaces(text, cut, end);
    }
    if end > from {
        out.push((from, end));
    }
    out
}

fn floor_boundary(text: &str, mut i: usize) -> usize {
    i = i.min(text.len());
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn trim_end_at(text: &str, start: usize, end: usize) -> usize {
    start + text[start..end].trim_end().len()
}

fn skip_spaces(text: &str, from: usize, end: usize) -> usize {
    let rest = &text[from..end];
    from + (rest.len() - rest.trim_start().len())
}

/// Joins fragments too short to stand alone with the piece that follows them (or, for the
/// last one, with the piece before), as long as the result stays readable.
fn merge_short(text: &str, pieces: Vec<Piece>) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    let mut pending: Option<Piece> = None;
    // A short sentence stays alone rather than join the next paragraph; a heading or a
    // list lead (`A. - Première classe.`, `… suivants :`) joins what it introduces.
    let joins = |p: &Piece, next: &Piece| {
        let body = text[p.start..p.end].trim();
        next.end - p.start <= MAX_PASSAGE_BYTES
            && (p.paragraph == next.paragraph
                || leading_marker(body).is_some()
                || body.ends_with(':'))
    };
    for piece in pieces {
        let current = match pending.take() {
            Some(mut p) if joins(&p, &piece) => {
                // A heading fragment takes the location of what it introduces.
                if leading_marker(text[p.start..p.end].trim()).is_some()
                    && p.location.len() <= piece.location.len()
                {
                    p.location = piece.location.clone();
                }
                p.end = piece.end;
                p
            }
            Some(p) => {
                out.push(p);
                piece
            }
            None => piece,
        };
        if current.end - current.start < MIN_PASSAGE_BYTES {
            pending = Some(current);
        } else {
            out.push(current);
        }
    }
    if let Some(p) = pending {
        match out.last_mut() {
            Some(last)
                if p.end - last.start <= MAX_PASSAGE_BYTES && last.paragraph == p.paragraph =>
            {
                last.end = p.end
            }
            _ => out.push(p),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::article::test_article;

    fn texts(text: &str) -> Vec<(String, String)> {
        passages_of(&test_article("1", text))
            .into_iter()
            .map(|p| (p.text(text).to_string(), p.location))
            .collect()
    }

    #[test]
    fn sentences_and_paragraphs_become_passages_with_their_paragraph() {
        let text = "Les agents des douanes peuvent visiter les marchandises en tous lieux. Ils dressent procès-verbal de leurs constatations.\n\nLe procès-verbal est signé par les agents qui ont participé au contrôle.";
        let got = texts(text);
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[1].1, "al. 1");
        assert_eq!(got[2].1, "al. 2");
        assert!(got[1].0.starts_with("Ils dressent"));
    }

    #[test]
    fn list_items_keep_their_markers_and_their_lead() {
        let text = "I. - Sont passibles d'un emprisonnement de trois ans les infractions suivantes :\n1° La contrebande de marchandises prohibées au sens du présent code ;\n2° L'importation sans déclaration de marchandises prohibées.\nII. - La tentative est punie des mêmes peines que l'infraction consommée elle-même.";
        let passages = passages_of(&test_article("1", text));
        let locations: Vec<&str> = passages.iter().map(|p| p.location.as_str()).collect();
        assert_eq!(locations, vec!["I", "I, 1°", "I, 2°", "II"]);
        assert_eq!(passages[1].lead, Some(0));
        assert_eq!(passages[2].lead, Some(0));
        assert_eq!(passages[3].lead, None);
    }

    #[test]
    fn glued_items_of_the_cibs_are_cut_at_their_markers() {
        let text = "La base d'imposition de l'accise est constituée par les volumes suivants :1° Pour les bières, le volume de produit fini multiplié par le titre ;2° Pour les autres boissons, le volume d'alcool pur contenu dans le produit.";
        let got = texts(text);
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[1].0.starts_with("1° Pour les bières"));
        assert_eq!(got[2].1, "2°");
    }

    #[test]
    fn short_fragments_join_what_follows_and_abbreviations_do_not_cut() {
        let text = "A. - Première classe.\nSont passibles des peines prévues à l'art. 414 du présent code les personnes qui importent sans déclaration.";
        let got = texts(text);
        assert_eq!(got.len(), 1, "{got:?}");
        assert!(got[0].0.starts_with("A. - Première classe."));
        assert!(got[0].0.ends_with("sans déclaration."));
    }

    #[test]
    fn passages_cover_the_text_in_order_and_respect_the_size_limit() {
        let text = format!(
            "{}\n{}",
            "mot, ".repeat(400),
            "Une phrase complète qui termine l'article sans autre marque particulière."
        );
        let passages = passages_of(&test_article("1", &text));
        assert!(passages.len() > 2);
        for pair in passages.windows(2) {
            assert!(pair[0].end <= pair[1].start);
        }
        for p in &passages {
            assert!(p.end - p.start <= MAX_PASSAGE_BYTES, "{}", p.end - p.start);
            assert!(text.is_char_boundary(p.start) && text.is_char_boundary(p.end));
        }
    }
}
