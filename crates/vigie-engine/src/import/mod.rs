//! Reading the agents' own reference documents (circulars, notes, instructions) into sections
//! of plain text: the unit that is checked by the classification policy, indexed and cited.
//!
//! One submodule per format, each turning bytes into [`Section`]s with a location a reader can
//! find again: `page 3` of a PDF, `section « Objet »` of a Word, HTML or Markdown document,
//! `art. 414` of a Légifrance LEGI XML article, `page 2` of a text file cut by form feeds.
//!
//! Every input is hostile until read: sizes are checked before anything is decompressed or
//! allocated ([`ImportLimits`]), parsers are streaming (no recursion on nesting depth), and a
//! format library that panics on a malformed file is contained and reported as a malformed
//! file. Nothing here writes anything: storing is the collection store's job, after the
//! policy has admitted the document.

mod docx;
mod error;
mod html;
mod legi;
mod markdown;
mod pdf;
mod text;
mod walk;
mod xml;

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use error::ImportError;
pub use text::decode_text;
pub use walk::{FoundDocuments, SkippedFile, find_documents};

/// Bounds on what one import may read and allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportLimits {
    /// Largest file read.
    pub max_file_bytes: u64,
    /// Largest extracted text of one document.
    pub max_text_bytes: usize,
    /// Most pages of a PDF.
    pub max_pages: usize,
    /// Most bytes unpacked from a DOCX archive (all parts read) or from one PDF page's
    /// content streams.
    pub max_unpacked_bytes: u64,
    /// Most files taken from one folder.
    pub max_files: usize,
    /// Deepest folder nesting followed.
    pub max_depth: usize,
}

impl Default for ImportLimits {
    fn default() -> Self {
        Self {
            max_file_bytes: 64 << 20,
            max_text_bytes: 16 << 20,
            max_pages: 2_000,
            max_unpacked_bytes: 64 << 20,
            max_files: 10_000,
            max_depth: 32,
        }
    }
}

/// Formats Vigie imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentFormat {
    /// Plain text (UTF-8, or Windows-1252).
    Text,
    /// Markdown.
    Markdown,
    /// HTML.
    Html,
    /// PDF, text layer only.
    Pdf,
    /// Word 2007+.
    Docx,
    /// Légifrance LEGI XML article(s).
    Legi,
}

impl DocumentFormat {
    /// The format a file name announces, if supported.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let lower = name.to_lowercase();
        let ext = lower.rsplit_once('.').map(|(_, e)| e)?;
        Some(match ext {
            "txt" | "text" => Self::Text,
            "md" | "markdown" => Self::Markdown,
            "html" | "htm" | "xhtml" => Self::Html,
            "pdf" => Self::Pdf,
            "docx" => Self::Docx,
            "xml" => Self::Legi,
            _ => return None,
        })
    }

    /// French name for messages.
    pub fn name_fr(self) -> &'static str {
        match self {
            Self::Text => "texte",
            Self::Markdown => "Markdown",
            Self::Html => "HTML",
            Self::Pdf => "PDF",
            Self::Docx => "Word (DOCX)",
            Self::Legi => "XML LEGI",
        }
    }
}

/// One page or section of a document: what is checked, indexed and cited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Section {
    /// Where it is in the document (`page 3`, `section « Objet »`, `art. 414`).
    pub location: String,
    /// Headings above it, outermost first (may be empty).
    pub headings: Vec<String>,
    /// Its text.
    pub text: String,
}

/// A document read and cut into sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentText {
    /// File name as cited (relative to the imported folder).
    pub file_name: String,
    /// Format.
    pub format: DocumentFormat,
    /// SHA-256 of the file.
    pub sha256: String,
    /// File size.
    pub bytes: u64,
    /// Sections with text, in document order.
    pub sections: Vec<Section>,
    /// Text that is not indexed but must pass the policy: page headers and footers,
    /// document properties.
    pub margins: Vec<Section>,
}

impl DocumentText {
    /// Every text the policy must see: sections, then margins. A section named by its
    /// heading is placed by its number for the journal (`section 2`), which must never hold
    /// text of a refused document.
    pub fn policy_pages(&self) -> Vec<crate::policy::PageText<'_>> {
        let sections = self.sections.iter().enumerate().map(|(i, s)| {
            let place = if s.headings.is_empty() && !s.location.contains('«') {
                s.location.clone()
            } else {
                format!("section {}", i + 1)
            };
            (s, place)
        });
        let margins = self.margins.iter().map(|s| (s, s.location.clone()));
        sections
            .chain(margins)
            .map(|(s, place)| crate::policy::PageText {
                location: &s.location,
                place,
                text: &s.text,
            })
            .collect()
    }
}

