//! What each fuzz target feeds its bytes to. The same calls are replayed on the committed
//! inputs by the engine's `fuzz_regressions` test, so a crasher found here stays fixed.

use std::io::Write;

use vigie_engine::import::{DocumentFormat, ImportLimits, read_bytes};

/// Limits small enough that a fuzzer's iterations stay fast, the same kind as in production.
fn limits() -> ImportLimits {
    ImportLimits {
        max_file_bytes: 1 << 20,
        max_text_bytes: 1 << 20,
        max_pages: 64,
        max_unpacked_bytes: 4 << 20,
        ..ImportLimits::default()
    }
}

/// One document importer.
pub fn import(format: DocumentFormat, data: &[u8]) {
    let _ = read_bytes("fuzz", format, data, &limits());
}

/// The corpus reader (a JSON Lines file in a folder).
pub fn corpus_reader(data: &[u8]) {
    let Ok(dir) = tempfile::tempdir() else { return };
    let Ok(mut file) = std::fs::File::create(dir.path().join("fuzz.jsonl")) else {
        return;
    };
    if file.write_all(data).is_err() {
        return;
    }
    let _ = vigie_engine::corpus::Corpus::load(dir.path());
}

/// The GGUF header and metadata reader.
pub fn gguf_metadata(data: &[u8]) {
    let Ok(mut file) = tempfile::NamedTempFile::new() else { return };
    if file.write_all(data).is_err() {
        return;
    }
    let _ = vigie_engine::llm::gguf::GgufFile::open(file.path());
}

/// The E5S1 embedding model container reader.
pub fn e5s1_reader(data: &[u8]) {
    let _ = vigie_engine::embed::e5s1::parse(data);
}
