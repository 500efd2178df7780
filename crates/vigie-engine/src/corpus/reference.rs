//! Article numbers: their canonical form, and finding the ones a question names.
//!
//! Légifrance numbers mix digits, hyphens, Latin ordinals and capital letters (`67 bis-1 A`,
//! `322-00 bis`, `59 unvicies`, `L. 312-1`). Agents type them loosely (`art 414-2 CD`,
//! `l'article 65 A bis`, `L312-1 CIBS`). Both are reduced to the same token sequence, and a
//! number found in a question is matched against the corpus by its longest existing prefix, so
//! that `l'article 414 a été modifié` finds 414, not a non-existent `414 A`.
//!
//! A number followed by the name of another text (Union Customs Code, code du travail…) is not
//! taken for one of ours.

use std::sync::OnceLock;

use regex::Regex;

/// Latin ordinal suffixes used in French article numbers.
const LATIN_SUFFIXES: &[&str] = &[
    "bis",
    "ter",
    "quater",
    "quinquies",
    "sexies",
    "septies",
    "octies",
    "nonies",
    "decies",
    "undecies",
    "duodecies",
    "terdecies",
    "quaterdecies",
    "quindecies",
    "sexdecies",
    "septdecies",
    "octodecies",
    "novodecies",
    "vicies",
    "unvicies",
    "duovicies",
    "tervicies",
    "quatervicies",
];

/// Which family of codes a number belongs to, as far as its shape tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeHint {
    /// The question names the Code des douanes (`CD`, `code des douanes`).
    Douanes,
    /// The question names the CIBS.
    Cibs,
    /// Nothing said.
    Unspecified,
}

/// An article number as the question wrote it, reduced to canonical tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArticleMention {
    /// Canonical tokens, longest reading (prefixes are tried when matching).
    pub tokens: Vec<String>,
    /// The code the question names next to the number, if any.
    pub code: CodeHint,
    /// Byte range of the mention in the question.
    pub span: (usize, usize),
}

/// Canonical key of an article number: lower-case tokens joined by single spaces.
///
/// `65 A bis` → `65 a bis`; `67 bis-1 A` → `67 bis - 1 a`; `L. 312-1` → `l 312 - 1`.
pub fn canonical_key(number: &str) -> String {
    tokenize_number(number).join(" ")
}

fn tokenize_number(number: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut kind = 0u8; // 0 none, 1 digits, 2 letters
    let flush = |current: &mut String, tokens: &mut Vec<String>| {
        if !current.is_empty() {
            tokens.push(std::mem::take(current).to_lowercase());
        }
    };
    for c in number.chars() {
        let k = if c.is_ascii_digit() {
            1
        } else if c.is_alphabetic() {
            2
        } else {
            0
        };
        if k == 0 {
            flush(&mut current, &mut tokens);
            if c == '-' || c == '‑' || c == '–' {
                tokens.push("-".to_string());
            }
        } else {
            if k != kind {
                flush(&mut current, &mut tokens);
            }
            current.push(c);
        }
        kind = k;
    }
    flush(&mut current, &mut tokens);
    tokens
}

fn mention_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let mut suffixes: Vec<&str> = LATIN_SUFFIXES.to_vec();
        suffixes.sort_by_key(|s| std::cmp::Reverse(s.len()));
        let suffixes = suffixes.join("|");
        // Either a keyword (art., article, articles) followed by a number, or a CIBS-shaped
        // number (L./R./D./A. followed by a hyphenated number) on its own. A number continues
        // with digits, Latin ordinals and single capital letters only.
        let part = format!(r"(?:\d+|(?i:{suffixes})\b|[A-Z]\b)");
        // A bare number counts when it carries a Latin ordinal (`65 A bis`, `67 bis-1`), or
        // when it is the whole question (an agent typing `414` in the search box).
        let pattern = format!(
            r"(?:\b(?i:art(?:icle)?s?)\b\.?\s*(?:n°\s*)?)(?P<num>(?:[LRDA]\.?\s?)?\d+(?:[\s\-‑–]*{part})*)|(?P<cibs>\b[LRDA]\.?\s?\d+(?:\s?-\s?\d+)+)|(?P<bare>\b\d+(?:\s[A-Z])?\s(?i:{suffixes})\b(?:[\s\-‑–]*{part})*)|^\s*(?P<whole>(?:[LRDA]\.?\s?)?\d+(?:[\s\-‑–]*{part})*)\s*$"
        );
        Regex::new(&pattern).unwrap_or_else(|e| panic!("static regex: {e}"))
    })
}

