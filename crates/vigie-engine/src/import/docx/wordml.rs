//! The text of one WordprocessingML part as a reader sees it.
//!
//! Word cuts a paragraph into runs wherever formatting, a spelling mark or the revision
//! history changes, even inside a word: `<w:r><w:t>DIFFUSION RESTR</w:t></w:r><w:r><w:t>EINTE
//! </w:t></w:r>` is one word on screen. So runs are joined with nothing between them;
//! separators come only from what Word shows as one: the end of a paragraph, a tab, a break.
//!
//! Paragraphs nest (a text box's `w:txbxContent` holds paragraphs inside a body paragraph),
//! so open paragraphs are a stack. A watermark is a VML shape whose text is the `string`
//! attribute of its `v:textpath`. Text a reader may not see but that is still in the file
//! (deleted revisions, field codes, the `mc:Fallback` twin of a drawing) is kept apart: the
//! policy reads it, the index does not.

use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// One paragraph of a part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Paragraph {
    /// Heading level from its style (`Heading2`, `Titre2`) or outline level.
    pub heading_level: Option<usize>,
    /// Its text, runs joined.
    pub text: String,
}

/// What a part holds: the paragraphs shown, and text kept for the policy only.
#[derive(Debug, Default)]
pub(super) struct PartText {
    /// Paragraphs, in the order they end (a text box's before the paragraph holding it).
    pub paragraphs: Vec<Paragraph>,
    /// Deleted revisions, field codes, fallback drawings: read by the policy, not indexed.
    pub hidden: Vec<String>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Collecting {
    Nothing,
    Shown,
    Hidden,
}

/// A paragraph being read, with the text inside it that a reader does not see.
struct OpenParagraph {
    paragraph: Paragraph,
    hidden: String,
    in_fallback: bool,
}

impl OpenParagraph {
    fn new(in_fallback: bool) -> Self {
        Self {
            paragraph: Paragraph {
                heading_level: None,
                text: String::new(),
            },
            hidden: String::new(),
            in_fallback,
        }
    }

