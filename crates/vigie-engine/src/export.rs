//! A conversation written out for a file, a colleague or an inspector: Markdown, and a
//! self-contained printable HTML page (print it to PDF from any browser).
//!
//! An export must stand on its own: each answer keeps its checked citations and the passage
//! supporting each one, the model and corpus it came from, and the full text of every cited
//! article is quoted at the end with its edition and the licence's credit line, so the reader
//! can check the answer without Vigie. The AI notice heads the document.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::answer::citations::dated_reference;
use crate::answer::{Answer, Confidence, LOW_CONFIDENCE_SENTENCE};
use crate::corpus::{Corpus, credit_line, short_code_name};
use crate::store::{Conversation, Role};

/// Export formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Markdown (`.md`).
    Markdown,
    /// Printable HTML (`.html`), with its style inside.
    Html,
}

impl ExportFormat {
    /// File extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Markdown => "md",
            ExportFormat::Html => "html",
        }
    }
}

/// Notice printed at the top of every export.
pub const AI_NOTICE: &str = "Réponses produites par un système d'intelligence artificielle (Vigie, hors ligne) à partir des articles cités : elles ne remplacent pas la lecture des textes et doivent être vérifiées.";

/// One exchange: a question and the answer that followed it (if any).
struct Exchange<'c> {
    question: &'c str,
    asked: &'c str,
    answer: Option<(Answer, bool)>,
    unreadable_answer: Option<&'c str>,
}

fn exchanges(conversation: &Conversation) -> Vec<Exchange<'_>> {
    let mut out: Vec<Exchange<'_>> = Vec::new();
    for message in &conversation.messages {
        match message.role {
            Role::Question => out.push(Exchange {
                question: &message.text,
                asked: &message.created,
                answer: None,
                unreadable_answer: None,
            }),
            Role::Answer => {
                let parsed = message
                    .answer
                    .clone()
                    .and_then(|v| serde_json::from_value::<Answer>(v).ok());
                if out.is_empty() {
                    out.push(Exchange {
                        question: "",
                        asked: &message.created,
                        answer: None,
                        unreadable_answer: None,
                    });
                }
                if let Some(last) = out.last_mut() {
                    match parsed {
                        Some(answer) => last.answer = Some((answer, message.stopped)),
                        None => last.unreadable_answer = Some(&message.text),
                    }
                }
            }
        }
    }
    out
}

