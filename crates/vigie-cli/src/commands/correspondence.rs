//! `vigie correspondance`: import, list and remove the correspondence tables of the
//! recodification (old article → new article(s)). Format: `corpus/README.md`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use vigie_engine::Paths;
use vigie_engine::corpus::Corpus;
use vigie_engine::versions::correspondence::{
    CorrespondenceKind, CorrespondenceSet, CorrespondenceTable, import_table, remove_table,
};

/// Options of `vigie correspondance`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Importe une table (CSV ou JSON) après l'avoir entièrement vérifiée.
    Import {
        /// Fichier .csv ou .json.
        file: PathBuf,
        /// Nom de la table (par défaut : le nom du fichier).
        #[arg(long = "nom", visible_alias = "name", value_name = "NOM")]
        name: Option<String>,
    },
    /// Liste les tables importées.
    #[command(visible_alias = "liste")]
    List {
        /// Sortie JSON.
        #[arg(long)]
        json: bool,
    },
    /// Supprime une table importée.
    #[command(visible_alias = "supprimer")]
    Remove {
        /// Nom de la table.
        name: String,
    },
}

fn counts(table: &CorrespondenceTable) -> String {
    let count = |kind| table.rows.iter().filter(|r| r.kind == kind).count();
    [
        CorrespondenceKind::Reprise,
        CorrespondenceKind::Modifie,
        CorrespondenceKind::Abroge,
        CorrespondenceKind::Nouveau,
    ]
    .into_iter()
    .map(|k| format!("{} {}", count(k), k.label_fr()))
    .collect::<Vec<_>>()
    .join(", ")
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Import { file, name } => {
            let corpus = Corpus::load(&paths.corpus_dir).context("loading the corpus")?;
            let table = import_table(&corpus, &paths.data_dir, &file, name.as_deref())
                .with_context(|| format!("importing {}", file.display()))?;
            println!(
                "Table « {} » importée : {} lignes ({}).",
                table.name,
                table.rows.len(),
                counts(&table)
            );
        }
        Action::List { json } => {
            let set = CorrespondenceSet::load(&paths.data_dir)?;
            if json {
                let tables: Vec<serde_json::Value> = set
                    .tables()
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "name": t.name,
                            "source": t.source,
                            "rows": t.rows.len(),
                        })
                    })
                    .collect();
                println!("{}", serde_json::json!({ "tables": tables }));
            } else if set.is_empty() {
                println!("Aucune table de correspondance importée.");
            } else {
                for t in set.tables() {
                    println!(
                        "{} — {} lignes ({}) — importée de {}",
                        t.name,
                        t.rows.len(),
                        counts(t),
                        t.source
                    );
                }
            }
        }
        Action::Remove { name } => {
            remove_table(&paths.data_dir, &name)?;
            println!("Table « {name} » supprimée.");
        }
    }
    Ok(ExitCode::SUCCESS)
}
