//! PDF: the text layer, one section per page (`page N`), read with lopdf; annotations and
//! metadata as margins, which the policy checks but which are not indexed.
//!
//! Scanned documents have no text layer and are refused with that reason (no OCR here). The
//! text is what the page draws ([`content`]: every text operator, Form XObjects included),
//! plus what a reader sees around it: annotations (Acrobat's Stamp tool, comments, form
//! fields, with their appearance streams) and the document's metadata (Info dictionary, XMP).
//! A page or annotation whose text cannot be decoded refuses the whole document: the gate
//! never admits what it could not read.
//!
//! lopdf is a large parser of an old and lenient format. Before it sees the file, [`guard`]
//! bounds what it will inflate and how deep it will recurse; it then runs on a thread of its
//! own with a large stack, and a panic inside it is reported as a malformed file.

mod content;
mod guard;

use lopdf::{Dictionary, Document, Object, ObjectId};

use content::{ContentError, PageReader};

use super::{DocumentFormat, ImportError, ImportLimits, Section};

/// Stack of the thread lopdf parses on: far more than [`guard::MAX_NESTING`] levels of its
/// recursive parser need (reserved, not committed, until used).
const PARSER_STACK_BYTES: usize = 256 << 20;

/// Most annotations read on one page.
const MAX_ANNOTATIONS_PER_PAGE: usize = 10_000;

/// Most bookmarks read.
const MAX_OUTLINE_ITEMS: usize = 100_000;

/// A PDF's text: pages, and margins (annotations, metadata).
type PdfText = (Vec<Section>, Vec<Section>);

/// Reads a PDF's text layer, annotations and metadata.
pub fn read(file_name: &str, bytes: &[u8], limits: &ImportLimits) -> Result<PdfText, ImportError> {
    let malformed = |reason: String| malformed(file_name, reason);
    if !bytes.starts_with(b"%PDF")
        && !bytes[..bytes.len().min(1024)]
            .windows(4)
            .any(|w| w == b"%PDF")
    {
        return Err(malformed("pas d'en-tête %PDF".into()));
    }
    guard::check(bytes, limits).map_err(|refused| match refused {
        guard::Refused::Malformed(reason) => malformed(reason),
        guard::Refused::UnpackedTooLarge => ImportError::UnpackedTooLarge {
            file: file_name.to_string(),
            part: "un flux du fichier".into(),
            limit: limits.max_unpacked_bytes,
        },
    })?;
    let outcome = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("pdf-import".into())
            .stack_size(PARSER_STACK_BYTES)
            .spawn_scoped(scope, || read_unguarded(file_name, bytes, limits))
            .map(|thread| thread.join())
    });
    match outcome {
        Ok(Ok(result)) => result,
        Ok(Err(_)) => Err(malformed("structure invalide".into())),
        Err(e) => Err(malformed(format!("lecture impossible : {e}"))),
    }
}

fn malformed(file_name: &str, reason: String) -> ImportError {
    ImportError::Malformed {
        file: file_name.to_string(),
        format: DocumentFormat::Pdf,
        reason,
    }
}

fn read_unguarded(
    file_name: &str,
    bytes: &[u8],
    limits: &ImportLimits,
) -> Result<PdfText, ImportError> {
    let document = Document::load_mem(bytes).map_err(|e| malformed(file_name, e.to_string()))?;
    if document.is_encrypted() {
        return Err(ImportError::Encrypted {
            file: file_name.to_string(),
        });
    }
    let pages = document.get_pages();
    if pages.len() > limits.max_pages {
        return Err(ImportError::TooManyPages {
            file: file_name.to_string(),
            pages: pages.len(),
            limit: limits.max_pages,
        });
    }
    let mut text_left = limits.max_text_bytes;
    let page_error = |part: String, error: ContentError| match error {
        ContentError::Unreadable(reason) => ImportError::UnreadablePart {
            file: file_name.to_string(),
            part,
            reason,
        },
        ContentError::UnpackedTooLarge => ImportError::UnpackedTooLarge {
            file: file_name.to_string(),
            part,
            limit: limits.max_unpacked_bytes,
        },
        ContentError::TextTooLarge => ImportError::TextTooLarge {
            file: file_name.to_string(),
            limit: limits.max_text_bytes,
        },
    };
    let mut sections = Vec::with_capacity(pages.len());
    let mut margins = Vec::new();
    for (&number, &page_id) in &pages {
        let mut reader = PageReader::new(&document, limits.max_unpacked_bytes, &mut text_left);
        let text = reader
            .page_text(page_id)
            .map_err(|e| page_error(format!("la page {number}"), e))?;
        let annotations = annotations_text(&document, &mut reader, page_id)
            .map_err(|e| page_error(format!("les annotations de la page {number}"), e))?;
        text_left = text_left.saturating_sub(text.len() + annotations.len());
        sections.push(Section {
            location: format!("page {number}"),
            headings: Vec::new(),
            text,
        });
        if !annotations.trim().is_empty() {
            margins.push(Section {
                location: format!("annotations de la page {number}"),
                headings: Vec::new(),
                text: annotations,
            });
        }
    }
    let mut reader = PageReader::new(&document, limits.max_unpacked_bytes, &mut text_left);
    let metadata = metadata_text(&document, &mut reader)
        .map_err(|e| page_error("les métadonnées du document".into(), e))?;
    if !metadata.trim().is_empty() {
        margins.push(Section {
            location: "métadonnées du document".into(),
            headings: Vec::new(),
            text: metadata,
        });
    }
    let outline =
        outline_text(&document).map_err(|e| page_error("les signets du document".into(), e))?;
    if !outline.trim().is_empty() {
        margins.push(Section {
            location: "signets du document".into(),
            headings: Vec::new(),
            text: outline,
        });
    }
    Ok((sections, margins))
}

