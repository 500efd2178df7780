//! `vigie article`: an article as it stands (or stood), and its history across editions.
//!
//! JSON: `{"article", "code", "editions": [{"edition", "status", "text", "path"}],
//! "diffs": [{"from", "to", "changes": [{"op", "text"}]}], "correspondence": {"successors",
//! "predecessors", "repealed", "created"}}`: the last key says what the imported
//! correspondence tables say about the article (empty lists when none does).

use std::process::ExitCode;

use anyhow::Context;
use vigie_engine::Paths;
use vigie_engine::corpus::Corpus;
use vigie_engine::versions::correspondence::{ArticleCorrespondence, CorrespondenceSet};
use vigie_engine::versions::{self, ArticleHistory};

/// Options of `vigie article`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Numéro de l'article (« 414 », « 65 A bis », « L. 312-1 »).
    reference: String,
    /// Code (CD, CIBS ou nom complet) ; par défaut celui qui contient ce numéro.
    #[arg(long)]
    code: Option<String>,
    /// L'article tel qu'il était en vigueur à cette date (AAAA-MM-JJ).
    #[arg(long, value_name = "DATE")]
    edition: Option<String>,
    /// Toutes les éditions de l'article, avec les différences mot à mot.
    #[arg(long)]
    history: bool,
    /// Sortie JSON.
    #[arg(long)]
    json: bool,
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let corpus = Corpus::load(&paths.corpus_dir).context("loading the corpus")?;
    let code = versions::code_of(&corpus, &args.reference, args.code.as_deref())?;
    let mut history = versions::article_history(&corpus, &code, &args.reference)?;
    if !args.history {
        let edition = match &args.edition {
            Some(date) => versions::edition_at(&corpus, &code, date)?,
            None => corpus
                .edition_in_force(&code)
                .map(|e| e.date.clone())
                .unwrap_or_default(),
        };
        history.editions.retain(|v| v.edition == edition);
        history.diffs.clear();
    }
    let correspondence =
        CorrespondenceSet::load(&paths.data_dir)?.about(&history.code, &history.article);
    if args.json {
        let mut value = serde_json::to_value(&history)?;
        if let Some(object) = value.as_object_mut() {
            object.insert(
                "correspondence".into(),
                serde_json::to_value(&correspondence)?,
            );
        }
        println!("{value}");
    } else {
        print_history(&history);
        print_correspondence(&correspondence);
        println!("Source : Légifrance (DILA), Licence Ouverte 2.0.");
    }
    Ok(ExitCode::SUCCESS)
}

fn print_correspondence(c: &ArticleCorrespondence) {
    use vigie_engine::corpus::short_code_name;
    let date = |d: &Option<String>| d.as_ref().map(|d| format!(", {d}")).unwrap_or_default();
    for link in &c.successors {
        println!(
            "Devenu : {} art. {} ({}{}) — table « {} »",
            short_code_name(&link.code),
            link.article,
            link.kind.label_fr(),
            date(&link.date),
            link.table
        );
    }
    for link in &c.predecessors {
        println!(
            "Issu de : {} art. {} ({}{}) — table « {} »",
            short_code_name(&link.code),
            link.article,
            link.kind.label_fr(),
            date(&link.date),
            link.table
        );
    }
    for mark in &c.repealed {
        println!(
            "Abrogé sans successeur{} — table « {} »",
            date(&mark.date),
            mark.table
        );
    }
    for mark in &c.created {
        println!(
            "Article nouveau{} — table « {} »",
            date(&mark.date),
            mark.table
        );
    }
}

fn print_history(history: &ArticleHistory) {
    for version in &history.editions {
        println!(
            "{} — article {} — édition du {} ({})",
            history.code, history.article, version.edition, version.status
        );
        if !version.path.is_empty() {
            println!("{}", version.path.join(" › "));
        }
        if version.text.is_empty() {
            println!("(absent de cette édition)\n");
        } else {
            println!("\n{}\n", version.text);
        }
    }
    for diff in &history.diffs {
        println!(
            "Différences {} → {} ([-supprimé-] {{+ajouté+}}) :",
            diff.from, diff.to
        );
        let mut line = String::new();
        for change in &diff.changes {
            match change.op {
                "insert" => line.push_str(&format!("{{+{}+}}", change.text)),
                "delete" => line.push_str(&format!("[-{}-]", change.text)),
                _ => line.push_str(&change.text),
            }
        }
        println!("{line}\n");
    }
}
