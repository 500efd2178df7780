//! The classification gate on documents written the way Word and PDF producers write them:
//! each way a stamp reaches a file is refused through the real import path (files on disk, a
//! real data folder, the real journal and embedding model), with a message saying where the
//! stamp is; clean documents built the same ways are imported; and nothing of a refused
//! document is found afterwards in any file of the data folder.

mod common;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use lopdf::content::Operation;
use lopdf::{Object, dictionary};

use common::stamped::{self, Part, Pdf, heading, literal, part_xml, runs, show};
use vigie_engine::audit::AuditLog;
use vigie_engine::collection::ImportRequest;
use vigie_engine::document_import::{DocumentImportReport, import_documents};
use vigie_engine::embed::Embedder;
use vigie_engine::import::{DocumentFormat, ImportLimits, read_bytes};
use vigie_engine::policy::{Policy, Refusal};

/// A word found in every stamped document's body and nowhere else.
const CANARY: &str = "Zorglub";
const BODY: &str = "Note Zorglub : le controle des conteneurs frigorifiques commence a l'aube.";

fn embedder() -> Arc<dyn Embedder> {
    static EMBEDDER: OnceLock<Arc<dyn Embedder>> = OnceLock::new();
    EMBEDDER
        .get_or_init(|| {
            let tmp =
                std::env::temp_dir().join(format!("vigie-gate-corpus-{}", std::process::id()));
            common::small_corpus(&tmp, 3);
            let engine = vigie_engine::Engine::open(common::paths(&tmp.join("data"), &tmp))
                .unwrap_or_else(|e| panic!("{e}"));
            engine.load_embedder(None).unwrap_or_else(|e| panic!("{e}"))
        })
        .clone()
}

/// Writes `files` into a folder and imports it into the collection `notes` (label
/// `interne`) of a fresh data folder, as `vigie import` does.
fn import(files: &[(&str, Vec<u8>)]) -> (DocumentImportReport, tempfile::TempDir) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let report = import_in(tmp.path(), files);
    (report, tmp)
}

