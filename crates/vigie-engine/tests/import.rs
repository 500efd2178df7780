//! Importing the agents' own documents: the classification policy before anything is stored,
//! one index per collection, search over the collections a profile may query, citations by
//! file name and page or section. Real PDFs and Word files, the real embedding model.

mod common;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use vigie_engine::collection::{
    CollectionError, CollectionStore, ImportOutcome, ImportRequest, search_collections,
};
use vigie_engine::embed::Embedder;
use vigie_engine::import::{
    DocumentFormat, DocumentText, ImportError, ImportLimits, read_bytes, read_document,
};
use vigie_engine::policy::{Policy, PolicyError, Refusal};

fn embedder() -> Arc<dyn Embedder> {
    static EMBEDDER: OnceLock<Arc<dyn Embedder>> = OnceLock::new();
    EMBEDDER
        .get_or_init(|| {
            let tmp =
                std::env::temp_dir().join(format!("vigie-import-corpus-{}", std::process::id()));
            common::small_corpus(&tmp, 3);
            let engine = vigie_engine::Engine::open(common::paths(&tmp.join("data"), &tmp))
                .unwrap_or_else(|e| panic!("{e}"));
            engine.load_embedder(None).unwrap_or_else(|e| panic!("{e}"))
        })
        .clone()
}

fn policy() -> Policy {
    Policy::shipped().unwrap_or_else(|e| panic!("{e}"))
}

fn read(name: &str, bytes: &[u8]) -> DocumentText {
    let format = DocumentFormat::from_file_name(name).unwrap_or_else(|| panic!("format of {name}"));
    read_bytes(name, format, bytes, &ImportLimits::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn request(collection: &str, label: &str) -> ImportRequest {
    ImportRequest {
        collection: collection.into(),
        label: label.into(),
    }
}

/// Imports `documents` into `collection` with `label`, under the shipped policy.
fn import_into(
    store: &CollectionStore,
    collection: &str,
    label: &str,
    documents: Vec<DocumentText>,
) -> Result<ImportOutcome, CollectionError> {
    store.import(
        &policy(),
        &request(collection, label),
        documents,
        embedder().as_ref(),
        &mut |_| {},
    )
}

/// Every byte stored under the data directory, as text (lossy), to look for leaked content.
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

const ALLOWED_PAGES: [&str; 2] = [
    "Note de service n° 2024-17\nObjet : contrôle des envois postaux",
    "Les colis contenant des graines de pastèque fermentées sont retenus au bureau de Roissy.\nLe service des envois express applique la même règle.",
];

const MARKED_PAGES: [&str; 3] = [
    "Instruction relative aux équipes cynophiles",
    "Les chiens détecteurs de zibeline sont affectés au port du Havre.",
    "DIFFUSION RESTREINTE",
];

#[test]
fn a_pdf_is_read_page_by_page_with_its_accents() {
    let doc = read("note.pdf", &common::documents::pdf(&ALLOWED_PAGES));
    assert_eq!(doc.sections.len(), 2);
    assert_eq!(doc.sections[1].location, "page 2");
    assert!(
        doc.sections[1].text.contains("pastèque fermentées"),
        "{}",
        doc.sections[1].text
    );
}

#[test]
fn a_marked_document_is_refused_and_absent_from_every_index() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = CollectionStore::in_data_dir(tmp.path());
    let allowed = read("note-2024-17.pdf", &common::documents::pdf(&ALLOWED_PAGES));
    let marked = read("cynophiles.pdf", &common::documents::pdf(&MARKED_PAGES));
    let embedder = embedder();

    // Alone, the marked document leaves nothing at all: not even the collections folder.
    let outcome = import_into(&store, "notes", "interne", vec![marked.clone()])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(outcome.imported.is_empty());
    match &outcome.refused[0].refusal {
        Refusal::MarkerNotForAi {
            marker, location, ..
        } => {
            assert_eq!(marker, "DIFFUSION RESTREINTE");
            assert_eq!(location, "page 3");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        outcome.refused[0]
            .refusal
            .message_fr()
            .contains("DIFFUSION RESTREINTE")
    );
    assert!(!store.root().exists());

    // With an allowed one: the allowed one is stored, the marked one is nowhere.
    let outcome = import_into(&store, "notes", "interne", vec![allowed, marked])
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome.imported.len(), 1);
    assert_eq!(outcome.refused.len(), 1);
    assert!(!everything_stored(tmp.path()).contains("zibeline"));
    let collection = store
        .open("notes", &embedder.identity().sha256)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        collection
            .sections()
            .iter()
            .all(|s| s.document == "note-2024-17.pdf")
    );
    let hits = search_collections(
        &[collection],
        embedder.as_ref(),
        "chiens détecteurs de zibeline",
        10,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(hits.iter().all(|h| h.document != "cynophiles.pdf"));
}

#[test]
fn an_allowed_document_is_searchable_and_cited_with_file_and_page_or_section() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = CollectionStore::in_data_dir(tmp.path());
    let pdf = read("note-2024-17.pdf", &common::documents::pdf(&ALLOWED_PAGES));
    let word = read(
        "instruction-fret.docx",
        &common::documents::docx(
            &[
                (Some("Heading1"), "Instruction fret express"),
                (Some("Heading2"), "Pesée des palettes"),
                (
                    None,
                    "Les palettes de fret express sont pesées deux fois au terminal.",
                ),
                (Some("Heading2"), "Scellés"),
                (None, "Un scellé rompu impose un procès-verbal immédiat."),
            ],
            Some("Direction générale — usage du service"),
        ),
    );
    let embedder = embedder();
    let outcome =
        import_into(&store, "notes", "interne", vec![pdf, word]).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome.imported.len(), 2, "{outcome:?}");
    let collection = store
        .open("notes", &embedder.identity().sha256)
        .unwrap_or_else(|e| panic!("{e}"));
    let collections = [collection];

    let hits = search_collections(
        &collections,
        embedder.as_ref(),
        "graines de pastèque fermentées dans un colis",
        3,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(hits[0].citation(), "note-2024-17.pdf, page 2");
    assert!(hits[0].excerpt.contains("pastèque"));
    assert_eq!(hits[0].label, "interne");

    let hits = search_collections(
        &collections,
        embedder.as_ref(),
        "scellé rompu procès-verbal",
        3,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        hits[0].citation(),
        "instruction-fret.docx, section « Scellés »"
    );
    assert_eq!(hits[0].headings, ["Instruction fret express", "Scellés"]);
}

