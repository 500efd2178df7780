//! `vigie audit head|verify|export`: the hash-chained journal of AI use.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use vigie_engine::Paths;
use vigie_engine::audit::{self, JournalHead};

/// Options of `vigie audit`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Affiche la tête du journal (NUMÉRO:EMPREINTE) à consigner hors de la machine.
    Head,
    /// Vérifie chaque entrée et la chaîne ; avec --head, que cette tête y figure toujours.
    Verify {
        /// Tête consignée auparavant (NUMÉRO:EMPREINTE).
        #[arg(long, value_name = "SEQ:HASH")]
        head: Option<String>,
    },
    /// Exporte une période du journal en JSON ou CSV pour un contrôle.
    Export {
        /// Début (AAAA-MM-JJ ou horodatage RFC 3339).
        #[arg(long)]
        from: Option<String>,
        /// Fin incluse (AAAA-MM-JJ ou horodatage RFC 3339).
        #[arg(long)]
        to: Option<String>,
        /// json ou csv.
        #[arg(long, default_value = "json")]
        format: String,
        /// Fichier de sortie (sinon la sortie standard).
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    match args.action {
        Action::Head => {
            let v = audit::verify(&paths.data_dir, None)?;
            println!("{}", v.head);
        }
        Action::Verify { head } => {
            let expected: Option<JournalHead> = head.as_deref().map(str::parse).transpose()?;
            match audit::verify(&paths.data_dir, expected.as_ref()) {
                Ok(v) => println!(
                    "Journal intègre : {} entrées, tête {}{}.",
                    v.entries,
                    v.head,
                    if expected.is_some() {
                        " (tête consignée retrouvée)"
                    } else {
                        ""
                    }
                ),
                Err(e) => {
                    log::error!("audit verification failed: {e}");
                    eprintln!("{}", e.message_fr());
                    return Ok(ExitCode::from(2));
                }
            }
        }
        Action::Export {
            from,
            to,
            format,
            output,
        } => {
            let entries = audit::entries_between(&paths.data_dir, from.as_deref(), to.as_deref())?;
            let text = match format.as_str() {
                "json" => serde_json::to_string_pretty(&entries)? + "\n",
                "csv" => audit::to_csv(&entries),
                other => anyhow::bail!("format inconnu : {other} (json ou csv)"),
            };
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display()))?,
                None => print!("{text}"),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