/// Text of a page's annotations: their text entries and what their appearances draw.
fn annotations_text<'d>(
    doc: &'d Document,
    reader: &mut PageReader<'d>,
    page_id: ObjectId,
) -> Result<String, ContentError> {
    let unreadable = |reason: String| ContentError::Unreadable(reason);
    let page = doc
        .get_dictionary(page_id)
        .map_err(|e| unreadable(e.to_string()))?;
    let Ok(annots) = page.get_deref(b"Annots", doc) else {
        return Ok(String::new());
    };
    let annots = annots
        .as_array()
        .map_err(|e| unreadable(format!("/Annots : {e}")))?;
    if annots.len() > MAX_ANNOTATIONS_PER_PAGE {
        return Err(unreadable(format!("{} annotations", annots.len())));
    }
    let resources = reader.page_resources(page_id)?;
    let mut out = String::new();
    for annot in annots {
        let annot = doc
            .dereference(annot)
            .and_then(|(_, o)| o.as_dict())
            .map_err(|e| unreadable(format!("annotation : {e}")))?;
        for key in [&b"Contents"[..], b"T", b"Subj", b"TU", b"V", b"RC", b"CA"] {
            if let Some(text) = text_entry(doc, reader, annot, key)? {
                out.push_str(&text);
                out.push('\n');
            }
        }
        if let Ok(Object::Dictionary(mk)) = annot.get_deref(b"MK", doc)
            && let Some(text) = text_entry(doc, reader, mk, b"CA")?
        {
            out.push_str(&text);
            out.push('\n');
        }
        let Ok(appearances) = annot.get_deref(b"AP", doc).and_then(Object::as_dict) else {
            continue;
        };
        for (_, appearance) in appearances.iter() {
            let appearance = doc
                .dereference(appearance)
                .map(|(_, o)| o)
                .map_err(|e| unreadable(format!("apparence d'annotation : {e}")))?;
            // Either one appearance, or one per state (`/On`, `/Off`).
            let streams: Vec<&lopdf::Stream> = match appearance {
                Object::Stream(s) => vec![s],
                Object::Dictionary(states) => states
                    .iter()
                    .filter_map(|(_, s)| doc.dereference(s).ok()?.1.as_stream().ok())
                    .collect(),
                _ => Vec::new(),
            };
            for stream in streams {
                out.push_str(&reader.form_text(stream, &resources)?);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

/// A text entry of a dictionary: a text string, or a stream of text (rich text).
fn text_entry<'d>(
    doc: &'d Document,
    reader: &mut PageReader<'d>,
    dict: &'d Dictionary,
    key: &[u8],
) -> Result<Option<String>, ContentError> {
    let Ok(value) = dict.get_deref(key, doc) else {
        return Ok(None);
    };
    Ok(match value {
        Object::String(..) => Some(lopdf::decode_text_string(value).map_err(|e| {
            ContentError::Unreadable(format!("texte /{} : {e}", String::from_utf8_lossy(key)))
        })?),
        Object::Stream(stream) => {
            Some(String::from_utf8_lossy(&reader.decoded(stream)?).into_owned())
        }
        _ => None,
    })
}

/// The Info dictionary's text entries and the XMP metadata's text.
fn metadata_text<'d>(
    doc: &'d Document,
    reader: &mut PageReader<'d>,
) -> Result<String, ContentError> {
    let mut out = String::new();
    if let Ok(info) = doc
        .trailer
        .get_deref(b"Info", doc)
        .and_then(Object::as_dict)
    {
        let keys: Vec<Vec<u8>> = info.iter().map(|(k, _)| k.clone()).collect();
        for key in keys {
            if let Some(text) = text_entry(doc, reader, info, &key)? {
                out.push_str(&text);
                out.push('\n');
            }
        }
    }
    if let Ok(catalog) = doc.catalog()
        && let Ok(Object::Stream(xmp)) = catalog.get_deref(b"Metadata", doc)
    {
        let xml = reader.decoded(xmp)?;
        let text = super::xml::text_nodes(&xml)
            .map_err(|e| ContentError::Unreadable(format!("métadonnées XMP : {e}")))?;
        out.push_str(&text);
    }
    Ok(out)
}

/// The titles of the bookmarks a reader sees beside the pages (`/Outlines`), walked without
/// recursion and without following an item twice.
fn outline_text(doc: &Document) -> Result<String, ContentError> {
    let mut out = String::new();
    let Ok(outlines) = doc
        .catalog()
        .and_then(|c| c.get_deref(b"Outlines", doc))
        .and_then(Object::as_dict)
    else {
        return Ok(out);
    };
    let mut pending: Vec<&Object> = outlines.get(b"First").into_iter().collect();
    let mut seen = std::collections::HashSet::new();
    while let Some(item) = pending.pop() {
        if let Object::Reference(id) = item
            && !seen.insert(*id)
        {
            continue;
        }
        if seen.len() > MAX_OUTLINE_ITEMS {
            return Err(ContentError::Unreadable(format!(
                "plus de {MAX_OUTLINE_ITEMS} signets"
            )));
        }
        let Ok(dict) = doc.dereference(item).and_then(|(_, o)| o.as_dict()) else {
            continue;
        };
        if let Ok(title @ Object::String(..)) = dict.get_deref(b"Title", doc) {
            let title = lopdf::decode_text_string(title)
                .map_err(|e| ContentError::Unreadable(format!("titre de signet : {e}")))?;
            out.push_str(&title);
            out.push('\n');
        }
        for key in [&b"Next"[..], b"First"] {
            if let Ok(next) = dict.get(key) {
                pending.push(next);
            }
        }
    }
    Ok(out)
}
