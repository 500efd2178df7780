//! `vigie models pull`: provisioning a production model on a **connected** machine.
//!
//! Fetches a GGUF (and optionally the `tokenizer.json` of the original model) from the Hugging
//! Face Hub, copies them into the models folder, checks the file is a GGUF Vigie can run, and
//! appends its entry (SHA-256 computed here) to `models/manifest.toml`. The models folder is
//! then carried to the offline laptops. The HTTP client only exists in a build with the `pull`
//! feature: the default build of the CLI and the app has none.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use vigie_engine::Paths;

/// Options of `vigie models pull`.
#[derive(Debug, Clone, clap::Args)]
pub struct PullArgs {
    /// Dépôt du modèle GGUF (par ex. `bartowski/Ministral-8B-Instruct-2410-GGUF`).
    #[arg(long)]
    pub repo: String,
    /// Fichier GGUF du dépôt (par ex. `Ministral-8B-Instruct-2410-Q4_K_M.gguf`).
    #[arg(long)]
    pub file: String,
    /// Nom du modèle dans le manifeste.
    #[arg(long)]
    pub name: String,
    /// Révision (commit ou branche) à télécharger.
    #[arg(long, default_value = "main")]
    pub revision: String,
    /// Dépôt d'origine dont prendre `tokenizer.json` (par ex. `mistralai/Ministral-8B-Instruct-2410`).
    #[arg(long)]
    pub tokenizer_repo: Option<String>,
    /// Licence à inscrire au manifeste.
    #[arg(long, default_value = "voir la fiche du modèle")]
    pub licence: String,
    /// En faire le modèle de génération par défaut.
    #[arg(long)]
    pub default: bool,
}

/// Options of `vigie models add`: a GGUF already on this machine (a USB key).
#[derive(Debug, Clone, clap::Args)]
pub struct AddArgs {
    /// Le fichier GGUF.
    pub file: std::path::PathBuf,
    /// Nom du modèle dans le manifeste.
    #[arg(long)]
    pub name: String,
    /// `tokenizer.json` du modèle d'origine, s'il est fourni.
    #[arg(long)]
    pub tokenizer: Option<std::path::PathBuf>,
    /// Licence à inscrire au manifeste.
    #[arg(long, default_value = "voir la fiche du modèle")]
    pub licence: String,
    /// En faire le modèle de génération par défaut.
    #[arg(long)]
    pub default: bool,
}

/// Runs `vigie models pull`.
pub fn run(paths: &Paths, args: &PullArgs) -> anyhow::Result<ExitCode> {
    refuse_taken_name(paths, &args.name)?;
    let fetched = fetch(args)?;
    let entry = NewEntry {
        name: &args.name,
        file_name: &args.file,
        source: format!(
            "Hugging Face {}@{}, {}",
            args.repo, args.revision, args.file
        ),
        licence: &args.licence,
        default: args.default,
    };
    install(paths, &entry, &fetched.model, fetched.tokenizer.as_deref())
}

/// Runs `vigie models add`.
pub fn run_add(paths: &Paths, args: &AddArgs) -> anyhow::Result<ExitCode> {
    refuse_taken_name(paths, &args.name)?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| anyhow::anyhow!("« {} » n'est pas un fichier", args.file.display()))?;
    let entry = NewEntry {
        name: &args.name,
        file_name: &file_name,
        source: format!("fichier importé {}", args.file.display()),
        licence: &args.licence,
        default: args.default,
    };
    install(paths, &entry, &args.file, args.tokenizer.as_deref())
}

fn refuse_taken_name(paths: &Paths, name: &str) -> anyhow::Result<()> {
    let registry = vigie_engine::registry::ModelRegistry::open(&paths.models_dir)?;
    if registry.get(name).is_ok() {
        anyhow::bail!(
            "le manifeste contient déjà un modèle nommé « {name} » : choisissez un autre nom"
        );
    }
    Ok(())
}

/// What the manifest will say of a new model.
struct NewEntry<'a> {
    name: &'a str,
    file_name: &'a str,
    source: String,
    licence: &'a str,
    default: bool,
}

