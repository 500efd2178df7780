//! One module per subcommand.

pub mod article;
pub mod ask;
pub mod audit;
pub mod bench;
pub mod bench_llm;
pub mod collections;
pub mod correspondence;
pub mod diff;
pub mod doctor;
pub mod document_search;
pub mod eval;
pub mod generate;
pub mod import;
pub mod index;
pub mod models;
pub mod policy;
pub mod pull;
pub mod search;

use anyhow::Context;
use vigie_engine::retrieve::Retriever;
use vigie_engine::{Engine, IndexAction, Paths};

use crate::progress::IndexProgress;

/// Opens the engine and a retriever, rebuilding the index (with progress) if needed.
pub fn open_retriever(paths: Paths) -> anyhow::Result<(Engine, Retriever)> {
    let engine = Engine::open(paths).context("opening the engine")?;
    let mut progress = IndexProgress::new();
    let (retriever, action) = engine
        .retriever(&mut |p| progress.update(p))
        .context("opening the retrieval index")?;
    if let IndexAction::Built { reason } = action {
        eprintln!("Index reconstruit ({reason}).");
    }
    Ok((engine, retriever))
}
