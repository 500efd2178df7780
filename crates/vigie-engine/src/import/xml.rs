//! What the two XML readers (DOCX parts, LEGI articles) share: resolving entity references.

use quick_xml::events::BytesRef;

/// The character an entity reference stands for: the five predefined XML entities and numeric
/// references. `None` for anything else: DTD entities are never expanded (no entity bombs).
pub(super) fn entity_char(reference: &BytesRef<'_>) -> Option<char> {
    let name: &[u8] = reference;
    match name {
        b"amp" => Some('&'),
        b"lt" => Some('<'),
        b"gt" => Some('>'),
        b"quot" => Some('"'),
        b"apos" => Some('\''),
        _ => reference.resolve_char_ref().ok().flatten(),
    }
}
