//! Numbers named in a question, followed through the correspondence tables: an old number
//! finds the new article(s), a new number the old one(s).
//!
//! A number is read as in the exact lookup (longest prefix first). The first prefix that is an
//! article of the corpus or that a table names ends the reading, so `414 bis` never borrows the
//! links of `414`.

use crate::corpus::{
    Article, CODE_CIBS, CODE_DOUANES, CodeHint, Corpus, find_mentions, reference::candidate_keys,
};
use crate::versions::correspondence::CorrespondenceSet;

/// Articles linked to the numbers a question names, each with the label of the number named,
/// taken from the edition `edition_of(code)` of their code (skipped when it has none, or when
/// the article is not in that edition).
pub(super) fn linked_lookups<'c>(
    corpus: &'c Corpus,
    set: &CorrespondenceSet,
    question: &str,
    edition_of: &dyn Fn(&str) -> Option<String>,
) -> Vec<(&'c Article, String)> {
    let mut found: Vec<(&Article, String)> = Vec::new();
    for mention in find_mentions(question) {
        let codes: &[&str] = match mention.code {
            CodeHint::Douanes => &[CODE_DOUANES],
            CodeHint::Cibs => &[CODE_CIBS],
            CodeHint::Unspecified => &[CODE_DOUANES, CODE_CIBS],
        };
        'keys: for key in candidate_keys(&mention) {
            let mut settled = false;
            for code in codes {
                let mut tries = vec![key.clone()];
                if *code == CODE_CIBS && key.starts_with(|c: char| c.is_ascii_digit()) {
                    tries.push(format!("l {key}"));
                }
                for k in tries {
                    let links = set.linked_by_key(code, &k);
                    if links.is_empty() {
                        settled |= corpus.has_number(code, &k);
                        continue;
                    }
                    settled = true;
                    let spelled = corpus
                        .editions()
                        .iter()
                        .filter(|e| e.code == *code)
                        .find_map(|e| corpus.find_number(code, &e.date, &k))
                        .map(|a| a.article.clone())
                        .unwrap_or_else(|| k.clone());
                    let named = format!("{} {spelled}", crate::corpus::short_code_name(code));
                    for link in links {
                        let Some(edition) = edition_of(&link.code) else {
                            continue;
                        };
                        if let Some(article) =
                            corpus.find_number(&link.code, &edition, &link.article)
                            && !found.iter().any(|(a, _)| a.id == article.id)
                        {
                            found.push((article, named.clone()));
                        }
                    }
                }
            }
            if settled {
                break 'keys;
            }
        }
    }
    found
}
