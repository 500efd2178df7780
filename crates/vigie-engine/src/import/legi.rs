//! Légifrance LEGI XML articles (the DILA's open data): one section per `<ARTICLE>`, cited
//! `art. NUM`, with the text's title and the headings of `<CONTEXTE>` as its path and the
//! article's `ETAT` (VIGUEUR, ABROGE…) kept in the location when it is not in force.
//!
//! The content (`BLOC_TEXTUEL/CONTENU`) is XHTML inside the XML: its `<br/>` and `<p>` end
//! lines, other tags are dropped. quick-xml reads the file as a stream; the heading stack is
//! bounded so a hostile nesting of `<TM>` costs no more than its bytes.

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::{DocumentFormat, ImportError, Section};

/// Deepest `<TM>` nesting kept as headings.
const MAX_HEADINGS: usize = 32;

#[derive(Default)]
struct Article {
    id: String,
    number: String,
    state: String,
    code: String,
    headings: Vec<String>,
    text: String,
}

/// Reads LEGI article XML (one or more `<ARTICLE>` elements).
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Vec<Section>, ImportError> {
    let malformed = |reason: String| ImportError::Malformed {
        file: file_name.to_string(),
        format: DocumentFormat::Legi,
        reason,
    };
    let mut reader = Reader::from_reader(bytes);
    let mut buffer = Vec::new();
    // Element names from the root to the current one (bounded by MAX_DEPTH).
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut article: Option<Article> = None;
    let mut sections = Vec::new();
    let mut tm_depth = 0usize;
    let mut seen_article = false;
    loop {
        let event = reader.read_event_into(&mut buffer).map_err(|e| {
            malformed(format!(
                "XML invalide à l'octet {} : {e}",
                reader.buffer_position()
            ))
        })?;
        match event {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_vec();
                match name.as_slice() {
                    b"ARTICLE" => {
                        article = Some(Article::default());
                        seen_article = true;
                    }
                    b"TM" => tm_depth += 1,
                    b"p" | b"br" => push_break(&mut article, &stack),
                    _ => {}
                }
                if stack.len() >= 4_096 {
                    return Err(malformed("imbrication trop profonde".into()));
                }
                stack.push(name);
            }
            Event::Empty(e) => {
                if matches!(e.local_name().as_ref(), b"br" | b"p") {
                    push_break(&mut article, &stack);
                }
            }
            Event::End(e) => {
                let name = e.local_name();
                match name.as_ref() {
                    b"ARTICLE" => {
                        if let Some(a) = article.take() {
                            sections.push(section_of(a));
                        }
                    }
                    b"TM" => tm_depth = tm_depth.saturating_sub(1),
                    b"p" => push_break(&mut article, &stack),
                    _ => {}
                }
                stack.pop();
            }
            Event::Text(t) => {
                let text = t.decode().map_err(|e| malformed(e.to_string()))?;
                push_text(&mut article, &stack, &text, tm_depth);
            }
            Event::CData(t) => {
                let text = String::from_utf8_lossy(&t).to_string();
                push_text(&mut article, &stack, &text, tm_depth);
            }
            Event::GeneralRef(r) => {
                if let Some(c) = super::xml::entity_char(&r) {
                    push_text(&mut article, &stack, &c.to_string(), tm_depth);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    if article.is_some() {
        return Err(malformed(
            "élément <ARTICLE> non fermé : fichier tronqué".into(),
        ));
    }
    if !seen_article {
        return Err(malformed(
            "aucun élément <ARTICLE> : ce n'est pas un article LEGI".into(),
        ));
    }
    Ok(sections)
}

fn inside(stack: &[Vec<u8>], name: &[u8]) -> bool {
    stack.iter().any(|n| n.as_slice() == name)
}

fn push_break(article: &mut Option<Article>, stack: &[Vec<u8>]) {
    if let Some(a) = article
        && inside(stack, b"BLOC_TEXTUEL")
        && !a.text.ends_with('\n')
        && !a.text.is_empty()
    {
        a.text.push('\n');
    }
}

fn push_text(article: &mut Option<Article>, stack: &[Vec<u8>], text: &str, tm_depth: usize) {
    let Some(a) = article else {
        return;
    };
    let Some(current) = stack.last() else {
        return;
    };
    if inside(stack, b"BLOC_TEXTUEL") {
        a.text.push_str(text);
        return;
    }
    let value = text.trim();
    if value.is_empty() {
        return;
    }
    match current.as_slice() {
        b"ID" if inside(stack, b"META_COMMUN") => a.id = value.to_string(),
        b"NUM" if inside(stack, b"META_ARTICLE") => a.number = value.to_string(),
        b"ETAT" if inside(stack, b"META_ARTICLE") => a.state = value.to_string(),
        b"TITRE_TXT" if inside(stack, b"CONTEXTE") => a.code = value.to_string(),
        b"TITRE_TM"
            if inside(stack, b"CONTEXTE")
                && a.headings.len() < MAX_HEADINGS
                && tm_depth > a.headings.len() =>
        {
            a.headings.push(value.to_string())
        }
        _ => {}
    }
}

fn section_of(a: Article) -> Section {
    let number = if a.number.is_empty() {
        a.id.clone()
    } else {
        a.number.clone()
    };
    let mut location = format!("art. {number}");
    if !a.state.is_empty() && !a.state.eq_ignore_ascii_case("VIGUEUR") {
        location.push_str(&format!(" ({})", a.state.to_lowercase()));
    }
    let mut headings = Vec::new();
    if !a.code.is_empty() {
        headings.push(a.code);
    }
    headings.extend(a.headings);
    let text = a
        .text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n");
    Section {
        location,
        headings,
        text: format!("Article {number}\n{text}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ARTICLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<ARTICLE>
<META><META_COMMUN><ID>LEGIARTI000048712345</ID><NATURE>Article</NATURE></META_COMMUN>
<META_SPEC><META_ARTICLE><NUM>L. 111-1</NUM><ETAT>VIGUEUR</ETAT><DATE_DEBUT>2024-01-01</DATE_DEBUT></META_ARTICLE></META_SPEC></META>
<CONTEXTE><TEXTE cid="LEGITEXT000044595989"><TITRE_TXT c_titre_court="CIBS">Code des impositions sur les biens et services</TITRE_TXT>
<TM><TITRE_TM id="LEGISCTA1">Livre Ier : Règles générales</TITRE_TM><TM><TITRE_TM id="LEGISCTA2">Titre Ier : Champ</TITRE_TM></TM></TM></TEXTE></CONTEXTE>
<BLOC_TEXTUEL><CONTENU><p>Le présent code régit les impositions &amp; taxes.</p><p>Il s&#39;applique<br/>partout.</p></CONTENU></BLOC_TEXTUEL>
</ARTICLE>"#;

    #[test]
    fn an_article_becomes_a_cited_section_with_its_path() {
        let sections = read("a.xml", ARTICLE.as_bytes()).unwrap_or_default();
        assert_eq!(sections.len(), 1);
        let s = &sections[0];
        assert_eq!(s.location, "art. L. 111-1");
        assert_eq!(
            s.headings,
            [
                "Code des impositions sur les biens et services",
                "Livre Ier : Règles générales",
                "Titre Ier : Champ"
            ]
        );
        assert!(s.text.contains("impositions & taxes."), "{}", s.text);
        assert!(s.text.contains("Il s'applique\npartout."), "{}", s.text);
    }

    #[test]
    fn other_xml_and_broken_xml_are_refused() {
        assert!(matches!(
            read("b.xml", b"<root><x>1</x></root>"),
            Err(ImportError::Malformed { .. })
        ));
        assert!(read("c.xml", b"<ARTICLE><META></ARTICLE>").is_err());
        let truncated = &ARTICLE[..ARTICLE.len() - 12];
        assert!(matches!(
            read("d.xml", truncated.as_bytes()),
            Err(ImportError::Malformed { .. })
        ));
    }
}