#[test]
fn a_forbidden_label_cannot_be_queried_from_a_profile_without_clearance() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = CollectionStore::in_data_dir(tmp.path());
    let embedder = embedder();
    let internal = read(
        "interne.md",
        "# Consigne\nLes vedettes garde-côtes patrouillent la nuit.\n".as_bytes(),
    );
    let public = read(
        "public.md",
        "# Information\nLes horaires du bureau de Calais sont affichés.\n".as_bytes(),
    );
    for (collection, label, doc) in [
        ("consignes", "interne", internal),
        ("publications", "public", public),
    ] {
        import_into(&store, collection, label, vec![doc]).unwrap_or_else(|e| panic!("{e}"));
    }
    let policy = policy();
    let sha = embedder.identity().sha256.clone();
    let public_profile = policy
        .profile(Some("public"))
        .unwrap_or_else(|e| panic!("{e}"));
    let (open, hidden) = store
        .open_for_profile(&policy, public_profile, &sha)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        open.iter()
            .map(|c| c.manifest().name.as_str())
            .collect::<Vec<_>>(),
        ["publications"]
    );
    assert_eq!(hidden, [("consignes".to_string(), "interne".to_string())]);
    let hits = search_collections(&open, embedder.as_ref(), "vedettes garde-côtes la nuit", 5)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(hits.iter().all(|h| h.collection == "publications"));
    match store.open_named(&policy, public_profile, &["consignes".to_string()], &sha) {
        Err(CollectionError::Policy(e @ PolicyError::NoClearance { .. })) => {
            assert!(e.message_fr().contains("n'a pas accès"));
        }
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a public profile opened an internal collection"),
    }
    let agent = policy.profile(None).unwrap_or_else(|e| panic!("{e}"));
    let (open, hidden) = store
        .open_for_profile(&policy, agent, &sha)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(open.len(), 2);
    assert!(hidden.is_empty());
}

#[test]
fn labels_closed_to_the_ai_and_label_changes_are_refused() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = CollectionStore::in_data_dir(tmp.path());
    let doc = read("a.txt", b"Texte ordinaire sur le transit.");
    let outcome = import_into(&store, "secret", "interdit-ia", vec![doc.clone()])
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        outcome.refused[0].refusal,
        Refusal::LabelNotForAi { .. }
    ));
    assert!(!store.root().exists());
    import_into(&store, "transit", "public", vec![doc.clone()]).unwrap_or_else(|e| panic!("{e}"));
    let again = import_into(&store, "transit", "interne", vec![doc]);
    assert!(matches!(again, Err(CollectionError::LabelMismatch { .. })));
    // A stamp in a Word page header counts, though headers are not indexed.
    let stamped = read(
        "note.docx",
        &common::documents::docx(
            &[(None, "Texte anodin.")],
            Some("NE PAS INTÉGRER À UN OUTIL D’IA"),
        ),
    );
    let outcome =
        import_into(&store, "transit", "public", vec![stamped]).unwrap_or_else(|e| panic!("{e}"));
    match &outcome.refused[0].refusal {
        Refusal::MarkerNotForAi { location, .. } => {
            assert_eq!(location, "en-tête de page (word/header1.xml)")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn reimporting_a_file_replaces_it() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = CollectionStore::in_data_dir(tmp.path());
    let embedder = embedder();
    let v1 = read(
        "note.md",
        b"# Objet\nPremier texte sur les quotas de cigarettes.\n",
    );
    let v2 = read(
        "note.md",
        b"# Objet\nTexte corrige sur les quotas de cigares.\n",
    );
    for doc in [v1, v2] {
        import_into(&store, "notes", "public", vec![doc]).unwrap_or_else(|e| panic!("{e}"));
    }
    let manifest = store.manifest("notes").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(manifest.documents.len(), 1);
    let collection = store
        .open("notes", &embedder.identity().sha256)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        collection
            .sections()
            .iter()
            .all(|s| !s.text.contains("Premier"))
    );
}

