//! Checks a PDF before lopdf parses it, so that a hostile file gives an error instead of
//! taking the process down.
//!
//! lopdf inflates object streams (and, later, ToUnicode maps) without a limit and parses
//! nested arrays and dictionaries by recursion. So, before it sees the file:
//!
//! - every Flate stream is inflated here with a bounded reader, from its first byte to the
//!   end of the file: a zlib stream stops at its own end, so whatever lopdf later takes as the
//!   stream (by `/Length`) inflates to at most what was counted here. Streams also encoded with
//!   LZW or ASCII85 (which lopdf decodes, then inflates) are only accepted when small enough
//!   that no expansion could exceed the bound;
//! - nesting is measured on raw bytes, with no tokenizer to fool: every `[` and `<<` opens,
//!   every `]` and `>>` closes, over the whole file and over every inflated object stream. The
//!   bound ([`MAX_NESTING`]) is far above what a real document nests and far below what the
//!   parser's stack ([`super::PARSER_STACK_BYTES`]) holds, and random binary data (images,
//!   compressed streams) stays well under it.

use std::io::Read;

use crate::import::ImportLimits;

/// Deepest raw nesting of `[` and `<<` accepted.
pub(super) const MAX_NESTING: usize = 4_096;

/// Most bytes a stream encoded with LZW or ASCII85 may have (their decoded size is not
/// measured here): a bound on LZW's worst expansion keeps them within the limit.
fn max_unmeasured_stream(limits: &ImportLimits) -> u64 {
    limits.max_unpacked_bytes / 4_096
}

/// Why the guard refuses a file.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refused {
    /// Something about the file is hostile or unmeasurable (in French).
    Malformed(String),
    /// A stream inflates beyond the limit.
    UnpackedTooLarge,
}

/// Checks `bytes` before lopdf parses them.
pub(super) fn check(bytes: &[u8], limits: &ImportLimits) -> Result<(), Refused> {
    check_nesting(bytes, "la structure du fichier").map_err(Refused::Malformed)?;
    let total_limit = limits.max_unpacked_bytes.saturating_mul(4);
    let mut total = 0u64;
    let mut from = 0;
    while let Some(at) = find(bytes, b"stream", from) {
        from = at + b"stream".len();
        // `endstream` also ends with `stream`.
        if at >= 3 && &bytes[at - 3..at] == b"end" {
            continue;
        }
        let mut data_start = from;
        if bytes.get(data_start) == Some(&b'\r') {
            data_start += 1;
        }
        if bytes.get(data_start) == Some(&b'\n') {
            data_start += 1;
        }
        let dictionary = dictionary_before(bytes, at);
        if mentions_unmeasured_filter(&dictionary) {
            let end = find(bytes, b"endobj", data_start).unwrap_or(bytes.len());
            if (end - data_start) as u64 > max_unmeasured_stream(limits) {
                return Err(Refused::Malformed(
                    "un flux codé en LZW ou ASCII85 est trop grand pour être vérifié".to_string(),
                ));
            }
            continue;
        }
        let data = &bytes[data_start.min(bytes.len())..];
        if !looks_like_zlib(data) {
            continue;
        }
        let remaining = total_limit - total;
        let stream_limit = limits.max_unpacked_bytes.min(remaining);
        let keep = dictionary.windows(6).any(|w| w == b"ObjStm");
        let (inflated, kept) = inflate_at_most(data, stream_limit, keep);
        if inflated > stream_limit {
            return Err(Refused::UnpackedTooLarge);
        }
        total += inflated;
        if let Some(objects) = kept {
            check_nesting(&objects, "un flux d'objets").map_err(Refused::Malformed)?;
        }
    }
    Ok(())
}

/// Refuses nesting deeper than [`MAX_NESTING`], counted on raw bytes.
pub(super) fn check_nesting(bytes: &[u8], what: &str) -> Result<(), String> {
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'[', _) => depth += 1,
            (b'<', Some(b'<')) => {
                depth += 1;
                i += 1;
            }
            (b']', _) => depth = depth.saturating_sub(1),
            (b'>', Some(b'>')) => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            _ => {}
        }
        if depth > MAX_NESTING {
            return Err(format!(
                "{what} imbrique plus de {MAX_NESTING} tableaux ou dictionnaires"
            ));
        }
        i += 1;
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

/// The stream's dictionary, roughly: the bytes since the previous `obj` keyword (at most
/// 64 KiB back), with `#xx` name escapes decoded so `/LZW#44ecode` reads as `/LZWDecode`.
fn dictionary_before(bytes: &[u8], stream_at: usize) -> Vec<u8> {
    let window_start = stream_at.saturating_sub(64 << 10);
    let window = &bytes[window_start..stream_at];
    let start = window
        .windows(3)
        .rposition(|w| w == b"obj")
        .map_or(0, |p| p + 3);
    let raw = &window[start..];
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let hex = raw
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (raw[i], hex) {
            (b'#', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    out
}

fn mentions_unmeasured_filter(dictionary: &[u8]) -> bool {
    [&b"/LZW"[..], b"/A85", b"/ASCII85"]
        .iter()
        .any(|name| dictionary.windows(name.len()).any(|w| w == *name))
}

/// A zlib header: deflate method, window within bounds, check bits right.
fn looks_like_zlib(data: &[u8]) -> bool {
    match data {
        [cmf, flg, ..] => {
            cmf & 0x0f == 8 && cmf >> 4 <= 7 && (u16::from(*cmf) << 8 | u16::from(*flg)) % 31 == 0
        }
        _ => false,
    }
}

/// Bytes `data` inflates to, counted up to `limit + 1`, and the bytes themselves if asked.
fn inflate_at_most(data: &[u8], limit: u64, keep: bool) -> (u64, Option<Vec<u8>>) {
    let mut decoder = flate2::read::ZlibDecoder::new(data).take(limit + 1);
    let mut kept = keep.then(Vec::new);
    let mut counted = 0u64;
    let mut buffer = [0u8; 1 << 14];
    loop {
        match decoder.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                counted += n as u64;
                if let Some(kept) = kept.as_mut() {
                    kept.extend_from_slice(&buffer[..n]);
                }
            }
        }
    }
    (counted, kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deep_nesting_is_refused_and_ordinary_nesting_is_not() {
        let deep = format!("%PDF-1.7\n1 0 obj {} endobj", "[".repeat(MAX_NESTING + 1));
        assert!(check_nesting(deep.as_bytes(), "x").is_err());
        let fine = "[[<< /A [1 2] >>]] ".repeat(10_000);
        assert!(check_nesting(fine.as_bytes(), "x").is_ok());
    }

    #[test]
    fn a_flate_bomb_is_refused_before_parsing() {
        use std::io::Write;
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
        encoder
            .write_all(&vec![b' '; 8 << 20])
            .unwrap_or_else(|e| panic!("{e}"));
        let compressed = encoder.finish().unwrap_or_else(|e| panic!("{e}"));
        let mut file = b"%PDF-1.7\n1 0 obj << /Type /ObjStm /Length 10 >> stream\n".to_vec();
        file.extend_from_slice(&compressed);
        file.extend_from_slice(b"\nendstream endobj");
        let limits = ImportLimits {
            max_unpacked_bytes: 1 << 20,
            ..ImportLimits::default()
        };
        assert_eq!(check(&file, &limits), Err(Refused::UnpackedTooLarge));
        assert!(check(&file, &ImportLimits::default()).is_ok());
    }
}
