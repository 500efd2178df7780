//! `vigie doctor`: the state of models, indexes, collections, policy and journal.

use std::process::ExitCode;

use vigie_engine::Paths;
use vigie_engine::doctor::{Check, Health, examine};

/// Options of `vigie doctor`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sortie JSON.
    #[arg(long)]
    json: bool,
}

fn line(check: &Check) {
    let mark = match check.health {
        Health::Ok => "✓",
        Health::Missing | Health::Stale => "•",
        Health::Damaged => "✗",
    };
    println!(
        "  {mark} {} : {} — {}",
        check.subject,
        check.health.label_fr(),
        check.detail
    );
}

/// Runs the command: exit code 0 when everything is usable, 2 when something is damaged.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let report = examine(&paths);
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!("Modèles :");
        report.models.iter().for_each(line);
        println!("Index :");
        report.indexes.iter().for_each(line);
        println!("Politique :");
        line(&report.policy);
        println!("Journal :");
        line(&report.journal);
        println!(
            "\n{}",
            if report.all_ok() {
                "Tout est utilisable (un index absent ou périmé est reconstruit au prochain usage)."
            } else {
                "Des éléments sont endommagés : voir ci-dessus."
            }
        );
    }
    Ok(if report.all_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