/// Imports `files` (written to a fresh input folder) into `root/data`.
fn import_in(root: &Path, files: &[(&str, Vec<u8>)]) -> DocumentImportReport {
    let input = root.join(format!(
        "in-{}",
        std::fs::read_dir(root).map_or(0, |d| d.count())
    ));
    let data = root.join("data");
    std::fs::create_dir_all(&input).unwrap_or_else(|e| panic!("{e}"));
    for (name, bytes) in files {
        std::fs::write(input.join(name), bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    let policy = Policy::load(&data).unwrap_or_else(|e| panic!("{e}"));
    let mut journal = AuditLog::open(&data).unwrap_or_else(|e| panic!("{e}"));
    import_documents(
        &data,
        &mut journal,
        &policy,
        &input,
        &ImportRequest {
            collection: "notes".into(),
            label: "interne".into(),
        },
        embedder().as_ref(),
        &mut |_| {},
    )
    .unwrap_or_else(|e| panic!("{}", e.message_fr()))
}

/// Every byte stored under the data folder, as text (lossy).
fn everything_stored(dir: &Path) -> String {
    let mut out = String::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(bytes) = std::fs::read(&path) {
                out.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    out
}

fn assert_no_canary(data: &Path) {
    let stored = everything_stored(data).to_lowercase();
    assert!(
        !stored.contains(&CANARY.to_lowercase()),
        "a word of a refused document is stored in {}",
        data.display()
    );
}

/// Imports one stamped file and returns where the policy found the stamp; fails unless it
/// was refused by a marker, with a message naming that place, and left no trace.
fn refused_at(name: &str, bytes: Vec<u8>) -> String {
    let (report, tmp) = import(&[(name, bytes)]);
    let outcome = report
        .outcome
        .as_ref()
        .unwrap_or_else(|| panic!("{report:?}"));
    assert!(outcome.imported.is_empty(), "{name} imported: {report:?}");
    let refused = outcome
        .refused
        .first()
        .unwrap_or_else(|| panic!("{name} not refused: {report:?}"));
    let location = match &refused.refusal {
        Refusal::MarkerNotForAi { location, .. } => location.clone(),
        other => panic!("{other:?}"),
    };
    let message = report.problems_fr().join("\n");
    assert!(message.contains(&location), "{message}");
    assert_no_canary(&tmp.path().join("data"));
    location
}

/// Imports one file that cannot be read entirely; returns the French reason.
fn unreadable(name: &str, bytes: Vec<u8>) -> String {
    let (report, tmp) = import(&[(name, bytes)]);
    assert!(
        report
            .outcome
            .as_ref()
            .is_none_or(|o| o.imported.is_empty()),
        "{report:?}"
    );
    assert_eq!(report.unreadable.len(), 1, "{report:?}");
    assert_no_canary(&tmp.path().join("data"));
    report.unreadable[0].reason.clone()
}

/// Imports one clean file; fails unless it is imported.
fn imported(name: &str, bytes: Vec<u8>) {
    let (report, _tmp) = import(&[(name, bytes)]);
    assert!(report.complete(), "{name}: {report:?}");
    assert_eq!(
        report.outcome.as_ref().map(|o| o.imported.len()),
        Some(1),
        "{report:?}"
    );
}

fn read_text(name: &str, bytes: &[u8]) -> String {
    let format = DocumentFormat::from_file_name(name).unwrap_or_else(|| panic!("{name}"));
    let doc = read_bytes(name, format, bytes, &ImportLimits::default())
        .unwrap_or_else(|e| panic!("{}", e.message_fr()));
    doc.sections
        .iter()
        .chain(&doc.margins)
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn body_docx(stamp_paragraph: &str) -> Vec<u8> {
    stamped::docx(&format!("{stamp_paragraph}{}", runs(&[BODY])), &[], &[])
}

fn header(kind: &'static str, name: &'static str, root: &str, inner: &str) -> Part<'static> {
    Part {
        kind,
        name,
        xml: part_xml(root, inner),
    }
}

// ---- Word: stamped ----

#[test]
fn docx_stamp_split_across_runs_is_refused() {
    let docx = body_docx(&runs(&["DIFFUSION RESTR", "EINTE"]));
    assert_eq!(refused_at("runs.docx", docx), "début du document");
}

#[test]
fn docx_stamp_split_inside_every_letter_is_refused() {
    let docx = body_docx(&runs(&[
        "N",
        "E P",
        "AS INT",
        "É",
        "GRER À UN OUT",
        "IL D'",
        "IA",
    ]));
    assert_eq!(refused_at("lettres.docx", docx), "début du document");
}

#[test]
fn docx_watermark_in_a_vml_textpath_is_refused() {
    let watermark = "<w:p><w:r><w:pict><v:shape id=\"PowerPlusWaterMarkObject1\" type=\"#_x0000_t136\"><v:textpath style=\"font-family:&quot;Calibri&quot;\" string=\"DIFFUSION RESTREINTE\"/></v:shape></w:pict></w:r></w:p>";
    let docx = stamped::docx(
        &runs(&[BODY]),
        &[header("header", "word/header1.xml", "hdr", watermark)],
        &[],
    );
    let location = refused_at("filigrane.docx", docx);
    assert!(location.starts_with("en-tête de page"), "{location}");
}

#[test]
fn docx_header_named_in_another_case_is_refused() {
    let inner = runs(&["DIFFUSION RESTREINTE"]);
    let docx = stamped::docx(
        &runs(&[BODY]),
        &[header("header", "WORD/HEADER7.XML", "hdr", &inner)],
        &[],
    );
    assert_eq!(
        refused_at("casse.docx", docx),
        "en-tête de page (WORD/HEADER7.XML)"
    );
}

#[test]
fn docx_header_found_only_through_its_relationship_is_refused() {
    let inner = runs(&["NE PAS INTÉGRER À UN OUTIL D'IA"]);
    let docx = stamped::docx(
        &runs(&[BODY]),
        &[header("footer", "word/bas-de-page.xml", "ftr", &inner)],
        &[],
    );
    assert_eq!(
        refused_at("relation.docx", docx),
        "pied de page (word/bas-de-page.xml)"
    );
}

#[test]
fn docx_stamp_in_footnotes_comments_and_text_boxes_is_refused() {
    let stamp = runs(&["DIFFUSION ", "RESTREINTE"]);
    let footnotes = format!("<w:footnote w:id=\"1\">{stamp}</w:footnote>");
    let docx = stamped::docx(
        &runs(&[BODY]),
        &[header(
            "footnotes",
            "word/footnotes.xml",
            "footnotes",
            &footnotes,
        )],
        &[],
    );
    assert!(refused_at("notes.docx", docx).starts_with("notes"));

    let comments = format!("<w:comment w:id=\"0\" w:author=\"X\">{stamp}</w:comment>");
    let docx = stamped::docx(
        &runs(&[BODY]),
        &[header(
            "comments",
            "word/comments.xml",
            "comments",
            &comments,
        )],
        &[],
    );
    assert!(refused_at("commentaires.docx", docx).starts_with("commentaires"));

    let text_box = format!(
        "<w:p><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wps:txbx><w:txbxContent>{stamp}</w:txbxContent></wps:txbx></w:drawing></mc:Choice></mc:AlternateContent></w:r></w:p>"
    );
    assert_eq!(
        refused_at("zone-de-texte.docx", body_docx(&text_box)),
        "début du document"
    );
}

#[test]
fn docx_stamp_in_custom_properties_is_refused() {
    let custom = "<?xml version=\"1.0\"?><Properties xmlns=\"http://schemas.openxmlformats.org/officeDocument/2006/custom-properties\" xmlns:vt=\"http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes\"><property fmtid=\"{D5CDD505-2E9C-101B-9397-08002B2CF9AE}\" pid=\"2\" name=\"Classification\"><vt:lpwstr>DIFFUSION RESTREINTE</vt:lpwstr></property></Properties>";
    let docx = stamped::docx(
        &runs(&[BODY]),
        &[],
        &[Part {
            kind: "custom-properties",
            name: "docProps/custom.xml",
            xml: custom.into(),
        }],
    );
    assert!(refused_at("proprietes.docx", docx).starts_with("propriétés du document"));
}

#[test]
fn docx_stamp_with_decomposed_accents_or_invisible_characters_is_refused() {
    for (name, stamp) in [
        (
            "nfd.docx",
            "NE PAS INTE\u{301}GRER A\u{300} UN OUTIL D\u{2019}IA",
        ),
        ("cesure.docx", "DIFFU\u{AD}SION RESTREINTE"),
        ("zero.docx", "DIFFUSION\u{200B} RES\u{200B}TREINTE"),
        ("joint.docx", "CONFI\u{2060}DENTIEL"),
    ] {
        assert_eq!(
            refused_at(name, body_docx(&runs(&[stamp]))),
            "début du document",
            "{name}"
        );
    }
}

#[test]
fn docx_letter_spaced_and_full_width_stamps_are_refused() {
    for (name, stamp) in [
        ("espace.docx", "D I F F U S I O N   R E S T R E I N T E"),
        ("pleine.docx", "ＤＩＦＦＵＳＩＯＮ　ＲＥＳＴＲＥＩＮＴＥ"),
        ("secret.docx", "S E C R E T"),
    ] {
        assert_eq!(
            refused_at(name, body_docx(&runs(&[stamp]))),
            "début du document",
            "{name}"
        );
    }
}

#[test]
fn a_stamp_under_a_heading_is_journaled_by_section_number_never_by_heading() {
    let body = format!(
        "{}{}{}",
        runs(&["Préambule sans mention."]),
        heading(1, "Dossier Zorglub"),
        runs(&["DIFFUSION RESTREINTE"]),
    );
    let (report, tmp) = import(&[("titre.docx", stamped::docx(&body, &[], &[]))]);
    let refusal = &report
        .outcome
        .as_ref()
        .unwrap_or_else(|| panic!("{report:?}"))
        .refused[0];
    match &refusal.refusal {
        Refusal::MarkerNotForAi {
            location, place, ..
        } => {
            // The agent is told the heading; the journal gets its number.
            assert_eq!(location, "section « Dossier Zorglub »");
            assert_eq!(place, "section 2");
        }
        other => panic!("{other:?}"),
    }
    let data = tmp.path().join("data");
    let journal =
        std::fs::read_to_string(data.join("audit.jsonl")).unwrap_or_else(|e| panic!("{e}"));
    assert!(journal.contains("\"place\":\"section 2\""), "{journal}");
    let policy = Policy::shipped().unwrap_or_else(|e| panic!("{e}"));
    let refused_entry = journal
        .lines()
        .find(|l| l.contains("\"event\":\"import_refused\""))
        .unwrap_or_else(|| panic!("{journal}"));
    assert!(
        refused_entry.contains(&format!("\"policy_sha256\":\"{}\"", policy.sha256)),
        "{refused_entry}"
    );
    assert_no_canary(&data);
}

#[test]
fn docx_stamp_in_an_embedded_html_chunk_is_refused_and_an_unreadable_chunk_refuses() {
    let chunk = "<w:p><w:r><w:altChunk r:id=\"rId10\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"/></w:r></w:p>";
    let docx = stamped::docx(
        &format!("{}{chunk}", runs(&[BODY])),
        &[Part {
            kind: "aFChunk",
            name: "word/afchunk.htm",
            xml: "<html><body><p>DIFFUSION <b>RESTREINTE</b></p></body></html>".into(),
        }],
        &[],
    );
    assert_eq!(
        refused_at("chunk.docx", docx),
        "contenu incorporé (word/afchunk.htm)"
    );
    let rtf = stamped::docx(
        &format!("{}{chunk}", runs(&[BODY])),
        &[Part {
            kind: "aFChunk",
            name: "word/afchunk.rtf",
            xml: "{\\rtf1 DIFFUSION RESTREINTE}".into(),
        }],
        &[],
    );
    let reason = unreadable("chunk-rtf.docx", rtf);
    assert!(reason.contains("word/afchunk.rtf"), "{reason}");
}

#[test]
fn docx_whose_related_part_is_missing_is_refused_as_unreadable() {
    // The relationship names header3.xml, which is then taken out of the archive.
    let parts = [header(
        "header",
        "word/header3.xml",
        "hdr",
        &runs(&["Titre"]),
    )];
    let docx = stamped::docx(&runs(&[BODY]), &parts, &[]);
    let mut files = vec![];
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(docx)).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..archive.len() {
        use std::io::Read;
        let mut entry = archive.by_index(i).unwrap_or_else(|e| panic!("{e}"));
        let name = entry.name().unwrap_or_else(|e| panic!("{e}")).to_string();
        let mut bytes = Vec::new();
        entry
            .read_to_end(&mut bytes)
            .unwrap_or_else(|e| panic!("{e}"));
        if name == "word/header3.xml" {
            continue;
        }
        files.push((name, bytes));
    }
    let reason = unreadable("manquant.docx", common::documents::zip_of(&files));
    assert!(reason.contains("word/header3.xml"), "{reason}");
    assert!(reason.contains("refusé en entier"), "{reason}");
}

// ---- Word: clean controls ----

#[test]
fn clean_docx_with_split_runs_headers_notes_and_text_boxes_is_imported() {
    let body = format!(
        "{}{}{}<w:p><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing><wps:txbx><w:txbxContent>{}</w:txbxContent></wps:txbx></w:drawing></mc:Choice></mc:AlternateContent></w:r></w:p>",
        heading(1, "Contrôle des conteneurs"),
        runs(&[
            "Le contrô",
            "le des conte",
            "neurs frigorifiques commence à l'aube."
        ]),
        runs(&["Le SECRÉTARIAT GÉNÉRAL rappelle le secret professionnel."]),
        runs(&["Encadré : scellés vérifiés."]),
    );
    let docx = stamped::docx(
        &body,
        &[
            header(
                "header",
                "word/header1.xml",
                "hdr",
                &runs(&["Direction générale des douanes"]),
            ),
            header(
                "footer",
                "word/footer1.xml",
                "ftr",
                &runs(&["Note de service"]),
            ),
            header(
                "footnotes",
                "word/footnotes.xml",
                "footnotes",
                "<w:footnote w:id=\"1\"><w:p><w:r><w:t>Voir la circulaire de 2019.</w:t></w:r></w:p></w:footnote>",
            ),
        ],
        &[],
    );
    let text = read_text("propre.docx", &docx);
    assert!(
        text.contains("Le contrôle des conteneurs frigorifiques"),
        "{text}"
    );
    assert!(text.contains("Direction générale des douanes"), "{text}");
    assert!(text.contains("scellés vérifiés"), "{text}");
    imported("propre.docx", docx);
}

// ---- PDF: stamped ----

fn draw(name: &str) -> Operation {
    Operation::new("Do", vec![Object::Name(name.as_bytes().to_vec())])
}

fn pdf_with_page(operations: Vec<Operation>) -> Vec<u8> {
    let mut pdf = Pdf::new();
    pdf.page([show(BODY), operations].concat(), &[], dictionary! {});
    pdf.finish(None, None)
}

#[test]
fn pdf_stamp_drawn_by_a_form_xobject_is_refused() {
    let mut pdf = Pdf::new();
    let form = pdf.form(show("DIFFUSION RESTREINTE"), &[]);
    pdf.page(
        [show(BODY), vec![draw("Fm1")]].concat(),
        &[("Fm1", form)],
        dictionary! {},
    );
    assert_eq!(refused_at("xobject.pdf", pdf.finish(None, None)), "page 1");
}

#[test]
fn pdf_stamp_drawn_by_a_form_in_the_font_set_before_it_is_refused() {
    let mut pdf = Pdf::new();
    // The form shows text without choosing a font: the one in effect where it is drawn.
    let form = pdf.form(
        vec![
            Operation::new("BT", vec![]),
            Operation::new("Tj", vec![literal("DIFFUSION RESTREINTE")]),
            Operation::new("ET", vec![]),
        ],
        &[],
    );
    let operations = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 11.into()]),
        Operation::new("Tj", vec![literal(BODY)]),
        Operation::new("ET", vec![]),
        draw("Fm1"),
    ];
    pdf.page(operations, &[("Fm1", form)], dictionary! {});
    assert_eq!(
        refused_at("police-heritee.pdf", pdf.finish(None, None)),
        "page 1"
    );
}

