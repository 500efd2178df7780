//! Correspondence tables built by the tests themselves over real article numbers of the
//! corpus (no invented table is shipped): a rename, a split, a merge, a repeal and a new
//! article, then bad tables that must be refused whole.

mod common;

use std::path::{Path, PathBuf};

use vigie_engine::corpus::{CODE_CIBS, CODE_DOUANES, Corpus};
use vigie_engine::versions::correspondence::{
    CorrespondenceError, CorrespondenceKind, CorrespondenceSet, correspondence_dir, import_table,
    remove_table,
};

fn corpus() -> Corpus {
    Corpus::load(&common::corpus_dir()).unwrap_or_else(|e| panic!("{e}"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path
}

/// Rename (CD 265 → CIBS L. 312-1), split (CD 60 → CD 60-1 and 60-2), merge (CD 45 and
/// CD 411 → CD 414-2), repeal (CD 413) and a new article (CD 59 unvicies).
const GOOD_CSV: &str = "\
ancien_code;ancien_article;nouveau_code;nouveaux_articles;nature;date
CD;265;CIBS;L. 312-1;reprise à droit constant;2022-01-01
Code des douanes;60;CD;60-1, 60-2;modifié;01/01/2024
CD;art. 45;CD;414-2;reprise;
CD;411;CD;414-2;modifie;
CD;413;;;abrogé;2020-01-01
;;CD;59 unvicies;nouveau;
";

fn stored_files(data: &Path) -> Vec<String> {
    match std::fs::read_dir(correspondence_dir(data)) {
        Ok(entries) => entries
            .flatten()
            .map(|e| e.file_name().to_string_lossy().to_string())
            .collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn a_good_csv_table_gives_successors_and_predecessors_both_ways() {
    let c = corpus();
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = write(tmp.path(), "essai recodification.csv", GOOD_CSV);
    let data = tmp.path().join("data");
    let table = import_table(&c, &data, &file, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(table.name, "essai-recodification");
    assert_eq!(table.rows.len(), 6);
    assert_eq!(stored_files(&data), vec!["essai-recodification.json"]);

    let set = CorrespondenceSet::load(&data).unwrap_or_else(|e| panic!("{e}"));
    // Rename across codes.
    let s = set.successors(CODE_DOUANES, "265");
    assert_eq!(s.len(), 1);
    assert_eq!(
        (s[0].code.as_str(), s[0].article.as_str()),
        (CODE_CIBS, "L. 312-1")
    );
    assert_eq!(s[0].kind, CorrespondenceKind::Reprise);
    assert_eq!(s[0].date.as_deref(), Some("2022-01-01"));
    assert_eq!(set.predecessors(CODE_CIBS, "L312-1")[0].article, "265");
    // Split: two successors, in order.
    let split: Vec<String> = set
        .successors(CODE_DOUANES, "60")
        .into_iter()
        .map(|l| l.article)
        .collect();
    assert_eq!(split, vec!["60-1", "60-2"]);
    assert_eq!(
        set.successors(CODE_DOUANES, "60")[0].date.as_deref(),
        Some("2024-01-01")
    );
    // Merge: two predecessors.
    let merged: Vec<String> = set
        .predecessors(CODE_DOUANES, "414-2")
        .into_iter()
        .map(|l| l.article)
        .collect();
    assert_eq!(merged, vec!["45", "411"]);
    // Repeal and creation.
    let repealed = set.about(CODE_DOUANES, "413");
    assert!(repealed.successors.is_empty());
    assert_eq!(repealed.repealed.len(), 1);
    assert_eq!(set.about(CODE_DOUANES, "59 unvicies").created.len(), 1);
    assert!(set.about(CODE_DOUANES, "1").is_empty());

    remove_table(&data, "essai-recodification").unwrap_or_else(|e| panic!("{e}"));
    assert!(stored_files(&data).is_empty());
    assert!(matches!(
        remove_table(&data, "essai-recodification"),
        Err(CorrespondenceError::NotFound(_))
    ));
}

#[test]
fn a_json_table_with_ascii_kinds_is_read_like_the_csv() {
    let c = corpus();
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = write(
        tmp.path(),
        "table.json",
        r#"{"lignes": [
            {"ancien_code": "CD", "ancien_article": "60", "nouveau_code": "CD",
             "nouveaux_articles": ["60-1", "60-2"], "nature": "modifie", "date": "2024-01-01"},
            {"ancien_code": "CD", "ancien_article": "413", "nouveau_code": null,
             "nouveaux_articles": [], "nature": "abroge"}
        ]}"#,
    );
    let data = tmp.path().join("data");
    let table =
        import_table(&c, &data, &file, Some("officielle")).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(table.name, "officielle");
    let set = CorrespondenceSet::load(&data).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(set.successors(CODE_DOUANES, "60").len(), 2);
    assert_eq!(set.predecessors(CODE_DOUANES, "60-2")[0].article, "60");
    // The same name cannot be imported twice.
    assert!(matches!(
        import_table(&c, &data, &file, Some("officielle")),
        Err(CorrespondenceError::NameTaken(_))
    ));
}

/// Imports a bad table and checks the error and that nothing was stored.
fn refused(csv: &str) -> CorrespondenceError {
    let c = corpus();
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = write(tmp.path(), "mauvaise.csv", csv);
    let data = tmp.path().join("data");
    let error = match import_table(&c, &data, &file, None) {
        Ok(_) => panic!("a bad table was imported"),
        Err(e) => e,
    };
    assert!(stored_files(&data).is_empty(), "something was stored");
    let message = error.message_fr();
    assert!(message.contains("mauvaise.csv"), "{message}");
    assert!(message.contains("Rien n'a été importé"), "{message}");
    error
}

const HEADER: &str = "ancien_code,ancien_article,nouveau_code,nouveaux_articles,nature,date\n";

#[test]
fn an_unknown_article_is_refused_with_file_line_and_article() {
    let error = refused(&format!(
        "{HEADER}CD,265,CIBS,L. 312-1,reprise,\nCD,9999 bis,CD,60-1,reprise,\n"
    ));
    match &error {
        CorrespondenceError::UnknownArticle { place, article, .. } => {
            assert_eq!(place.line, 3);
            assert_eq!(article, "9999 bis");
        }
        other => panic!("unexpected {other:?}"),
    }
    let message = error.message_fr();
    assert!(
        message.contains("ligne 3") && message.contains("9999 bis"),
        "{message}"
    );
}

#[test]
fn duplicates_are_refused() {
    let error = refused(&format!(
        "{HEADER}CD,265,CIBS,L. 312-1,reprise,\nCD,265,CIBS,L312-1,reprise,\n"
    ));
    assert!(
        matches!(&error, CorrespondenceError::Duplicate { place, .. } if place.line == 3),
        "{error:?}"
    );
    assert!(
        error.message_fr().contains("ligne 2"),
        "{}",
        error.message_fr()
    );
    let twice_repealed = refused(&format!("{HEADER}CD,413,,,abrogé,\nCD,413,,,abroge,\n"));
    assert!(matches!(
        twice_repealed,
        CorrespondenceError::Duplicate { .. }
    ));
}

#[test]
fn cycles_are_refused() {
    let error = refused(&format!(
        "{HEADER}CD,60,CD,60-1,reprise,\nCD,60-1,CD,414-2,reprise,\nCD,414-2,CD,60,reprise,\n"
    ));
    match &error {
        CorrespondenceError::Cycle { chain, .. } => {
            assert_eq!(chain.first(), chain.last());
            assert_eq!(chain.len(), 4, "{chain:?}");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(error.message_fr().contains("cycle"));
    let self_loop = refused(&format!("{HEADER}CD,60,CD,60,reprise,\n"));
    assert!(matches!(self_loop, CorrespondenceError::Cycle { .. }));
}

#[test]
fn inconsistent_rows_are_refused() {
    let repealed_with_successor = refused(&format!("{HEADER}CD,413,CD,60-1,abrogé,\n"));
    assert!(matches!(
        repealed_with_successor,
        CorrespondenceError::Inconsistent { .. }
    ));
    let new_with_predecessor = refused(&format!("{HEADER}CD,413,CD,60-1,nouveau,\n"));
    assert!(matches!(
        new_with_predecessor,
        CorrespondenceError::Inconsistent { .. }
    ));
    let repealed_and_taken_over = refused(&format!(
        "{HEADER}CD,413,,,abrogé,\nCD,413,CD,60-1,reprise,\n"
    ));
    assert!(matches!(
        repealed_and_taken_over,
        CorrespondenceError::Inconsistent { .. }
    ));
    let taken_over_without_new = refused(&format!("{HEADER}CD,413,,,reprise,\n"));
    assert!(matches!(
        taken_over_without_new,
        CorrespondenceError::Inconsistent { .. }
    ));
}

#[test]
fn malformed_tables_are_refused() {
    let short_line = refused(&format!("{HEADER}CD,265,CIBS\n"));
    assert!(matches!(&short_line, CorrespondenceError::Malformed { place, .. } if place.line == 2));
    let bad_kind = refused(&format!("{HEADER}CD,265,CIBS,L. 312-1,déplacé,\n"));
    assert!(matches!(bad_kind, CorrespondenceError::Malformed { .. }));
    let bad_date = refused(&format!("{HEADER}CD,265,CIBS,L. 312-1,reprise,demain\n"));
    assert!(matches!(bad_date, CorrespondenceError::Malformed { .. }));
    let unknown_code = refused(&format!(
        "{HEADER}Code de la route,265,CIBS,L. 312-1,reprise,\n"
    ));
    assert!(matches!(
        unknown_code,
        CorrespondenceError::UnknownCode { .. }
    ));
    let no_rows = refused(HEADER);
    assert!(matches!(no_rows, CorrespondenceError::Empty(_)));
}

#[test]
fn a_table_contradicting_a_stored_one_is_refused_and_the_stored_one_kept() {
    let c = corpus();
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = tmp.path().join("data");
    let first = write(
        tmp.path(),
        "a.csv",
        &format!("{HEADER}CD,60,CD,60-1,reprise,\n"),
    );
    import_table(&c, &data, &first, None).unwrap_or_else(|e| panic!("{e}"));
    let back = write(
        tmp.path(),
        "b.csv",
        &format!("{HEADER}CD,60-1,CD,60,reprise,\n"),
    );
    let error = match import_table(&c, &data, &back, None) {
        Ok(_) => panic!("a cycle across tables was imported"),
        Err(e) => e,
    };
    assert!(
        matches!(error, CorrespondenceError::Cycle { .. }),
        "{error:?}"
    );
    let again = write(
        tmp.path(),
        "c.csv",
        &format!("{HEADER}CD,60,CD,60-1,modifié,\n"),
    );
    let error = match import_table(&c, &data, &again, None) {
        Ok(_) => panic!("a duplicate across tables was imported"),
        Err(e) => e,
    };
    assert!(
        error.message_fr().contains("« a »"),
        "{}",
        error.message_fr()
    );
    assert_eq!(stored_files(&data), vec!["a.json"]);
}
