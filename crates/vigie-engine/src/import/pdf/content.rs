//! The text a PDF draws: content streams interpreted for their text operators, with the Form
//! XObjects they draw.
//!
//! Headers, footers and watermarks are usually drawn by a Form XObject (`/Fm1 Do`), which
//! lopdf's text extraction never opens, and a stamp may be shown by any of the four text
//! operators (`Tj`, `TJ`, `'`, `"`). So the page is interpreted here: every showing operator
//! is decoded with its font's encoding, and every form drawn is read in turn, with its own
//! resources, up to [`MAX_FORM_DEPTH`] deep and [`MAX_FORMS_PER_PAGE`] in all (a form drawing
//! itself, or ten forms each drawing ten others, stop there with an error).
//!
//! Separators follow the drawing: a new line where the text moves to another line, a space
//! where it jumps further than a glyph, nothing between glyphs placed one by one. Text that
//! cannot be decoded (a font missing, an encoding lopdf does not know) is an error: the page
//! is then unreadable and the document is refused, never imported without it.

use std::collections::HashMap;
use std::io::Read;

use lopdf::content::Content;
use lopdf::{Dictionary, Document, Encoding, Object, ObjectId, Stream};

use super::guard;

/// Deepest chain of forms drawing forms.
pub(super) const MAX_FORM_DEPTH: usize = 16;
/// Most forms drawn for one page (its annotations' appearances included).
pub(super) const MAX_FORMS_PER_PAGE: usize = 2_000;

/// Why a page's text could not be read.
#[derive(Debug)]
pub(super) enum ContentError {
    /// Something on the page cannot be decoded (reason in French).
    Unreadable(String),
    /// The page's streams unpack beyond the limit.
    UnpackedTooLarge,
    /// The document's text grows beyond the limit.
    TextTooLarge,
}

/// Reads the text of one page (its content, forms and annotation appearances) within the
/// bounds it was made with.
pub(super) struct PageReader<'d> {
    doc: &'d Document,
    unpacked_left: u64,
    forms_left: usize,
    text_left: &'d mut usize,
}

impl<'d> PageReader<'d> {
    /// A reader for one page: `unpacked_limit` bytes of streams, `text_left` bytes of text
    /// still allowed for the whole document.
    pub fn new(doc: &'d Document, unpacked_limit: u64, text_left: &'d mut usize) -> Self {
        Self {
            doc,
            unpacked_left: unpacked_limit,
            forms_left: MAX_FORMS_PER_PAGE,
            text_left,
        }
    }

