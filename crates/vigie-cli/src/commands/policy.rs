//! `vigie policy`: the classification policy in effect (labels, markers, profiles), where it
//! comes from, and the collections of each label.

use std::process::ExitCode;

use vigie_engine::Paths;
use vigie_engine::audit::AuditLog;
use vigie_engine::collection::CollectionStore;
use vigie_engine::policy::{Policy, PolicySource};

/// Options of `vigie policy`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sortie JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let policy = Policy::load(&paths.data_dir)?;
    let mut journal = AuditLog::open(&paths.data_dir)?;
    policy.journal_if_changed(&paths.data_dir, &mut journal)?;
    let store = CollectionStore::in_data_dir(&paths.data_dir);
    let collections: Vec<(String, String)> = store
        .names()
        .into_iter()
        .filter_map(|n| store.manifest(&n).ok().map(|m| (n, m.label)))
        .collect();
    if args.json {
        let object = serde_json::json!({
            "policy": policy,
            "collections": collections.iter().map(|(n, l)| serde_json::json!({
                "name": n, "label": l
            })).collect::<Vec<_>>(),
        });
        println!("{object}");
        return Ok(ExitCode::SUCCESS);
    }
    match &policy.source {
        PolicySource::Default => println!(
            "Politique de classification : politique livrée (aucun {} dans {}).",
            vigie_engine::policy::POLICY_FILE,
            paths.data_dir.display()
        ),
        PolicySource::File(path) => {
            println!("Politique de classification : {}", path.display())
        }
    }
    println!("Empreinte SHA-256 : {}\n", policy.sha256);
    println!("Niveaux (du moins au plus sensible) :");
    for label in &policy.labels {
        let in_label: Vec<&str> = collections
            .iter()
            .filter(|(_, l)| *l == label.name)
            .map(|(n, _)| n.as_str())
            .collect();
        println!(
            "  • {} — {} — {}{}",
            label.name,
            if label.ai_allowed {
                "traitement par l'IA autorisé"
            } else {
                "INTERDIT à l'IA (refusé à l'import)"
            },
            label.description,
            if in_label.is_empty() {
                String::new()
            } else {
                format!(" [collections : {}]", in_label.join(", "))
            }
        );
    }
    println!("\nMentions qui imposent un niveau (vérifiées sur chaque page) :");
    for marker in &policy.markers {
        println!(
            "  • « {} » → {}{}",
            marker.text,
            marker.label,
            if marker.ignore_case {
                " (toute casse)"
            } else {
                " (en majuscules)"
            }
        );
    }
    println!("\nProfils (niveaux interrogeables) :");
    for profile in &policy.profiles {
        let readable: Vec<&str> = profile
            .labels
            .iter()
            .filter(|l| policy.may_query(profile, l))
            .map(String::as_str)
            .collect();
        println!(
            "  • {}{} — {} — {}",
            profile.name,
            if profile.name == policy.default_profile {
                " (par défaut)"
            } else {
                ""
            },
            readable.join(", "),
            profile.description
        );
    }
    Ok(ExitCode::SUCCESS)
}
