//! Finding classification markers (« DIFFUSION RESTREINTE », « NE PAS INTÉGRER À UN OUTIL
//! D'IA »…) in extracted text.
//!
//! Stamps reach us through PDF text layers, Word runs and hand-typed notes, so the same stamp
//! is written many ways: accents composed (`É`) or decomposed (`E` + U+0301), full-width or
//! mathematical letters, a soft hyphen or a zero-width space inside a word, curly or straight
//! apostrophes, doubled spaces, line breaks, letters spaced out (`D I F F U S I O N`) or glyphs
//! placed one by one with no space at all (`DIFFUSIONRESTREINTE`). One normalisation serves
//! both the marker and the text ([`fold`]): compatibility decomposition (NFKD, which includes
//! NFKC's folding of full-width and styled letters), combining marks and format characters
//! dropped, Cyrillic and Greek letters drawn like Latin ones read as those, `œ`/`æ` spelled
//! out, everything that is not a letter or digit turned into one space. Case is folded only for markers the policy marks `ignore_case`.
//!
//! Matching is on whole words first, so « SECRET » finds « TRÈS SECRET » but never
//! « SECRÉTARIAT ». Two more matches can only refuse, never admit: runs of single letters
//! are joined (`S E C R E T`), and a marker of several words is also looked for with every
//! separator removed, in a text with every separator removed (a one-word marker is not: its
//! separator-free form would be found inside longer words).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds a text for marker matching (see the module documentation): words separated by one
/// space, with a space at both ends; upper-cased when `ignore_case`.
pub fn fold(text: &str, ignore_case: bool) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.nfkd() {
        if is_combining_mark(c) || is_format_char(c) {
            continue;
        }
        let c = latin_lookalike(c);
        let spelled = match c {
            'œ' => Some("oe"),
            'Œ' => Some("OE"),
            'æ' => Some("ae"),
            'Æ' => Some("AE"),
            'ß' => Some("ss"),
            _ => None,
        };
        match spelled {
            Some(s) => push_letters(&mut out, s.chars(), ignore_case),
            None if c.is_alphanumeric() => push_letters(&mut out, std::iter::once(c), ignore_case),
            None => {
                if !out.ends_with(' ') {
                    out.push(' ');
                }
            }
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

fn push_letters(out: &mut String, letters: impl Iterator<Item = char>, ignore_case: bool) {
    for letter in letters {
        if ignore_case {
            out.extend(letter.to_uppercase());
        } else {
            out.push(letter);
        }
    }
}

/// The Latin letter a Cyrillic or Greek letter is drawn like (« DІFFUSION » with a Cyrillic
/// І reads as « DIFFUSION »); other characters unchanged.
fn latin_lookalike(c: char) -> char {
    match c {
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'С' | 'Ϲ' => 'C',
        'Е' | 'Ε' => 'E',
        'Н' | 'Η' => 'H',
        'І' | 'Ι' | 'Ӏ' => 'I',
        'Ј' => 'J',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Ν' => 'N',
        'О' | 'Ο' => 'O',
        'Р' | 'Ρ' => 'P',
        'Ѕ' => 'S',
        'Т' | 'Τ' => 'T',
        'Х' | 'Χ' => 'X',
        'Υ' | 'Ү' => 'Y',
        'Ζ' => 'Z',
        'а' => 'a',
        'с' | 'ϲ' => 'c',
        'е' => 'e',
        'і' => 'i',
        'ј' => 'j',
        'о' | 'ο' => 'o',
        'р' => 'p',
        'ѕ' => 's',
        'х' => 'x',
        'у' => 'y',
        other => other,
    }
}

/// Invisible characters that change no letter: soft hyphen, zero-width spaces and joiners,
/// word joiner, bidirectional controls, byte-order mark, variation selectors, tags. They are
/// dropped, not turned into spaces, since a reader sees the word they sit in as one.
fn is_format_char(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
        | '\u{180B}'..='\u{180F}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{206F}'
        | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}' | '\u{FFA0}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{E0000}'..='\u{E0FFF}')
}

/// A text folded once for every marker looked for in it.
#[derive(Debug, Clone)]
pub struct FoldedText {
    /// Words separated by one space, space at both ends.
    words: String,
    /// Every run of two or more one-letter words, joined.
    spaced_runs: Vec<String>,
    /// Every separator removed.
    compact: String,
}

impl FoldedText {
    /// Folds `text` (upper-cased when `ignore_case`).
    pub fn new(text: &str, ignore_case: bool) -> Self {
        let words = fold(text, ignore_case);
        let mut spaced_runs = Vec::new();
        let mut run = String::new();
        let mut letters_in_run = 0;
        for word in words.split(' ').filter(|w| !w.is_empty()) {
            if word.chars().count() == 1 {
                run.push_str(word);
                letters_in_run += 1;
                continue;
            }
            if letters_in_run >= 2 {
                spaced_runs.push(std::mem::take(&mut run));
            }
            run.clear();
            letters_in_run = 0;
        }
        if letters_in_run >= 2 {
            spaced_runs.push(run);
        }
        let compact = words.chars().filter(|c| *c != ' ').collect();
        Self {
            words,
            spaced_runs,
            compact,
        }
    }
}

/// How a marker was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkerMatch {
    /// As whole words.
    Words,
    /// Letter-spaced (`S E C R E T`).
    LetterSpaced,
    /// With the separators between its words missing (`DIFFUSIONRESTREINTE`).
    WithoutSeparators,
}

