//! `vigie`: the command-line client of the engine.
//!
//! Each subcommand lives in its own module under `commands/`; this file only parses arguments,
//! checks the CPU, resolves paths and turns errors into a French message and an exit code.

mod commands;
mod progress;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vigie_engine::{PathOverrides, Paths};

// Model inference allocates and frees large tensors at every layer; glibc's allocator returns
// them to the kernel and pays page faults to get them back. mimalloc keeps them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Vigie : assistant hors ligne sur le Code des douanes et le CIBS.
#[derive(Debug, Parser)]
#[command(name = "vigie", version, about)]
struct Cli {
    /// Dossier des données (index, base, journal, réglages).
    #[arg(long, global = true, env = "VIGIE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Dossier du corpus (fichiers .jsonl).
    #[arg(
        long = "corpus",
        global = true,
        env = "VIGIE_CORPUS_DIR",
        value_name = "DIR"
    )]
    corpus_dir: Option<PathBuf>,
    /// Dossier des modèles (contient manifest.toml).
    #[arg(
        long = "models",
        global = true,
        env = "VIGIE_MODELS_DIR",
        value_name = "DIR"
    )]
    models_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Construit ou met à jour les index (plein texte et vectoriel).
    Index(commands::index::Args),
    /// Répond à une question en citant les articles, ou s'abstient.
    Ask(commands::ask::Args),
    /// Recherche les articles pertinents pour une question.
    Search(commands::search::Args),
    /// Évalue la recherche sur un jeu de questions annotées.
    Eval(commands::eval::Args),
    /// Mesure les performances de la recherche (JSON).
    Bench(commands::bench::Args),
    /// Affiche un article, tel qu'en vigueur ou à une date, et son historique.
    Article(commands::article::Args),
    /// Compare deux éditions d'un code (ajoutés, abrogés, modifiés, inchangés).
    Diff(commands::diff::Args),
    /// Tables de correspondance ancien → nouvel article : import, liste, suppression.
    #[command(name = "correspondance", visible_alias = "correspondence")]
    Correspondence(commands::correspondence::Args),
    /// Journal d'audit chaîné : tête, vérification, export.
    Audit(commands::audit::Args),
    /// Importe des documents de référence (circulaires, notes…) dans une collection.
    Import(commands::import::Args),
    /// Collections de documents importés : liste, suppression.
    Collections(commands::collections::Args),
    /// Affiche la politique de classification en vigueur.
    Policy(commands::policy::Args),
    /// État des modèles, des index, des collections, de la politique et du journal.
    Doctor(commands::doctor::Args),
    /// Génère une réponse du modèle de langue, affichée au fil de l'eau.
    Generate(commands::generate::Args),
    /// Liste ou vérifie les modèles du manifeste.
    Models(commands::models::Args),
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    if let Err(message) = vigie_engine::cpu::check_cpu() {
        eprintln!("erreur : {message}");
        return ExitCode::from(3);
    }
    let cli = Cli::parse();
    let overrides = PathOverrides {
        data_dir: cli.data_dir,
        corpus_dir: cli.corpus_dir,
        models_dir: cli.models_dir,
    };
    let result = Paths::resolve(&overrides)
        .map_err(anyhow::Error::from)
        .and_then(|paths| match cli.command {
            Command::Index(args) => commands::index::run(paths, args),
            Command::Ask(args) => commands::ask::run(paths, args),
            Command::Search(args) => commands::search::run(paths, args),
            Command::Eval(args) => commands::eval::run(paths, args),
            Command::Bench(args) => commands::bench::run(paths, args),
            Command::Article(args) => commands::article::run(paths, args),
            Command::Diff(args) => commands::diff::run(paths, args),
            Command::Correspondence(args) => commands::correspondence::run(paths, args),
            Command::Audit(args) => commands::audit::run(paths, args),
            Command::Import(args) => commands::import::run(paths, args),
            Command::Collections(args) => commands::collections::run(paths, args),
            Command::Policy(args) => commands::policy::run(paths, args),
            Command::Doctor(args) => commands::doctor::run(paths, args),
            Command::Generate(args) => commands::generate::run(paths, args),
            Command::Models(args) => commands::models::run(paths, args),
        });
    match result {
        Ok(code) => code,
        Err(error) => {
            log::error!("{error:#}");
            eprintln!("erreur : {}", report::french_message(&error));
            ExitCode::FAILURE
        }
    }
}
