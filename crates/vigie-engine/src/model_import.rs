//! Adding a generation model from a GGUF file already on the machine (a USB key, a shared
//! folder): the way a production model reaches a laptop with no network.
//!
//! The file is checked as a GGUF Vigie can run before anything is copied; the copy is hashed
//! while it is written, under a temporary name, and compared with the SHA-256 published with the
//! model when the agent gives one; only a complete, matching file is renamed into place, and only
//! then does the manifest gain its entry (written whole, checked, then renamed). An interrupted
//! or refused import leaves the models folder and its manifest as they were.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::atomic_file::write_atomically;
use crate::llm::gguf::GgufFile;
use crate::registry::{ModelEntry, ModelRegistry, ModelRole, RegistryError};

/// What to add.
#[derive(Debug, Clone)]
pub struct ModelImportRequest<'a> {
    /// The GGUF file to copy.
    pub file: &'a Path,
    /// Name of the model in the manifest (`ministral-8b`).
    pub name: &'a str,
    /// The SHA-256 published with the model, when the agent has it.
    pub expected_sha256: Option<&'a str>,
    /// `tokenizer.json` of the original model, copied beside the weights when given.
    pub tokenizer: Option<&'a Path>,
    /// Licence written in the manifest.
    pub licence: &'a str,
    /// Where the file comes from, written in the manifest.
    pub source: String,
    /// Make it the default generation model.
    pub make_default: bool,
}

/// Copy progress, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ModelImportProgress {
    /// Bytes copied so far.
    pub done: u64,
    /// Size of the file.
    pub total: u64,
}

/// A model added to the manifest.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportedModel {
    /// Name in the manifest.
    pub name: String,
    /// Where the weights now are.
    pub path: PathBuf,
    /// SHA-256 of the copy.
    pub sha256: String,
    /// Whether it matched a checksum given by the agent (false: none was given).
    pub checksum_verified: bool,
    /// Architecture read from the file (`llama`, `qwen2`).
    pub architecture: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Whether it became the default generation model.
    pub default: bool,
}

/// Why a model could not be added.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelImportError {
    /// The name is empty, too long or has characters other than letters, digits, `.`, `-`, `_`.
    #[error("invalid model name {0:?}")]
    InvalidName(String),
    /// The manifest already has a model of that name.
    #[error("a model named {0} is already in the manifest")]
    NameTaken(String),
    /// The checksum given is not 64 hexadecimal digits.
    #[error("invalid SHA-256 {0:?}")]
    InvalidChecksum(String),
    /// The file is not a GGUF Vigie can run.
    #[error("{path}: not a usable GGUF: {reason}")]
    NotUsable {
        /// The file.
        path: PathBuf,
        /// Why, in French (from the GGUF reader).
        reason: String,
    },
    /// Another file of that name is already in the models folder.
    #[error("{0} already exists in the models folder")]
    FileExists(PathBuf),
    /// The copy does not have the checksum the agent gave.
    #[error("checksum mismatch: expected {expected}, got {actual}")]
    ChecksumMismatch {
        /// Given by the agent.
        expected: String,
        /// Of the copy.
        actual: String,
    },
    /// Stopped at the caller's request.
    #[error("import cancelled")]
    Cancelled,
    /// A read or write failed.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The manifest could not be read, or would not be valid.
    #[error(transparent)]
    Registry(#[from] RegistryError),
}