/// Words that may continue an article number; anything else ends it.
fn is_number_word(word: &str, original: &str) -> bool {
    let lower = word.to_lowercase();
    if LATIN_SUFFIXES.contains(&lower.as_str()) {
        return true;
    }
    // A single capital letter (`65 A bis`, `67 D-3`); a lower-case one is French (`a`, `y`).
    original.len() == 1 && original.chars().all(|c| c.is_ascii_uppercase())
}

/// Reduces the raw text matched after a keyword to the tokens of a plausible number.
fn number_tokens(raw: &str) -> Vec<String> {
    let mut tokens: Vec<String> = Vec::new();
    // Split keeping the original case of letters to tell `A` from `a`.
    let mut pieces: Vec<(String, bool)> = Vec::new(); // (text, is_hyphen)
    let mut current = String::new();
    let mut last_kind = 0u8;
    for c in raw.chars() {
        let kind = if c.is_ascii_digit() {
            1
        } else if c.is_alphabetic() {
            2
        } else {
            0
        };
        if (kind == 0 || kind != last_kind) && !current.is_empty() {
            pieces.push((std::mem::take(&mut current), false));
        }
        if kind == 0 {
            if matches!(c, '-' | '‑' | '–') {
                pieces.push(("-".into(), true));
            } else if c == '.' && pieces.len() == 1 {
                // `L. 312-1`: the dot after the prefix letter.
            } else if !c.is_whitespace() {
                break;
            }
        } else {
            current.push(c);
        }
        last_kind = kind;
    }
    if !current.is_empty() {
        pieces.push((current, false));
    }
    for (i, (piece, hyphen)) in pieces.iter().enumerate() {
        if *hyphen {
            tokens.push("-".into());
            continue;
        }
        let first_char = piece.chars().next().unwrap_or(' ');
        if first_char.is_ascii_digit() {
            tokens.push(piece.clone());
        } else if (i == 0 && matches!(piece.as_str(), "L" | "R" | "D" | "A" | "l" | "r" | "d"))
            || is_number_word(piece, piece)
        {
            // A CIBS prefix letter in first position, or an ordinal / capital suffix.
            tokens.push(piece.to_lowercase());
        } else {
            break;
        }
    }
    while tokens.last().is_some_and(|t| t == "-") {
        tokens.pop();
    }
    // A prefix letter alone is not a number.
    if tokens
        .iter()
        .all(|t| !t.chars().all(|c| c.is_ascii_digit()))
    {
        tokens.clear();
    }
    tokens
}

fn foreign_text_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"(?xi)^[\s,]*(?:du|de\s+la|de\s+l['’]|des|de)?\s*(?:
                code\s+des\s+douanes\s+(?:de\s+l['’]union|communautaire|de\s+l['’]ue)
              | cdu\b | ucc\b | union\s+customs\s+code
              | code\s+(?:de\s+la\s+|du\s+|des\s+|de\s+l['’]|d['’])?(?:route|travail|p[ée]nal|civil|commerce|s[ée]curit[ée]|sant[ée]|environnement|proc[ée]dure|g[ée]n[ée]ral|mon[ée]taire|consommation|urbanisme|rural|transports|justice|d[ée]fense|entr[ée]e|imp[ôo]ts|assurances|postes|propri[ée]t[ée])
              | cgi\b | cpp\b | tfue\b | trait[ée] | r[èe]glement | directive | loi\b | d[ée]cret | arr[êe]t[ée]
              | convention | constitution
            )",
        )
        .unwrap_or_else(|e| panic!("static regex: {e}"))
    })
}

