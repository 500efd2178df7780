//! File checksums, remembered by size and modification time.
//!
//! Model files are verified against the SHA-256 of the manifest before use. Hashing a 4 GB
//! model at every start would cost seconds, so a verified file is remembered in
//! `verified.json` (data directory) with its size and modification time; it is hashed again
//! only when either changes.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Why a file could not be verified.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IntegrityError {
    /// The file is missing or unreadable.
    #[error("cannot read {path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file's checksum is not the expected one.
    #[error("checksum mismatch for {path}: expected {expected}, found {actual}")]
    Mismatch {
        /// Path.
        path: PathBuf,
        /// Expected SHA-256.
        expected: String,
        /// Actual SHA-256.
        actual: String,
    },
}

impl IntegrityError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            IntegrityError::Io { path, source } => {
                format!(
                    "Fichier introuvable ou illisible : {} ({source})",
                    path.display()
                )
            }
            IntegrityError::Mismatch { path, .. } => format!(
                "La somme de contrôle de {} ne correspond pas au manifeste : fichier corrompu, tronqué ou remplacé. Il n'a pas été chargé.",
                path.display()
            ),
        }
    }
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct VerifiedFiles {
    files: BTreeMap<String, VerifiedFile>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct VerifiedFile {
    size: u64,
    modified_ns: u128,
    sha256: String,
}

/// SHA-256 of a file, streamed.
pub fn sha256_file(path: &Path) -> Result<String, IntegrityError> {
    let err = |source| IntegrityError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = fs::File::open(path).map_err(err)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buffer).map_err(err)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}

/// Checks files against expected checksums, with a cache of verified files.
pub struct ChecksumCache {
    path: Option<PathBuf>,
}

impl ChecksumCache {
    /// A cache stored in `data_dir/verified.json`.
    pub fn in_dir(data_dir: &Path) -> Self {
        Self {
            path: Some(data_dir.join("verified.json")),
        }
    }

    /// No cache: every check hashes the file.
    pub fn disabled() -> Self {
        Self { path: None }
    }

    /// Verifies `file` has SHA-256 `expected` (hashing only if size or mtime changed).
    pub fn verify(&self, file: &Path, expected: &str) -> Result<(), IntegrityError> {
        let actual = self.sha256(file)?;
        if actual.eq_ignore_ascii_case(expected) {
            Ok(())
        } else {
            Err(IntegrityError::Mismatch {
                path: file.to_path_buf(),
                expected: expected.to_string(),
                actual,
            })
        }
    }

    /// SHA-256 of `file`, from the cache when size and mtime are unchanged.
    pub fn sha256(&self, file: &Path) -> Result<String, IntegrityError> {
        let meta = fs::metadata(file).map_err(|source| IntegrityError::Io {
            path: file.to_path_buf(),
            source,
        })?;
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let key = fs::canonicalize(file)
            .unwrap_or_else(|_| file.to_path_buf())
            .to_string_lossy()
            .to_string();
        let mut cache = self.load();
        if let Some(known) = cache.files.get(&key)
            && known.size == meta.len()
            && known.modified_ns == modified_ns
            && modified_ns != 0
        {
            return Ok(known.sha256.clone());
        }
        let sha256 = sha256_file(file)?;
        cache.files.insert(
            key,
            VerifiedFile {
                size: meta.len(),
                modified_ns,
                sha256: sha256.clone(),
            },
        );
        self.store(&cache);
        Ok(sha256)
    }

    fn load(&self) -> VerifiedFiles {
        self.path
            .as_ref()
            .and_then(|p| fs::read_to_string(p).ok())
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default()
    }

    fn store(&self, cache: &VerifiedFiles) {
        let Some(path) = &self.path else { return };
        let Ok(json) = serde_json::to_vec_pretty(cache) else {
            return;
        };
        // Atomic replace; a failure only costs a re-hash next time.
        let tmp = path.with_extension(format!("json.tmp-{}", std::process::id()));
        if fs::write(&tmp, json).is_ok() && fs::rename(&tmp, path).is_err() {
            let _ = fs::remove_file(&tmp);
        }
    }
}
