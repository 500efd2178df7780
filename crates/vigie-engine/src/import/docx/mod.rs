//! Word (DOCX): the body's paragraphs, cut into sections at heading paragraphs; every other
//! part a reader sees (page headers and footers, footnotes and endnotes, comments, SmartArt
//! text) and the document properties are read as margins, which the policy checks (stamps
//! live there) but which are not indexed.
//!
//! Parts are found the way Word finds them, through the package's relationships
//! ([`package`]); the text of each part is read as Word shows it, runs joined ([`wordml`]).
//! A part a relationship names that is missing or cannot be read refuses the whole document:
//! the gate never admits a document it could not read entirely.

mod package;
mod wordml;

use std::collections::{HashSet, VecDeque};

use package::{Package, Relationship};

use super::{DocumentFormat, ImportError, ImportLimits, Section, sections_at_headings};

/// Most parts followed through relationships (a real document has a few dozen).
const MAX_PARTS: usize = 1_000;

/// Where the main document is when the package does not say.
const DEFAULT_MAIN_PART: &str = "word/document.xml";

/// Reads a DOCX: sections of the body, and margins (every other part with text).
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
    let mut package = Package::open(file_name, bytes, limits)?;
    let package_rels = package.relationships("")?;
    let main = package_rels
        .iter()
        .find(|r| r.kind == "officeDocument")
        .map(|r| r.target.clone())
        .unwrap_or_else(|| DEFAULT_MAIN_PART.to_string());
    let body = package
        .read(&main)?
        .ok_or_else(|| malformed(format!("{main} absent : ce n'est pas un document Word")))?;
    let body = wordml::read_part(&body).map_err(|e| malformed(format!("{main} : {e}")))?;
    let sections =
        sections_at_headings(body.paragraphs.into_iter().map(|p| match p.heading_level {
            Some(level) => (Some((level, p.text.clone())), p.text),
            None => (None, p.text),
        }));
    let mut margins = Vec::new();
    if !body.hidden.is_empty() {
        margins.push(Section {
            location: format!("texte masqué ou révisions du corps ({main})"),
            headings: Vec::new(),
            text: body.hidden.join("\n"),
        });
    }

    // Every part reachable from the main document and the package, breadth first.
    let mut seen: HashSet<String> = HashSet::from([main.to_lowercase()]);
    let mut queue: VecDeque<(String, Relationship)> = VecDeque::new();
    for r in package_rels {
        queue.push_back((String::new(), r));
    }
    for r in package.relationships(&main)? {
        queue.push_back((main.clone(), r));
    }
    while let Some((source, relationship)) = queue.pop_front() {
        let Some(kind) = PartKind::of(&relationship.kind) else {
            continue;
        };
        if !seen.insert(relationship.target.to_lowercase()) {
            continue;
        }
        if seen.len() > MAX_PARTS {
            return Err(malformed(format!("plus de {MAX_PARTS} parties liées")));
        }
        let name = relationship.target;
        let Some(xml) = package.read(&name)? else {
            return Err(ImportError::UnreadablePart {
                file: file_name.to_string(),
                part: format!("{} ({name})", kind.location_fr()),
                reason: format!(
                    "la partie est annoncée par {} mais absente",
                    rels_of(&source)
                ),
            });
        };
        margins.extend(read_margin(file_name, kind, &name, &xml)?);
        for r in package.relationships(&name)? {
            queue.push_back((name.clone(), r));
        }
    }
    // Parts named like headers, footers, notes or properties that no relationship reaches:
    // Word does not show them, but a stamp there is still a stamp.
    let orphans: Vec<(PartKind, String)> = package
        .part_names()
        .filter(|n| !seen.contains(&n.to_lowercase()))
        .filter_map(|n| PartKind::of_name(n).map(|k| (k, n.to_string())))
        .collect();
    for (kind, name) in orphans {
        if let Some(xml) = package.read(&name)? {
            margins.extend(read_margin(file_name, kind, &name, &xml)?);
        }
    }
    Ok((sections, margins))
}

