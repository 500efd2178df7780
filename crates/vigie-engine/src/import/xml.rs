//! What the XML readers (DOCX parts, LEGI articles, PDF metadata) share: resolving entity
//! references, reading every text node.

use quick_xml::events::{BytesRef, Event};
use quick_xml::reader::Reader;

/// The character an entity reference stands for: the five predefined XML entities and numeric
/// references. `None` for anything else: DTD entities are never expanded (no entity bombs).
pub(super) fn entity_char(reference: &BytesRef<'_>) -> Option<char> {
    let name: &[u8] = reference;
    match name {
        b"amp" => Some('&'),
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"quot" => Some('"'),
        b"apos" => Some('\''),
        _ => reference.resolve_char_ref().ok().flatten(),
    }
}

/// Every text node of an XML document, one per line: a DOCX properties part (`dc:title`,
/// `cp:keywords`, a custom property's value), a PDF's XMP metadata.
pub(super) fn text_nodes(xml: &[u8]) -> Result<String, String> {
    let mut reader = Reader::from_reader(xml);
    let mut out = String::new();
    let mut buffer = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|e| format!("XML invalide à l'octet {} : {e}", reader.buffer_position()))?;
        match event {
            Event::Text(t) => {
                let decoded = t
                    .xml_content()
                    .map_err(|e| format!("texte invalide : {e}"))?;
                out.push_str(&decoded);
            }
            Event::CData(t) => out.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                if let Some(c) = entity_char(&r) {
                    out.push(c);
                }
            }
            Event::End(_) if !out.ends_with('\n') => out.push('\n'),
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    Ok(out)
}
