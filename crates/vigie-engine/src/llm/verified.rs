//! Finding a generation model in the manifest and checking it before it is loaded.
//!
//! The same rule as the embedding model (see `Engine::verified_model`): nothing is loaded
//! that is not listed in `models/manifest.toml`, and nothing listed is loaded if its SHA-256
//! differs. This lives here rather than on `Engine` so that `vigie generate` and the worker can
//! start without loading the legal corpus.

use std::path::PathBuf;

use super::TextGenerator;
use super::error::LlmError;
use super::generator::{CandleGenerator, LoadOptions};
use super::worker::GenerationWorker;
use crate::integrity::ChecksumCache;
use crate::registry::{ModelEntry, ModelRegistry, ModelRole};

/// The manifest entry of a generation model (by name, or the default) and its verified path.
pub fn locate_verified(
    registry: &ModelRegistry,
    checksums: &ChecksumCache,
    name: Option<&str>,
) -> Result<(ModelEntry, PathBuf), LlmError> {
    let entry = match name {
        Some(n) => registry.get(n)?.clone(),
        None => registry.default_for(ModelRole::Generation)?.clone(),
    };
    if entry.role != ModelRole::Generation || entry.format != "gguf" {
        return Err(LlmError::NotAGenerationModel(entry.name));
    }
    let path = registry.path_of(&entry)?;
    checksums.verify(&path, &entry.sha256)?;
    Ok((entry, path))
}

/// Verifies a generation model and starts a worker that owns it.
pub fn load_verified(
    registry: &ModelRegistry,
    checksums: &ChecksumCache,
    name: Option<&str>,
    options: LoadOptions,
) -> Result<GenerationWorker, LlmError> {
    let (entry, path) = locate_verified(registry, checksums, name)?;
    GenerationWorker::spawn(move || {
        let generator = CandleGenerator::load(&path, &entry.name, &options)?;
        Ok(Box::new(generator) as Box<dyn TextGenerator>)
    })
}
