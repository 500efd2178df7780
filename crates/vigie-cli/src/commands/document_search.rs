//! The imported documents part of `vigie search`: the collections the profile may query,
//! searched with the question, and their hits printed with file name and page or section.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use vigie_engine::audit::AuditLog;
use vigie_engine::collection::{
    CollectionStore, DocumentHit, DocumentSource, answer_sources, search_collections,
};
use vigie_engine::policy::{Policy, PolicyError};
use vigie_engine::retrieve::Retriever;

/// What the document search found, and under which profile.
#[derive(Debug, Serialize)]
pub struct DocumentResults {
    /// Profile used.
    pub profile: String,
    /// Collections searched.
    pub searched: Vec<String>,
    /// Collections left out because the profile may not query their label.
    pub hidden: usize,
    /// Hits, best first.
    pub hits: Vec<DocumentHit>,
    /// The hits worth giving the model, with their text.
    #[serde(skip)]
    pub sources: Vec<DocumentSource>,
}

/// Searches the collections the profile may query (or the named ones, refusing any it may
/// not). A refusal of access is journaled before the error is returned.
pub fn search(
    data_dir: &Path,
    journal: &mut AuditLog,
    retriever: &Retriever,
    profile: Option<&str>,
    named: &[String],
    question: &str,
    k: usize,
) -> anyhow::Result<DocumentResults> {
    let policy = Policy::load(data_dir)?;
    policy.journal_if_changed(data_dir, journal)?;
    let profile = policy.profile(profile)?;
    let store = CollectionStore::in_data_dir(data_dir);
    let sha = retriever.embedder().identity().sha256.clone();
    let (collections, hidden) = if named.is_empty() {
        let (open, hidden) = store.open_for_profile(&policy, profile, &sha)?;
        (open, hidden.len())
    } else {
        match store.open_named(&policy, profile, named, &sha) {
            Ok(open) => (open, 0),
            Err(vigie_engine::collection::CollectionError::Policy(
                e @ PolicyError::NoClearance { .. },
            )) => {
                journal.append(
                    "access_refused",
                    serde_json::json!({ "profile": profile.name, "reason": e.to_string() }),
                )?;
                return Err(e.into());
            }
            Err(e) => return Err(e.into()),
        }
    };
    let hits = search_collections(&collections, retriever.embedder().as_ref(), question, k)?;
    let sources = answer_sources(&collections, &hits, question, k);
    Ok(DocumentResults {
        profile: profile.name.clone(),
        searched: collections
            .iter()
            .map(|c| c.manifest().name.clone())
            .collect(),
        hidden,
        hits,
        sources,
    })
}

/// Prints the document hits under the law's.
pub fn print(out: &mut impl Write, results: &DocumentResults) -> std::io::Result<()> {
    if results.searched.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "\nDocuments importés (profil {} ; collections : {}{}) :",
        results.profile,
        results.searched.join(", "),
        if results.hidden > 0 {
            format!(" ; {} hors de ce profil", results.hidden)
        } else {
            String::new()
        }
    )?;
    if results.hits.is_empty() {
        writeln!(out, "  Aucun passage trouvé.")?;
    }
    for (rank, hit) in results.hits.iter().enumerate() {
        writeln!(
            out,
            "{:>2}. {} — [{} · {}] — score {:.2}",
            rank + 1,
            hit.citation(),
            hit.collection,
            hit.label,
            hit.score
        )?;
        if !hit.headings.is_empty() {
            writeln!(out, "    {}", hit.headings.join(" › "))?;
        }
        writeln!(out, "    {}", hit.excerpt)?;
    }
    Ok(())
}
