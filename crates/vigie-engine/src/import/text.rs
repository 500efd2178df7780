//! Plain text files: UTF-8, or Windows-1252 (what Word and Notepad wrote for years), cut into
//! pages at form feeds (what `pdftotext` and printers' text exports leave between pages).
//!
//! A file that is neither valid UTF-8 nor plausible 8-bit text (NUL bytes, control
//! characters) is refused as binary rather than imported as garbage.

use super::{ImportError, Section};

/// Decodes a text file: UTF-8 (a BOM is dropped), else Windows-1252; binary data is refused.
pub fn decode_text(file_name: &str, bytes: &[u8]) -> Result<String, ImportError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let binary = || ImportError::Binary {
        file: file_name.to_string(),
    };
    if bytes.contains(&0) {
        return Err(binary());
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t.to_string(),
        Err(_) => bytes.iter().map(|&b| windows_1252(b)).collect(),
    };
    let controls = text
        .chars()
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        .count();
    if controls * 100 > text.chars().count().max(1) {
        return Err(binary());
    }
    Ok(text.replace("\r\n", "\n"))
}

/// One byte of Windows-1252.
fn windows_1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž',
        '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9f => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}

/// Reads a text file: one section per page when it has form feeds, else one section.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Vec<Section>, ImportError> {
    let text = decode_text(file_name, bytes)?;
    if !text.contains('\u{c}') {
        return Ok(vec![Section {
            location: "texte intégral".into(),
            headings: Vec::new(),
            text,
        }]);
    }
    Ok(text
        .split('\u{c}')
        .enumerate()
        .map(|(i, page)| Section {
            location: format!("page {}", i + 1),
            headings: Vec::new(),
            text: page.to_string(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_is_decoded_and_binary_refused() {
        let latin = b"Circulaire du 3 f\xe9vrier \x96 douane";
        assert_eq!(
            decode_text("a.txt", latin).ok().as_deref(),
            Some("Circulaire du 3 février – douane")
        );
        assert!(matches!(
            decode_text("b.txt", b"\x7fELF\x02\x01\x01\x00\x00"),
            Err(ImportError::Binary { .. })
        ));
        let controls: Vec<u8> = (1u8..8).cycle().take(200).collect();
        assert!(decode_text("c.txt", &controls).is_err());
    }

    #[test]
    fn form_feeds_make_pages() {
        let sections = read("p.txt", "un\u{c}deux\u{c}trois".as_bytes()).unwrap_or_default();
        assert_eq!(sections.len(), 3);
        assert_eq!(sections[2].location, "page 3");
    }
}
