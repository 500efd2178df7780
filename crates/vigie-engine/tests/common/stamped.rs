//! Word and PDF files written the way their producers really write them (runs split inside
//! words, parts found through relationships, watermarks, Form XObjects, annotations,
//! metadata), for the classification gate's tests.

#![allow(dead_code)]

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream, StringFormat, dictionary};

pub const W_NS: &str = "xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\" \
     xmlns:v=\"urn:schemas-microsoft-com:vml\" \
     xmlns:mc=\"http://schemas.openxmlformats.org/markup-compatibility/2006\" \
     xmlns:wps=\"http://schemas.microsoft.com/office/word/2010/wordprocessingShape\"";

const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

/// A paragraph of plain runs, each string one run.
pub fn runs(texts: &[&str]) -> String {
    let runs: String = texts
        .iter()
        .map(|t| format!("<w:r><w:rPr><w:b/></w:rPr><w:t xml:space=\"preserve\">{t}</w:t></w:r><w:proofErr w:type=\"spellStart\"/>"))
        .collect();
    format!("<w:p>{runs}</w:p>")
}

/// A heading paragraph.
pub fn heading(level: usize, text: &str) -> String {
    format!(
        "<w:p><w:pPr><w:pStyle w:val=\"Heading{level}\"/></w:pPr><w:r><w:t>{text}</w:t></w:r></w:p>"
    )
}

/// A related part of a DOCX: relationship type (last segment), part name, XML.
pub struct Part<'a> {
    pub kind: &'a str,
    pub name: &'a str,
    pub xml: String,
}

/// A header-like part (`w:hdr`, `w:ftr`, `w:footnotes`…) holding `inner`.
pub fn part_xml(root: &str, inner: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:{root} {W_NS}>{inner}</w:{root}>"
    )
}

/// A DOCX whose body holds `body` (paragraph XML) and whose main document relates to
/// `parts`; `properties` are extra package-level parts (`docProps/custom.xml`…).
pub fn docx(body: &str, parts: &[Part<'_>], properties: &[Part<'_>]) -> Vec<u8> {
    let document = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><w:document {W_NS}><w:body>{body}<w:sectPr/></w:body></w:document>"
    );
    let mut package_rels = format!(
        "<Relationship Id=\"rId1\" Type=\"{REL}/officeDocument\" Target=\"word/document.xml\"/>"
    );
    for (i, p) in properties.iter().enumerate() {
        package_rels.push_str(&format!(
            "<Relationship Id=\"rP{i}\" Type=\"{REL}/{}\" Target=\"/{}\"/>",
            p.kind, p.name
        ));
    }
    let mut document_rels = String::new();
    for (i, p) in parts.iter().enumerate() {
        document_rels.push_str(&format!(
            "<Relationship Id=\"rId{}\" Type=\"{REL}/{}\" Target=\"/{}\"/>",
            i + 10,
            p.kind,
            p.name
        ));
    }
    let rels = |inner: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">{inner}</Relationships>"
        )
        .into_bytes()
    };
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (
            "[Content_Types].xml".into(),
            b"<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"xml\" ContentType=\"application/xml\"/></Types>".to_vec(),
        ),
        ("_rels/.rels".into(), rels(&package_rels)),
        ("word/document.xml".into(), document.into_bytes()),
        ("word/_rels/document.xml.rels".into(), rels(&document_rels)),
    ];
    for p in parts.iter().chain(properties) {
        files.push((p.name.to_string(), p.xml.clone().into_bytes()));
    }
    super::documents::zip_of(&files)
}

/// Builds PDFs object by object.
pub struct Pdf {
    pub doc: Document,
    pages_id: ObjectId,
    font_id: ObjectId,
    kids: Vec<Object>,
    /// The document's bookmarks, if any.
    pub outlines: Option<ObjectId>,
}

