//! HTML: visible text, cut into sections at `<h1>`…`<h6>`.
//!
//! A single forward scan over the bytes, with no tree: the text of a circular does not need a
//! DOM, and a scan has no nesting to overflow (a page of 100,000 nested `<div>`s costs what
//! its bytes cost). Scripts, styles, comments and the `<head>` (except `<title>`) are skipped;
//! block elements end lines; character references are decoded (numeric ones and the named
//! ones French texts use).

use super::{ImportError, Section, sections_at_headings, text::decode_text};

/// Reads an HTML file.
pub fn read(file_name: &str, bytes: &[u8]) -> Result<Vec<Section>, ImportError> {
    let html = decode_text(file_name, bytes)?;
    Ok(sections_at_headings(lines(&html).into_iter()))
}

/// What the scan is inside.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Skip {
    None,
    /// `<script>`, `<style>`, `<head>`: text skipped until the closing tag.
    Until(&'static str),
}

/// Scans the HTML into lines, a heading line marked with its level.
fn lines(html: &str) -> Vec<(Option<(usize, String)>, String)> {
    let mut out: Vec<(Option<(usize, String)>, String)> = Vec::new();
    let mut line = String::new();
    let mut heading: Option<usize> = None;
    let mut title: Option<String> = None;
    let mut in_title = false;
    let mut skip = Skip::None;
    let mut rest = html;
    let flush = |out: &mut Vec<(Option<(usize, String)>, String)>,
                 line: &mut String,
                 heading: Option<usize>| {
        let text = line.split_whitespace().collect::<Vec<_>>().join(" ");
        line.clear();
        if text.is_empty() {
            return;
        }
        match heading {
            Some(level) => out.push((Some((level, text.clone())), text)),
            None => out.push((None, text)),
        }
    };
    while !rest.is_empty() {
        let Some(lt) = rest.find('<') else {
            if skip == Skip::None {
                line.push_str(&decode_entities(rest));
            }
            break;
        };
        let (text, after) = rest.split_at(lt);
        if skip == Skip::None || in_title {
            let decoded = decode_entities(text);
            if in_title {
                title.get_or_insert_with(String::new).push_str(&decoded);
            } else {
                line.push_str(&decoded);
            }
        }
        // Comments, doctype, processing instructions.
        if let Some(body) = after.strip_prefix("<!--") {
            rest = body.find("-->").map(|i| &body[i + 3..]).unwrap_or("");
            continue;
        }
        let Some(gt) = after.find('>') else {
            break;
        };
        let tag = &after[1..gt];
        rest = &after[gt + 1..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if let Skip::Until(end) = skip {
            if closing && name == end {
                skip = Skip::None;
            }
            // `<title>` lives in `<head>`.
            if name == "title" && end == "head" {
                in_title = !closing;
            }
            continue;
        }
        match name.as_str() {
            "script" | "style" | "noscript" | "template" if !closing => {
                skip = Skip::Until(match name.as_str() {
                    "script" => "script",
                    "style" => "style",
                    "noscript" => "noscript",
                    _ => "template",
                });
            }
            "head" if !closing => skip = Skip::Until("head"),
            "title" => in_title = !closing,
            "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                flush(&mut out, &mut line, heading);
                heading = if closing {
                    None
                } else {
                    name[1..].parse().ok()
                };
            }
            "p" | "div" | "br" | "li" | "tr" | "table" | "ul" | "ol" | "section" | "article"
            | "header" | "footer" | "blockquote" | "pre" | "dd" | "dt" | "hr" | "main" | "nav"
            | "aside" | "body" => flush(&mut out, &mut line, heading),
            "td" | "th" => line.push('\t'),
            _ => {}
        }
    }
    flush(&mut out, &mut line, heading);
    if let Some(title) = title {
        let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
        if !title.is_empty() {
            out.insert(0, (None, title));
        }
    }
    out
}

/// Decodes character references; unknown ones are kept as written.
fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let end = after
            .char_indices()
            .take(12)
            .find(|(_, c)| *c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|end| entity(&after[..end]).map(|c| (c, end)));
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "eacute" => 'é',
        "Eacute" => 'É',
        "egrave" => 'è',
        "Egrave" => 'È',
        "ecirc" => 'ê',
        "euml" => 'ë',
        "agrave" => 'à',
        "Agrave" => 'À',
        "acirc" => 'â',
        "ccedil" => 'ç',
        "Ccedil" => 'Ç',
        "icirc" => 'î',
        "iuml" => 'ï',
        "ocirc" => 'ô',
        "ucirc" => 'û',
        "ugrave" => 'ù',
        "oelig" => 'œ',
        "laquo" => '«',
        "raquo" => '»',
        "rsquo" => '’',
        "lsquo" => '‘',
        "ldquo" => '“',
        "rdquo" => '”',
        "hellip" => '…',
        "ndash" => '–',
        "mdash" => '—',
        "deg" => '°',
        "euro" => '€',
        "sect" => '§',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visible_text_in_sections_at_headings() {
        let html = "<!DOCTYPE html><html><head><title>Note &laquo;contr&ocirc;les&raquo;</title>\
            <style>h1{color:red}</style></head><body><script>alert('x')</script>\
            <h1>Objet</h1><p>Les agents&nbsp;v&eacute;rifient &#233;galement<br>le fret.</p>\
            <!-- DIFFUSION RESTREINTE en commentaire --><h2>Champ</h2><div>Tout le territoire</div>\
            </body></html>";
        let sections = read("n.html", html.as_bytes()).unwrap_or_default();
        assert_eq!(sections[0].text.trim(), "Note «contrôles»");
        assert_eq!(sections[1].location, "section « Objet »");
        assert!(sections[1].text.contains("Les agents vérifient également"));
        assert!(sections[1].text.contains("le fret."));
        assert_eq!(sections[2].headings, ["Objet", "Champ"]);
        let all: String = sections.iter().map(|s| s.text.as_str()).collect();
        assert!(!all.contains("alert") && !all.contains("color") && !all.contains("RESTREINTE"));
    }

    #[test]
    fn deep_nesting_and_broken_markup_are_just_text() {
        let deep = "<div>".repeat(200_000) + "fond" + &"</div>".repeat(200_000);
        let sections = read("d.html", deep.as_bytes()).unwrap_or_default();
        assert_eq!(sections.len(), 1);
        assert_eq!(sections[0].text.trim(), "fond");
        let broken =
            read("b.html", b"<p>avant <a href=\"x\" &amp; <h1 sans fin").unwrap_or_default();
        assert!(broken[0].text.contains("avant"));
        assert_eq!(
            decode_entities("&#0; &#xZZ; &bogus; &amp"),
            "&#0; &#xZZ; &bogus; &amp"
        );
    }
}