#[test]
fn pdf_stamp_drawn_by_a_nested_form_xobject_is_refused() {
    let mut pdf = Pdf::new();
    let inner = pdf.form(show("DIFFUSION RESTREINTE"), &[]);
    let outer = pdf.form(vec![draw("Fm2")], &[("Fm2", inner)]);
    pdf.page(show(BODY), &[], dictionary! {});
    pdf.page(
        [show(BODY), vec![draw("Fm1")]].concat(),
        &[("Fm1", outer)],
        dictionary! {},
    );
    assert_eq!(refused_at("imbrique.pdf", pdf.finish(None, None)), "page 2");
}

#[test]
fn pdf_stamp_annotation_is_refused() {
    let mut pdf = Pdf::new();
    let annotation = pdf.doc.add_object(dictionary! {
        "Type" => "Annot",
        "Subtype" => "Stamp",
        "Rect" => vec![100.into(), 100.into(), 300.into(), 150.into()],
        "Contents" => literal("DIFFUSION RESTREINTE"),
    });
    pdf.page(
        show(BODY),
        &[],
        dictionary! { "Annots" => vec![annotation.into()] },
    );
    assert_eq!(
        refused_at("tampon.pdf", pdf.finish(None, None)),
        "annotations de la page 1"
    );
}

#[test]
fn pdf_stamp_in_an_annotation_appearance_stream_is_refused() {
    let mut pdf = Pdf::new();
    let appearance = pdf.form(show("NE PAS INTÉGRER À UN OUTIL D'IA"), &[]);
    let annotation = pdf.doc.add_object(dictionary! {
        "Type" => "Annot",
        "Subtype" => "Stamp",
        "Rect" => vec![100.into(), 100.into(), 300.into(), 150.into()],
        "AP" => dictionary! { "N" => appearance },
    });
    pdf.page(
        show(BODY),
        &[],
        dictionary! { "Annots" => vec![annotation.into()] },
    );
    assert_eq!(
        refused_at("apparence.pdf", pdf.finish(None, None)),
        "annotations de la page 1"
    );
}

