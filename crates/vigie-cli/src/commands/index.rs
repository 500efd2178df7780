//! `vigie index`: build or refresh the indexes.

use std::process::ExitCode;

use anyhow::Context;
use vigie_engine::{Engine, IndexAction, Paths};

use crate::progress::IndexProgress;

/// Options of `vigie index`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Reconstruit même si l'index existant est valide.
    #[arg(long)]
    force: bool,
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let engine = Engine::open(paths).context("opening the engine")?;
    for edition in engine.corpus().editions() {
        eprintln!(
            "Corpus : {} — édition du {} ({} articles{})",
            edition.code,
            edition.date,
            edition.articles,
            if edition.in_force {
                ", en vigueur"
            } else {
                ", historique"
            }
        );
    }
    let embedder = engine
        .load_embedder(None)
        .context("loading the embedding model")?;
    let mut progress = IndexProgress::new();
    let (index, action) = engine
        .open_or_build_index(embedder.as_ref(), args.force, &mut |p| progress.update(p))
        .context("building the index")?;
    let manifest = index.manifest();
    match action {
        IndexAction::Opened => println!(
            "Index à jour : {} passages ({}), rien à reconstruire.",
            manifest.vector_count,
            index.dir().display()
        ),
        IndexAction::Built { reason } => {
            log::info!("index rebuilt: {reason}");
            println!(
                "Index construit : {} passages en {:.1} s (dont embeddings {:.1} s) dans {}.",
                manifest.vector_count,
                manifest.build_seconds,
                manifest.embed_seconds,
                index.dir().display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
