//! The on-disk index: round trip, stale and damaged detection, automatic rebuild.

mod common;

use std::fs;

use vigie_engine::index::{IndexError, RetrievalIndex};
use vigie_engine::{Engine, IndexAction};

#[test]
fn index_round_trip_stale_and_damaged_detection() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let corpus = tmp.path().join("corpus");
    common::small_corpus(&corpus, 25);
    let data = tmp.path().join("data");
    let engine = Engine::open(common::paths(&data, &corpus)).unwrap_or_else(|e| panic!("{e}"));
    let embedder = engine.load_embedder(None).unwrap_or_else(|e| panic!("{e}"));

    // First open builds.
    let mut steps = Vec::new();
    let (index, action) = engine
        .open_or_build_index(embedder.as_ref(), false, &mut |p| steps.push(p))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(action, IndexAction::Built { .. }));
    assert!(!steps.is_empty());
    let count = index.manifest().vector_count;
    assert!(count >= 50);
    assert_eq!(index.chunks().len(), count);
    assert_eq!(index.vectors().len(), count);
    assert_eq!(index.lexical().len(), count);
    drop(index);

    // Second open reuses it.
    let (index, action) = engine
        .open_or_build_index(embedder.as_ref(), false, &mut |_| {})
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(action, IndexAction::Opened);
    let dir = index.dir().to_path_buf();
    drop(index);
    let expected = engine.index_expectation(embedder.as_ref());

    // A damaged vector file is detected at open.
    let raw = dir.join("vectors.f32");
    let original = fs::read(&raw).unwrap_or_else(|e| panic!("{e}"));
    let mut bytes = original.clone();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    fs::write(&raw, &bytes).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        RetrievalIndex::open(&dir, &expected),
        Err(IndexError::Damaged(_))
    ));

    fs::write(&raw, &original).unwrap_or_else(|e| panic!("{e}"));
    assert!(RetrievalIndex::open(&dir, &expected).is_ok());

    // A truncated graph file too.
    let graph = fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".hnsw.graph"))
        .unwrap_or_else(|| panic!("no graph file"));
    let len = fs::metadata(&graph).map(|m| m.len()).unwrap_or(0);
    fs::OpenOptions::new()
        .write(true)
        .open(&graph)
        .and_then(|f| f.set_len(len / 2))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        RetrievalIndex::open(&dir, &expected),
        Err(IndexError::Damaged(_))
    ));

    // The engine rebuilds a damaged index instead of using it.
    let (index, action) = engine
        .open_or_build_index(embedder.as_ref(), false, &mut |_| {})
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(action, IndexAction::Built { ref reason } if reason.contains("damaged")));
    assert_eq!(index.manifest().vector_count, count);
    drop(index);

    // A changed corpus makes the index stale.
    common::small_corpus(&corpus, 26);
    let engine = Engine::open(common::paths(&data, &corpus)).unwrap_or_else(|e| panic!("{e}"));
    let expected = engine.index_expectation(embedder.as_ref());
    assert!(matches!(
        RetrievalIndex::open(&dir, &expected),
        Err(IndexError::Stale(_))
    ));

    // A missing manifest means no index.
    fs::remove_file(dir.join("manifest.json")).unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        RetrievalIndex::open(&dir, &expected),
        Err(IndexError::Missing(_))
    ));

    // Leftovers of an interrupted build are cleaned, the rebuild succeeds.
    fs::create_dir_all(dir.with_extension("building-999999")).unwrap_or_else(|e| panic!("{e}"));
    let (_, action) = engine
        .open_or_build_index(embedder.as_ref(), false, &mut |_| {})
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(action, IndexAction::Built { .. }));
    assert!(!dir.with_extension("building-999999").exists());
}

#[test]
fn wrong_model_checksum_is_refused() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let models = tmp.path().join("models");
    fs::create_dir_all(&models).unwrap_or_else(|e| panic!("{e}"));
    let manifest = fs::read_to_string(common::models_dir().join("manifest.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    fs::write(models.join("manifest.toml"), manifest).unwrap_or_else(|e| panic!("{e}"));
    // A file of the right name whose content differs.
    fs::write(models.join("e5-small-q4.bin"), b"E5S1 not the real weights")
        .unwrap_or_else(|e| panic!("{e}"));
    let paths = vigie_engine::Paths::resolve(&vigie_engine::PathOverrides {
        data_dir: Some(tmp.path().join("data")),
        corpus_dir: Some(common::corpus_dir()),
        models_dir: Some(models),
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let engine = Engine::open(paths).unwrap_or_else(|e| panic!("{e}"));
    match engine.load_embedder(None) {
        Err(e) => assert!(
            e.message_fr().contains("somme de contrôle"),
            "{}",
            e.message_fr()
        ),
        Ok(_) => panic!("a file with a wrong checksum was loaded"),
    }
}
