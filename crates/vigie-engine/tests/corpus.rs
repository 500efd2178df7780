//! The real corpus: loading, editions, article numbers, chunking, malformed input.

mod common;

use vigie_engine::corpus::{Corpus, CorpusError, MAX_CHUNK_BYTES, chunk_article};

fn corpus() -> Corpus {
    Corpus::load(&common::corpus_dir()).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn loads_every_edition_and_marks_the_latest_in_force() {
    let c = corpus();
    let summary: Vec<(String, String, usize, bool)> = c
        .editions()
        .iter()
        .map(|e| (e.code.clone(), e.date.clone(), e.articles, e.in_force))
        .collect();
    assert!(summary.contains(&("Code des douanes".into(), "2025-07-13".into(), 477, true)));
    assert!(summary.contains(&("Code des douanes".into(), "2019-07-01".into(), 522, false)));
    assert!(summary.contains(&(
        "Code des impositions sur les biens et services".into(),
        "2025-07-13".into(),
        1447,
        true
    )));
    assert_eq!(c.articles_in_force().count(), 477 + 1447);
    assert!(c.articles_in_force().all(|a| !a.id.starts_with("CD2019-")));
    let a = c.get("CD-art-414").unwrap_or_else(|| panic!("414 missing"));
    assert_eq!(a.article, "414");
    assert!(!a.path.is_empty());
    assert_eq!(a.edition, "2025-07-13");
}

#[test]
fn corpus_hash_is_stable_and_content_based() {
    let a = corpus().hash_in_force();
    let b = corpus().hash_in_force();
    assert_eq!(a, b);
    assert_eq!(a.len(), 64);
}

#[test]
fn every_article_number_of_the_corpus_is_found_by_lookup() {
    let c = corpus();
    let mut failures = Vec::new();
    for article in c.articles_in_force() {
        let suffix = if article.code.starts_with("Code des impositions") {
            "du CIBS"
        } else {
            "du code des douanes"
        };
        for question in [
            format!("Que dit l'article {} {suffix} ?", article.article),
            format!("art. {}", article.article),
        ] {
            let found = c.lookup_mentions(&question);
            if found.first().map(|a| a.id.as_str()) != Some(article.id.as_str()) {
                failures.push(format!("{question} -> {:?}", found.first().map(|a| &a.id)));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures: {:?}",
        failures.len(),
        &failures[..failures.len().min(20)]
    );
}

#[test]
fn loose_spellings_agents_type_are_understood() {
    let c = corpus();
    let cases = [
        ("art. 414", "CD-art-414"),
        ("article 67 bis-1", "CD-art-67-bis-1"),
        ("Montre-moi l'article 65 A bis", "CD-art-65-A-bis"),
        ("l'article 60-3 CD", "CD-art-60-3"),
        ("L. 312-1 CIBS", "CIBS-art-L312-1"),
        ("L312-1 du CIBS", "CIBS-art-L312-1"),
        ("Que prévoit l'art. 343 CD ?", "CD-art-343"),
        ("L'article 67 D-3, c'est quoi ?", "CD-art-67-D-3"),
        ("art 414-2 CD", "CD-art-414-2"),
    ];
    for (question, id) in cases {
        let found = c.lookup_mentions(question);
        assert_eq!(found.first().map(|a| a.id.as_str()), Some(id), "{question}");
    }
}

#[test]
fn numbers_of_other_texts_are_not_taken_for_ours() {
    let c = corpus();
    for question in [
        "Que dit l'article 5 du code des douanes de l'Union ?",
        "article L. 1221-1 du code du travail",
        "l'article 414 du code pénal",
        "article R. 413-17 du code de la route",
    ] {
        assert!(c.lookup_mentions(question).is_empty(), "{question}");
    }
}

#[test]
fn chunks_of_real_articles_cover_them_exactly_on_word_boundaries() {
    let c = corpus();
    let mut long_articles = 0;
    for article in c.articles_in_force() {
        let chunks = chunk_article(article);
        assert!(!chunks.is_empty(), "{}", article.id);
        assert_eq!(chunks[0].start, 0);
        assert_eq!(chunks.last().map(|ch| ch.end), Some(article.text.len()));
        for pair in chunks.windows(2) {
            assert_eq!(pair[0].end, pair[1].start, "{}", article.id);
            let before = article.text[..pair[1].start].chars().last();
            let after = article.text[pair[1].start..].chars().next();
            let inside_word = before.is_some_and(char::is_alphanumeric)
                && after.is_some_and(char::is_alphanumeric);
            assert!(
                !inside_word,
                "{} cut inside a word at {}",
                article.id, pair[1].start
            );
        }
        for ch in &chunks {
            assert!(
                article.text.is_char_boundary(ch.start) && article.text.is_char_boundary(ch.end)
            );
            assert!(
                ch.end - ch.start <= MAX_CHUNK_BYTES,
                "{} chunk too long",
                article.id
            );
            assert_eq!(ch.article_id, article.id);
        }
        if article.text.len() > 10_000 {
            long_articles += 1;
            assert!(
                chunks.len() >= 8,
                "{} has only {} chunks",
                article.id,
                chunks.len()
            );
        }
    }
    assert!(long_articles > 0);
}

#[test]
fn a_malformed_line_fails_the_whole_load_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let real = std::fs::read_to_string(common::corpus_dir().join("code-des-douanes.jsonl"))
        .unwrap_or_else(|e| panic!("{e}"));
    let mut lines: Vec<&str> = real.lines().take(10).collect();
    lines.insert(4, "{\"id\": \"CD-art-x\", \"code\": ");
    std::fs::write(dir.path().join("a.jsonl"), lines.join("\n")).unwrap_or_else(|e| panic!("{e}"));
    match Corpus::load(dir.path()) {
        Err(CorpusError::MalformedLine { path, line, .. }) => {
            assert!(path.ends_with("a.jsonl"));
            assert_eq!(line, 5);
        }
        other => panic!("expected a malformed-line error, got {other:?}"),
    }
}

#[test]
fn missing_fields_bad_dates_and_duplicates_are_rejected() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let good = r#"{"id":"X-1","code":"C","edition":"2025-07-13","article":"1","path":[],"text":"t","status":"en vigueur","date":null,"source":"s"}"#;
    let cases = [
        (
            r#"{"id":"X-1","code":"C","edition":"13/07/2025","article":"1","path":[],"text":"t","status":"s","date":null,"source":"s"}"#,
            "edition",
        ),
        (
            r#"{"id":"X-1","code":"C","edition":"2025-07-13","path":[],"text":"t","status":"s","date":null,"source":"s"}"#,
            "article",
        ),
        (
            r#"{"id":"X-1","code":"C","edition":"2025-07-13","article":"1","path":[],"text":"  ","status":"s","date":null,"source":"s"}"#,
            "empty text",
        ),
    ];
    for (line, what) in cases {
        std::fs::write(dir.path().join("a.jsonl"), format!("{good}\n{line}\n"))
            .unwrap_or_else(|e| panic!("{e}"));
        let err = Corpus::load(dir.path()).err();
        assert!(
            matches!(
                err,
                Some(CorpusError::MalformedLine { line: 2, .. })
                    | Some(CorpusError::DuplicateId { .. })
            ),
            "{what}: {err:?}"
        );
    }
    std::fs::write(dir.path().join("a.jsonl"), format!("{good}\n{good}\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        Corpus::load(dir.path()),
        Err(CorpusError::DuplicateId { .. })
    ));
    std::fs::write(dir.path().join("a.jsonl"), b"\xff\xfe{}\n").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        Corpus::load(dir.path()),
        Err(CorpusError::MalformedLine { line: 1, .. })
    ));
    let empty = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        Corpus::load(empty.path()),
        Err(CorpusError::Empty { .. })
    ));
}
