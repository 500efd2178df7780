//! Retrieval quality on the real corpus with the real model and a real on-disk index.
//!
//! Thresholds are the product's acceptance criteria on the development set; they are not
//! tuned per question.

mod common;

use vigie_engine::eval::{EvalReport, evaluate, read_questions};
use vigie_engine::retrieve::{HitOrigin, SearchMode};

fn report(mode: SearchMode) -> EvalReport {
    let shared = common::shared_retriever();
    let retriever = &shared.1;
    let questions = read_questions(&common::eval_questions()).unwrap_or_else(|e| panic!("{e}"));
    let results: Vec<_> = questions
        .into_iter()
        .map(|q| {
            let hits = retriever
                .search(&q.question, 10, mode)
                .unwrap_or_else(|e| panic!("{e}"))
                .hits;
            let ids = hits.into_iter().map(|h| h.id).collect();
            (q, ids)
        })
        .collect();
    evaluate(&results)
}

#[test]
fn hybrid_meets_the_acceptance_thresholds_and_beats_each_part() {
    let hybrid = report(SearchMode::Hybrid);
    let lexical = report(SearchMode::Lexical);
    let vector = report(SearchMode::Vector);
    eprintln!(
        "hybrid {:?}\nlexical {:?}\nvector {:?}",
        hybrid.overall, lexical.overall, vector.overall
    );
    assert!(
        hybrid.overall.recall_at_5 >= 0.85,
        "R@5 {}",
        hybrid.overall.recall_at_5
    );
    assert!(
        hybrid.overall.mrr_at_10 >= 0.70,
        "MRR {}",
        hybrid.overall.mrr_at_10
    );
    let numbers = &hybrid.per_kind["article-number"];
    assert_eq!(numbers.recall_at_1, 1.0);
    for other in [&lexical, &vector] {
        assert!(hybrid.overall.mrr_at_10 > other.overall.mrr_at_10);
        assert!(hybrid.overall.recall_at_5 >= other.overall.recall_at_5);
    }
}

#[test]
fn exact_lookup_puts_the_named_article_first() {
    let shared = common::shared_retriever();
    let retriever = &shared.1;
    for (question, id) in [
        ("art. 414", "CD-art-414"),
        ("article 67 bis-1", "CD-art-67-bis-1"),
        ("65 A bis", "CD-art-65-A-bis"),
        ("l'article 60-3 CD", "CD-art-60-3"),
        ("L. 312-1 CIBS", "CIBS-art-L312-1"),
    ] {
        let outcome = retriever
            .search(question, 5, SearchMode::Hybrid)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            outcome.hits.first().map(|h| h.id.as_str()),
            Some(id),
            "{question}"
        );
    }
}

#[test]
fn a_number_typed_alone_opens_that_article() {
    let shared = common::shared_retriever();
    let outcome = shared
        .1
        .search("414", 5, SearchMode::Hybrid)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        outcome.hits.first().map(|h| (h.id.as_str(), h.origin)),
        Some(("CD-art-414", HitOrigin::Lookup))
    );
}

#[test]
fn other_texts_numbers_do_not_trigger_lookup() {
    let shared = common::shared_retriever();
    let outcome = shared
        .1
        .search(
            "Que dit l'article 5 du code des douanes de l'Union ?",
            5,
            SearchMode::Hybrid,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(outcome.hits.iter().all(|h| h.origin != HitOrigin::Lookup));
    assert!(outcome.hits.iter().all(|h| h.id != "CD-art-5"));
}

#[test]
fn history_is_never_retrieved_as_law_in_force() {
    let shared = common::shared_retriever();
    let outcome = shared
        .1
        .search(
            "taxe intérieure de consommation sur les produits énergétiques",
            10,
            SearchMode::Hybrid,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(outcome.hits.iter().all(|h| !h.id.starts_with("CD2019-")));
}

#[test]
fn empty_and_huge_questions_have_defined_behaviour() {
    let shared = common::shared_retriever();
    assert!(shared.1.search("   ", 5, SearchMode::Hybrid).is_err());
    let huge = "contrebande de tabac ".repeat(5_000);
    let outcome = shared
        .1
        .search(&huge, 5, SearchMode::Hybrid)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!outcome.hits.is_empty());
    let garbage: String = (0..2_000u32)
        .filter_map(|i| char::from_u32(0x2500 + (i * 7919) % 4000))
        .collect();
    assert!(shared.1.search(&garbage, 5, SearchMode::Hybrid).is_ok());
}