fn code_hint_after(rest: &str) -> CodeHint {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"(?xi)^[\s,]*(?:du|de\s+la|de\s+l['’])?\s*(?P<c>cd\b|code\s+des\s+douanes|cibs\b|code\s+des\s+impositions)")
            .unwrap_or_else(|e| panic!("static regex: {e}"))
    });
    match re.captures(rest).and_then(|c| c.name("c")) {
        Some(m) if m.as_str().to_lowercase().starts_with("ci") => CodeHint::Cibs,
        Some(m) if m.as_str().to_lowercase().contains("impositions") => CodeHint::Cibs,
        Some(_) => CodeHint::Douanes,
        None => CodeHint::Unspecified,
    }
}

/// Finds the article numbers a question names, skipping those of other texts.
pub fn find_mentions(question: &str) -> Vec<ArticleMention> {
    let mut mentions = Vec::new();
    for caps in mention_regex().captures_iter(question) {
        let Some(m) = ["num", "cibs", "bare", "whole"]
            .iter()
            .find_map(|name| caps.name(name))
        else {
            continue;
        };
        let tokens = number_tokens(m.as_str());
        if tokens.is_empty() {
            continue;
        }
        // Where the number really ends, to look at what follows it.
        let consumed = consumed_len(m.as_str(), &tokens);
        let end = m.start() + consumed;
        let rest = &question[end..];
        let window: String = rest.chars().take(80).collect();
        if foreign_text_regex().is_match(&window) {
            continue;
        }
        let code = match code_hint_after(&window) {
            CodeHint::Unspecified if tokens[0].chars().all(char::is_alphabetic) => CodeHint::Cibs,
            hint => hint,
        };
        mentions.push(ArticleMention {
            tokens,
            code,
            span: (m.start(), end),
        });
    }
    // `articles 356 et 357`: a bare number joined to a mention by `et`/`,` is one more.
    let extra = list_continuations(question, &mentions);
    mentions.extend(extra);
    mentions
}

fn list_continuations(question: &str, mentions: &[ArticleMention]) -> Vec<ArticleMention> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^(?:\s*(?:,|et|ou|à)\s*)(?P<num>\d+(?:[\s\-]*(?:\d+|[A-Za-z]+))*)")
            .unwrap_or_else(|e| panic!("static regex: {e}"))
    });
    let mut extra = Vec::new();
    for mention in mentions {
        let mut pos = mention.span.1;
        while let Some(caps) = re.captures(&question[pos..]) {
            let Some(m) = caps.name("num") else { break };
            let tokens = number_tokens(m.as_str());
            if tokens.is_empty() {
                break;
            }
            let start = pos + m.start();
            let end = start + consumed_len(m.as_str(), &tokens);
            let window: String = question[end..].chars().take(80).collect();
            if !foreign_text_regex().is_match(&window) {
                extra.push(ArticleMention {
                    tokens,
                    code: mention.code,
                    span: (start, end),
                });
            }
            pos = end;
        }
    }
    extra
}

/// Byte length of the prefix of `raw` that produced `tokens`.
fn consumed_len(raw: &str, tokens: &[String]) -> usize {
    let mut remaining = tokens.iter();
    let mut want = remaining.next();
    let mut pos = 0;
    let lower = raw.to_lowercase();
    // Lower-casing keeps byte lengths for the ASCII characters numbers are made of.
    if lower.len() != raw.len() {
        return raw.len();
    }
    while let Some(token) = want {
        match lower[pos..].find(token.as_str()) {
            Some(offset) => {
                pos += offset + token.len();
                want = remaining.next();
            }
            None => return raw.len(),
        }
    }
    pos
}

