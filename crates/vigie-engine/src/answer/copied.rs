//! What a small model copies from its sources.
//!
//! Models of a few hundred million parameters often answer by copying: the header line of a
//! source (`[art. 185] Code des douanes, édition du 2025-07-13 — Chapitre Ier…`), which cites
//! an article without saying anything, and whole sentences of a source without citing it.
//! The first is cut to its label (dropped when alone on its line) before citations are
//! checked, so it does not clutter the answer; the second is attributed to the source it was
//! copied from, verbatim, so that every sentence the agent reads can be traced to the text it
//! came from.

use super::citations::{GivenSource, citation_label, contains_verbatim};
use super::prompt::{PromptSource, prompt_label, source_header};

/// Shortest sentence attributed by copy: shorter ones are common phrases.
const MIN_COPIED_CHARS: usize = 40;

/// The header lines the prompt gave for `sources`, longest first (with and without the
/// ` — extrait` mark), each with its label.
fn headers(sources: &[GivenSource<'_>]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for source in sources {
        for trimmed in [true, false] {
            let prompt_source = PromptSource {
                number: source.number,
                article: source.article,
                text: source.text,
                trimmed,
            };
            out.push((
                source_header(&prompt_source),
                format!("[{}]", prompt_label(&prompt_source)),
            ));
        }
    }
    out.sort_by_key(|(header, _)| std::cmp::Reverse(header.len()));
    out
}

/// The answer without the source headers it repeats: a line that is only a header goes, a
/// header followed by text keeps just its label. When nothing would remain, the answer is
/// left as written (the agent sees what the model did).
pub fn drop_copied_headers(answer: &str, sources: &[GivenSource<'_>]) -> String {
    let headers = headers(sources);
    let mut kept = Vec::new();
    for line in answer.split('\n') {
        let mut line = line.to_string();
        let mut whole_header = false;
        for (header, label) in &headers {
            if line.trim() == header {
                whole_header = true;
                break;
            }
            if line.contains(header.as_str()) {
                line = line.replace(header.as_str(), label);
            }
        }
        if !whole_header {
            kept.push(line);
        }
    }
    let cleaned = kept.join("\n").trim().to_string();
    if cleaned.is_empty() {
        answer.to_string()
    } else {
        cleaned
    }
}

/// A sentence of the answer copied from a source without a citation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopiedSentence {
    /// Index of the source in the given sources.
    pub source: usize,
    /// The sentence, as written.
    pub sentence: String,
}

/// Adds the label of the source after each uncited sentence copied verbatim from it (before
/// its final punctuation), and says which sentences were attributed.
pub fn attribute_copied_sentences(
    text: &str,
    sources: &[GivenSource<'_>],
) -> (String, Vec<CopiedSentence>) {
    let mut out = String::with_capacity(text.len());
    let mut copied = Vec::new();
    for piece in sentences(text) {
        let body = piece.trim_end_matches(['.', '!', '?', '\n']);
        let ending = &piece[body.len()..];
        let sentence = body.trim();
        let attributed = (sentence.chars().count() >= MIN_COPIED_CHARS && !sentence.contains('['))
            .then(|| {
                sources
                    .iter()
                    .position(|s| contains_verbatim(s.text, sentence))
            })
            .flatten();
        match attributed {
            Some(i) => {
                out.push_str(body.trim_end());
                out.push_str(&format!(" [{}]", citation_label(sources[i].article)));
                out.push_str(ending);
                copied.push(CopiedSentence {
                    source: i,
                    sentence: sentence.to_string(),
                });
            }
            None => out.push_str(piece),
        }
    }
    (out, copied)
}

/// Words after which a full stop does not end a sentence (`art. 414`, `L. 312-1`).
const ABBREVIATIONS: [&str; 8] = ["art", "l", "r", "d", "al", "cf", "p", "n°"];

/// `text` cut after each sentence's final punctuation (kept with it) and after each line.
pub(crate) fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next_is_space = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        let ends = match c {
            '\n' => true,
            '!' | '?' => next_is_space,
            '.' => {
                let word = text[start..i]
                    .rsplit(char::is_whitespace)
                    .next()
                    .unwrap_or("")
                    .rsplit(['\'', '’'])
                    .next()
                    .unwrap_or("")
                    .trim_start_matches(['(', '[', '«'])
                    .to_lowercase();
                next_is_space && !ABBREVIATIONS.contains(&word.as_str())
            }
            _ => false,
        };
        if ends {
            let end = i + c.len_utf8();
            out.push(&text[start..end]);
            start = end;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::article::test_article;

    #[test]
    fn sentences_end_at_final_punctuation_not_after_abbreviations() {
        assert_eq!(
            sentences("Voir l'art. 414 du code. Puis L. 312-1 ! Fin"),
            vec!["Voir l'art. 414 du code.", " Puis L. 312-1 !", " Fin"]
        );
        assert_eq!(sentences("Un.\nDeux"), vec!["Un.", "\n", "Deux"]);
    }

    #[test]
    fn copied_headers_are_dropped_or_cut_to_their_label() {
        let mut a = test_article("185", "Les colis sont ouverts en présence du propriétaire.");
        a.path = vec!["Chapitre Ier : Dépôt".into()];
        let sources = [GivenSource {
            number: 1,
            article: &a,
            text: &a.text,
        }];
        let header = "[art. 185] Code des douanes, édition du 2025-07-13 — Chapitre Ier : Dépôt";
        assert_eq!(
            drop_copied_headers(
                &format!("{header}\n\nLes colis sont ouverts [art. 185]."),
                &sources
            ),
            "Les colis sont ouverts [art. 185]."
        );
        assert_eq!(
            drop_copied_headers(&format!("{header} Les colis sont ouverts."), &sources),
            "[art. 185] Les colis sont ouverts."
        );
        // Nothing but the header: left as written.
        assert_eq!(drop_copied_headers(header, &sources), header);
        let plain = "Selon le Code des douanes, édition du 2025-07-13, la peine est lourde.";
        assert_eq!(drop_copied_headers(plain, &sources), plain);
    }

    #[test]
    fn a_sentence_copied_without_citation_is_attributed_to_its_source() {
        let a = test_article("1", "Première règle sans rapport.");
        let b = test_article(
            "2",
            "Les colis contenant des graines sont retenus au bureau pendant deux jours. Autre phrase.",
        );
        let sources = [
            GivenSource {
                number: 1,
                article: &a,
                text: &a.text,
            },
            GivenSource {
                number: 2,
                article: &b,
                text: &b.text,
            },
        ];
        let (text, copied) = attribute_copied_sentences(
            "Les colis contenant des graines sont retenus au bureau pendant deux jours. Vérifiez.",
            &sources,
        );
        assert_eq!(
            text,
            "Les colis contenant des graines sont retenus au bureau pendant deux jours [art. 2]. Vérifiez."
        );
        assert_eq!(copied.len(), 1);
        assert_eq!(copied[0].source, 1);
        // Cited already, or invented: left as written.
        let cited =
            "Les colis contenant des graines sont retenus au bureau pendant deux jours [art. 2].";
        assert_eq!(attribute_copied_sentences(cited, &sources).0, cited);
        let invented = "Les colis contenant des graines sont détruits sur place sans délai aucun.";
        assert_eq!(attribute_copied_sentences(invented, &sources).0, invented);
    }
}