/// Paths of the downloaded files (in the download cache).
struct Fetched {
    model: std::path::PathBuf,
    tokenizer: Option<std::path::PathBuf>,
}

#[cfg(feature = "pull")]
fn fetch(args: &PullArgs) -> anyhow::Result<Fetched> {
    use hf_hub::api::sync::ApiBuilder;
    use hf_hub::{Repo, RepoType};

    let api = ApiBuilder::new()
        .with_progress(true)
        .build()
        .context("starting the download client")?;
    let repo = api.repo(Repo::with_revision(
        args.repo.clone(),
        RepoType::Model,
        args.revision.clone(),
    ));
    eprintln!("Téléchargement de {} depuis {}…", args.file, args.repo);
    let model = repo
        .get(&args.file)
        .with_context(|| format!("downloading {} from {}", args.file, args.repo))?;
    let tokenizer = match &args.tokenizer_repo {
        Some(t) => Some(
            api.model(t.clone())
                .get("tokenizer.json")
                .with_context(|| format!("downloading tokenizer.json from {t}"))?,
        ),
        None => None,
    };
    Ok(Fetched { model, tokenizer })
}

#[cfg(not(feature = "pull"))]
fn fetch(_args: &PullArgs) -> anyhow::Result<Fetched> {
    anyhow::bail!(
        "cette version de vigie est construite sans téléchargement (aucun client réseau) : sur un poste connecté, construisez-la avec `cargo build --release -p vigie-cli --features pull`, puis copiez le dossier des modèles sur les postes hors ligne"
    )
}

/// Copies the files into the models folder, checks the GGUF and records it in the manifest.
fn install(
    paths: &Paths,
    args: &NewEntry<'_>,
    model: &Path,
    tokenizer: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let gguf = vigie_engine::llm::gguf::GgufFile::open(model)
        .with_context(|| format!("checking {}", model.display()))?;
    let architecture = format!("{:?}", gguf.architecture()).to_lowercase();
    let file_name = Path::new(args.file_name)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| args.file_name.to_string());
    let target = paths.models_dir.join(&file_name);
    copy_atomically(model, &target)?;
    if let Some(t) = tokenizer {
        let stem = target
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        copy_atomically(t, &paths.models_dir.join(format!("{stem}.tokenizer.json")))?;
    }
    let sha256 = vigie_engine::integrity::sha256_file(&target)?;
    let entry = format!(
        "\n[[model]]\nname = {name:?}\nrole = \"generation\"\nfile = {file:?}\nsha256 = {sha256:?}\nformat = \"gguf\"\narchitecture = {architecture:?}\nsource = {source:?}\nlicence = {licence:?}\ndescription = {name:?}\n",
        name = args.name,
        file = file_name,
        source = args.source,
        licence = args.licence,
    );
    let manifest = paths.models_dir.join("manifest.toml");
    let mut text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("reading {}", manifest.display()))?;
    if args.default {
        text = set_default_generation(&text, args.name);
    }
    text.push_str(&entry);
    let tmp = manifest.with_extension("toml.tmp");
    std::fs::write(&tmp, &text).with_context(|| format!("writing {}", tmp.display()))?;
    // The new manifest must still parse before it replaces the old one.
    vigie_engine::registry::ModelRegistry::parse_str(&text, &paths.models_dir)
        .context("checking the new manifest")?;
    std::fs::rename(&tmp, &manifest)?;
    println!(
        "Modèle « {} » installé : {} (SHA-256 {sha256}), inscrit au manifeste.",
        args.name,
        target.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn copy_atomically(from: &Path, to: &Path) -> anyhow::Result<()> {
    let tmp = to.with_extension("part");
    std::fs::copy(from, &tmp).with_context(|| format!("copying to {}", tmp.display()))?;
    std::fs::rename(&tmp, to).with_context(|| format!("renaming to {}", to.display()))?;
    Ok(())
}

fn set_default_generation(manifest: &str, name: &str) -> String {
    manifest
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("generation =") {
                format!("generation = {name:?}")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}
