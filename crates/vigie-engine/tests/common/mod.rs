//! Shared set-up for the engine's integration tests: the real corpus (`../shared/corpus`),
//! the real models (`models/`, installed by `models/provision.sh`) and a persistent data
//! directory under `target/` so the full index is built once per machine, not per test.

#![allow(dead_code)]

pub mod documents;
pub mod stamped;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use vigie_engine::retrieve::Retriever;
use vigie_engine::{Engine, PathOverrides, Paths};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

pub fn corpus_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("VIGIE_CORPUS_DIR") {
        return PathBuf::from(dir);
    }
    let dir = workspace_root().join("../shared/corpus");
    assert!(
        dir.is_dir(),
        "corpus not found at {} (set VIGIE_CORPUS_DIR)",
        dir.display()
    );
    dir
}

pub fn eval_questions() -> PathBuf {
    corpus_dir().join("../eval/dev-questions.jsonl")
}

pub fn models_dir() -> PathBuf {
    let dir = workspace_root().join("models");
    assert!(
        dir.join("e5-small-q4.bin").is_file(),
        "models missing in {}: run models/provision.sh",
        dir.display()
    );
    dir
}

/// Persistent data directory shared by the tests that need the full index.
pub fn shared_data_dir() -> PathBuf {
    workspace_root().join("target").join("test-data")
}

pub fn paths(data_dir: &Path, corpus: &Path) -> Paths {
    Paths::resolve(&PathOverrides {
        data_dir: Some(data_dir.to_path_buf()),
        corpus_dir: Some(corpus.to_path_buf()),
        models_dir: Some(models_dir()),
    })
    .unwrap_or_else(|e| panic!("paths: {e}"))
}

/// One engine and retriever over the full corpus for the whole test binary.
pub fn shared_retriever() -> Arc<(Engine, Arc<Retriever>)> {
    static SHARED: OnceLock<Arc<(Engine, Arc<Retriever>)>> = OnceLock::new();
    static BUILD: Mutex<()> = Mutex::new(());
    let _guard = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    SHARED
        .get_or_init(|| {
            let engine = Engine::open(paths(&shared_data_dir(), &corpus_dir()))
                .unwrap_or_else(|e| panic!("engine: {e}"));
            let (retriever, _) = engine
                .retriever(&mut |_| {})
                .unwrap_or_else(|e| panic!("retriever: {e}"));
            Arc::new((engine, Arc::new(retriever)))
        })
        .clone()
}

/// A corpus directory holding the first `n` articles of each real file.
pub fn small_corpus(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    for name in ["code-des-douanes.jsonl", "cibs.jsonl"] {
        let text =
            std::fs::read_to_string(corpus_dir().join(name)).unwrap_or_else(|e| panic!("{e}"));
        let head: Vec<&str> = text.lines().take(n).collect();
        std::fs::write(dir.join(name), head.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    }
}
