//! `vigie models pull`: provisioning a production model on a **connected** machine.
//!
//! Fetches a GGUF (and optionally the `tokenizer.json` of the original model) from the Hugging
//! Face Hub, copies them into the models folder, checks the file is a GGUF Vigie can run, and
//! appends its entry (SHA-256 computed here) to `models/manifest.toml`. The models folder is
//! then carried to the offline laptops. The HTTP client only exists in a build with the `pull`
//! feature: the default build of the CLI and the app has none.

use std::path::Path;
use std::process::ExitCode;

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
    /// Empreinte SHA-256 publiée avec le modèle : la copie doit y correspondre.
    #[arg(long)]
    pub sha256: Option<String>,
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
    /// Empreinte SHA-256 publiée avec le modèle : la copie doit y correspondre.
    #[arg(long)]
    pub sha256: Option<String>,
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
        sha256: args.sha256.as_deref(),
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
    let entry = NewEntry {
        name: &args.name,
        sha256: args.sha256.as_deref(),
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
    /// The SHA-256 published with the model, checked against the copy.
    sha256: Option<&'a str>,
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
    use anyhow::Context;
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

/// Copies the files into the models folder (checked, hashed) and records them in the manifest.
fn install(
    paths: &Paths,
    args: &NewEntry<'_>,
    model: &Path,
    tokenizer: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    let request = vigie_engine::model_import::ModelImportRequest {
        file: model,
        name: args.name,
        expected_sha256: args.sha256,
        tokenizer,
        licence: args.licence,
        source: args.source.clone(),
        make_default: args.default,
    };
    let bar = crate::progress::bytes_bar();
    let imported = vigie_engine::model_import::import_gguf(&paths.models_dir, &request, &mut |p| {
        bar.set_length(p.total);
        bar.set_position(p.done);
        true
    });
    bar.finish_and_clear();
    let imported = imported?;
    println!(
        "Modèle « {} » installé : {} (SHA-256 {}{}), inscrit au manifeste.",
        imported.name,
        imported.path.display(),
        imported.sha256,
        if imported.checksum_verified {
            ", conforme à l'empreinte attendue"
        } else {
            ""
        }
    );
    Ok(ExitCode::SUCCESS)
}
