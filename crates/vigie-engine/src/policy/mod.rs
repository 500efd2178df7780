//! The classification policy: sensitivity labels, which of them the AI may process, the
//! markers that force a label, and the profiles that may query each label.
//!
//! A default policy ships inside the binary (`default-policy.toml`); an administrator replaces
//! it whole with `policy.toml` in the data directory. The policy is checked completely when
//! loaded (unknown labels in markers or profiles, duplicates, a missing default profile are
//! errors, never silently ignored), because a typo in a security file must not widen access.
//!
//! Imports ask [`Policy::admit`] before anything is stored; searches ask
//! [`Policy::check_access`] before a collection is opened. Every change of the effective
//! policy is journaled once ([`Policy::journal_if_changed`]).

pub mod markers;

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::audit::{AuditError, AuditLog};

/// The policy shipped with Vigie.
pub const DEFAULT_POLICY: &str = include_str!("default-policy.toml");
/// File name of the administrator's policy in the data directory.
pub const POLICY_FILE: &str = "policy.toml";

/// A sensitivity label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Label {
    /// Name (`public`, `interne`…).
    pub name: String,
    /// What it covers.
    #[serde(default)]
    pub description: String,
    /// Whether documents of this label may be processed by the AI at all.
    pub ai_allowed: bool,
}

/// A text marker that forces a label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Marker {
    /// The stamp, e.g. `DIFFUSION RESTREINTE`.
    pub text: String,
    /// Label it forces.
    pub label: String,
    /// Match in any case (otherwise only as written, usually upper case).
    #[serde(default)]
    pub ignore_case: bool,
}

/// Who may query which labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Name (`agent`…).
    pub name: String,
    /// What it is for.
    #[serde(default)]
    pub description: String,
    /// Labels whose collections it may query.
    pub labels: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile {
    default_profile: String,
    #[serde(default)]
    locked_profile: Option<String>,
    labels: Vec<Label>,
    #[serde(default)]
    markers: Vec<Marker>,
    profiles: Vec<Profile>,
}

/// Where the policy in effect comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "path")]
pub enum PolicySource {
    /// The policy shipped with Vigie.
    Default,
    /// The administrator's file.
    File(PathBuf),
}

/// The policy in effect.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Policy {
    /// Where it comes from.
    pub source: PolicySource,
    /// SHA-256 of its text.
    pub sha256: String,
    /// Profile used when none is named.
    pub default_profile: String,
    /// The only profile this workstation may use, whatever its settings or a command line
    /// ask (a kiosk locked to `public`).
    pub locked_profile: Option<String>,
    /// Labels, least sensitive first.
    pub labels: Vec<Label>,
    /// Markers, in file order (the first one found is reported).
    pub markers: Vec<Marker>,
    /// Profiles.
    pub profiles: Vec<Profile>,
}

/// Why a document may not be imported: the rule that refuses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Refusal {
    /// The label asked for is not in the policy.
    UnknownLabel {
        /// Label asked for.
        label: String,
    },
    /// The label asked for may not be processed by the AI.
    LabelNotForAi {
        /// Label asked for.
        label: String,
    },
    /// A marker forces a label the AI may not process.
    MarkerNotForAi {
        /// The marker as the policy writes it.
        marker: String,
        /// Label it forces.
        label: String,
        /// Where it was found, for the user (`page 3`, `section « Objet »`…). Never
        /// serialized: a heading is text of the refused document, and the journal keeps
        /// forever what it is given.
        #[serde(skip_serializing)]
        location: String,
        /// Where it was found, without any text of the document (`page 3`, `section 2`):
        /// what the journal records.
        place: String,
    },
    /// A marker forces a label more sensitive than the collection's.
    MarkerAboveCollection {
        /// The marker.
        marker: String,
        /// Label it forces.
        label: String,
        /// The collection's label.
        collection_label: String,
        /// Where it was found, for the user (never serialized, see
        /// [`Refusal::MarkerNotForAi`]).
        #[serde(skip_serializing)]
        location: String,
        /// Where it was found, without any text of the document.
        place: String,
    },
}

