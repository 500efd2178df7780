//! `vigie diff`: which articles were added, repealed, modified or left unchanged between two
//! editions of a code (texts compared modulo whitespace).

use std::process::ExitCode;

use anyhow::Context;
use vigie_engine::Paths;
use vigie_engine::corpus::{CODE_DOUANES, Corpus};
use vigie_engine::versions;

/// Options of `vigie diff`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Édition de départ (AAAA-MM-JJ).
    #[arg(long, value_name = "DATE")]
    from: String,
    /// Édition d'arrivée (AAAA-MM-JJ).
    #[arg(long, value_name = "DATE")]
    to: String,
    /// Code (CD, CIBS ou nom complet) ; par défaut le Code des douanes.
    #[arg(long)]
    code: Option<String>,
    /// Ne garder que les articles sous un titre, chapitre ou section commençant ainsi.
    #[arg(long, value_name = "PREFIX")]
    path: Option<String>,
    /// Sortie JSON (`added`, `repealed`, `modified`, `unchanged`).
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let corpus = Corpus::load(&paths.corpus_dir).context("loading the corpus")?;
    let code = versions::resolve_code(&corpus, args.code.as_deref().unwrap_or(CODE_DOUANES))?;
    let comparison =
        versions::compare_editions(&corpus, &code, &args.from, &args.to, args.path.as_deref())?;
    if args.json {
        println!("{}", serde_json::to_string(&comparison)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} : édition du {} → édition du {}",
        code, args.from, args.to
    );
    for (label, list) in [
        ("Ajoutés", &comparison.added),
        ("Abrogés ou déplacés", &comparison.repealed),
        ("Modifiés", &comparison.modified),
        ("Inchangés", &comparison.unchanged),
    ] {
        println!("\n{label} ({}) :", list.len());
        if label != "Inchangés" {
            println!("{}", list.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}
