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
use serde::Serialize;
use vigie_engine::audit::AuditLog;
use vigie_engine::collection::{CollectionStore, ImportProgress, ImportRequest};
use vigie_engine::import::{ImportLimits, find_documents, read_document};
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

#[derive(Debug, Serialize)]
struct Unreadable {
    file: String,
    reason: String,
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let policy = Policy::load(&paths.data_dir)?;
    let mut journal = AuditLog::open(&paths.data_dir)?;
    policy.journal_if_changed(&paths.data_dir, &mut journal)?;
    vigie_engine::collection::check_name(&args.collection)?;

    // A label the AI may not process refuses everything before a single file is read.
    if let Err(refusal) = policy.admit(&args.label, &[]) {
        journal.append(
            "import_refused",
            serde_json::json!({
                "collection": args.collection,
                "label": args.label,
                "path": args.path.display().to_string(),
                "refusal": refusal,
            }),
        )?;
        eprintln!(
            "Import refusé : {}. Rien n'a été lu ni enregistré.",
            refusal.message_fr()
        );
        return Ok(ExitCode::from(2));
    }

    let limits = ImportLimits::default();
    let found = find_documents(&args.path, &limits)?;
    for skipped in &found.skipped {
        eprintln!("Ignoré : {} — {}", skipped.path.display(), skipped.reason);
    }
    let total = found.files.len();
    let terminal = std::io::stderr().is_terminal();
    let mut documents = Vec::new();
    let mut unreadable = Vec::new();
    for (i, (path, name)) in found.files.iter().enumerate() {
        if terminal || total <= 20 || (i + 1) % (total / 10).max(1) == 0 {
            eprintln!("Lecture {}/{total} : {name}", i + 1);
        }
        match read_document(path, name, &limits) {
            Ok(document) => documents.push(document),
            Err(e) => {
                log::warn!("cannot read {}: {e}", path.display());
                eprintln!("Illisible : {}", e.message_fr());
                unreadable.push(Unreadable {
                    file: name.clone(),
                    reason: e.message_fr(),
                });
            }
        }
    }
    if !unreadable.is_empty() {
        journal.append(
            "import_unreadable",
            serde_json::json!({ "collection": args.collection, "files": unreadable }),
        )?;
    }

    let engine = Engine::open(paths.clone()).context("opening the engine")?;
    let embedder = engine
        .load_embedder(None)
        .context("loading the embedding model")?;
    let store = CollectionStore::in_data_dir(&paths.data_dir);
    let request = ImportRequest {
        collection: args.collection.clone(),
        label: args.label.clone(),
    };
    let mut index_progress = IndexProgress::new();
    let outcome = store
        .import(
            &policy,
            &request,
            documents,
            embedder.as_ref(),
            &mut |p| match p {
                ImportProgress::Admitted {
                    documents,
                    sections,
                } => eprintln!(
                    "Admis par la politique : {documents} document(s) ; la collection comptera \
                     {sections} section(s)."
                ),
                ImportProgress::Index(step) => index_progress.update(step),
                ImportProgress::Committing => eprintln!("Enregistrement de la collection…"),
            },
        )
        .context("importing the documents")?;

    for refused in &outcome.refused {
        journal.append(
            "import_refused",
            serde_json::json!({
                "collection": outcome.collection,
                "label": outcome.label,
                "file": refused.file_name,
                "sha256": refused.sha256,
                "refusal": refused.refusal,
            }),
        )?;
        eprintln!(
            "Refusé : {} — {}. Rien de ce document n'a été enregistré.",
            refused.file_name,
            refused.refusal.message_fr()
        );
    }
    if !outcome.imported.is_empty() {
        journal.append(
            "import",
            serde_json::json!({
                "collection": outcome.collection,
                "label": outcome.label,
                "documents": outcome.imported,
                "replaced": outcome.replaced,
                "sections": outcome.sections,
                "chunks": outcome.chunks,
                "seconds": (outcome.seconds * 10.0).round() / 10.0,
            }),
        )?;
    }
    if args.json {
        let object = serde_json::json!({
            "outcome": outcome,
            "unreadable": unreadable,
            "skipped": found.skipped.iter().map(|s| serde_json::json!({
                "path": s.path.display().to_string(), "reason": s.reason
            })).collect::<Vec<_>>(),
        });
        println!("{object}");
    } else if outcome.imported.is_empty() {
        println!(
            "Aucun document importé dans « {} » ; la collection est inchangée.",
            outcome.collection
        );
    } else {
        println!(
            "Collection « {} » (niveau {}) : {} document(s) importé(s){}, {} sections, {} \
             passages indexés en {:.1} s.",
            outcome.collection,
            outcome.label,
            outcome.imported.len(),
            if outcome.replaced.is_empty() {
                String::new()
            } else {
                format!(" dont {} remplacé(s)", outcome.replaced.len())
            },
            outcome.sections,
            outcome.chunks,
            outcome.seconds
        );
    }
    if outcome.refused.is_empty() && unreadable.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::from(2))
    }
}
