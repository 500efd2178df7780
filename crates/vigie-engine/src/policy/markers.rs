//! Finding classification markers (« DIFFUSION RESTREINTE », « NE PAS INTÉGRER À UN OUTIL
//! D'IA »…) in extracted text.
//!
//! Stamps reach us through PDF text layers, Word styles and hand-typed notes, so spelling
//! varies: accents dropped, curly or straight apostrophes, doubled spaces, line breaks inside
//! the stamp. Both the marker and the text are folded the same way (accents removed,
//! everything that is not a letter or digit turned into one space) and matched on whole
//! words, so « SECRET » finds « SECRET » and « Très secret » (when case is ignored) but never
//! « SECRÉTARIAT ».

/// Folds a text for marker matching: accents removed, runs of non-alphanumeric characters
/// turned into one space, with a space at both ends; upper-cased when `ignore_case`.
pub fn fold(text: &str, ignore_case: bool) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push(' ');
    for c in text.chars() {
        let folded = fold_char(c);
        match folded {
            Some(s) => {
                for f in s.chars() {
                    if ignore_case {
                        out.extend(f.to_uppercase());
                    } else {
                        out.push(f);
                    }
                }
            }
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

/// A letter or digit without its accent (`None` for separators).
fn fold_char(c: char) -> Option<std::borrow::Cow<'static, str>> {
    use std::borrow::Cow;
    let plain = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => "A",
        'ç' => "c",
        'Ç' => "C",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'È' | 'É' | 'Ê' | 'Ë' => "E",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'Ì' | 'Í' | 'Î' | 'Ï' => "I",
        'ñ' => "n",
        'Ñ' => "N",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => "o",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' => "O",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'Ù' | 'Ú' | 'Û' | 'Ü' => "U",
        'ý' | 'ÿ' => "y",
        'Ý' | 'Ÿ' => "Y",
        'œ' => "oe",
        'Œ' => "OE",
        'æ' => "ae",
        'Æ' => "AE",
        c if c.is_alphanumeric() => return Some(Cow::Owned(c.to_string())),
        _ => return None,
    };
    Some(Cow::Borrowed(plain))
}

/// Whether `folded_text` (from [`fold`]) contains the marker as whole words.
pub fn contains_marker(folded_text: &str, marker: &str, ignore_case: bool) -> bool {
    let needle = fold(marker, ignore_case);
    !needle.trim().is_empty() && folded_text.contains(&needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str, marker: &str, ignore_case: bool) -> bool {
        contains_marker(&fold(text, ignore_case), marker, ignore_case)
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
}