/// The articles a conversation quotes (its extracts) or cites, by id, in order of first use.
fn cited_ids(exchanges: &[Exchange<'_>]) -> Vec<String> {
    let mut seen = BTreeMap::new();
    let mut order = Vec::new();
    for ex in exchanges {
        if let Some((answer, _)) = &ex.answer {
            // The articles the extract quotes, then those the synthesis cites.
            let ids = answer
                .extract
                .iter()
                .map(|p| &p.id)
                .chain(answer.citations.iter().map(|c| &c.id));
            for id in ids {
                if seen.insert(id.clone(), ()).is_none() {
                    order.push(id.clone());
                }
            }
        }
    }
    order
}

/// Writes the conversation in the given format. `exported_at` is an RFC 3339 time.
pub fn render(
    conversation: &Conversation,
    corpus: &Corpus,
    format: ExportFormat,
    exported_at: &str,
) -> String {
    match format {
        ExportFormat::Markdown => markdown(conversation, corpus, exported_at),
        ExportFormat::Html => html(conversation, corpus, exported_at),
    }
}

fn answer_footer(answer: &Answer) -> String {
    format!(
        "Modèle : {} (SHA-256 {}) · {} · corpus {}",
        answer.model.name,
        short_hash(&answer.model.sha256),
        answer.edition_note,
        short_hash(&answer.corpus.hash)
    )
}

fn short_hash(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

fn quote_lines(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.trim().is_empty() {
                ">".to_string()
            } else {
                format!("> {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn markdown(conversation: &Conversation, corpus: &Corpus, exported_at: &str) -> String {
    let exchanges = exchanges(conversation);
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", conversation.summary.title);
    let _ = writeln!(
        out,
        "*Conversation exportée de Vigie le {} (commencée le {}).*\n",
        day(exported_at),
        day(&conversation.summary.created)
    );
    let _ = writeln!(out, "> **Avertissement.** {AI_NOTICE}\n");
    for (n, ex) in exchanges.iter().enumerate() {
        let _ = writeln!(out, "## Question {} — {}\n", n + 1, day_time(ex.asked));
        let _ = writeln!(out, "{}\n", ex.question.trim());
        let _ = writeln!(out, "### Réponse de Vigie\n");
        match (&ex.answer, ex.unreadable_answer) {
            (Some((answer, stopped)), _) => {
                let low = is_low_confidence(answer);
                if low {
                    let _ = writeln!(
                        out,
                        "> **Confiance faible.** {LOW_CONFIDENCE_SENTENCE} Aucune synthèse n'a été rédigée.\n"
                    );
                }
                if !answer.extract.is_empty() {
                    let _ = writeln!(out, "**{}**\n", extract_title(low));
                    for p in &answer.extract {
                        let _ = writeln!(
                            out,
                            "- {}, {} (édition du {}) : « {} »",
                            p.label,
                            p.location,
                            p.edition,
                            p.text.trim()
                        );
                    }
                    out.push('\n');
                    if !answer.abstained && !low {
                        let _ = writeln!(out, "**Synthèse du modèle (à vérifier)**\n");
                    }
                }
                if low {
                    let _ = writeln!(out, "Articles les plus proches (à consulter) :\n");
                    for a in &answer.closest {
                        let _ = writeln!(
                            out,
                            "- art. {} {} — {}",
                            a.article,
                            short_code_name(&a.code),
                            a.excerpt
                        );
                    }
                    out.push('\n');
                } else if answer.abstained {
                    let why = answer
                        .abstention
                        .as_ref()
                        .map(|a| a.explanation_fr())
                        .unwrap_or_default();
                    let _ = writeln!(out, "**Vigie ne répond pas.** {why}\n");
                    if !answer.answer.trim().is_empty() {
                        let _ = writeln!(out, "{}\n", answer.answer.trim());
                    }
                    if !answer.closest.is_empty() {
                        let _ = writeln!(out, "Articles les plus proches (à consulter) :\n");
                        for a in &answer.closest {
                            let _ = writeln!(
                                out,
                                "- art. {} {} — {}",
                                a.article,
                                short_code_name(&a.code),
                                a.excerpt
                            );
                        }
                        out.push('\n');
                    }
                } else {
                    let _ = writeln!(out, "{}\n", answer.answer.trim());
                }
                if *stopped {
                    let _ = writeln!(out, "*Génération interrompue par l'agent.*\n");
                }
                if !answer.citations.is_empty() {
                    let _ = writeln!(out, "**Citations vérifiées**\n");
                    for c in &answer.citations {
                        let mark = citation_mark(c);
                        let _ = writeln!(
                            out,
                            "- {mark} {} — « {} »",
                            dated_reference(&c.code, &c.article, &c.edition),
                            c.supporting_passage.trim()
                        );
                        if !c.now_at.is_empty() {
                            let _ = writeln!(out, "  - devenu {}", c.now_at.join(", "));
                        }
                    }
                    out.push('\n');
                }
                for r in &answer.rejected_citations {
                    let _ = writeln!(out, "- Citation retirée : {} — {}", r.written_as, r.reason);
                }
                for c in &answer.unsupported_claims {
                    let _ = writeln!(out, "- Phrase retirée : « {} » — {}", c.sentence, c.reason);
                }
                let _ = writeln!(out, "*{}*\n", answer_footer(answer));
            }
            (None, Some(text)) => {
                let _ = writeln!(out, "{}\n", text.trim());
            }
            (None, None) => {
                let _ = writeln!(out, "*(pas de réponse enregistrée)*\n");
            }
        }
    }
    let cited = cited_ids(&exchanges);
    if !cited.is_empty() {
        let _ = writeln!(out, "---\n\n## Articles cités\n");
        for id in cited {
            let Some(article) = corpus.get(&id) else {
                let _ = writeln!(out, "### {id}\n\n*(absent du corpus chargé)*\n");
                continue;
            };
            let _ = writeln!(
                out,
                "### Article {} — {} (édition du {})\n",
                article.article, article.code, article.edition
            );
            if !article.path.is_empty() {
                let _ = writeln!(out, "*{}*\n", article.path.join(" › "));
            }
            let _ = writeln!(out, "{}\n", quote_lines(&article.text));
            let _ = writeln!(
                out,
                "{}\n",
                credit_line(&article.edition, corpus.is_in_force(article))
            );
        }
    }
    out
}

/// Articles shown that may not answer: no synthesis, the closest articles instead.
fn is_low_confidence(answer: &Answer) -> bool {
    !answer.abstained && answer.confidence == Confidence::Low
}

fn extract_title(low_confidence: bool) -> &'static str {
    if low_confidence {
        "Ce que disent les articles les plus proches"
    } else {
        "Ce que dit le code"
    }
}

/// The mark of a citation: « ✓ » only for a verbatim passage that concerns the question.
fn citation_mark(c: &crate::answer::Citation) -> &'static str {
    if !c.valid {
        "✗ citation introuvable"
    } else if !c.relevant {
        "○ passage sans rapport avec la question"
    } else {
        "✓"
    }
}

/// Escapes text for HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

fn paragraphs(text: &str) -> String {
    text.split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", escape_html(p.trim()).replace('\n', "<br>")))
        .collect::<Vec<_>>()
        .join("\n")
}

const PRINT_STYLE: &str = "body{font-family:Marianne,Arial,sans-serif;max-width:48rem;margin:2rem auto;color:#161616;line-height:1.5}\
h1{color:#000091}h2{border-bottom:1px solid #ddd;margin-top:2rem}\
.notice{border-left:4px solid #000091;background:#f5f5fe;padding:.5rem 1rem}\
.meta{color:#666;font-size:.85rem}blockquote{border-left:3px solid #ccc;margin:0;padding:0 1rem;color:#333}\
.abstention{border-left:4px solid #b34000;padding:.5rem 1rem;background:#fff4f3}\
@media print{body{margin:0}h2{break-after:avoid}.article{break-inside:avoid-page}}";

fn html(conversation: &Conversation, corpus: &Corpus, exported_at: &str) -> String {
    let exchanges = exchanges(conversation);
    let title = escape_html(&conversation.summary.title);
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title} — Vigie</title>\n<style>{PRINT_STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n<p class=\"meta\">Conversation exportée de Vigie le {} (commencée le {}).</p>\n<p class=\"notice\"><strong>Avertissement.</strong> {}</p>\n",
        day(exported_at),
        day(&conversation.summary.created),
        escape_html(AI_NOTICE)
    );
    for (n, ex) in exchanges.iter().enumerate() {
        let _ = writeln!(
            out,
            "<h2>Question {} — {}</h2>\n{}\n<h3>Réponse de Vigie</h3>",
            n + 1,
            day_time(ex.asked),
            paragraphs(ex.question)
        );
        match (&ex.answer, ex.unreadable_answer) {
            (Some((answer, stopped)), _) => {
                let low = is_low_confidence(answer);
                if low {
                    let _ = writeln!(
                        out,
                        "<div class=\"abstention\"><strong>Confiance faible.</strong> {} Aucune synthèse n'a été rédigée.</div>",
                        escape_html(LOW_CONFIDENCE_SENTENCE)
                    );
                }
                if !answer.extract.is_empty() {
                    let _ = writeln!(out, "<p><strong>{}</strong></p>", extract_title(low));
                    for p in &answer.extract {
                        let _ = writeln!(
                            out,
                            "<p>{}, {} (édition du {}) :</p>\n<blockquote>{}</blockquote>",
                            escape_html(&p.label),
                            escape_html(&p.location),
                            escape_html(&p.edition),
                            escape_html(p.text.trim())
                        );
                    }
                    if !answer.abstained && !low {
                        let _ = writeln!(
                            out,
                            "<p><strong>Synthèse du modèle (à vérifier)</strong></p>"
                        );
                    }
                }
                if low {
                    let _ = writeln!(out, "<p>Articles les plus proches (à consulter) :</p><ul>");
                    for a in &answer.closest {
                        let _ = writeln!(
                            out,
                            "<li>art. {} {} — {}</li>",
                            escape_html(&a.article),
                            escape_html(short_code_name(&a.code)),
                            escape_html(&a.excerpt)
                        );
                    }
                    let _ = writeln!(out, "</ul>");
                } else if answer.abstained {
                    let why = answer
                        .abstention
                        .as_ref()
                        .map(|a| a.explanation_fr())
                        .unwrap_or_default();
                    let _ = writeln!(
                        out,
                        "<div class=\"abstention\"><strong>Vigie ne répond pas.</strong> {}</div>",
                        escape_html(&why)
                    );
                    if !answer.closest.is_empty() {
                        let _ =
                            writeln!(out, "<p>Articles les plus proches (à consulter) :</p><ul>");
                        for a in &answer.closest {
                            let _ = writeln!(
                                out,
                                "<li>art. {} {} — {}</li>",
                                escape_html(&a.article),
                                escape_html(short_code_name(&a.code)),
                                escape_html(&a.excerpt)
                            );
                        }
                        let _ = writeln!(out, "</ul>");
                    }
                } else {
                    let _ = writeln!(out, "{}", paragraphs(&answer.answer));
                }
                if *stopped {
                    let _ = writeln!(out, "<p><em>Génération interrompue par l'agent.</em></p>");
                }
                if !answer.citations.is_empty() {
                    let _ = writeln!(out, "<p><strong>Citations vérifiées</strong></p><ul>");
                    for c in &answer.citations {
                        let mark = citation_mark(c);
                        let _ = writeln!(
                            out,
                            "<li>{mark} {} — « {} »</li>",
                            escape_html(&dated_reference(&c.code, &c.article, &c.edition)),
                            escape_html(c.supporting_passage.trim())
                        );
                    }
                    let _ = writeln!(out, "</ul>");
                }
                let _ = writeln!(
                    out,
                    "<p class=\"meta\">{}</p>",
                    escape_html(&answer_footer(answer))
                );
            }
            (None, Some(text)) => {
                let _ = writeln!(out, "{}", paragraphs(text));
            }
            (None, None) => {
                let _ = writeln!(out, "<p><em>(pas de réponse enregistrée)</em></p>");
            }
        }
    }
    let cited = cited_ids(&exchanges);
    if !cited.is_empty() {
        let _ = writeln!(out, "<h2>Articles cités</h2>");
        for id in cited {
            let Some(article) = corpus.get(&id) else {
                continue;
            };
            let _ = writeln!(
                out,
                "<div class=\"article\"><h3>Article {} — {} (édition du {})</h3>\n<p class=\"meta\">{}</p>\n<blockquote>{}</blockquote>\n<p class=\"meta\">{}</p></div>",
                escape_html(&article.article),
                escape_html(&article.code),
                escape_html(&article.edition),
                escape_html(&article.path.join(" › ")),
                paragraphs(&article.text),
                escape_html(&credit_line(&article.edition, corpus.is_in_force(article)))
            );
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}

/// `2026-11-29` from an RFC 3339 time.
fn day(time: &str) -> &str {
    time.get(..10).unwrap_or(time)
}

/// `2026-11-29 08:15 UTC` from an RFC 3339 time.
fn day_time(time: &str) -> String {
    match (time.get(..10), time.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t} UTC"),
        _ => time.to_string(),
    }
}

/// A file name for an export: the title reduced to safe characters.
pub fn file_name(title: &str, id: i64, format: ExportFormat) -> String {
    let mut stem: String = title
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    stem = stem.chars().take(60).collect();
    if stem.is_empty() {
        stem = "conversation".into();
    }
    format!("vigie-{id}-{stem}.{}", format.extension())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_what_the_model_wrote() {
        assert_eq!(
            escape_html("<script>alert('x')</script> & co"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; co"
        );
    }

    #[test]
    fn file_names_are_safe() {
        assert_eq!(
            file_name("Quelle amende ? / art. 414", 7, ExportFormat::Markdown),
            "vigie-7-Quelle-amende-art-414.md"
        );
        assert_eq!(
            file_name("../../", 3, ExportFormat::Html),
            "vigie-3-conversation.html"
        );
    }
}