/// Reads a document file (format from its name).
pub fn read_document(
    path: &Path,
    file_name: &str,
    limits: &ImportLimits,
) -> Result<DocumentText, ImportError> {
    let format = DocumentFormat::from_file_name(file_name).ok_or_else(|| {
        ImportError::UnsupportedFormat {
            file: file_name.to_string(),
        }
    })?;
    let size = std::fs::metadata(path)
        .map_err(|source| ImportError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .len();
    if size > limits.max_file_bytes {
        return Err(ImportError::FileTooLarge {
            file: file_name.to_string(),
            bytes: size,
            limit: limits.max_file_bytes,
        });
    }
    let bytes = read_at_most(path, limits.max_file_bytes)?;
    read_bytes(file_name, format, &bytes, limits)
}

fn read_at_most(path: &Path, limit: u64) -> Result<Vec<u8>, ImportError> {
    use std::io::Read;
    let io = |source| ImportError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    // The file may grow between the size check and the read.
    file.take(limit + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ImportError::FileTooLarge {
            file: path.display().to_string(),
            bytes: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// Reads a document from its bytes.
pub fn read_bytes(
    file_name: &str,
    format: DocumentFormat,
    bytes: &[u8],
    limits: &ImportLimits,
) -> Result<DocumentText, ImportError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(ImportError::FileTooLarge {
            file: file_name.to_string(),
            bytes: bytes.len() as u64,
            limit: limits.max_file_bytes,
        });
    }
    let (sections, margins) = match format {
        DocumentFormat::Text => (text::read(file_name, bytes)?, Vec::new()),
        DocumentFormat::Markdown => (markdown::read(file_name, bytes)?, Vec::new()),
        DocumentFormat::Html => (html::read(file_name, bytes)?, Vec::new()),
        DocumentFormat::Pdf => pdf::read(file_name, bytes, limits)?,
        DocumentFormat::Docx => docx::read(file_name, bytes, limits)?,
        DocumentFormat::Legi => (legi::read(file_name, bytes)?, Vec::new()),
    };
    let total: usize = sections.iter().map(|s| s.text.len()).sum();
    if total > limits.max_text_bytes {
        return Err(ImportError::TextTooLarge {
            file: file_name.to_string(),
            limit: limits.max_text_bytes,
        });
    }
    let sections: Vec<Section> = sections
        .into_iter()
        .filter(|s| !s.text.trim().is_empty())
        .collect();
    if sections.is_empty() {
        return Err(ImportError::NoText {
            file: file_name.to_string(),
            format,
        });
    }
    Ok(DocumentText {
        file_name: file_name.to_string(),
        format,
        sha256: hex::encode(Sha256::digest(bytes)),
        bytes: bytes.len() as u64,
        sections,
        margins,
    })
}

/// Cuts a text into sections at heading lines: `heading_of(line)` gives `(level, title)` for a
/// heading. Text before the first heading is the section `début du document`.
pub(crate) fn sections_at_headings(
    lines: impl Iterator<Item = (Option<(usize, String)>, String)>,
) -> Vec<Section> {
    let mut sections = Vec::new();
    let mut path: Vec<(usize, String)> = Vec::new();
    let mut current = Section {
        location: "début du document".into(),
        headings: Vec::new(),
        text: String::new(),
    };
    for (heading, line) in lines {
        if let Some((level, title)) = heading {
            let finished = std::mem::replace(
                &mut current,
                Section {
                    location: String::new(),
                    headings: Vec::new(),
                    text: String::new(),
                },
            );
            if !finished.text.trim().is_empty() {
                sections.push(finished);
            }
            while path.last().is_some_and(|(l, _)| *l >= level) {
                path.pop();
            }
            let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
            path.push((level, title.clone()));
            current.location = format!("section « {} »", clip(&title, 120));
            current.headings = path.iter().map(|(_, t)| t.clone()).collect();
            // The heading is part of the section's text: it is often what a question names.
            current.text.push_str(&title);
            current.text.push('\n');
            continue;
        }
        current.text.push_str(&line);
        current.text.push('\n');
    }
    if !current.text.trim().is_empty() {
        sections.push(current);
    }
    sections
}

/// The first `max` characters of `text`, with `…` when cut.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &text[..i]),
        None => text.to_string(),
    }
}