#[test]
fn pdf_stamp_in_the_info_dictionary_or_xmp_metadata_is_refused() {
    let mut pdf = Pdf::new();
    pdf.page(show(BODY), &[], dictionary! {});
    let info =
        dictionary! { "Title" => literal("Note"), "Keywords" => literal("DIFFUSION RESTREINTE") };
    assert_eq!(
        refused_at("info.pdf", pdf.finish(Some(info), None)),
        "métadonnées du document"
    );

    let mut pdf = Pdf::new();
    pdf.page(show(BODY), &[], dictionary! {});
    let xmp = "<?xpacket begin=\"\"?><x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description xmlns:pdfx=\"http://ns.adobe.com/pdfx/1.3/\"><pdfx:Classification>NE PAS INT&#201;GRER &#192; UN OUTIL D'IA</pdfx:Classification></rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end=\"w\"?>";
    assert_eq!(
        refused_at("xmp.pdf", pdf.finish(None, Some(xmp))),
        "métadonnées du document"
    );
}

#[test]
fn pdf_stamp_in_a_bookmark_title_is_refused() {
    let mut pdf = Pdf::new();
    pdf.page(show(BODY), &[], dictionary! {});
    let outlines = pdf.doc.new_object_id();
    let first = pdf.doc.add_object(dictionary! {
        "Title" => literal("Objet"),
        "Parent" => outlines,
    });
    let second = pdf.doc.add_object(dictionary! {
        "Title" => literal("NE PAS INTÉGRER À UN OUTIL D'IA"),
        "Parent" => outlines,
        "Prev" => first,
    });
    if let Ok(Object::Dictionary(d)) = pdf.doc.get_object_mut(first) {
        d.set("Next", second);
    }
    pdf.doc.objects.insert(
        outlines,
        Object::Dictionary(
            dictionary! { "Type" => "Outlines", "First" => first, "Last" => second, "Count" => 2 },
        ),
    );
    pdf.outlines = Some(outlines);
    assert_eq!(
        refused_at("signets.pdf", pdf.finish(None, None)),
        "signets du document"
    );
}

