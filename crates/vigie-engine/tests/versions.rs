//! Editions of the Code des douanes (2019-07-01 and 2025-07-13): comparison and history.

mod common;

use vigie_engine::corpus::{CODE_DOUANES, Corpus};
use vigie_engine::versions::{
    VersionError, article_history, code_of, compare_editions, edition_at, resolve_code,
};

fn corpus() -> Corpus {
    Corpus::load(&common::corpus_dir()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn comparison_of_the_two_editions_gives_the_published_counts() {
    let c = corpus();
    let diff = compare_editions(&c, CODE_DOUANES, "2019-07-01", "2025-07-13", None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(diff.added.len(), 67);
    assert_eq!(diff.repealed.len(), 112);
    assert_eq!(diff.modified.len(), 100);
    assert_eq!(diff.unchanged.len(), 310);
    assert!(diff.modified.contains(&"416".to_string()));
    assert!(diff.added.contains(&"60-1".to_string()));
    assert!(diff.repealed.contains(&"265".to_string()));
}

#[test]
fn comparison_can_be_limited_to_a_heading() {
    let c = corpus();
    let all = compare_editions(&c, CODE_DOUANES, "2019-07-01", "2025-07-13", None)
        .unwrap_or_else(|e| panic!("{e}"));
    let part = compare_editions(
        &c,
        CODE_DOUANES,
        "2019-07-01",
        "2025-07-13",
        Some("Titre XII"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let total = |d: &vigie_engine::versions::EditionComparison| {
        d.added.len() + d.repealed.len() + d.modified.len() + d.unchanged.len()
    };
    assert!(total(&part) > 0 && total(&part) < total(&all));
    assert!(part.modified.contains(&"414".to_string()));
}

#[test]
fn article_60_history_shows_the_2023_rewrite() {
    let c = corpus();
    let h = article_history(&c, CODE_DOUANES, "60").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.editions.len(), 2);
    assert_eq!(h.diffs.len(), 1);
    let inserted: String = h.diffs[0]
        .changes
        .iter()
        .filter(|ch| ch.op == "insert")
        .map(|ch| ch.text.as_str())
        .collect();
    assert!(inserted.contains("60-1 à 60-10"), "{inserted}");
}

#[test]
fn article_416_diff_shows_the_fine_raised_to_50_000_euros() {
    let c = corpus();
    let h = article_history(&c, CODE_DOUANES, "416").unwrap_or_else(|e| panic!("{e}"));
    let d = &h.diffs[0];
    assert_eq!(
        (d.from.as_str(), d.to.as_str()),
        ("2019-07-01", "2025-07-13")
    );
    let deleted: Vec<&str> = d
        .changes
        .iter()
        .filter(|c| c.op == "delete")
        .map(|c| c.text.as_str())
        .collect();
    let inserted: Vec<&str> = d
        .changes
        .iter()
        .filter(|c| c.op == "insert")
        .map(|c| c.text.as_str())
        .collect();
    assert!(deleted.iter().any(|t| t.contains("10")), "{deleted:?}");
    assert!(inserted.iter().any(|t| t.contains("50")), "{inserted:?}");
    let new_side: String = d
        .changes
        .iter()
        .filter(|c| c.op != "delete")
        .map(|c| c.text.as_str())
        .collect();
    assert!(new_side.contains("amende égale à 50 000 euros"));
    let old_side: String = d
        .changes
        .iter()
        .filter(|c| c.op != "insert")
        .map(|c| c.text.as_str())
        .collect();
    assert!(old_side.contains("amende égale à 10 000 euros"));
}

#[test]
fn repealed_article_shows_as_absent_from_the_current_edition() {
    let c = corpus();
    let h = article_history(&c, CODE_DOUANES, "265").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(h.editions[0].status, "en vigueur");
    assert_eq!(h.editions[1].status, "absent");
    assert!(h.diffs.is_empty());
}

#[test]
fn edition_in_force_at_a_date() {
    let c = corpus();
    assert_eq!(
        edition_at(&c, CODE_DOUANES, "2021-03-01").ok().as_deref(),
        Some("2019-07-01")
    );
    assert_eq!(
        edition_at(&c, CODE_DOUANES, "2026-01-01").ok().as_deref(),
        Some("2025-07-13")
    );
    assert!(matches!(
        edition_at(&c, CODE_DOUANES, "2010-01-01"),
        Err(VersionError::UnknownEdition { .. })
    ));
    assert!(matches!(
        edition_at(&c, CODE_DOUANES, "hier"),
        Err(VersionError::InvalidDate(_))
    ));
}

#[test]
fn codes_and_numbers_resolve() {
    let c = corpus();
    assert_eq!(
        resolve_code(&c, "CIBS").ok().as_deref(),
        Some("Code des impositions sur les biens et services")
    );
    assert!(resolve_code(&c, "code de la route").is_err());
    assert_eq!(
        code_of(&c, "L. 312-1", None).ok().as_deref(),
        Some("Code des impositions sur les biens et services")
    );
    assert_eq!(
        code_of(&c, "65 A bis", None).ok().as_deref(),
        Some(CODE_DOUANES)
    );
    assert!(matches!(
        code_of(&c, "9999", None),
        Err(VersionError::UnknownArticle(_))
    ));
}
