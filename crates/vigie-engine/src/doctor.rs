//! The health of an installation in one report: models (present, checksum), the law's index
//! and each collection's (manifest valid, stale or damaged), the classification policy and
//! the audit journal (chain verified, head).
//!
//! Nothing is repaired or rebuilt here, and no model is loaded: an administrator runs this to
//! see what the next start would find. Each check is independent, so one broken part does not
//! hide the state of the others.

use serde::Serialize;

use crate::audit;
use crate::collection::CollectionStore;
use crate::config::Paths;
use crate::corpus::Corpus;
use crate::index::{IndexExpectation, IndexManifest, current_parameters};
use crate::integrity::ChecksumCache;
use crate::policy::{Policy, PolicySource};
use crate::registry::{ModelRegistry, ModelRole};

/// State of one checked part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Usable.
    Ok,
    /// Not there yet (an index not built, a model not provisioned).
    Missing,
    /// Built from something else: will be rebuilt.
    Stale,
    /// Damaged or inconsistent: needs attention.
    Damaged,
}

impl Health {
    /// French word for the state.
    pub fn label_fr(self) -> &'static str {
        match self {
            Health::Ok => "valide",
            Health::Missing => "absent",
            Health::Stale => "périmé",
            Health::Damaged => "endommagé",
        }
    }
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked (`modèle e5-small`, `index du droit en vigueur`…).
    pub subject: String,
    /// Its state.
    pub health: Health,
    /// Details, in French.
    pub detail: String,
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthReport {
    /// Models of the manifest.
    pub models: Vec<Check>,
    /// Indexes (law in force, then each collection).
    pub indexes: Vec<Check>,
    /// The classification policy.
    pub policy: Check,
    /// The audit journal.
    pub journal: Check,
}

impl HealthReport {
    /// Whether everything is usable (missing indexes count as usable: they are built on use).
    pub fn all_ok(&self) -> bool {
        self.models
            .iter()
            .chain(&self.indexes)
            .chain([&self.policy, &self.journal])
            .all(|c| matches!(c.health, Health::Ok | Health::Missing | Health::Stale))
    }
}

