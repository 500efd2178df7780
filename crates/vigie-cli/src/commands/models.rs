//! `vigie models list|verify`: the models of the manifest, and their checksums.

use std::process::ExitCode;

use serde::Serialize;
use vigie_engine::Paths;
use vigie_engine::integrity::ChecksumCache;
use vigie_engine::llm::gguf::GgufFile;
use vigie_engine::registry::{ModelEntry, ModelRegistry, ModelRole};

/// Options of `vigie models`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Action,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// Liste les modèles du manifeste (présence, architecture, contexte).
    List {
        /// Sortie JSON.
        #[arg(long)]
        json: bool,
    },
    /// Télécharge un modèle GGUF (poste connecté, construction `--features pull`) et l'inscrit
    /// au manifeste.
    Pull(super::pull::PullArgs),
    /// Ajoute au manifeste un modèle GGUF déjà présent sur ce poste (somme de contrôle calculée).
    Add(super::pull::AddArgs),
    /// Recalcule les sommes de contrôle et les compare au manifeste.
    Verify {
        /// Un seul modèle (par défaut : tous).
        name: Option<String>,
    },
}

#[derive(Debug, Serialize)]
struct Listed<'a> {
    name: &'a str,
    role: ModelRole,
    file: &'a str,
    present: bool,
    default: bool,
    architecture: String,
    context_length: Option<u32>,
    size_mb: Option<f64>,
    description: &'a str,
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let registry = ModelRegistry::open(&paths.models_dir)?;
    match args.action {
        Action::List { json } => list(&registry, json),
        Action::Verify { name } => verify(&registry, name.as_deref()),
        Action::Pull(pull) => super::pull::run(&paths, &pull),
        Action::Add(add) => super::pull::run_add(&paths, &add),
    }
}

fn list(registry: &ModelRegistry, json: bool) -> anyhow::Result<ExitCode> {
    let defaults = [ModelRole::Embedding, ModelRole::Generation]
        .map(|role| registry.default_for(role).ok().map(|e| e.name.clone()));
    let listed: Vec<Listed> = registry
        .models()
        .iter()
        .map(|entry| describe(registry, entry, &defaults))
        .collect();
    if json {
        println!("{}", serde_json::to_string_pretty(&listed)?);
        return Ok(ExitCode::SUCCESS);
    }
    for m in &listed {
        let status = if m.present { "présent" } else { "absent" };
        let default = if m.default { " (par défaut)" } else { "" };
        let context = m
            .context_length
            .map(|c| format!(", contexte {c}"))
            .unwrap_or_default();
        println!(
            "{}{default} — {:?}, {}{context} — {} [{status}]\n    {}",
            m.name, m.role, m.architecture, m.file, m.description
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn describe<'a>(
    registry: &ModelRegistry,
    entry: &'a ModelEntry,
    defaults: &[Option<String>; 2],
) -> Listed<'a> {
    let path = registry.path_of(entry).ok();
    let mut architecture = entry.architecture.clone();
    let mut context_length = None;
    if let (Some(path), "gguf") = (&path, entry.format.as_str()) {
        // The header says what the file really is (it may differ from the manifest).
        if let Ok(gguf) = GgufFile::open(path) {
            let arch = gguf.architecture().key_prefix();
            context_length = gguf.opt_u32(&format!("{arch}.context_length"));
            architecture = arch.to_string();
        }
    }
    Listed {
        name: &entry.name,
        role: entry.role,
        file: &entry.file,
        present: path.is_some(),
        default: defaults.iter().flatten().any(|d| d == &entry.name),
        architecture,
        context_length,
        size_mb: path
            .and_then(|p| std::fs::metadata(p).ok())
            .map(|m| (m.len() as f64 / 1e6 * 10.0).round() / 10.0),
        description: &entry.description,
    }
}

fn verify(registry: &ModelRegistry, name: Option<&str>) -> anyhow::Result<ExitCode> {
    let entries: Vec<&ModelEntry> = match name {
        Some(n) => vec![registry.get(n)?],
        None => registry.models().iter().collect(),
    };
    // No cache: `verify` reads every byte again.
    let checksums = ChecksumCache::disabled();
    let mut failures = 0;
    for entry in entries {
        let path = match registry.path_of(entry) {
            Ok(p) => p,
            Err(e) => {
                println!("{} : ÉCHEC — {}", entry.name, e.message_fr());
                failures += 1;
                continue;
            }
        };
        let weights = if path.is_dir() {
            path.join("model.safetensors")
        } else {
            path
        };
        match checksums.verify(&weights, &entry.sha256) {
            Ok(()) => println!("{} : somme de contrôle conforme", entry.name),
            Err(e) => {
                println!("{} : ÉCHEC — {}", entry.name, e.message_fr());
                failures += 1;
            }
        }
    }
    Ok(if failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
