//! `vigie generate`: streams a model's answer to one prompt (no retrieval, no citations).
//!
//! For trying a model and measuring it by hand; grounded answers are `vigie ask`'s job.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use vigie_engine::Paths;
use vigie_engine::integrity::ChecksumCache;
use vigie_engine::llm::{
    ChatMessage, DEFAULT_SYSTEM_PROMPT, GenerationRequest, LoadOptions, SamplingParams,
    SinkControl, load_verified,
};
use vigie_engine::registry::ModelRegistry;

/// Options of `vigie generate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// La demande.
    prompt: String,
    /// Modèle de génération (nom du manifeste ; par défaut celui du manifeste).
    #[arg(long)]
    model: Option<String>,
    /// Nombre maximal de jetons générés.
    #[arg(long, default_value_t = 256)]
    max_tokens: usize,
    /// Température (0 : décodage glouton, reproductible).
    #[arg(long, default_value_t = 0.0)]
    temperature: f32,
    /// Échantillonnage par noyau (1 : désactivé).
    #[arg(long, default_value_t = 1.0)]
    top_p: f32,
    /// Pénalité de répétition (1 : désactivée).
    #[arg(long, default_value_t = 1.1)]
    repeat_penalty: f32,
    /// Graine du tirage aléatoire.
    #[arg(long, default_value_t = 299_792_458)]
    seed: u64,
    /// Consigne système (par défaut celle de Vigie).
    #[arg(long)]
    system: Option<String>,
    /// Affiche les mesures (jetons, vitesse) sur la sortie d'erreur.
    #[arg(long)]
    stats: bool,
}

/// Runs the command.
pub fn run(paths: Paths, args: Args) -> anyhow::Result<ExitCode> {
    let registry = ModelRegistry::open(&paths.models_dir)?;
    let checksums = ChecksumCache::in_dir(&paths.data_dir);
    let worker = load_verified(
        &registry,
        &checksums,
        args.model.as_deref(),
        LoadOptions::default(),
    )
    .context("loading the generation model")?;
    let request = GenerationRequest {
        max_tokens: args.max_tokens,
        sampling: SamplingParams {
            temperature: args.temperature,
            top_p: args.top_p,
            repeat_penalty: args.repeat_penalty,
            seed: args.seed,
            ..SamplingParams::default()
        },
        ..GenerationRequest::new(vec![
            ChatMessage::system(args.system.as_deref().unwrap_or(DEFAULT_SYSTEM_PROMPT)),
            ChatMessage::user(args.prompt),
        ])
    };
    let mut stdout = std::io::stdout().lock();
    let result = worker
        .generate(request, &mut |text: &str| {
            // A closed pipe (`| head`) stops the generation.
            if stdout
                .write_all(text.as_bytes())
                .and_then(|_| stdout.flush())
                .is_err()
            {
                SinkControl::Stop
            } else {
                SinkControl::Continue
            }
        })
        .context("generating")?;
    let _ = writeln!(stdout);
    if args.stats {
        let s = &result.stats;
        eprintln!(
            "{} : {} jetons de demande ({} réutilisés), {} générés ({:?}) ; premier jeton {:.0} ms ; lecture {:.1} jetons/s, écriture {:.1} jetons/s",
            worker.info().name,
            s.prompt_tokens,
            s.reused_prompt_tokens,
            s.generated_tokens,
            result.stop,
            s.first_token_ms,
            s.prefill_tokens_per_s(),
            s.decode_tokens_per_s(),
        );
    }
    Ok(ExitCode::SUCCESS)
}