/// Checks everything of an installation.
pub fn examine(paths: &Paths) -> HealthReport {
    let checksums = ChecksumCache::in_dir(&paths.data_dir);
    let mut models = Vec::new();
    let mut embedder_sha = None;
    match ModelRegistry::open(&paths.models_dir) {
        Err(e) => models.push(Check {
            subject: "manifeste des modèles".into(),
            health: Health::Damaged,
            detail: e.message_fr(),
        }),
        Ok(registry) => {
            if let Ok(entry) = registry.default_for(ModelRole::Embedding) {
                embedder_sha = Some(entry.sha256.clone());
            }
            for entry in registry.models() {
                let subject = format!("modèle {} ({:?})", entry.name, entry.role).to_lowercase();
                let check = match registry.path_of(entry) {
                    Err(e) => Check {
                        subject,
                        health: Health::Missing,
                        detail: e.message_fr(),
                    },
                    Ok(path) => {
                        let weights = if path.is_dir() {
                            path.join("model.safetensors")
                        } else {
                            path
                        };
                        if !weights.exists() {
                            Check {
                                subject,
                                health: Health::Missing,
                                detail: format!("{} absent", weights.display()),
                            }
                        } else {
                            match checksums.verify(&weights, &entry.sha256) {
                                Ok(()) => Check {
                                    subject,
                                    health: Health::Ok,
                                    detail: format!(
                                        "SHA-256 {} conforme au manifeste",
                                        short(&entry.sha256)
                                    ),
                                },
                                Err(e) => Check {
                                    subject,
                                    health: Health::Damaged,
                                    detail: e.message_fr(),
                                },
                            }
                        }
                    }
                };
                models.push(check);
            }
        }
    }

    let mut indexes = Vec::new();
    let law_subject = "index du droit en vigueur".to_string();
    let law = match (Corpus::load(&paths.corpus_dir), &embedder_sha) {
        (Err(e), _) => Check {
            subject: law_subject,
            health: Health::Damaged,
            detail: format!("corpus illisible : {}", e.message_fr()),
        },
        (Ok(_), None) => Check {
            subject: law_subject,
            health: Health::Missing,
            detail: "aucun modèle d'embeddings par défaut dans le manifeste".into(),
        },
        (Ok(corpus), Some(sha)) => index_check(
            law_subject,
            &paths.index_dir(),
            &IndexExpectation {
                corpus_hash: corpus.hash_in_force(),
                embedder_sha256: sha.clone(),
                parameters: current_parameters(),
            },
        ),
    };
    indexes.push(law);

    let store = CollectionStore::in_data_dir(&paths.data_dir);
    for name in store.names() {
        let subject = format!("collection {name}");
        let check = match store.manifest(&name) {
            Err(e) => Check {
                subject,
                health: Health::Damaged,
                detail: e.message_fr(),
            },
            Ok(manifest) => {
                let summary = format!(
                    "niveau {}, {} document(s), {} sections",
                    manifest.label,
                    manifest.documents.len(),
                    manifest.sections
                );
                match &embedder_sha {
                    Some(sha) => match store.open(&name, sha) {
                        Ok(_) => Check {
                            subject,
                            health: Health::Ok,
                            detail: format!("{summary} ; manifeste et sommes de contrôle vérifiés"),
                        },
                        Err(e) => {
                            let health = match &e {
                                crate::collection::CollectionError::Index(
                                    crate::index::IndexError::Stale(_),
                                ) => Health::Stale,
                                _ => Health::Damaged,
                            };
                            Check {
                                subject,
                                health,
                                detail: format!("{summary} ; {}", e.message_fr()),
                            }
                        }
                    },
                    None => Check {
                        subject,
                        health: Health::Missing,
                        detail: summary,
                    },
                }
            }
        };
        indexes.push(check);
    }

    let policy = match Policy::load(&paths.data_dir) {
        Ok(p) => Check {
            subject: "politique de classification".into(),
            health: Health::Ok,
            detail: format!(
                "{} ; SHA-256 {} ; {} niveaux ({} interdits à l'IA), {} mentions, {} profils \
                 (défaut : {})",
                match &p.source {
                    PolicySource::Default => "politique livrée".to_string(),
                    PolicySource::File(f) => f.display().to_string(),
                },
                short(&p.sha256),
                p.labels.len(),
                p.labels.iter().filter(|l| !l.ai_allowed).count(),
                p.markers.len(),
                p.profiles.len(),
                p.default_profile
            ),
        },
        Err(e) => Check {
            subject: "politique de classification".into(),
            health: Health::Damaged,
            detail: e.message_fr(),
        },
    };

    let journal = match audit::verify(&paths.data_dir, None) {
        Ok(v) => Check {
            subject: "journal d'audit".into(),
            health: Health::Ok,
            detail: format!("chaîne vérifiée : {} entrées, tête {}", v.entries, v.head),
        },
        Err(e) => Check {
            subject: "journal d'audit".into(),
            health: Health::Damaged,
            detail: e.message_fr(),
        },
    };

    HealthReport {
        models,
        indexes,
        policy,
        journal,
    }
}

fn index_check(subject: String, dir: &std::path::Path, expected: &IndexExpectation) -> Check {
    let manifest = match IndexManifest::read(dir) {
        Ok(m) => m,
        Err(e) => {
            let health = if matches!(e, crate::index::IndexError::Missing(_)) {
                Health::Missing
            } else {
                Health::Damaged
            };
            return Check {
                subject,
                health,
                detail: e.message_fr(),
            };
        }
    };
    if let Err(e) = manifest.check_matches(expected) {
        return Check {
            subject,
            health: Health::Stale,
            detail: e.message_fr(),
        };
    }
    match manifest.check_files(dir) {
        Ok(()) => Check {
            subject,
            health: Health::Ok,
            detail: format!(
                "{} passages, {} fichiers vérifiés (SHA-256)",
                manifest.vector_count,
                manifest.files.len()
            ),
        },
        Err(e) => Check {
            subject,
            health: Health::Damaged,
            detail: e.message_fr(),
        },
    }
}

fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}