    /// Moves what it holds into `out`: a fallback paragraph is hidden as a whole.
    fn finish(self, out: &mut PartText) {
        if self.in_fallback {
            let joined = format!("{}\n{}", self.paragraph.text, self.hidden);
            if !joined.trim().is_empty() {
                out.hidden.push(joined);
            }
            return;
        }
        if !self.hidden.trim().is_empty() {
            out.hidden.push(self.hidden);
        }
        if !self.paragraph.text.trim().is_empty() {
            out.paragraphs.push(self.paragraph);
        }
    }
}

/// Reads a WordprocessingML part (body, header, footer, notes, comments) or a DrawingML one
/// (SmartArt data: `a:p`, `a:t` have the same local names).
pub(super) fn read_part(xml: &[u8]) -> Result<PartText, String> {
    let mut reader = Reader::from_reader(xml);
    let mut out = PartText::default();
    // Text outside any paragraph (DrawingML without `a:p`) is a paragraph of its own.
    let mut open: Vec<OpenParagraph> = vec![OpenParagraph::new(false)];
    let mut collecting = Collecting::Nothing;
    let mut fallback_depth = 0usize;
    let mut buffer = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|e| format!("XML invalide à l'octet {} : {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) => {
                match e.local_name().as_ref() {
                    b"p" => open.push(OpenParagraph::new(fallback_depth > 0)),
                    b"t" => collecting = Collecting::Shown,
                    b"delText" | b"instrText" => collecting = Collecting::Hidden,
                    b"Fallback" => fallback_depth += 1,
                    _ => {}
                }
                empty_or_start(&e, &mut open, &mut out, fallback_depth > 0)?;
            }
            Event::Empty(e) => empty_or_start(&e, &mut open, &mut out, fallback_depth > 0)?,
            Event::End(e) => match e.local_name().as_ref() {
                b"t" | b"delText" | b"instrText" => collecting = Collecting::Nothing,
                b"Fallback" => fallback_depth = fallback_depth.saturating_sub(1),
                b"p" if open.len() > 1 => {
                    if let Some(finished) = open.pop() {
                        finished.finish(&mut out);
                    }
                }
                _ => {}
            },
            Event::Text(t) if collecting != Collecting::Nothing => {
                let decoded = t
                    .xml_content()
                    .map_err(|e| format!("texte invalide : {e}"))?;
                push_text(&decoded, collecting, &mut open);
            }
            Event::CData(t) if collecting != Collecting::Nothing => {
                push_text(&String::from_utf8_lossy(&t), collecting, &mut open);
            }
            Event::GeneralRef(r) => {
                if collecting != Collecting::Nothing
                    && let Some(c) = crate::import::xml::entity_char(&r)
                {
                    push_text(c.encode_utf8(&mut [0; 4]), collecting, &mut open);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    // Paragraphs left open by a truncated part still count, innermost first.
    while let Some(paragraph) = open.pop() {
        paragraph.finish(&mut out);
    }
    Ok(out)
}

/// Text inside a `w:t` goes to the innermost open paragraph.
fn push_text(text: &str, collecting: Collecting, open: &mut [OpenParagraph]) {
    if let Some(innermost) = open.last_mut() {
        match collecting {
            Collecting::Hidden => innermost.hidden.push_str(text),
            _ => innermost.paragraph.text.push_str(text),
        }
    }
}

/// What an element says by itself: tabs, breaks, heading styles, watermark text.
fn empty_or_start(
    e: &BytesStart<'_>,
    open: &mut [OpenParagraph],
    out: &mut PartText,
    hidden_here: bool,
) -> Result<(), String> {
    let separator = match e.local_name().as_ref() {
        b"tab" | b"ptab" => Some('\t'),
        b"br" | b"cr" => Some('\n'),
        b"noBreakHyphen" => Some('-'),
        b"pStyle" => {
            let value = attribute(e, b"val")?.unwrap_or_default();
            if let Some(OpenParagraph { paragraph, .. }) = open.last_mut() {
                paragraph.heading_level = heading_level(&value).or(paragraph.heading_level);
            }
            None
        }
        b"outlineLvl" => {
            let level = attribute(e, b"val")?.and_then(|v| v.parse::<usize>().ok());
            if let (Some(level), Some(OpenParagraph { paragraph, .. })) =
                (level.filter(|l| *l < 9), open.last_mut())
            {
                paragraph.heading_level = Some(level + 1);
            }
            None
        }
        b"textpath" => {
            // A VML watermark (« DIFFUSION RESTREINTE » across the page): its text is an
            // attribute, not an element.
            if let Some(text) = attribute(e, b"string")?.filter(|t| !t.trim().is_empty()) {
                if hidden_here {
                    out.hidden.push(text);
                } else {
                    out.paragraphs.push(Paragraph {
                        heading_level: None,
                        text,
                    });
                }
            }
            None
        }
        _ => None,
    };
    if let (Some(separator), Some(innermost)) = (separator, open.last_mut()) {
        innermost.paragraph.text.push(separator);
        innermost.hidden.push(separator);
    }
    Ok(())
}

fn attribute(e: &BytesStart<'_>, local: &[u8]) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|e| format!("attribut invalide : {e}"))?;
        if a.key.local_name().as_ref() == local {
            let value = a
                .unescape_value()
                .map_err(|e| format!("attribut invalide : {e}"))?;
            return Ok(Some(value.into_owned()));
        }
    }
    Ok(None)
}

/// `Heading2`, `Titre2`, `heading 2` → 2.
fn heading_level(style: &str) -> Option<usize> {
    let lower = style.to_lowercase().replace(' ', "");
    let digits = lower
        .strip_prefix("heading")
        .or_else(|| lower.strip_prefix("titre"))?;
    digits.parse().ok().filter(|l| (1..=9).contains(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(xml: &str) -> Vec<String> {
        read_part(xml.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"))
            .paragraphs
            .into_iter()
            .map(|p| p.text)
            .collect()
    }

    #[test]
    fn runs_join_without_separators_and_paragraphs_tabs_breaks_separate() {
        let xml = r#"<w:body xmlns:w="w"><w:p><w:r><w:rPr><w:b/></w:rPr><w:t>DIFFUSION RESTR</w:t></w:r><w:proofErr w:type="spellStart"/><w:r><w:t>EINTE</w:t></w:r></w:p><w:p><w:r><w:t>a</w:t><w:tab/><w:t>b</w:t><w:br/><w:t>c</w:t></w:r></w:p></w:body>"#;
        assert_eq!(texts(xml), ["DIFFUSION RESTREINTE", "a\tb\nc"]);
    }

    #[test]
    fn text_boxes_watermarks_and_hidden_text_are_all_read() {
        let xml = r#"<w:hdr xmlns:w="w" xmlns:v="v" xmlns:mc="mc"><w:p><w:r><w:t>Avant </w:t></w:r><w:r><mc:AlternateContent><mc:Choice><w:drawing><w:txbxContent><w:p><w:r><w:t>boîte</w:t></w:r></w:p></w:txbxContent></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textpath style="x" string="FILIGRANE &amp; CO"/></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r><w:r><w:t>après</w:t></w:r><w:del><w:r><w:delText>supprimé</w:delText></w:r></w:del></w:p></w:hdr>"#;
        let part = read_part(xml.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let shown: Vec<&str> = part.paragraphs.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(shown, ["boîte", "Avant après"]);
        assert_eq!(part.hidden, ["FILIGRANE & CO", "supprimé"]);
    }
}