impl ModelImportError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            ModelImportError::InvalidName(name) => format!(
                "Nom de modèle invalide « {name} » : lettres, chiffres, « . », « - » et « _ » seulement, 64 caractères au plus."
            ),
            ModelImportError::NameTaken(name) => format!(
                "Le manifeste contient déjà un modèle nommé « {name} » : choisissez un autre nom."
            ),
            ModelImportError::InvalidChecksum(given) => format!(
                "Empreinte SHA-256 invalide « {given} » : elle compte 64 caractères hexadécimaux."
            ),
            ModelImportError::NotUsable { path, reason } => format!(
                "{} n'est pas un modèle GGUF utilisable par Vigie : {reason}",
                path.display()
            ),
            ModelImportError::FileExists(path) => format!(
                "Un fichier {} existe déjà dans le dossier des modèles : renommez le fichier à importer.",
                path.display()
            ),
            ModelImportError::ChecksumMismatch { expected, actual } => format!(
                "Empreinte SHA-256 différente de celle attendue (attendue {expected}, obtenue {actual}) : le fichier est abîmé ou n'est pas celui annoncé. Rien n'a été installé."
            ),
            ModelImportError::Cancelled => {
                "Import du modèle interrompu : rien n'a été installé.".into()
            }
            ModelImportError::Io { path, source } => {
                format!(
                    "Erreur de lecture ou d'écriture sur {} : {source}",
                    path.display()
                )
            }
            ModelImportError::Registry(e) => e.message_fr(),
        }
    }
}

/// Copies `request.file` into `models_dir` and adds it to the manifest. `progress` is called as
/// the copy advances; returning `false` cancels the import.
pub fn import_gguf(
    models_dir: &Path,
    request: &ModelImportRequest<'_>,
    progress: &mut dyn FnMut(ModelImportProgress) -> bool,
) -> Result<ImportedModel, ModelImportError> {
    check_name(request.name)?;
    let expected = request
        .expected_sha256
        .map(normalise_checksum)
        .transpose()?;
    let registry = ModelRegistry::open(models_dir)?;
    if registry.get(request.name).is_ok() {
        return Err(ModelImportError::NameTaken(request.name.to_string()));
    }
    let gguf = GgufFile::open(request.file).map_err(|e| ModelImportError::NotUsable {
        path: request.file.to_path_buf(),
        reason: e.message_fr(),
    })?;
    let architecture = gguf.architecture().key_prefix().to_string();
    drop(gguf);

    let file_name = request
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| ModelImportError::NotUsable {
            path: request.file.to_path_buf(),
            reason: "ce chemin ne désigne pas un fichier".into(),
        })?;
    let target = models_dir.join(&file_name);
    if target.exists() {
        return Err(ModelImportError::FileExists(target));
    }
    let (sha256, bytes) = copy_hashed(request.file, &target, expected.as_deref(), progress)?;

    let tokenizer_target = match request.tokenizer {
        Some(tokenizer) => {
            let stem = target
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let to = models_dir.join(format!("{stem}.tokenizer.json"));
            if let Err(e) = copy_hashed(tokenizer, &to, None, &mut |_| true) {
                remove_quietly(&target);
                return Err(e);
            }
            Some(to)
        }
        None => None,
    };

    let entry = ModelEntry {
        name: request.name.to_string(),
        role: ModelRole::Generation,
        file: file_name,
        sha256: sha256.clone(),
        format: "gguf".into(),
        architecture: architecture.clone(),
        source: request.source.clone(),
        licence: request.licence.to_string(),
        description: request.name.to_string(),
    };
    if let Err(e) = append_to_manifest(models_dir, &entry, request.make_default) {
        remove_quietly(&target);
        if let Some(t) = &tokenizer_target {
            remove_quietly(t);
        }
        return Err(e);
    }
    Ok(ImportedModel {
        name: request.name.to_string(),
        path: target,
        sha256,
        checksum_verified: expected.is_some(),
        architecture,
        bytes,
        default: request.make_default,
    })
}

fn check_name(name: &str) -> Result<(), ModelImportError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    if ok {
        Ok(())
    } else {
        Err(ModelImportError::InvalidName(name.to_string()))
    }
}

fn normalise_checksum(given: &str) -> Result<String, ModelImportError> {
    let trimmed = given.trim().to_ascii_lowercase();
    if trimmed.len() == 64 && trimmed.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(trimmed)
    } else {
        Err(ModelImportError::InvalidChecksum(given.to_string()))
    }
}