/// A marker folded once, ready to be looked for.
#[derive(Debug, Clone)]
pub struct MarkerPattern {
    words: String,
    compact: String,
    word_count: usize,
}

impl MarkerPattern {
    /// Folds a marker (upper-cased when `ignore_case`); `None` when nothing is left of it.
    pub fn new(marker: &str, ignore_case: bool) -> Option<Self> {
        let words = fold(marker, ignore_case);
        let word_count = words.split(' ').filter(|w| !w.is_empty()).count();
        if word_count == 0 {
            return None;
        }
        let compact = words.chars().filter(|c| *c != ' ').collect();
        Some(Self {
            words,
            compact,
            word_count,
        })
    }

    /// Where the marker is in `text`, if it is.
    pub fn find_in(&self, text: &FoldedText) -> Option<MarkerMatch> {
        if text.words.contains(&self.words) {
            return Some(MarkerMatch::Words);
        }
        if text
            .spaced_runs
            .iter()
            .any(|run| run.contains(&self.compact))
        {
            return Some(MarkerMatch::LetterSpaced);
        }
        if self.word_count >= 2 && text.compact.contains(&self.compact) {
            return Some(MarkerMatch::WithoutSeparators);
        }
        None
    }
}

/// Whether `text` contains `marker` in any of the ways of [`MarkerPattern::find_in`].
pub fn contains_marker(text: &str, marker: &str, ignore_case: bool) -> bool {
    MarkerPattern::new(marker, ignore_case)
        .is_some_and(|m| m.find_in(&FoldedText::new(text, ignore_case)).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, marker: &str, ignore_case: bool) -> bool {
        contains_marker(text, marker, ignore_case)
    }

    #[test]
    fn stamps_match_despite_accents_apostrophes_and_line_breaks() {
        assert!(found(
            "Note n° 12\nNE PAS INTEGRER A UN OUTIL D’IA\n",
            "NE PAS INTÉGRER À UN OUTIL D'IA",
            true
        ));
        assert!(found(
            "ne pas intégrer\nà un outil d'IA",
            "NE PAS INTÉGRER À UN OUTIL D'IA",
            true
        ));
        assert!(found(
            "— DIFFUSION  RESTREINTE —",
            "DIFFUSION RESTREINTE",
            true
        ));
        assert!(found("Diffusion restreinte", "DIFFUSION RESTREINTE", true));
    }

    #[test]
    fn whole_words_only_and_case_when_asked() {
        assert!(found("TRÈS SECRET", "SECRET", false));
        assert!(!found("SECRÉTARIAT GÉNÉRAL", "SECRET", false));
        assert!(!found("le secret professionnel", "SECRET", false));
        assert!(found("le secret professionnel", "SECRET", true));
        assert!(!found("anything", "  ", true));
    }

    #[test]
    fn decomposed_accents_and_invisible_characters_do_not_hide_a_stamp() {
        let marker = "NE PAS INTÉGRER À UN OUTIL D'IA";
        assert!(found(
            "NE PAS INTE\u{301}GRER A\u{300} UN OUTIL D'IA",
            marker,
            true
        ));
        assert!(found(
            "NE PAS INTÉ\u{AD}GRER À UN OU\u{200B}TIL D'IA",
            marker,
            true
        ));
        assert!(found(
            "DIFFU\u{2060}SION RESTR\u{FEFF}EINTE",
            "DIFFUSION RESTREINTE",
            true
        ));
        assert!(found("CONFI\u{AD}DENTIEL", "CONFIDENTIEL", false));
    }

    #[test]
    fn full_width_styled_and_spaced_out_letters_are_letters() {
        assert!(found(
            "ＤＩＦＦＵＳＩＯＮ ＲＥＳＴＲＥＩＮＴＥ",
            "DIFFUSION RESTREINTE",
            true
        ));
        assert!(found("𝐒𝐄𝐂𝐑𝐄𝐓", "SECRET", false));
        assert!(found("S E C R E T", "SECRET", false));
        assert!(found("T R È S   S E C R E T", "SECRET", false));
        assert!(found(
            "D I F F U S I O N  R E S T R E I N T E",
            "DIFFUSION RESTREINTE",
            true
        ));
    }

    #[test]
    fn cyrillic_and_greek_lookalikes_read_as_the_latin_letters_they_show() {
        // Ѕ, Е, Т Cyrillic; Ι Greek.
        assert!(found("\u{405}\u{415}CR\u{415}\u{422}", "SECRET", false));
        assert!(found(
            "D\u{399}FFUSION RESTREINTE",
            "DIFFUSION RESTREINTE",
            true
        ));
        assert!(found(
            "diffusion r\u{435}streinte",
            "DIFFUSION RESTREINTE",
            true
        ));
        // A Russian word is not a French stamp.
        assert!(!found("СЕКРЕТ", "SECRET", false));
    }

    #[test]
    fn separator_free_matching_is_for_markers_of_several_words() {
        assert!(found("DIFFUSIONRESTREINTE", "DIFFUSION RESTREINTE", true));
        assert!(found(
            "NEPASINTÉGRERÀUNOUTILD'IA",
            "NE PAS INTÉGRER À UN OUTIL D'IA",
            true
        ));
        // One word: its separator-free form would be found inside longer words.
        assert!(!found("SECRÉTARIAT", "SECRET", false));
        assert!(!found("A B SECRETARIAT", "SECRET", false));
    }
}
