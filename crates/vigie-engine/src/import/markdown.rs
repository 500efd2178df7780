//! Markdown: sections at ATX headings (`#` to `######`), heading path kept; the text is kept
//! as written (the markup is light and the lexical analyzer ignores punctuation).
//! Headings inside fenced code blocks are not headings.

use super::{ImportError, Section, sections_at_headings, text::decode_text};

/// Reads a Markdown file.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Vec<Section>, ImportError> {
    let text = decode_text(file_name, bytes)?;
    let mut in_fence = false;
    let lines = text.lines().map(|line| {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
        }
        let heading = if in_fence { None } else { heading(trimmed) };
        (heading, line.to_string())
    });
    Ok(sections_at_headings(lines.collect::<Vec<_>>().into_iter()))
}

fn heading(line: &str) -> Option<(usize, String)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&level) {
        return None;
    }
    let rest = &line[level..];
    if !rest.is_empty() && !rest.starts_with(' ') {
        return None;
    }
    let title = rest.trim().trim_end_matches('#').trim();
    (!title.is_empty()).then(|| (level, title.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headings_cut_sections_with_their_path() {
        let md = "Préambule\n# Note\n## Objet\nTexte A\n```\n# pas un titre\n```\n## Champ\nTexte B\n#hashtag\n";
        let sections = read("n.md", md.as_bytes()).unwrap_or_default();
        let locations: Vec<&str> = sections.iter().map(|s| s.location.as_str()).collect();
        assert_eq!(
            locations,
            [
                "début du document",
                "section « Note »",
                "section « Objet »",
                "section « Champ »"
            ]
        );
        assert_eq!(sections[3].headings, ["Note", "Champ"]);
        assert!(sections[2].text.contains("# pas un titre"));
        assert!(sections[3].text.contains("#hashtag"));
    }
}