/// Canonical keys to try for a mention, longest first.
pub fn candidate_keys(mention: &ArticleMention) -> Vec<String> {
    let mut keys = Vec::new();
    for len in (1..=mention.tokens.len()).rev() {
        let prefix = &mention.tokens[..len];
        if prefix.last().is_some_and(|t| t == "-") {
            continue;
        }
        keys.push(prefix.join(" "));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    fn first(q: &str) -> Vec<String> {
        find_mentions(q)
            .first()
            .map(|m| m.tokens.clone())
            .unwrap_or_default()
    }

    #[test]
    fn canonical_keys_of_corpus_forms() {
        assert_eq!(canonical_key("65 A bis"), "65 a bis");
        assert_eq!(canonical_key("67 bis-1 A"), "67 bis - 1 a");
        assert_eq!(canonical_key("L. 312-1"), "l 312 - 1");
        assert_eq!(canonical_key("322-00 bis"), "322 - 00 bis");
        assert_eq!(canonical_key("59 unvicies"), "59 unvicies");
    }

    #[test]
    fn mentions_in_questions() {
        assert_eq!(first("art. 414"), vec!["414"]);
        assert_eq!(
            first("Que dit l'article 67 bis-1 ?"),
            vec!["67", "bis", "-", "1"]
        );
        assert_eq!(
            first("Montre-moi l'article 65 A bis"),
            vec!["65", "a", "bis"]
        );
        assert_eq!(first("l'article 60-3 CD"), vec!["60", "-", "3"]);
        assert_eq!(first("L. 312-1 CIBS"), vec!["l", "312", "-", "1"]);
        assert_eq!(first("article L312-1 du CIBS"), vec!["l", "312", "-", "1"]);
        assert_eq!(first("art 414-2 CD"), vec!["414", "-", "2"]);
        assert_eq!(
            first("L'article 67 D-3, c'est quoi ?"),
            vec!["67", "d", "-", "3"]
        );
    }

    #[test]
    fn lower_case_letter_after_number_is_french() {
        assert_eq!(first("l'article 414 a été modifié"), vec!["414"]);
    }

    #[test]
    fn other_texts_are_not_ours() {
        assert!(find_mentions("article 5 du code des douanes de l'Union").is_empty());
        assert!(find_mentions("article L. 1221-1 du code du travail").is_empty());
        assert!(find_mentions("l'article 5 du CDU").is_empty());
        assert!(find_mentions("article R. 413-17 du code de la route").is_empty());
    }

    #[test]
    fn lists_of_articles() {
        let m = find_mentions("Que disent les articles 356 et 357 ?");
        let all: Vec<_> = m.iter().map(|m| m.tokens.join(" ")).collect();
        assert_eq!(all, vec!["356", "357"]);
    }

    #[test]
    fn code_hints() {
        assert_eq!(find_mentions("art. 343 CD")[0].code, CodeHint::Douanes);
        assert_eq!(find_mentions("L. 312-1 CIBS")[0].code, CodeHint::Cibs);
        assert_eq!(find_mentions("article 414")[0].code, CodeHint::Unspecified);
    }

    #[test]
    fn bare_numbers_with_ordinals_or_alone_are_mentions() {
        assert_eq!(first("65 A bis"), vec!["65", "a", "bis"]);
        assert_eq!(first("414"), vec!["414"]);
        assert_eq!(
            first("que dit le 67 bis-1 sur les livraisons ?"),
            vec!["67", "bis", "-", "1"]
        );
    }

    #[test]
    fn plain_numbers_are_not_mentions() {
        assert!(find_mentions("une cigarette de 12 cm").is_empty());
        assert!(find_mentions("90 jours par an").is_empty());
    }

    #[test]
    fn candidate_keys_longest_first() {
        let m = &find_mentions("article 67 bis-1 A")[0];
        assert_eq!(
            candidate_keys(m),
            vec!["67 bis - 1 a", "67 bis - 1", "67 bis", "67"]
        );
    }
}