/// The text of an `altChunk` part, by its extension: HTML and text are read, anything else
/// (RTF, another Word file) is an error, since Word would show what the gate cannot read.
fn embedded_text(name: &str, bytes: &[u8]) -> Result<String, String> {
    let lower = name.to_lowercase();
    let sections = if [".htm", ".html", ".xhtml", ".mht", ".mhtml"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        super::html::read(name, bytes)
    } else if lower.ends_with(".txt") {
        super::text::read(name, bytes)
    } else if lower.ends_with(".xml") {
        return super::xml::text_nodes(bytes);
    } else {
        return Err("format de contenu incorporé non lu par Vigie".into());
    };
    match sections {
        Ok(sections) => Ok(sections
            .into_iter()
            .map(|s| s.text)
            .collect::<Vec<_>>()
            .join("\n")),
        // An empty chunk shows nothing.
        Err(ImportError::NoText { .. }) => Ok(String::new()),
        Err(e) => Err(e.to_string()),
    }
}

fn rels_of(source: &str) -> String {
    if source.is_empty() {
        "_rels/.rels".to_string()
    } else {
        format!("les relations de {source}")
    }
}

/// A margin part's text: the paragraphs shown and the hidden text, one section.
fn read_margin(
    file_name: &str,
    kind: PartKind,
    name: &str,
    xml: &[u8],
) -> Result<Option<Section>, ImportError> {
    let unreadable = |reason: String| ImportError::UnreadablePart {
        file: file_name.to_string(),
        part: format!("{} ({name})", kind.location_fr()),
        reason,
    };
    let text = if kind == PartKind::Properties {
        super::xml::text_nodes(xml).map_err(unreadable)?
    } else if kind == PartKind::EmbeddedContent {
        embedded_text(name, xml).map_err(unreadable)?
    } else {
        let part = wordml::read_part(xml).map_err(unreadable)?;
        part.paragraphs
            .into_iter()
            .map(|p| p.text)
            .chain(part.hidden)
            .collect::<Vec<_>>()
            .join("\n")
    };
    Ok((!text.trim().is_empty()).then(|| Section {
        location: format!("{} ({name})", kind.location_fr()),
        headings: Vec::new(),
        text,
    }))
}

/// The parts with text a reader sees, besides the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PartKind {
    Header,
    Footer,
    Notes,
    Comments,
    Diagram,
    Glossary,
    Properties,
    /// An `altChunk`: HTML, text or XML that Word shows in the body as if typed there.
    EmbeddedContent,
}

impl PartKind {
    /// From a relationship type's last segment.
    fn of(relationship: &str) -> Option<Self> {
        Some(match relationship.to_ascii_lowercase().as_str() {
            "header" => Self::Header,
            "footer" => Self::Footer,
            "footnotes" | "endnotes" => Self::Notes,
            "comments" | "commentsextended" => Self::Comments,
            "diagramdata" => Self::Diagram,
            "glossarydocument" => Self::Glossary,
            "afchunk" => Self::EmbeddedContent,
            "core-properties"
            | "metadata/core-properties"
            | "extended-properties"
            | "custom-properties" => Self::Properties,
            _ => return None,
        })
    }

    /// From a part name, for parts no relationship reaches.
    fn of_name(name: &str) -> Option<Self> {
        let lower = name.to_lowercase();
        let base = lower.rsplit('/').next().unwrap_or_default();
        if !base.ends_with(".xml") {
            return None;
        }
        if lower.starts_with("docprops/") {
            return Some(Self::Properties);
        }
        if !lower.starts_with("word/") {
            return None;
        }
        [
            ("header", Self::Header),
            ("footer", Self::Footer),
            ("footnotes", Self::Notes),
            ("endnotes", Self::Notes),
            ("comments", Self::Comments),
        ]
        .into_iter()
        .find_map(|(prefix, kind)| base.starts_with(prefix).then_some(kind))
    }

    fn location_fr(self) -> &'static str {
        match self {
            Self::Header => "en-tête de page",
            Self::Footer => "pied de page",
            Self::Notes => "notes",
            Self::Comments => "commentaires",
            Self::Diagram => "texte d'un graphique SmartArt",
            Self::Glossary => "blocs de construction",
            Self::Properties => "propriétés du document",
            Self::EmbeddedContent => "contenu incorporé",
        }
    }
}
