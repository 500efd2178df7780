//! Dated questions on the real corpus and index: the edition in force at the date named is
//! searched, and every hit says which edition it comes from; correspondence tables made by the
//! test lead from a number named in a question to its successors and predecessors.

mod common;

use std::sync::Arc;

use vigie_engine::retrieve::{HitOrigin, SearchMode, SearchOutcome};
use vigie_engine::versions::correspondence::{CorrespondenceSet, import_table};

fn ids(outcome: &SearchOutcome) -> Vec<&str> {
    outcome.hits.iter().map(|h| h.id.as_str()).collect()
}

fn auto(question: &str, k: usize) -> SearchOutcome {
    let shared = common::shared_retriever();
    shared
        .1
        .search_auto(question, k, SearchMode::Hybrid)
        .unwrap_or_else(|e| panic!("{question}: {e}"))
}

#[test]
fn a_dated_question_naming_an_article_gets_the_2019_text_first() {
    let outcome = auto("que disait l'article 60 en 2019 ?", 5);
    assert_eq!(outcome.hits[0].id, "CD2019-art-60");
    assert_eq!(outcome.hits[0].origin, HitOrigin::Lookup);
    assert_eq!(outcome.date.as_deref(), Some("2019-12-31"));
    assert!(outcome.hits.iter().all(|h| h.edition == "2019-07-01"));
    // The CIBS did not exist in 2019: only the Code des douanes of 2019 is searched.
    assert_eq!(outcome.editions.len(), 1);
    assert_eq!(outcome.editions[0].edition, "2019-07-01");
    assert!(!outcome.editions[0].in_force);
}

#[test]
fn paraphrased_dated_questions_retrieve_the_2019_articles() {
    let tgap = auto(
        "quelle était en 2019 la taxe générale sur les activités polluantes ?",
        5,
    );
    assert_eq!(tgap.hits[0].id, "CD2019-art-266-sexies", "{:?}", ids(&tgap));
    let visit = auto(
        "avant la réforme de 2023, comment les agents des douanes pouvaient-ils visiter les \
         marchandises et les moyens de transport ?",
        5,
    );
    assert_eq!(visit.date.as_deref(), Some("2022-12-31"));
    assert!(
        ids(&visit)[..3].contains(&"CD2019-art-60"),
        "{:?}",
        ids(&visit)
    );
}

#[test]
fn an_article_that_no_longer_exists_is_found_through_the_history_index() {
    // Article 265 left the Code des douanes for the CIBS in 2022: only the history has it.
    let outcome = auto(
        "En 2019, quels étaient les tarifs de la taxe intérieure de consommation sur les \
         produits énergétiques ?",
        5,
    );
    assert!(
        ids(&outcome).contains(&"CD2019-art-265"),
        "{:?}",
        ids(&outcome)
    );
    let hit = outcome
        .hits
        .iter()
        .find(|h| h.id == "CD2019-art-265")
        .unwrap_or_else(|| panic!("no hit"));
    assert!(hit.best_range.is_some() && hit.best_chunk.is_none());
}

#[test]
fn an_undated_question_gets_the_law_in_force() {
    let named = auto("que dit l'article 60 ?", 5);
    assert_eq!(named.hits[0].id, "CD-art-60");
    assert_eq!(named.date, None);
    let paraphrase = auto(
        "comment les agents des douanes peuvent-ils visiter les marchandises ?",
        5,
    );
    assert!(paraphrase.hits.iter().all(|h| h.edition == "2025-07-13"));
    assert!(paraphrase.editions.iter().all(|e| e.in_force));
    // A current or future year is the law in force too.
    let future = auto("que dira l'article 60 en 2030 ?", 5);
    assert_eq!(future.hits[0].id, "CD-art-60");
    assert!(future.editions.iter().all(|e| e.in_force));
}

#[test]
fn a_date_before_every_edition_is_a_clear_error() {
    let shared = common::shared_retriever();
    let error = match shared
        .1
        .search_at("article 60", 5, SearchMode::Hybrid, "2010-01-01")
    {
        Ok(_) => panic!("no edition was in force in 2010"),
        Err(e) => e,
    };
    assert!(
        error.message_fr().contains("2019-07-01"),
        "{}",
        error.message_fr()
    );
}

#[test]
fn numbers_named_follow_the_correspondence_tables_both_ways() {
    let shared = common::shared_retriever();
    let engine = &shared.0;
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = tmp.path().join("essai.csv");
    std::fs::write(
        &file,
        "ancien_code;ancien_article;nouveau_code;nouveaux_articles;nature;date\n\
         CD;265;CIBS;L. 312-1;reprise à droit constant;2022-01-01\n\
         CD;60;CD;60-1, 60-2;modifié;2023-07-20\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    import_table(engine.corpus(), tmp.path(), &file, None).unwrap_or_else(|e| panic!("{e}"));
    let set = CorrespondenceSet::load(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
    let (mut retriever, _) = engine
        .retriever(&mut |_| {})
        .unwrap_or_else(|e| panic!("{e}"));
    retriever.set_correspondence(Some(Arc::new(set)));
    let search = |q: &str| {
        retriever
            .search_auto(q, 5, SearchMode::Hybrid)
            .unwrap_or_else(|e| panic!("{e}"))
    };

    // Old number, no longer in force → its successor.
    let old = search("que prévoit l'article 265 du code des douanes ?");
    let hit = old
        .hits
        .iter()
        .find(|h| h.id == "CIBS-art-L312-1")
        .unwrap_or_else(|| panic!("{:?}", ids(&old)));
    assert_eq!(hit.origin, HitOrigin::Lookup);
    assert_eq!(hit.linked_from.as_deref(), Some("CD 265"));
    // New number → its predecessor.
    let new = search("article 60-2");
    assert_eq!(ids(&new)[0], "CD-art-60-2");
    assert!(ids(&new)[..3].contains(&"CD-art-60"), "{:?}", ids(&new));
    // At a date, links lead into the edition of that date.
    let dated = search("que disait l'article 60-1 en 2019 ?");
    assert_eq!(ids(&dated)[0], "CD2019-art-60", "{:?}", ids(&dated));
}