/// Copies `from` to `to` through `to.part`, hashing as it goes; the rename happens only for a
/// complete copy that matches `expected`. Returns the SHA-256 and the size.
fn copy_hashed(
    from: &Path,
    to: &Path,
    expected: Option<&str>,
    progress: &mut dyn FnMut(ModelImportProgress) -> bool,
) -> Result<(String, u64), ModelImportError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| ModelImportError::Io { path, source }
    };
    let mut input = fs::File::open(from).map_err(io(from))?;
    let total = input.metadata().map_err(io(from))?.len();
    let part = to.with_extension("part");
    let result = (|| {
        let mut output = fs::File::create(&part).map_err(io(&part))?;
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 4 << 20];
        let mut done = 0u64;
        loop {
            let n = input.read(&mut buffer).map_err(io(from))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            output.write_all(&buffer[..n]).map_err(io(&part))?;
            done += n as u64;
            if !progress(ModelImportProgress { done, total }) {
                return Err(ModelImportError::Cancelled);
            }
        }
        output.sync_all().map_err(io(&part))?;
        let actual = hex::encode(hasher.finalize());
        if let Some(expected) = expected
            && expected != actual
        {
            return Err(ModelImportError::ChecksumMismatch {
                expected: expected.to_string(),
                actual,
            });
        }
        fs::rename(&part, to).map_err(io(to))?;
        Ok((actual, done))
    })();
    if result.is_err() {
        remove_quietly(&part);
    }
    result
}

/// Rewrites the manifest with `entry` appended (and the default changed when asked): the new
/// text must parse before it replaces the old one.
fn append_to_manifest(
    models_dir: &Path,
    entry: &ModelEntry,
    make_default: bool,
) -> Result<(), ModelImportError> {
    let path = models_dir.join("manifest.toml");
    let io = |source| ModelImportError::Io {
        path: path.clone(),
        source,
    };
    let mut text = fs::read_to_string(&path).map_err(io)?;
    if make_default {
        text = set_default_generation(&text, &entry.name);
    }
    let table = toml::to_string(entry).map_err(|e| RegistryError::Invalid {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str("\n[[model]]\n");
    text.push_str(&table);
    let updated = ModelRegistry::parse_str(&text, models_dir)?;
    let default_is_new = updated
        .default_for(ModelRole::Generation)
        .is_ok_and(|d| d.name == entry.name);
    if make_default && !default_is_new {
        return Err(RegistryError::Invalid {
            path,
            reason: "pas de ligne « generation = … » sous [defaults] à remplacer".into(),
        }
        .into());
    }
    write_atomically(&path, text.as_bytes()).map_err(|source| ModelImportError::Io {
        path: path.clone(),
        source,
    })
}

/// The manifest text with `generation = "<name>"` under `[defaults]`.
fn set_default_generation(manifest: &str, name: &str) -> String {
    let quoted = toml::Value::String(name.to_string()).to_string();
    manifest
        .lines()
        .map(|line| {
            if line.trim_start().starts_with("generation =") {
                format!("generation = {quoted}")
            } else {
                line.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn remove_quietly(path: &Path) {
    if let Err(e) = fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        log::warn!("could not remove {}: {e}", path.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_checksums_are_checked() {
        assert!(check_name("ministral-8b_Q4.v2").is_ok());
        for bad in ["", "a b", "../x", "é", &"x".repeat(65)] {
            assert!(matches!(
                check_name(bad),
                Err(ModelImportError::InvalidName(_))
            ));
        }
        let sha = "AB".repeat(32);
        assert_eq!(
            normalise_checksum(&format!(" {sha} ")).unwrap(),
            "ab".repeat(32)
        );
        assert!(normalise_checksum("abc").is_err());
        assert!(normalise_checksum(&"g".repeat(64)).is_err());
    }

    #[test]
    fn the_default_line_is_replaced_and_quoted() {
        let text = "[defaults]\nembedding = \"e5\"\ngeneration = \"old\"\n";
        let new = set_default_generation(text, "new");
        assert!(new.contains("generation = \"new\""));
        assert!(new.contains("embedding = \"e5\""));
        assert!(!new.contains("old"));
    }
}