/// One text-showing operation list: `BT /F1 11 Tf 50 780 Td (text) Tj ET`.
pub fn show(text: &str) -> Vec<Operation> {
    vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 11.into()]),
        Operation::new("Td", vec![50.into(), 780.into()]),
        Operation::new("Tj", vec![literal(text)]),
        Operation::new("ET", vec![]),
    ]
}

/// A literal string in WinAnsi.
pub fn literal(text: &str) -> Object {
    Object::String(
        text.chars()
            .map(|c| {
                if (c as u32) < 256 {
                    c as u32 as u8
                } else {
                    b'?'
                }
            })
            .collect(),
        StringFormat::Literal,
    )
}

pub fn encode(operations: Vec<Operation>) -> Vec<u8> {
    Content { operations }
        .encode()
        .unwrap_or_else(|e| panic!("{e}"))
}

impl Default for Pdf {
    fn default() -> Self {
        Self::new()
    }
}

impl Pdf {
    pub fn new() -> Self {
        let mut doc = Document::with_version("1.5");
        let pages_id = doc.new_object_id();
        let font_id = doc.add_object(dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => "Helvetica",
            "Encoding" => "WinAnsiEncoding",
        });
        Self {
            doc,
            pages_id,
            font_id,
            kids: Vec::new(),
            outlines: None,
        }
    }

    /// Resources with the font `F1` and the given XObjects.
    pub fn resources(&self, xobjects: &[(&str, ObjectId)]) -> Dictionary {
        let mut xo = Dictionary::new();
        for (name, id) in xobjects {
            xo.set(*name, *id);
        }
        dictionary! {
            "Font" => dictionary! { "F1" => self.font_id },
            "XObject" => xo,
        }
    }

    /// A Form XObject drawing `operations`, able to draw `xobjects` in turn.
    pub fn form(&mut self, operations: Vec<Operation>, xobjects: &[(&str, ObjectId)]) -> ObjectId {
        let resources = self.resources(xobjects);
        let mut stream = Stream::new(
            dictionary! {
                "Type" => "XObject",
                "Subtype" => "Form",
                "BBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
                "Resources" => resources,
            },
            encode(operations),
        );
        let _ = stream.compress();
        self.doc.add_object(stream)
    }

    /// A page drawing `operations`, with `xobjects` and extra page entries (`Annots`…).
    pub fn page(
        &mut self,
        operations: Vec<Operation>,
        xobjects: &[(&str, ObjectId)],
        extra: Dictionary,
    ) -> ObjectId {
        let mut stream = Stream::new(dictionary! {}, encode(operations));
        let _ = stream.compress();
        let content_id = self.doc.add_object(stream);
        let mut page = dictionary! {
            "Type" => "Page",
            "Parent" => self.pages_id,
            "Contents" => content_id,
            "Resources" => self.resources(xobjects),
        };
        page.extend(&extra);
        let id = self.doc.add_object(page);
        self.kids.push(id.into());
        id
    }

    /// The file, with `info` as its Info dictionary and `xmp` as its XMP metadata.
    pub fn finish(mut self, info: Option<Dictionary>, xmp: Option<&str>) -> Vec<u8> {
        let count = self.kids.len() as i64;
        self.doc.objects.insert(
            self.pages_id,
            Object::Dictionary(dictionary! {
                "Type" => "Pages",
                "Kids" => self.kids.clone(),
                "Count" => count,
                "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            }),
        );
        let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => self.pages_id };
        if let Some(outlines) = self.outlines {
            catalog.set("Outlines", outlines);
        }
        if let Some(xmp) = xmp {
            let mut stream = Stream::new(
                dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
                xmp.as_bytes().to_vec(),
            );
            let _ = stream.compress();
            catalog.set("Metadata", self.doc.add_object(stream));
        }
        let catalog_id = self.doc.add_object(catalog);
        self.doc.trailer.set("Root", catalog_id);
        if let Some(info) = info {
            let info_id = self.doc.add_object(info);
            self.doc.trailer.set("Info", info_id);
        }
        let mut out = Vec::new();
        self.doc.save_to(&mut out).unwrap_or_else(|e| panic!("{e}"));
        out
    }
}
