//! Word (DOCX): the body's paragraphs, cut into sections at heading paragraphs; page headers,
//! footers and document properties are read as margins, which the policy checks (stamps live
//! there) but which are not indexed.
//!
//! A DOCX is a zip archive, so it is read as a possible zip bomb: the archive's entry count
//! and each part's declared size are checked first, then every part is read through a reader
//! that stops one byte past the remaining budget, because a declared size can lie. The XML is
//! read by quick-xml's streaming reader: nesting costs nothing.

use std::io::{Cursor, Read};

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use super::{DocumentFormat, ImportError, ImportLimits, Section, sections_at_headings};

/// Most entries in the archive (a real document has a few dozen).
const MAX_ENTRIES: usize = 10_000;

/// Reads a DOCX: sections of the body, and margins (headers, footers, properties).
pub fn read(
    file_name: &str,
    bytes: &[u8],
    limits: &ImportLimits,
) -> Result<(Vec<Section>, Vec<Section>), ImportError> {
    let malformed = |reason: String| ImportError::Malformed {
        file: file_name.to_string(),
        format: DocumentFormat::Docx,
        reason,
    };
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed(e.to_string()))?;
    if archive.len() > MAX_ENTRIES {
        return Err(malformed(format!(
            "{} entrées dans l'archive",
            archive.len()
        )));
    }
    let names: Vec<String> = archive
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.to_string()))
        .collect();
    let mut budget = limits.max_unpacked_bytes;
    let mut read_part = |name: &str| -> Result<Option<Vec<u8>>, ImportError> {
        let mut entry = match archive.by_name(name) {
            Ok(e) => e,
            Err(zip::result::ZipError::FileNotFound) => return Ok(None),
            Err(e) => return Err(malformed(format!("{name} : {e}"))),
        };
        let too_large = || ImportError::UnpackedTooLarge {
            file: file_name.to_string(),
            part: name.to_string(),
            limit: limits.max_unpacked_bytes,
        };
        if entry.size() > budget {
            return Err(too_large());
        }
        let mut out = Vec::new();
        (&mut entry)
            .take(budget + 1)
            .read_to_end(&mut out)
            .map_err(|e| malformed(format!("{name} : {e}")))?;
        if out.len() as u64 > budget {
            return Err(too_large());
        }
        budget -= out.len() as u64;
        Ok(Some(out))
    };
    let body = read_part("word/document.xml")?.ok_or_else(|| {
        malformed("word/document.xml absent : ce n'est pas un document Word".into())
    })?;
    let body_paragraphs =
        paragraphs(&body).map_err(|e| malformed(format!("document.xml : {e}")))?;
    let sections =
        sections_at_headings(body_paragraphs.into_iter().map(|p| match p.heading_level {
            Some(level) => (Some((level, p.text.clone())), p.text),
            None => (None, p.text),
        }));
    let mut margins = Vec::new();
    let margin_parts = names.iter().filter(|n| {
        (n.starts_with("word/header") || n.starts_with("word/footer")) && n.ends_with(".xml")
            || n.as_str() == "docProps/core.xml"
            || n.as_str() == "docProps/custom.xml"
    });
    for name in margin_parts {
        if let Some(xml) = read_part(name)? {
            let text = paragraphs(&xml)
                .map_err(|e| malformed(format!("{name} : {e}")))?
                .into_iter()
                .map(|p| p.text)
                .collect::<Vec<_>>()
                .join("\n");
            let location = if name.starts_with("word/header") {
                "en-tête de page"
            } else if name.starts_with("word/footer") {
                "pied de page"
            } else {
                "propriétés du document"
            };
            margins.push(Section {
                location: location.to_string(),
                headings: Vec::new(),
                text,
            });
        }
    }
    Ok((sections, margins))
}

struct Paragraph {
    heading_level: Option<usize>,
    text: String,
}

/// Paragraphs of a WordprocessingML part: `w:t` text, tabs and breaks; a paragraph styled
/// `Heading N` / `Titre N` (or with an outline level) is a heading. Text outside paragraphs
/// (document properties) is collected as paragraphs of its own.
fn paragraphs(xml: &[u8]) -> Result<Vec<Paragraph>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut out = Vec::new();
    let mut current = Paragraph {
        heading_level: None,
        text: String::new(),
    };
    let mut in_text = false;
    let mut buffer = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|e| format!("XML invalide à l'octet {} : {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) | Event::Empty(e) => {
                let name = e.local_name();
                match name.as_ref() {
                    b"t" => in_text = true,
                    b"tab" => current.text.push('\t'),
                    b"br" | b"cr" => current.text.push('\n'),
                    b"pStyle" => {
                        let value = attribute(&e, b"val").unwrap_or_default();
                        current.heading_level = heading_level(&value).or(current.heading_level);
                    }
                    b"outlineLvl" => {
                        let level = attribute(&e, b"val").and_then(|v| v.parse::<usize>().ok());
                        if let Some(level) = level.filter(|l| *l < 9) {
                            current.heading_level = Some(level + 1);
                        }
                    }
                    _ => {}
                }
            }
            Event::End(e) => match e.local_name().as_ref() {
                b"t" => in_text = false,
                b"p" => {
                    let finished = std::mem::replace(
                        &mut current,
                        Paragraph {
                            heading_level: None,
                            text: String::new(),
                        },
                    );
                    if !finished.text.trim().is_empty() {
                        out.push(finished);
                    }
                }
                _ => {
                    // Properties (`dc:title`, `cp:keywords`…) are elements with text only.
                    if !current.text.is_empty() && current.heading_level.is_none() && !in_text {
                        current.text.push('\n');
                    }
                }
            },
            Event::Text(t) => {
                let decoded = t
                    .xml_content()
                    .map_err(|e| format!("texte invalide : {e}"))?;
                if in_text || !decoded.trim().is_empty() {
                    current.text.push_str(&decoded);
                }
            }
            Event::GeneralRef(r) => {
                if let Some(c) = super::xml::entity_char(&r) {
                    current.text.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    if !current.text.trim().is_empty() {
        out.push(current);
    }
    Ok(out)
}

fn attribute(e: &quick_xml::events::BytesStart<'_>, local: &[u8]) -> Option<String> {
    e.attributes().flatten().find_map(|a| {
        (a.key.local_name().as_ref() == local)
            .then(|| String::from_utf8_lossy(&a.value).to_string())
    })
}

/// `Heading2`, `Titre2`, `heading 2` → 2.
fn heading_level(style: &str) -> Option<usize> {
    let lower = style.to_lowercase().replace(' ', "");
    let digits = lower
        .strip_prefix("heading")
        .or_else(|| lower.strip_prefix("titre"))?;
    digits.parse().ok().filter(|l| (1..=9).contains(l))
}