#[test]
fn a_tampered_collection_is_reported_damaged() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = CollectionStore::in_data_dir(tmp.path());
    let embedder = embedder();
    let doc = read("note.md", b"# Objet\nLes bureaux ferment le dimanche.\n");
    import_into(&store, "notes", "public", vec![doc]).unwrap_or_else(|e| panic!("{e}"));
    let sections = store.root().join("notes").join("sections.json");
    let text = std::fs::read_to_string(&sections).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&sections, text.replace("dimanche", "lundi")).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        store.open("notes", &embedder.identity().sha256),
        Err(CollectionError::Damaged { .. })
    ));
}

#[test]
fn hostile_documents_get_a_clear_error_not_a_panic() {
    let limits = ImportLimits {
        max_unpacked_bytes: 1 << 20,
        max_pages: 5,
        ..ImportLimits::default()
    };
    // A DOCX whose body inflates to 8 MiB from a few kilobytes.
    let bomb = common::documents::zip_of(&[("word/document.xml".into(), vec![b' '; 8 << 20])]);
    assert!(bomb.len() < 64 << 10, "{}", bomb.len());
    match read_bytes("bombe.docx", DocumentFormat::Docx, &bomb, &limits) {
        Err(e @ ImportError::UnpackedTooLarge { .. }) => {
            assert!(e.message_fr().contains("décompressée"))
        }
        other => panic!("{other:?}"),
    }
    // Too many pages.
    let pages: Vec<String> = (0..6).map(|i| format!("page {i}")).collect();
    let refs: Vec<&str> = pages.iter().map(String::as_str).collect();
    let many = common::documents::pdf(&refs);
    assert!(matches!(
        read_bytes("long.pdf", DocumentFormat::Pdf, &many, &limits),
        Err(ImportError::TooManyPages { pages: 6, .. })
    ));
    // A page whose content stream inflates beyond the limit.
    let huge_line = "x".repeat(2 << 20);
    let huge = common::documents::pdf(&[huge_line.as_str()]);
    assert!(matches!(
        read_bytes("enorme.pdf", DocumentFormat::Pdf, &huge, &limits),
        Err(ImportError::UnpackedTooLarge { .. })
    ));
    // Truncated and garbage files of every format.
    let pdf = common::documents::pdf(&ALLOWED_PAGES);
    let docx = common::documents::docx(&[(None, "texte")], None);
    for (name, format, bytes) in [
        ("t.pdf", DocumentFormat::Pdf, &pdf[..pdf.len() / 2]),
        (
            "g.pdf",
            DocumentFormat::Pdf,
            b"%PDF-1.7 \xff\xfe garbage".as_slice(),
        ),
        ("t.docx", DocumentFormat::Docx, &docx[..docx.len() / 2]),
        (
            "g.xml",
            DocumentFormat::Legi,
            b"<ARTICLE><BLOC_TEXTUEL>".as_slice(),
        ),
        (
            "b.txt",
            DocumentFormat::Text,
            b"\x00\x01\x02binaire".as_slice(),
        ),
        ("v.md", DocumentFormat::Markdown, b"   \n\n".as_slice()),
    ] {
        let error = read_bytes(name, format, bytes, &limits).err();
        let message = error.map(|e| e.message_fr()).unwrap_or_default();
        assert!(message.starts_with(name), "{name}: {message:?}");
    }
    // A file beyond the size limit is refused before it is read.
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let big = tmp.path().join("gros.txt");
    std::fs::write(&big, vec![b'a'; 2 << 20]).unwrap_or_else(|e| panic!("{e}"));
    let small = ImportLimits {
        max_file_bytes: 1 << 20,
        ..ImportLimits::default()
    };
    assert!(matches!(
        read_document(&big, "gros.txt", &small),
        Err(ImportError::FileTooLarge { .. })
    ));
}
