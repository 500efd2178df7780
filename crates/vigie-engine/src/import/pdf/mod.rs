//! PDF: the text layer, one section per page (`page N`), read with lopdf.
//!
//! Scanned documents have no text layer and are refused with that reason (no OCR here).
//! Before lopdf decodes a page, the size of its content streams once unpacked is measured
//! with a bounded reader, so a small file whose streams inflate to gigabytes is refused
//! instead of exhausting memory. lopdf is a large parser of an old and lenient format; a
//! panic inside it on a malformed file is contained and reported as a malformed file.

use std::io::Read;

use lopdf::{Document, Object};

use super::{DocumentFormat, ImportError, ImportLimits, Section};

/// Reads a PDF's text layer.
pub fn read(
    file_name: &str,
    bytes: &[u8],
    limits: &ImportLimits,
) -> Result<Vec<Section>, ImportError> {
    let malformed = |reason: String| malformed(file_name, reason);
    if !bytes.starts_with(b"%PDF")
        && !bytes[..bytes.len().min(1024)]
            .windows(4)
            .any(|w| w == b"%PDF")
    {
        return Err(malformed("pas d'en-tête %PDF".into()));
    }
    let outcome = std::panic::catch_unwind(|| read_unguarded(file_name, bytes, limits));
    match outcome {
        Ok(result) => result,
        Err(_) => Err(malformed("structure invalide".into())),
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
) -> Result<Vec<Section>, ImportError> {
    let malformed = |reason: String| malformed(file_name, reason);
    let document = Document::load_mem(bytes).map_err(|e| malformed(e.to_string()))?;
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
    let mut sections = Vec::with_capacity(pages.len());
    let mut total = 0usize;
    for (&number, &page_id) in &pages {
        let mut unpacked = 0u64;
        for stream_id in document.get_page_contents(page_id) {
            if let Ok(Object::Stream(stream)) = document.get_object(stream_id) {
                unpacked += unpacked_size(stream, limits.max_unpacked_bytes);
            }
            if unpacked > limits.max_unpacked_bytes {
                return Err(ImportError::UnpackedTooLarge {
                    file: file_name.to_string(),
                    part: format!("page {number}"),
                    limit: limits.max_unpacked_bytes,
                });
            }
        }
        // A page whose text cannot be decoded (unknown font encoding) is kept empty rather
        // than failing the whole document; the policy and the index see what could be read.
        let text = document.extract_text(&[number]).unwrap_or_default();
        total += text.len();
        if total > limits.max_text_bytes {
            return Err(ImportError::TextTooLarge {
                file: file_name.to_string(),
                limit: limits.max_text_bytes,
            });
        }
        sections.push(Section {
            location: format!("page {number}"),
            headings: Vec::new(),
            text,
        });
    }
    Ok(sections)
}

/// Bytes a content stream unpacks to, counted up to `limit + 1` (more is not needed).
fn unpacked_size(stream: &lopdf::Stream, limit: u64) -> u64 {
    let filters = stream.filters().unwrap_or_default();
    match filters.as_slice() {
        [] => stream.content.len() as u64,
        [only] if *only == b"FlateDecode" => {
            let decoder = flate2::read::ZlibDecoder::new(stream.content.as_slice());
            let mut counted = 0u64;
            let mut buffer = [0u8; 1 << 14];
            let mut bounded = decoder.take(limit + 1);
            loop {
                match bounded.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => counted += n as u64,
                }
            }
            counted
        }
        // Other filter chains (LZW, ASCII85, several filters) are not measured exactly: a
        // bound on their expansion ratio keeps them safe.
        _ => (stream.content.len() as u64).saturating_mul(4_096),
    }
}
