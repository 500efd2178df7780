//! Replays the fuzz targets' committed inputs (`fuzz/seeds/<target>/` and the crashers kept
//! in `fuzz/regressions/<target>/`) through the same readers, on a stable toolchain: every
//! input must give a result or a French error, never a panic. The calls mirror
//! `fuzz/src/lib.rs`.

use std::io::Write;
use std::path::{Path, PathBuf};

use vigie_engine::import::{DocumentFormat, ImportLimits, read_bytes};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz")
}

fn limits() -> ImportLimits {
    ImportLimits {
        max_file_bytes: 1 << 20,
        max_text_bytes: 1 << 20,
        max_pages: 64,
        max_unpacked_bytes: 4 << 20,
        ..ImportLimits::default()
    }
}

fn run(target: &str, data: &[u8]) {
    let format = match target {
        "import_text" => Some(DocumentFormat::Text),
        "import_markdown" => Some(DocumentFormat::Markdown),
        "import_html" => Some(DocumentFormat::Html),
        "import_pdf" => Some(DocumentFormat::Pdf),
        "import_docx" => Some(DocumentFormat::Docx),
        "import_legi" => Some(DocumentFormat::Legi),
        _ => None,
    };
    if let Some(format) = format {
        if let Err(e) = read_bytes("fuzz", format, data, &limits()) {
            assert!(!e.message_fr().is_empty());
        }
        return;
    }
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    match target {
        "corpus_reader" => {
            let mut file = std::fs::File::create(tmp.path().join("fuzz.jsonl"))
                .unwrap_or_else(|e| panic!("{e}"));
            file.write_all(data).unwrap_or_else(|e| panic!("{e}"));
            if let Err(e) = vigie_engine::corpus::Corpus::load(tmp.path()) {
                assert!(!e.message_fr().is_empty());
            }
        }
        "gguf_metadata" => {
            let path = tmp.path().join("fuzz.gguf");
            std::fs::write(&path, data).unwrap_or_else(|e| panic!("{e}"));
            if let Err(e) = vigie_engine::llm::gguf::GgufFile::open(&path) {
                assert!(!e.message_fr().is_empty());
            }
        }
        "e5s1_reader" => {
            if let Err(e) = vigie_engine::embed::e5s1::parse(data) {
                assert!(!e.message_fr().is_empty());
            }
        }
        other => panic!("unknown fuzz target {other}"),
    }
}

#[test]
fn committed_fuzz_inputs_never_panic() {
    let mut replayed = 0;
    for kind in ["seeds", "regressions"] {
        let Ok(targets) = std::fs::read_dir(fuzz_dir().join(kind)) else {
            continue;
        };
        for target in targets.flatten().filter(|t| t.path().is_dir()) {
            let name = target.file_name().to_string_lossy().to_string();
            for input in std::fs::read_dir(target.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let data = std::fs::read(input.path()).unwrap_or_else(|e| panic!("{e}"));
                let outcome = std::panic::catch_unwind(|| run(&name, &data));
                assert!(
                    outcome.is_ok(),
                    "{kind}/{name}/{:?} panicked",
                    input.file_name()
                );
                replayed += 1;
            }
        }
    }
    assert!(replayed >= 9, "only {replayed} inputs replayed");
}

#[test]
fn every_seed_reads_cleanly() {
    // The seeds are valid documents: they must be read, not refused.
    for (target, format) in [
        ("import_text", DocumentFormat::Text),
        ("import_markdown", DocumentFormat::Markdown),
        ("import_html", DocumentFormat::Html),
        ("import_pdf", DocumentFormat::Pdf),
        ("import_docx", DocumentFormat::Docx),
        ("import_legi", DocumentFormat::Legi),
    ] {
        for input in std::fs::read_dir(fuzz_dir().join("seeds").join(target))
            .into_iter()
            .flatten()
            .flatten()
        {
            let data = std::fs::read(input.path()).unwrap_or_else(|e| panic!("{e}"));
            let doc = read_bytes("seed", format, &data, &limits())
                .unwrap_or_else(|e| panic!("{target}: {}", e.message_fr()));
            assert!(!doc.sections.is_empty(), "{target}");
        }
    }
}