#[test]
fn pdf_glyphs_positioned_one_by_one_without_spaces_are_refused() {
    let mut operations = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 11.into()]),
    ];
    for (i, c) in "DIFFUSIONRESTREINTE".chars().enumerate() {
        let x = 50.0 + 7.0 * i as f32;
        operations.push(Operation::new(
            "Tm",
            vec![1.into(), 0.into(), 0.into(), 1.into(), x.into(), 700.into()],
        ));
        operations.push(Operation::new("Tj", vec![literal(&c.to_string())]));
    }
    operations.push(Operation::new("ET", vec![]));
    assert_eq!(
        refused_at("glyphes.pdf", pdf_with_page(operations)),
        "page 1"
    );

    // The same with relative moves, as some producers write letter-spaced titles.
    let mut operations = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 11.into()]),
        Operation::new("Td", vec![50.into(), 700.into()]),
    ];
    for c in "SECRET".chars() {
        operations.push(Operation::new("Tj", vec![literal(&c.to_string())]));
        operations.push(Operation::new("Td", vec![8.into(), 0.into()]));
    }
    operations.push(Operation::new("ET", vec![]));
    assert_eq!(
        refused_at("relatif.pdf", pdf_with_page(operations)),
        "page 1"
    );
}

#[test]
fn pdf_stamp_shown_by_the_quote_operators_or_a_kerned_array_is_refused() {
    let start = || {
        vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 11.into()]),
            Operation::new("TL", vec![14.into()]),
            Operation::new("Td", vec![50.into(), 700.into()]),
        ]
    };
    let mut quote = start();
    quote.push(Operation::new("'", vec![literal("DIFFUSION RESTREINTE")]));
    quote.push(Operation::new("ET", vec![]));
    assert_eq!(refused_at("quote.pdf", pdf_with_page(quote)), "page 1");

    let mut double = start();
    double.push(Operation::new(
        "\"",
        vec![
            0.into(),
            0.into(),
            literal("NE PAS INTÉGRER À UN OUTIL D'IA"),
        ],
    ));
    double.push(Operation::new("ET", vec![]));
    assert_eq!(refused_at("double.pdf", pdf_with_page(double)), "page 1");

    let mut kerned = start();
    kerned.push(Operation::new(
        "TJ",
        vec![Object::Array(vec![
            literal("DIFFUSION RES"),
            20.into(),
            literal("TREINTE"),
        ])],
    ));
    kerned.push(Operation::new("ET", vec![]));
    assert_eq!(refused_at("tj.pdf", pdf_with_page(kerned)), "page 1");
}

