//! `vigie collections list|remove`: the collections of imported documents.

use std::process::ExitCode;

use vigie_engine::Paths;
use vigie_engine::audit::AuditLog;
use vigie_engine::collection::CollectionStore;

/// Options of `vigie collections`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Liste les collections (niveau, documents, sections).
    List {
        /// Sortie JSON.
        #[arg(long)]
        json: bool,
    },
    /// Supprime une collection et son index.
    Remove {
        /// Nom de la collection.
        name: String,
    },
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let store = CollectionStore::in_data_dir(&paths.data_dir);
    match args.action {
        Action::List { json } => {
            let manifests: Vec<_> = store
                .names()
                .into_iter()
                .map(|n| store.manifest(&n))
                .collect::<Result<_, _>>()?;
            if json {
                println!("{}", serde_json::to_string(&manifests)?);
            } else if manifests.is_empty() {
                println!("Aucune collection : importez des documents avec `vigie import`.");
            }
            if !json {
                for m in &manifests {
                    println!(
                        "{} — niveau {} — {} document(s), {} sections — mise à jour {}",
                        m.name,
                        m.label,
                        m.documents.len(),
                        m.sections,
                        m.updated_at
                    );
                    for d in &m.documents {
                        println!("    {} ({} sections)", d.file_name, d.sections);
                    }
                }
            }
        }
        Action::Remove { name } => {
            let manifest = store.remove(&name)?;
            let mut journal = AuditLog::open(&paths.data_dir)?;
            journal.append(
                "collection_removed",
                serde_json::json!({
                    "collection": manifest.name,
                    "label": manifest.label,
                    "documents": manifest.documents.len(),
                }),
            )?;
            println!("Collection « {name} » supprimée.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