impl Refusal {
    /// A French message naming the rule.
    pub fn message_fr(&self) -> String {
        match self {
            Refusal::UnknownLabel { label } => format!(
                "le niveau « {label} » n'existe pas dans la politique de classification \
                 (voir `vigie policy`)"
            ),
            Refusal::LabelNotForAi { label } => format!(
                "la politique interdit tout traitement par l'IA des documents de niveau « {label} »"
            ),
            Refusal::MarkerNotForAi {
                marker,
                label,
                location,
                ..
            } => format!(
                "mention « {marker} » trouvée ({location}) : elle impose le niveau « {label} », \
                 que la politique interdit de traiter par l'IA"
            ),
            Refusal::MarkerAboveCollection {
                marker,
                label,
                collection_label,
                location,
                ..
            } => format!(
                "mention « {marker} » trouvée ({location}) : elle impose le niveau « {label} », \
                 plus sensible que celui de la collection (« {collection_label} »)"
            ),
        }
    }
}

/// Text of one page or section of a document, as the policy sees it.
pub struct PageText<'a> {
    /// `page 3`, `section « Objet »`…
    pub location: &'a str,
    /// The same place without any text of the document (`page 3`, `section 2`).
    pub place: String,
    /// Extracted text.
    pub text: &'a str,
}