#[test]
fn pdf_page_whose_text_cannot_be_decoded_refuses_the_document() {
    let mut pdf = Pdf::new();
    pdf.page(show(BODY), &[], dictionary! {});
    pdf.page(
        vec![
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F9".into(), 11.into()]),
            Operation::new("Tj", vec![literal("DIFFUSION RESTREINTE")]),
            Operation::new("ET", vec![]),
        ],
        &[],
        dictionary! {},
    );
    let reason = unreadable("police.pdf", pdf.finish(None, None));
    assert!(reason.contains("page 2"), "{reason}");
    assert!(reason.contains("F9"), "{reason}");
}

// ---- PDF: clean controls ----

#[test]
fn clean_pdf_with_form_xobjects_annotations_and_metadata_is_imported() {
    let mut pdf = Pdf::new();
    let header = pdf.form(
        show("Direction générale des douanes — note de service"),
        &[],
    );
    let note = pdf.doc.add_object(dictionary! {
        "Type" => "Annot",
        "Subtype" => "Text",
        "Rect" => vec![100.into(), 100.into(), 120.into(), 120.into()],
        "Contents" => literal("À relire avant diffusion."),
    });
    pdf.page(
        [
            vec![draw("Fm1")],
            show("Le contrôle des conteneurs frigorifiques commence à l'aube."),
        ]
        .concat(),
        &[("Fm1", header)],
        dictionary! { "Annots" => vec![note.into()] },
    );
    let info = dictionary! { "Title" => literal("Note de service"), "Author" => literal("DGDDI") };
    let bytes = pdf.finish(Some(info), None);
    let text = read_text("propre.pdf", &bytes);
    assert!(text.contains("Direction générale des douanes"), "{text}");
    assert!(text.contains("À relire"), "{text}");
    imported("propre.pdf", bytes);
}

