//! `vigie import PATH --collection NAME --label LABEL`: the agents' own documents into a
//! collection, after the classification policy has admitted each of them.
//!
//! Exit code 0 when every document found was imported, 2 when the policy refused a document
//! or a file could not be read (the others are imported), 1 on any other error. Imports,
//! refusals and unreadable files are journaled with file names and checksums, never text.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use vigie_engine::audit::AuditLog;
use vigie_engine::collection::ImportRequest;
use vigie_engine::document_import::{DocumentImportProgress, import_documents};
use vigie_engine::policy::Policy;
use vigie_engine::{Engine, Paths};

use crate::progress::IndexProgress;

/// Options of `vigie import`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Fichier ou dossier à importer (texte, Markdown, HTML, PDF, DOCX, XML LEGI).
    path: PathBuf,
    /// Collection de destination (créée si besoin).
    #[arg(long, value_name = "NOM")]
    collection: String,
    /// Niveau de sensibilité des documents (voir `vigie policy`).
    #[arg(long, value_name = "NIVEAU")]
    label: String,
    /// Sortie JSON (bilan de l'import).
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let policy = Policy::load(&paths.data_dir)?;
    let mut journal = AuditLog::open(&paths.data_dir)?;
    policy.journal_if_changed(&paths.data_dir, &mut journal)?;
    vigie_engine::collection::check_name(&args.collection)?;

    let engine = Engine::open(paths.clone()).context("opening the engine")?;
    let embedder = engine
        .load_embedder(None)
        .context("loading the embedding model")?;
    let request = ImportRequest {
        collection: args.collection.clone(),
        label: args.label.clone(),
    };
    let terminal = std::io::stderr().is_terminal();
    let mut index_progress = IndexProgress::new();
    let report = import_documents(
        &paths.data_dir,
        &mut journal,
        &policy,
        &args.path,
        &request,
        embedder.as_ref(),
        &mut |p| match p {
            DocumentImportProgress::Reading { done, total, file } => {
                if terminal || total <= 20 || done % (total / 10).max(1) == 0 {
                    eprintln!("Lecture {done}/{total} : {file}");
                }
            }
            DocumentImportProgress::Admitted {
                documents,
                sections,
            } => eprintln!(
                "Admis par la politique : {documents} document(s) ; la collection comptera \
                 {sections} section(s)."
            ),
            DocumentImportProgress::Index(step) => index_progress.update(step),
            DocumentImportProgress::Committing => eprintln!("Enregistrement de la collection…"),
        },
    )
    .context("importing the documents")?;

    for skipped in &report.skipped {
        eprintln!("Ignoré : {} — {}", skipped.path.display(), skipped.reason);
    }
    for problem in report.problems_fr() {
        eprintln!("{problem}");
    }
    if report.label_refused.is_some() {
        eprintln!("{}", report.summary_fr());
    }
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else if report.label_refused.is_none() {
        println!("{}", report.summary_fr());
    }
    if report.complete() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(2))
    }
}