/// Why the policy could not be loaded or used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The file could not be read.
    #[error("{path}: {source}")]
    Io {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The policy is malformed or inconsistent.
    #[error("invalid policy {source_name}: {reason}")]
    Invalid {
        /// `default` or the file path.
        source_name: String,
        /// What is wrong.
        reason: String,
    },
    /// No such profile.
    #[error("unknown profile {0}")]
    UnknownProfile(String),
    /// The policy locks this workstation to another profile.
    #[error("profile {asked} refused: the policy locks this workstation to {locked}")]
    ProfileLocked {
        /// Profile asked for.
        asked: String,
        /// The only profile allowed.
        locked: String,
    },
    /// The profile may not query this label.
    #[error("profile {profile} may not query label {label} (collection {collection})")]
    NoClearance {
        /// Profile.
        profile: String,
        /// Label of the collection.
        label: String,
        /// Collection asked for.
        collection: String,
    },
    /// Journaling a policy change failed.
    #[error(transparent)]
    Audit(#[from] AuditError),
}

impl PolicyError {
    /// A French message for the user.
    pub fn message_fr(&self) -> String {
        match self {
            PolicyError::Io { path, source } => format!(
                "Politique de classification illisible ({}) : {source}",
                path.display()
            ),
            PolicyError::Invalid {
                source_name,
                reason,
            } => format!(
                "Politique de classification invalide ({source_name}) : {reason}. Rien n'a été \
                 fait ; corrigez le fichier."
            ),
            PolicyError::UnknownProfile(name) => {
                format!("Profil inconnu : « {name} » (les profils sont listés par `vigie policy`).")
            }
            PolicyError::ProfileLocked { asked, locked } => format!(
                "Profil « {asked} » refusé : la politique de classification impose le profil \
                 « {locked} » sur ce poste."
            ),
            PolicyError::NoClearance {
                profile,
                label,
                collection,
            } => format!(
                "Le profil « {profile} » n'a pas accès aux documents de niveau « {label} » \
                 (collection « {collection} »)."
            ),
            PolicyError::Audit(e) => e.message_fr(),
        }
    }
}

impl Policy {
    /// The policy shipped with Vigie.
    pub fn shipped() -> Result<Self, PolicyError> {
        Self::parse(DEFAULT_POLICY, PolicySource::Default)
    }

    /// The policy in effect for a data directory: its `policy.toml`, or the shipped one.
    pub fn load(data_dir: &Path) -> Result<Self, PolicyError> {
        let path = data_dir.join(POLICY_FILE);
        match fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text, PolicySource::File(path)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::shipped(),
            Err(source) => Err(PolicyError::Io { path, source }),
        }
    }

    /// Parses and checks a policy.
    pub fn parse(text: &str, source: PolicySource) -> Result<Self, PolicyError> {
        let source_name = match &source {
            PolicySource::Default => "politique livrée".to_string(),
            PolicySource::File(p) => p.display().to_string(),
        };
        let invalid = |reason: String| PolicyError::Invalid {
            source_name: source_name.clone(),
            reason,
        };
        let file: PolicyFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        if file.labels.is_empty() {
            return Err(invalid("aucun niveau défini".into()));
        }
        let mut names = HashSet::new();
        for label in &file.labels {
            if label.name.trim().is_empty() || !names.insert(label.name.as_str()) {
                return Err(invalid(format!(
                    "niveau « {} » vide ou défini deux fois",
                    label.name
                )));
            }
        }
        for marker in &file.markers {
            if markers::fold(&marker.text, true).trim().is_empty() {
                return Err(invalid(format!("mention vide : « {} »", marker.text)));
            }
            if !names.contains(marker.label.as_str()) {
                return Err(invalid(format!(
                    "la mention « {} » impose le niveau inconnu « {} »",
                    marker.text, marker.label
                )));
            }
        }
        let mut profile_names = HashSet::new();
        for profile in &file.profiles {
            if !profile_names.insert(profile.name.as_str()) {
                return Err(invalid(format!(
                    "profil « {} » défini deux fois",
                    profile.name
                )));
            }
            if let Some(unknown) = profile.labels.iter().find(|l| !names.contains(l.as_str())) {
                return Err(invalid(format!(
                    "le profil « {} » cite le niveau inconnu « {unknown} »",
                    profile.name
                )));
            }
        }
        if !profile_names.contains(file.default_profile.as_str()) {
            return Err(invalid(format!(
                "le profil par défaut « {} » n'est pas défini",
                file.default_profile
            )));
        }
        if let Some(locked) = &file.locked_profile
            && !profile_names.contains(locked.as_str())
        {
            return Err(invalid(format!(
                "le profil imposé « {locked} » n'est pas défini"
            )));
        }
        Ok(Self {
            source,
            sha256: hex::encode(Sha256::digest(text.as_bytes())),
            default_profile: file.default_profile,
            locked_profile: file.locked_profile,
            labels: file.labels,
            markers: file.markers,
            profiles: file.profiles,
        })
    }

    /// A label by name.
    pub fn label(&self, name: &str) -> Option<&Label> {
        self.labels.iter().find(|l| l.name == name)
    }

    /// Sensitivity rank of a label (0 = least sensitive).
    pub fn rank(&self, name: &str) -> Option<usize> {
        self.labels.iter().position(|l| l.name == name)
    }

    /// A profile by name, or the default one; when the policy locks the profile, that one
    /// only (naming another is an error, never silently ignored).
    pub fn profile(&self, name: Option<&str>) -> Result<&Profile, PolicyError> {
        if let Some(locked) = &self.locked_profile
            && let Some(asked) = name.filter(|n| n != locked)
        {
            return Err(PolicyError::ProfileLocked {
                asked: asked.to_string(),
                locked: locked.clone(),
            });
        }
        let name = name
            .or(self.locked_profile.as_deref())
            .unwrap_or(&self.default_profile);
        self.profiles
            .iter()
            .find(|p| p.name == name)
            .ok_or_else(|| PolicyError::UnknownProfile(name.to_string()))
    }

    /// Whether a profile may query documents of a label (which the AI must also be allowed
    /// to process: a label forbidden to the AI is never queried, whatever the profile says).
    pub fn may_query(&self, profile: &Profile, label: &str) -> bool {
        profile.labels.iter().any(|l| l == label) && self.label(label).is_some_and(|l| l.ai_allowed)
    }

    /// Refuses access to a collection of `label` for `profile`.
    pub fn check_access(
        &self,
        profile: &Profile,
        label: &str,
        collection: &str,
    ) -> Result<(), PolicyError> {
        if self.may_query(profile, label) {
            Ok(())
        } else {
            Err(PolicyError::NoClearance {
                profile: profile.name.clone(),
                label: label.to_string(),
                collection: collection.to_string(),
            })
        }
    }

    /// Decides whether a document may enter a collection of `label`: the label must exist and
    /// be open to the AI, and no page may carry a marker forcing a label the AI may not
    /// process or one more sensitive than the collection's. Every page is checked; the first
    /// marker (in policy order, then page order) that refuses is reported.
    pub fn admit(&self, label: &str, pages: &[PageText<'_>]) -> Result<(), Refusal> {
        let Some(collection_label) = self.label(label) else {
            return Err(Refusal::UnknownLabel {
                label: label.to_string(),
            });
        };
        if !collection_label.ai_allowed {
            return Err(Refusal::LabelNotForAi {
                label: label.to_string(),
            });
        }
        let collection_rank = self.rank(label).unwrap_or(0);
        let folded: Vec<(&PageText<'_>, markers::FoldedText, markers::FoldedText)> = pages
            .iter()
            .map(|p| {
                (
                    p,
                    markers::FoldedText::new(p.text, false),
                    markers::FoldedText::new(p.text, true),
                )
            })
            .collect();
        for marker in &self.markers {
            let Some(forced) = self.label(&marker.label) else {
                continue;
            };
            let forced_rank = self.rank(&marker.label).unwrap_or(usize::MAX);
            if forced.ai_allowed && forced_rank <= collection_rank {
                continue;
            }
            let Some(pattern) = markers::MarkerPattern::new(&marker.text, marker.ignore_case)
            else {
                continue;
            };
            let found = folded.iter().find(|(_, exact, upper)| {
                let text = if marker.ignore_case { upper } else { exact };
                pattern.find_in(text).is_some()
            });
            if let Some((page, _, _)) = found {
                let (location, place) = (page.location.to_string(), page.place.clone());
                return Err(if forced.ai_allowed {
                    Refusal::MarkerAboveCollection {
                        marker: marker.text.clone(),
                        label: marker.label.clone(),
                        collection_label: label.to_string(),
                        location,
                        place,
                    }
                } else {
                    Refusal::MarkerNotForAi {
                        marker: marker.text.clone(),
                        label: marker.label.clone(),
                        location,
                        place,
                    }
                });
            }
        }
        Ok(())
    }

    /// Journals a `policy_changed` entry if the policy in effect differs from the one the
    /// journal last recorded (in a `policy_changed` entry or in the `policy_sha256` of any
    /// later entry). The journal itself is the reference, not a file beside the policy that
    /// whoever edits the policy could edit too. Returns whether it did.
    pub fn journal_if_changed(
        &self,
        data_dir: &Path,
        journal: &mut AuditLog,
    ) -> Result<bool, PolicyError> {
        let previous = last_journaled_policy(data_dir)?;
        if previous.as_deref() == Some(self.sha256.as_str()) {
            return Ok(false);
        }
        let source = match &self.source {
            PolicySource::Default => "default".to_string(),
            PolicySource::File(p) => p.display().to_string(),
        };
        journal.append(
            "policy_changed",
            serde_json::json!({
                "from_sha256": previous,
                "to_sha256": self.sha256,
                "source": source,
                "locked_profile": self.locked_profile,
                "labels": self.labels.iter().map(|l| serde_json::json!({
                    "name": l.name, "ai_allowed": l.ai_allowed
                })).collect::<Vec<_>>(),
                "markers": self.markers.iter().map(|m| &m.text).collect::<Vec<_>>(),
                "profiles": self.profiles.iter().map(|p| serde_json::json!({
                    "name": p.name, "labels": p.labels
                })).collect::<Vec<_>>(),
            }),
        )?;
        Ok(true)
    }
}

/// The hash of the policy the journal of `data_dir` last recorded.
fn last_journaled_policy(data_dir: &Path) -> Result<Option<String>, PolicyError> {
    let entries = crate::audit::entries_between(data_dir, None, None)?;
    Ok(entries.iter().rev().find_map(|entry| {
        let key = if entry.event == "policy_changed" {
            "to_sha256"
        } else {
            "policy_sha256"
        };
        entry.data.get(key)?.as_str().map(str::to_string)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shipped() -> Policy {
        Policy::shipped().unwrap_or_else(|e| panic!("{e}"))
    }

    fn page<'a>(location: &'a str, text: &'a str) -> PageText<'a> {
        PageText {
            location,
            place: location.to_string(),
            text,
        }
    }

    #[test]
    fn shipped_policy_is_valid_and_ordered() {
        let p = shipped();
        assert_eq!(p.rank("public"), Some(0));
        assert!(p.label("interdit-ia").is_some_and(|l| !l.ai_allowed));
        assert_eq!(p.profile(None).map(|p| p.name.as_str()).ok(), Some("agent"));
    }

    #[test]
    fn a_marker_on_a_late_page_refuses_the_document() {
        let p = shipped();
        let pages = [
            page("page 1", "Circulaire relative aux contrôles."),
            page("page 2", "Suite du texte."),
            page("page 3", "DIFFUSION RESTREINTE"),
        ];
        match p.admit("interne", &pages) {
            Err(Refusal::MarkerNotForAi {
                label, location, ..
            }) => {
                assert_eq!(label, "diffusion-restreinte");
                assert_eq!(location, "page 3");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn labels_closed_to_the_ai_and_unknown_labels_are_refused() {
        let p = shipped();
        let pages = [page("page 1", "texte")];
        assert!(matches!(
            p.admit("interdit-ia", &pages),
            Err(Refusal::LabelNotForAi { .. })
        ));
        assert!(matches!(
            p.admit("tres-secret", &pages),
            Err(Refusal::UnknownLabel { .. })
        ));
        assert!(p.admit("public", &pages).is_ok());
    }

    #[test]
    fn an_internal_stamp_keeps_a_document_out_of_a_public_collection_only() {
        let p = shipped();
        let pages = [page(
            "section « En-tête »",
            "USAGE INTERNE — note de service",
        )];
        assert!(matches!(
            p.admit("public", &pages),
            Err(Refusal::MarkerAboveCollection { .. })
        ));
        assert!(p.admit("interne", &pages).is_ok());
    }

    #[test]
    fn common_words_are_not_stamps() {
        let p = shipped();
        let pages = [page(
            "page 1",
            "Les agents sont tenus au secret professionnel ; le secrétariat confidentiel…",
        )];
        assert!(p.admit("interne", &pages).is_ok());
    }

    #[test]
    fn profiles_only_query_their_labels() {
        let p = shipped();
        let public = p.profile(Some("public")).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.may_query(public, "public"));
        assert!(!p.may_query(public, "interne"));
        assert!(matches!(
            p.check_access(public, "interne", "notes"),
            Err(PolicyError::NoClearance { .. })
        ));
        assert!(matches!(
            p.profile(Some("inconnu")),
            Err(PolicyError::UnknownProfile(_))
        ));
    }

    #[test]
    fn a_policy_change_is_journaled_even_when_a_file_beside_it_says_it_was_seen() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dir = tmp.path();
        let mut journal = AuditLog::open(dir).unwrap_or_else(|e| panic!("{e}"));
        let changed = |journal: &mut AuditLog| {
            Policy::load(dir)
                .and_then(|p| p.journal_if_changed(dir, journal))
                .unwrap_or_else(|e| panic!("{e}"))
        };
        assert!(changed(&mut journal));
        assert!(!changed(&mut journal));
        // Someone widens the policy and writes the hash file the previous version trusted.
        let wider = DEFAULT_POLICY.replace(
            "labels = [\"public\"]",
            "labels = [\"public\", \"interne\"]",
        );
        fs::write(dir.join(POLICY_FILE), &wider).unwrap_or_else(|e| panic!("{e}"));
        let sha = hex::encode(Sha256::digest(wider.as_bytes()));
        fs::write(dir.join("policy.seen"), &sha).unwrap_or_else(|e| panic!("{e}"));
        assert!(changed(&mut journal));
        let entries =
            crate::audit::entries_between(dir, None, None).unwrap_or_else(|e| panic!("{e}"));
        let last = entries.last().unwrap_or_else(|| panic!("no entry"));
        assert_eq!(last.event, "policy_changed");
        assert_eq!(last.data["to_sha256"], sha.as_str());
        // An entry recording the policy's hash counts as having seen it.
        journal
            .append("import", serde_json::json!({ "policy_sha256": "autre" }))
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(changed(&mut journal));
    }

    #[test]
    fn a_policy_can_lock_the_profile_of_a_workstation() {
        let kiosk = format!("locked_profile = \"public\"\n{DEFAULT_POLICY}");
        let p = Policy::parse(&kiosk, PolicySource::Default).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            p.profile(None).map(|p| p.name.as_str()).ok(),
            Some("public")
        );
        assert_eq!(
            p.profile(Some("public")).map(|p| p.name.as_str()).ok(),
            Some("public")
        );
        match p.profile(Some("agent")) {
            Err(e @ PolicyError::ProfileLocked { .. }) => {
                assert!(e.message_fr().contains("impose le profil « public »"))
            }
            other => panic!("{other:?}"),
        }
        let unknown = format!("locked_profile = \"chef\"\n{DEFAULT_POLICY}");
        assert!(matches!(
            Policy::parse(&unknown, PolicySource::Default),
            Err(PolicyError::Invalid { .. })
        ));
        // Without a lock, any defined profile may be chosen.
        assert!(shipped().profile(Some("public")).is_ok());
    }

    #[test]
    fn inconsistent_policies_are_rejected() {
        let bad_marker = DEFAULT_POLICY.replace(
            "label = \"diffusion-restreinte\"\nignore_case",
            "label = \"restreint\"\nignore_case",
        );
        assert!(matches!(
            Policy::parse(&bad_marker, PolicySource::Default),
            Err(PolicyError::Invalid { .. })
        ));
        let bad_default =
            DEFAULT_POLICY.replace("default_profile = \"agent\"", "default_profile = \"chef\"");
        assert!(Policy::parse(&bad_default, PolicySource::Default).is_err());
        let unknown_key = format!("{DEFAULT_POLICY}\nallow_everything = true\n");
        assert!(Policy::parse(&unknown_key, PolicySource::Default).is_err());
    }
}