// ---- Hostile PDFs: an error, never a crash ----

#[test]
fn a_form_drawing_itself_gives_an_error_not_a_crash() {
    let mut pdf = Pdf::new();
    let form = pdf.form(vec![draw("Fm1")], &[]);
    let resources = pdf.resources(&[("Fm1", form)]);
    if let Ok(Object::Stream(stream)) = pdf.doc.get_object_mut(form) {
        stream.dict.set("Resources", resources);
    }
    pdf.page(
        [show(BODY), vec![draw("Fm1")]].concat(),
        &[("Fm1", form)],
        dictionary! {},
    );
    let reason = unreadable("boucle.pdf", pdf.finish(None, None));
    assert!(reason.contains("formulaires"), "{reason}");
}

#[test]
fn deeply_nested_arrays_give_an_error_not_a_crash() {
    let mut bytes = common::documents::pdf(&[BODY]);
    let at = bytes.len() - 5;
    let deep = format!("\n99 0 obj {} endobj\n", "[".repeat(100_000));
    bytes.splice(at..at, deep.into_bytes());
    let error = read_bytes(
        "profond.pdf",
        DocumentFormat::Pdf,
        &bytes,
        &ImportLimits::default(),
    )
    .err()
    .map(|e| e.message_fr())
    .unwrap_or_default();
    assert!(error.contains("imbrique"), "{error}");
}

#[test]
fn nesting_just_under_the_bound_parses_on_the_parser_thread() {
    // Built on a thread with a large stack: lopdf writes nested arrays by recursion too.
    let bytes = std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(|| {
            let mut pdf = Pdf::new();
            let mut nested = Object::Array(vec![]);
            for _ in 0..4_000 {
                nested = Object::Array(vec![nested]);
            }
            pdf.doc.add_object(nested);
            pdf.page(show("Texte ordinaire."), &[], dictionary! {});
            pdf.finish(None, None)
        })
        .unwrap_or_else(|e| panic!("{e}"))
        .join()
        .unwrap_or_else(|_| panic!("building the file"));
    let text = read_text("profond.pdf", &bytes);
    assert!(text.contains("Texte ordinaire."), "{text}");
}

// ---- Canary: one folder with every stamped case ----

#[test]
fn after_refusing_every_stamped_case_no_file_of_the_data_folder_holds_a_word_of_them() {
    let mut form_pdf = Pdf::new();
    let form = form_pdf.form(show("DIFFUSION RESTREINTE"), &[]);
    form_pdf.page(
        [show(BODY), vec![draw("Fm1")]].concat(),
        &[("Fm1", form)],
        dictionary! {},
    );
    let files = vec![
        (
            "a-runs.docx",
            body_docx(&runs(&["DIFFUSION RESTR", "EINTE"])),
        ),
        (
            "b-header.docx",
            stamped::docx(
                &runs(&[BODY]),
                &[header(
                    "header",
                    "WORD/Header2.xml",
                    "hdr",
                    &runs(&["DIFFUSION RESTREINTE"]),
                )],
                &[],
            ),
        ),
        (
            "c-nfd.docx",
            body_docx(&runs(&["NE PAS INTE\u{301}GRER À UN OUTIL D'IA"])),
        ),
        ("d-form.pdf", form_pdf.finish(None, None)),
        (
            "e-quote.pdf",
            pdf_with_page(vec![
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec!["F1".into(), 11.into()]),
                Operation::new("'", vec![literal("DIFFUSION RESTREINTE")]),
                Operation::new("ET", vec![]),
            ]),
        ),
        (
            "f-clean.docx",
            stamped::docx(
                &runs(&["Les bureaux de Calais ouvrent à huit heures."]),
                &[],
                &[],
            ),
        ),
    ];
    let (report, tmp) = import(&files);
    let outcome = report
        .outcome
        .as_ref()
        .unwrap_or_else(|| panic!("{report:?}"));
    assert_eq!(outcome.imported.len(), 1, "{report:?}");
    assert_eq!(outcome.refused.len(), 5, "{report:?}");
    let data = tmp.path().join("data");
    assert!(everything_stored(&data).contains("Calais"));
    assert_no_canary(&data);
}

// ---- Re-import of a document that is now stamped ----

