//! The DOCX package: a zip archive of parts, read as a possible zip bomb, with part names
//! compared without case and parts found through their relationships.
//!
//! OOXML (ECMA-376 part 2) says part names compare case-insensitively and that a consumer
//! finds the parts it shows through relationships (`_rels/.rels`, then
//! `word/_rels/document.xml.rels`), not through file names. Word opens `WORD/Header7.XML`
//! when a relationship names it, so the classification gate must as well: a gate that looks
//! for `word/header*.xml` by name misses what Word shows.
//!
//! The archive's entry count and each part's declared size are checked first, then every part
//! is read through a reader that stops one byte past the remaining budget, because a declared
//! size can lie.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use quick_xml::events::Event;
use quick_xml::reader::Reader;

use crate::import::{DocumentFormat, ImportError, ImportLimits};

/// Most entries in the archive (a real document has a few dozen).
const MAX_ENTRIES: usize = 10_000;

/// A relationship from one part to another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Relationship {
    /// The relationship type's last segment (`header`, `footer`, `officeDocument`…).
    pub kind: String,
    /// The target part's name, resolved against the source part (no leading `/`).
    pub target: String,
}

/// An opened DOCX archive with a budget of bytes still allowed to be unpacked.
pub(super) struct Package<'a> {
    file_name: &'a str,
    archive: zip::ZipArchive<Cursor<&'a [u8]>>,
    /// Lower-cased part name → name as stored in the archive.
    names: HashMap<String, String>,
    budget: u64,
    limit: u64,
}

impl<'a> Package<'a> {
    /// Opens the archive; two entries whose names differ only in case make it malformed
    /// (which of them Word reads is not for the gate to guess).
    pub fn open(
        file_name: &'a str,
        bytes: &'a [u8],
        limits: &ImportLimits,
    ) -> Result<Self, ImportError> {
        let malformed = |reason: String| malformed(file_name, reason);
        let archive =
            zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed(e.to_string()))?;
        if archive.len() > MAX_ENTRIES {
            return Err(malformed(format!(
                "{} entrées dans l'archive",
                archive.len()
            )));
        }
        let mut names = HashMap::new();
        for name in archive.file_names() {
            let name = name.map_err(|e| malformed(e.to_string()))?;
            let key = name.to_lowercase();
            if names.insert(key, name.to_string()).is_some() {
                return Err(malformed(format!(
                    "deux parties portent le nom « {name} » (à la casse près)"
                )));
            }
        }
        Ok(Self {
            file_name,
            archive,
            names,
            budget: limits.max_unpacked_bytes,
            limit: limits.max_unpacked_bytes,
        })
    }

    /// Part names as stored in the archive.
    pub fn part_names(&self) -> impl Iterator<Item = &str> {
        self.names.values().map(String::as_str)
    }

    /// A part's bytes (`None` when absent), its name compared without case.
    pub fn read(&mut self, name: &str) -> Result<Option<Vec<u8>>, ImportError> {
        let Some(stored) = self.names.get(&name.to_lowercase()).cloned() else {
            return Ok(None);
        };
        let file_name = self.file_name;
        let too_large = || ImportError::UnpackedTooLarge {
            file: file_name.to_string(),
            part: stored.clone(),
            limit: self.limit,
        };
        let mut entry = self
            .archive
            .by_name(&stored)
            .map_err(|e| malformed(file_name, format!("{stored} : {e}")))?;
        if entry.size() > self.budget {
            return Err(too_large());
        }
        let mut out = Vec::new();
        (&mut entry)
            .take(self.budget + 1)
            .read_to_end(&mut out)
            .map_err(|e| malformed(file_name, format!("{stored} : {e}")))?;
        if out.len() as u64 > self.budget {
            return Err(too_large());
        }
        self.budget -= out.len() as u64;
        Ok(Some(out))
    }

    /// The relationships of `source` (a part name, or `""` for the package itself), read
    /// from its `_rels/….rels` part; external targets (links to web pages) are left out.
    pub fn relationships(&mut self, source: &str) -> Result<Vec<Relationship>, ImportError> {
        let (dir, base) = match source.rsplit_once('/') {
            Some((dir, base)) => (dir, base),
            None => ("", source),
        };
        let rels_name = if dir.is_empty() {
            format!("_rels/{base}.rels")
        } else {
            format!("{dir}/_rels/{base}.rels")
        };
        let Some(xml) = self.read(&rels_name)? else {
            return Ok(Vec::new());
        };
        parse_relationships(&xml, dir)
            .map_err(|reason| malformed(self.file_name, format!("{rels_name} : {reason}")))
    }
}

fn malformed(file_name: &str, reason: String) -> ImportError {
    ImportError::Malformed {
        file: file_name.to_string(),
        format: DocumentFormat::Docx,
        reason,
    }
}

fn parse_relationships(xml: &[u8], source_dir: &str) -> Result<Vec<Relationship>, String> {
    let mut reader = Reader::from_reader(xml);
    let mut buffer = Vec::new();
    let mut out = Vec::new();
    loop {
        let event = reader
            .read_event_into(&mut buffer)
            .map_err(|e| format!("XML invalide à l'octet {} : {e}", reader.buffer_position()))?;
        match event {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == b"Relationship" => {
                let mut kind = String::new();
                let mut target = String::new();
                let mut external = false;
                for attribute in e.attributes().flatten() {
                    let value = attribute
                        .unescape_value()
                        .map_err(|e| format!("attribut invalide : {e}"))?;
                    match attribute.key.local_name().as_ref() {
                        b"Type" => kind = value.rsplit('/').next().unwrap_or_default().to_string(),
                        b"Target" => target = value.to_string(),
                        b"TargetMode" => external = value.eq_ignore_ascii_case("External"),
                        _ => {}
                    }
                }
                if !external && !target.is_empty() {
                    out.push(Relationship {
                        kind,
                        target: resolve(source_dir, &target),
                    });
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buffer.clear();
    }
    Ok(out)
}

/// A relationship target resolved against its source part's folder: `/word/x.xml` is
/// absolute, `../customXml/item1.xml` climbs, `%20` is a space.
fn resolve(source_dir: &str, target: &str) -> String {
    let target = percent_decode(target);
    let (start, rest) = match target.strip_prefix('/') {
        Some(absolute) => ("", absolute.to_string()),
        None => (source_dir, target.clone()),
    };
    let mut segments: Vec<&str> = start.split('/').filter(|s| !s.is_empty()).collect();
    for segment in rest.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    segments.join("/")
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| {
            std::str::from_utf8(h)
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        });
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_resolve_against_the_source_folder() {
        assert_eq!(resolve("word", "header1.xml"), "word/header1.xml");
        assert_eq!(resolve("word", "/WORD/Header2.XML"), "WORD/Header2.XML");
        assert_eq!(
            resolve("word", "../customXml/item%201.xml"),
            "customXml/item 1.xml"
        );
        assert_eq!(resolve("", "word/document.xml"), "word/document.xml");
    }

    #[test]
    fn relationships_keep_internal_targets_only() {
        let xml = br#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
            <Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="HEADER9.xml"/>
            <Relationship Id="r2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink" Target="https://example.org" TargetMode="External"/>
        </Relationships>"#;
        let rels = parse_relationships(xml, "word").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            rels,
            [Relationship {
                kind: "header".into(),
                target: "word/HEADER9.xml".into()
            }]
        );
    }
}
