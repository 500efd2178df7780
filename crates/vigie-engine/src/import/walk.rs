//! Finding the documents of a folder to import.
//!
//! Folders are walked iteratively in name order (the same folder always gives the same
//! import). Symbolic links are followed, but a folder already visited (by its canonical path)
//! is skipped: a link loop ends the walk of that branch instead of running forever, and a
//! link that cannot be resolved (dangling, or looping on itself) is skipped with its reason.
//! Every skipped entry is reported: an agent must know what was not imported.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::{DocumentFormat, ImportError, ImportLimits};

/// A file or folder left out, with the reason in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedFile {
    /// Path.
    pub path: PathBuf,
    /// Why (French).
    pub reason: String,
}

/// What a walk found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundDocuments {
    /// Documents to read: path, and name as cited (relative to the folder imported).
    pub files: Vec<(PathBuf, String)>,
    /// What was left out.
    pub skipped: Vec<SkippedFile>,
}

/// The documents under `root` (or `root` itself when it is a file).
pub fn find_documents(root: &Path, limits: &ImportLimits) -> Result<FoundDocuments, ImportError> {
    let metadata = fs::metadata(root).map_err(|source| ImportError::Io {
        path: root.to_path_buf(),
        source,
    })?;
    let mut found = FoundDocuments::default();
    if !metadata.is_dir() {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| root.display().to_string());
        found.files.push((root.to_path_buf(), name));
        return Ok(found);
    }
    let mut visited: HashSet<PathBuf> = HashSet::new();
    if let Ok(canonical) = fs::canonicalize(root) {
        visited.insert(canonical);
    }
    let mut stack: Vec<(PathBuf, usize)> = vec![(root.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                found.skipped.push(SkippedFile {
                    path: dir,
                    reason: format!("dossier illisible ({e})"),
                });
                continue;
            }
        };
        let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        paths.sort();
        let mut subdirs = Vec::new();
        for path in paths {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default();
            if name.starts_with('.') {
                continue;
            }
            let skip = |found: &mut FoundDocuments, reason: String| {
                found.skipped.push(SkippedFile {
                    path: path.clone(),
                    reason,
                });
            };
            // `metadata` follows links: a loop of links or a dangling link fails here.
            let metadata = match fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    let is_link = fs::symlink_metadata(&path)
                        .map(|m| m.file_type().is_symlink())
                        .unwrap_or(false);
                    let reason = if is_link && e.raw_os_error() == Some(40) {
                        "boucle de liens symboliques".to_string()
                    } else if is_link {
                        format!("lien symbolique sans cible ({e})")
                    } else {
                        format!("illisible ({e})")
                    };
                    skip(&mut found, reason);
                    continue;
                }
            };
            if metadata.is_dir() {
                let canonical = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
                if !visited.insert(canonical) {
                    skip(
                        &mut found,
                        "dossier déjà parcouru (boucle de liens symboliques)".into(),
                    );
                } else if depth + 1 > limits.max_depth {
                    skip(
                        &mut found,
                        format!("plus de {} niveaux de dossiers", limits.max_depth),
                    );
                } else {
                    subdirs.push((path, depth + 1));
                }
                continue;
            }
            if DocumentFormat::from_file_name(&name).is_none() {
                skip(&mut found, "format non pris en charge".into());
                continue;
            }
            if found.files.len() >= limits.max_files {
                skip(
                    &mut found,
                    format!("au-delà de {} fichiers par import", limits.max_files),
                );
                continue;
            }
            let cited = path
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or(name);
            found.files.push((path, cited));
        }
        // Depth-first in name order: push in reverse so the first name is walked first.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_loops_and_dangling_links_are_skipped_with_a_reason() {
        let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let root = tmp.path();
        let sub = root.join("notes");
        fs::create_dir_all(&sub).unwrap_or_else(|e| panic!("{e}"));
        fs::write(sub.join("a.txt"), "texte").unwrap_or_else(|e| panic!("{e}"));
        fs::write(root.join("image.png"), [0u8; 4]).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(root, sub.join("retour")).unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(root.join("moi"), root.join("moi"))
            .unwrap_or_else(|e| panic!("{e}"));
        std::os::unix::fs::symlink(root.join("absent"), root.join("casse.txt"))
            .unwrap_or_else(|e| panic!("{e}"));
        let found =
            find_documents(root, &ImportLimits::default()).unwrap_or_else(|e| panic!("{e}"));
        let names: Vec<&str> = found.files.iter().map(|(_, n)| n.as_str()).collect();
        assert_eq!(names, ["notes/a.txt"]);
        let reasons: Vec<String> = found
            .skipped
            .iter()
            .map(|s| format!("{} {}", s.path.display(), s.reason))
            .collect();
        assert_eq!(found.skipped.len(), 4, "{reasons:?}");
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("retour") && r.contains("déjà parcouru"))
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("moi") && r.contains("boucle"))
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("casse.txt") && r.contains("sans cible"))
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.contains("image.png") && r.contains("format"))
        );
    }
}