#[test]
fn reimporting_a_document_now_stamped_takes_the_earlier_copy_out_of_the_index() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = tmp.path().join("data");
    let first = import_in(
        tmp.path(),
        &[
            (
                "note.docx",
                stamped::docx(
                    &runs(&["Le dossier Marsupilami concerne le fret."]),
                    &[],
                    &[],
                ),
            ),
            (
                "garde.docx",
                stamped::docx(
                    &runs(&["Les bureaux de Calais ouvrent à huit heures."]),
                    &[],
                    &[],
                ),
            ),
        ],
    );
    assert!(first.complete(), "{first:?}");
    assert!(everything_stored(&data).contains("Marsupilami"));

    let again = import_in(
        tmp.path(),
        &[(
            "note.docx",
            stamped::docx(
                &format!(
                    "{}{}",
                    runs(&["DIFFUSION RESTREINTE"]),
                    runs(&["Le dossier Marsupilami concerne le fret."])
                ),
                &[],
                &[],
            ),
        )],
    );
    let outcome = again
        .outcome
        .as_ref()
        .unwrap_or_else(|| panic!("{again:?}"));
    assert_eq!(outcome.withdrawn, ["note.docx"]);
    let message = again.problems_fr().join("\n");
    assert!(message.contains("retirée de la collection"), "{message}");
    let stored = everything_stored(&data);
    assert!(
        !stored.contains("Marsupilami"),
        "the earlier copy is still stored"
    );
    assert!(stored.contains("Calais"));
    let store = vigie_engine::collection::CollectionStore::in_data_dir(&data);
    let manifest = store.manifest("notes").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        manifest
            .documents
            .iter()
            .map(|d| d.file_name.as_str())
            .collect::<Vec<_>>(),
        ["garde.docx"]
    );

    // The last document of a collection: the collection goes.
    let last = import_in(
        tmp.path(),
        &[(
            "garde.docx",
            stamped::docx(
                &format!("{}{}", runs(&["CONFIDENTIEL"]), runs(&["Calais"])),
                &[],
                &[],
            ),
        )],
    );
    assert!(
        last.summary_fr().contains("retiré"),
        "{}",
        last.summary_fr()
    );
    assert!(store.manifest("notes").is_err());
    assert!(!everything_stored(&data).contains("Calais"));
}

// ---- An import is journaled before it takes effect ----

#[test]
fn an_import_whose_journal_entry_cannot_be_written_changes_nothing() {
    use vigie_engine::audit::AuditError;
    use vigie_engine::collection::{CollectionError, CollectionStore};
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = CollectionStore::in_data_dir(tmp.path());
    let policy = Policy::shipped().unwrap_or_else(|e| panic!("{e}"));
    let request = ImportRequest {
        collection: "notes".into(),
        label: "interne".into(),
    };
    let doc = |name: &str, text: &str| {
        let bytes = stamped::docx(&runs(&[text]), &[], &[]);
        read_bytes(name, DocumentFormat::Docx, &bytes, &ImportLimits::default())
            .unwrap_or_else(|e| panic!("{e}"))
    };
    let broken_journal = |_: &vigie_engine::collection::ImportOutcome| {
        Err(AuditError::Io {
            path: tmp.path().join("audit.jsonl"),
            source: std::io::Error::other("disque plein"),
        })
    };
    let import = |docs, hook: &mut dyn FnMut(&_) -> Result<(), AuditError>| {
        store.import_journaled(
            &policy,
            &request,
            docs,
            embedder().as_ref(),
            &mut |_| {},
            hook,
        )
    };
    // A first import: no collection is created.
    let failed = import(
        vec![doc("a.docx", "Premier texte sur Calais.")],
        &mut broken_journal.clone(),
    );
    match failed {
        Err(e @ CollectionError::Journal(_)) => {
            assert!(
                e.message_fr().contains("rien n'a changé"),
                "{}",
                e.message_fr()
            )
        }
        other => panic!("{other:?}"),
    }
    assert!(store.manifest("notes").is_err());
    // With a journal that works, then a second import that cannot be journaled: the
    // collection stays as it was.
    import(
        vec![doc("a.docx", "Premier texte sur Calais.")],
        &mut |_| Ok(()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let before = store.manifest("notes").unwrap_or_else(|e| panic!("{e}"));
    assert!(
        import(
            vec![doc("b.docx", "Second texte sur Dunkerque.")],
            &mut broken_journal.clone()
        )
        .is_err()
    );
    let after = store.manifest("notes").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(before, after);
    assert!(!everything_stored(tmp.path()).contains("Dunkerque"));
}