    /// The page's resource dictionaries, its own first, then inherited ones.
    pub fn page_resources(&self, page_id: ObjectId) -> Result<Vec<&'d Dictionary>, ContentError> {
        let (own, inherited) = self
            .doc
            .get_page_resources(page_id)
            .map_err(|e| unreadable(format!("ressources : {e}")))?;
        let mut chain: Vec<&Dictionary> = own.into_iter().collect();
        for id in inherited {
            chain.push(
                self.doc
                    .get_dictionary(id)
                    .map_err(|e| unreadable(format!("ressources : {e}")))?,
            );
        }
        Ok(chain)
    }

    /// The text the page's content streams draw.
    pub fn page_text(&mut self, page_id: ObjectId) -> Result<String, ContentError> {
        let resources = self.page_resources(page_id)?;
        let mut data = Vec::new();
        for id in self.doc.get_page_contents(page_id) {
            let stream = self
                .doc
                .get_object(id)
                .and_then(Object::as_stream)
                .map_err(|e| unreadable(format!("flux de contenu {} {} : {e}", id.0, id.1)))?;
            data.extend(self.decoded(stream)?);
            data.push(b'\n');
        }
        let mut out = String::new();
        self.interpret(&data, &resources, 0, None, &mut out)?;
        Ok(out)
    }

    /// The text a form (an annotation's appearance) draws, with `outer` resources inherited.
    pub fn form_text(
        &mut self,
        form: &'d Stream,
        outer: &[&'d Dictionary],
    ) -> Result<String, ContentError> {
        let mut out = String::new();
        self.draw_form(form, outer, 0, None, &mut out)?;
        Ok(out)
    }

    /// A stream's bytes once decoded, counted against the page's budget.
    pub fn decoded(&mut self, stream: &Stream) -> Result<Vec<u8>, ContentError> {
        let filters = match stream.dict.get(b"Filter") {
            Err(_) => Vec::new(),
            Ok(_) => stream
                .filters()
                .map_err(|e| unreadable(format!("filtre de flux : {e}")))?,
        };
        let budget = self.unpacked_left;
        let bytes = match filters.as_slice() {
            [] => stream.content.clone(),
            [only] if *only == b"FlateDecode" && stream.dict.get(b"DecodeParms").is_err() => {
                let mut out = Vec::new();
                flate2::read::ZlibDecoder::new(stream.content.as_slice())
                    .take(budget + 1)
                    .read_to_end(&mut out)
                    .map_err(|e| unreadable(format!("flux compressé : {e}")))?;
                out
            }
            _ => {
                // Other chains (predictors, LZW, ASCII85) are decoded by lopdf, only when no
                // expansion could exceed the budget.
                if (stream.content.len() as u64).saturating_mul(4_096) > budget {
                    return Err(ContentError::UnpackedTooLarge);
                }
                stream
                    .decompressed_content()
                    .map_err(|e| unreadable(format!("flux compressé : {e}")))?
            }
        };
        if bytes.len() as u64 > budget {
            return Err(ContentError::UnpackedTooLarge);
        }
        self.unpacked_left -= bytes.len() as u64;
        Ok(bytes)
    }

    /// Interprets a content stream; `font` is the font in effect where a form is drawn (the
    /// text state is part of the graphics state a form inherits).
    fn interpret(
        &mut self,
        data: &[u8],
        resources: &[&'d Dictionary],
        depth: usize,
        font: Option<(Vec<u8>, f32)>,
        out: &mut String,
    ) -> Result<(), ContentError> {
        guard::check_nesting(data, "le contenu de la page").map_err(ContentError::Unreadable)?;
        let content = Content::decode(data)
            .map_err(|e| unreadable(format!("flux de contenu invalide : {e}")))?;
        let mut fonts: HashMap<Vec<u8>, Encoding<'d>> = HashMap::new();
        let mut state = TextState::default();
        if let Some((name, size)) = font {
            state.font = Some(name);
            state.size = size;
        }
        for operation in &content.operations {
            let operands = &operation.operands;
            let number = |i: usize| operands.get(i).and_then(|o| o.as_float().ok());
            match operation.operator.as_str() {
                "BT" => {
                    state = TextState {
                        font: state.font.take(),
                        size: state.size,
                        ..TextState::default()
                    }
                }
                "ET" | "T*" => newline(out),
                "Tf" => {
                    state.font = operands
                        .first()
                        .and_then(|o| o.as_name().ok())
                        .map(<[u8]>::to_vec);
                    state.size = number(1).unwrap_or(0.0).abs();
                }
                "Td" | "TD" => {
                    let (tx, ty) = (number(0).unwrap_or(0.0), number(1).unwrap_or(0.0));
                    let (x, y) = (state.x + tx * state.scale, state.y + ty * state.scale);
                    state.move_to(x, y, out);
                }
                "Tm" => {
                    let (a, b) = (number(0).unwrap_or(1.0), number(1).unwrap_or(0.0));
                    let scale = a.hypot(b);
                    state.scale = if scale > 0.0 { scale } else { 1.0 };
                    state.move_to(number(4).unwrap_or(0.0), number(5).unwrap_or(0.0), out);
                }
                "Tj" => self.show(operands.first(), &state, resources, &mut fonts, out)?,
                "'" => {
                    newline(out);
                    self.show(operands.first(), &state, resources, &mut fonts, out)?;
                }
                "\"" => {
                    newline(out);
                    self.show(operands.get(2), &state, resources, &mut fonts, out)?;
                }
                "TJ" => {
                    let Some(Object::Array(items)) = operands.first() else {
                        continue;
                    };
                    for item in items {
                        match item {
                            Object::String(..) => {
                                self.show(Some(item), &state, resources, &mut fonts, out)?
                            }
                            // A shift left of more than a quarter of an em is a word gap.
                            other => {
                                if other.as_float().is_ok_and(|n| n < -250.0) && !ends_blank(out) {
                                    out.push(' ');
                                }
                            }
                        }
                    }
                }
                "Do" => {
                    let Some(name) = operands.first().and_then(|o| o.as_name().ok()) else {
                        continue;
                    };
                    if let Some(form) = self.form_named(name, resources)? {
                        newline(out);
                        let font = state.font.clone().map(|f| (f, state.size));
                        self.draw_form(form, resources, depth + 1, font, out)?;
                        newline(out);
                    }
                }
                _ => {}
            }
            if out.len() > *self.text_left {
                return Err(ContentError::TextTooLarge);
            }
        }
        Ok(())
    }

    fn draw_form(
        &mut self,
        form: &'d Stream,
        outer: &[&'d Dictionary],
        depth: usize,
        font: Option<(Vec<u8>, f32)>,
        out: &mut String,
    ) -> Result<(), ContentError> {
        if depth > MAX_FORM_DEPTH {
            return Err(unreadable(format!(
                "plus de {MAX_FORM_DEPTH} formulaires (XObjects) imbriqués"
            )));
        }
        if self.forms_left == 0 {
            return Err(unreadable(format!(
                "plus de {MAX_FORMS_PER_PAGE} formulaires (XObjects) dessinés"
            )));
        }
        self.forms_left -= 1;
        let mut chain = Vec::with_capacity(outer.len() + 1);
        if let Ok(own) = form
            .dict
            .get_deref(b"Resources", self.doc)
            .and_then(Object::as_dict)
        {
            chain.push(own);
        }
        chain.extend_from_slice(outer);
        let data = self.decoded(form)?;
        self.interpret(&data, &chain, depth, font, out)
    }

    /// The Form XObject `name` in the resources (`None` for an image or a missing name: an
    /// image has no text, and a missing XObject draws nothing).
    fn form_named(
        &self,
        name: &[u8],
        resources: &[&'d Dictionary],
    ) -> Result<Option<&'d Stream>, ContentError> {
        for dict in resources {
            let Ok(xobjects) = dict
                .get_deref(b"XObject", self.doc)
                .and_then(Object::as_dict)
            else {
                continue;
            };
            let Ok(object) = xobjects.get_deref(name, self.doc) else {
                continue;
            };
            let stream = object
                .as_stream()
                .map_err(|e| unreadable(format!("XObject « {} » : {e}", lossy(name))))?;
            let is_form = stream
                .dict
                .get(b"Subtype")
                .and_then(Object::as_name)
                .is_ok_and(|s| s == b"Form");
            return Ok(is_form.then_some(stream));
        }
        Ok(None)
    }

    fn show(
        &self,
        operand: Option<&Object>,
        state: &TextState,
        resources: &[&'d Dictionary],
        fonts: &mut HashMap<Vec<u8>, Encoding<'d>>,
        out: &mut String,
    ) -> Result<(), ContentError> {
        let Some(Object::String(bytes, _)) = operand else {
            return Ok(());
        };
        if bytes.is_empty() {
            return Ok(());
        }
        let Some(font) = &state.font else {
            return Err(unreadable("texte affiché sans police".into()));
        };
        if !fonts.contains_key(font) {
            let encoding = self.encoding_of(font, resources)?;
            fonts.insert(font.clone(), encoding);
        }
        let encoding = &fonts[font];
        let text = Document::decode_text(encoding, bytes).map_err(|e| {
            unreadable(format!(
                "texte de la police « {} » indéchiffrable : {e}",
                lossy(font)
            ))
        })?;
        out.push_str(&text);
        Ok(())
    }

    fn encoding_of(
        &self,
        font: &[u8],
        resources: &[&'d Dictionary],
    ) -> Result<Encoding<'d>, ContentError> {
        for dict in resources {
            let Ok(fonts) = dict.get_deref(b"Font", self.doc).and_then(Object::as_dict) else {
                continue;
            };
            let Ok(font_dict) = fonts.get_deref(font, self.doc).and_then(Object::as_dict) else {
                continue;
            };
            return font_dict.get_font_encoding(self.doc).map_err(|e| {
                unreadable(format!("encodage de la police « {} » : {e}", lossy(font)))
            });
        }
        Err(unreadable(format!(
            "police « {} » introuvable",
            lossy(font)
        )))
    }
}

/// Where the text is being drawn, enough to tell a new line or a gap from the next glyph.
struct TextState {
    font: Option<Vec<u8>>,
    size: f32,
    scale: f32,
    x: f32,
    y: f32,
}

impl Default for TextState {
    fn default() -> Self {
        Self {
            font: None,
            size: 0.0,
            scale: 1.0,
            x: 0.0,
            y: 0.0,
        }
    }
}

impl TextState {
    fn move_to(&mut self, x: f32, y: f32, out: &mut String) {
        let em = (self.size * self.scale).max(1.0);
        if (y - self.y).abs() > em / 2.0 {
            newline(out);
        } else if (x - self.x).abs() > em && !ends_blank(out) {
            out.push(' ');
        }
        self.x = x;
        self.y = y;
    }
}

fn newline(out: &mut String) {
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
}

fn ends_blank(out: &str) -> bool {
    out.is_empty() || out.ends_with(char::is_whitespace)
}

fn unreadable(reason: String) -> ContentError {
    ContentError::Unreadable(reason)
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
