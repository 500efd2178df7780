//! End-to-end tests of the `vigie` binary on the real corpus, the real embedding model and a
//! real on-disk index (shared with the engine's tests under `target/test-data`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn corpus() -> PathBuf {
    std::env::var("VIGIE_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("../shared/corpus"))
}

fn vigie(data_dir: &Path, corpus_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vigie"))
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--corpus")
        .arg(corpus_dir)
        .arg("--models")
        .arg(root().join("models"))
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .unwrap_or_else(|e| panic!("cannot run vigie: {e}"))
}

/// The shared data directory, with its index built once for this test binary.
fn indexed() -> &'static Path {
    static READY: OnceLock<PathBuf> = OnceLock::new();
    READY.get_or_init(|| {
        let dir = root().join("target").join("test-data");
        let out = vigie(&dir, &corpus(), &["index"]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "invalid JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

#[test]
fn search_json_follows_the_contract() {
    let out = vigie(
        indexed(),
        &corpus(),
        &["search", "--json", "-k", "3", "art. 414"],
    );
    let v = json(&out);
    assert_eq!(v["query"], "art. 414");
    let hits = v["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("no hits array"));
    assert_eq!(hits.len(), 3);
    let first = &hits[0];
    assert_eq!(first["id"], "CD-art-414");
    assert_eq!(first["article"], "414");
    assert_eq!(first["code"], "Code des douanes");
    assert!(first["path"].as_array().is_some_and(|p| !p.is_empty()));
    assert!(
        first["score"]
            .as_f64()
            .is_some_and(|s| (0.0..=1.0).contains(&s))
    );
    assert!(first["excerpt"].as_str().is_some_and(|e| !e.is_empty()));
}

#[test]
fn search_questions_file_prints_one_line_per_question() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let file = tmp.path().join("q.jsonl");
    std::fs::write(
        &file,
        "{\"qid\": \"a\", \"question\": \"Que dit l'article 419 ?\"}\n{\"qid\": \"b\", \"question\": \"accise sur la bière\"}\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let file_arg = file.to_string_lossy().to_string();
    let out = vigie(
        indexed(),
        &corpus(),
        &["search", "--json", "-k", "5", "--questions", &file_arg],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["qid"], "a");
    assert_eq!(lines[0]["hits"][0]["id"], "CD-art-419");
    assert_eq!(lines[1]["qid"], "b");
    assert_eq!(lines[1]["hits"].as_array().map(Vec::len), Some(5));
}

#[test]
fn eval_reports_the_three_rankings() {
    let questions = corpus().join("../eval/dev-questions.jsonl");
    let out = vigie(
        indexed(),
        &corpus(),
        &[
            "eval",
            "--json",
            "--questions",
            &questions.to_string_lossy(),
        ],
    );
    let v = json(&out);
    for mode in ["hybrid", "lexical", "vector"] {
        let mrr = v[mode]["overall"]["mrr_at_10"].as_f64().unwrap_or(-1.0);
        assert!((0.0..=1.0).contains(&mrr), "{mode}: {mrr}");
    }
    assert_eq!(
        v["hybrid"]["per_kind"]["article-number"]["recall_at_1"],
        1.0
    );
}

#[test]
fn malformed_corpus_is_reported_in_french_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let bad = tmp.path().join("corpus");
    std::fs::create_dir_all(&bad).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(bad.join("x.jsonl"), "{\"id\": \"a\"\n").unwrap_or_else(|e| panic!("{e}"));
    let out = vigie(&tmp.path().join("data"), &bad, &["search", "douane"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Corpus invalide"), "{stderr}");
    assert!(stderr.contains("x.jsonl, ligne 1"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn empty_question_is_a_clear_error_not_a_panic() {
    let out = vigie(indexed(), &corpus(), &["search", "   "]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("La question est vide"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn diff_json_lists_the_four_groups() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = vigie(
        tmp.path(),
        &corpus(),
        &[
            "diff",
            "--from",
            "2019-07-01",
            "--to",
            "2025-07-13",
            "--code",
            "Code des douanes",
            "--json",
        ],
    );
    let v = json(&out);
    let count = |k: &str| v[k].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(
        (
            count("added"),
            count("repealed"),
            count("modified"),
            count("unchanged")
        ),
        (67, 112, 100, 310)
    );
}

#[test]
fn article_history_json_has_editions_and_diffs() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let out = vigie(
        tmp.path(),
        &corpus(),
        &["article", "416", "--history", "--json"],
    );
    let v = json(&out);
    assert_eq!(v["article"], "416");
    assert_eq!(v["code"], "Code des douanes");
    assert_eq!(v["editions"].as_array().map(Vec::len), Some(2));
    assert_eq!(v["editions"][0]["edition"], "2019-07-01");
    assert_eq!(v["diffs"][0]["from"], "2019-07-01");
    let ops: Vec<&str> = v["diffs"][0]["changes"]
        .as_array()
        .map(|c| c.iter().filter_map(|x| x["op"].as_str()).collect())
        .unwrap_or_default();
    assert!(ops.contains(&"insert") && ops.contains(&"delete"));
    // As it stood in 2021: the 2019 edition.
    let out = vigie(
        tmp.path(),
        &corpus(),
        &["article", "416", "--edition", "2021-01-01", "--json"],
    );
    let v = json(&out);
    assert_eq!(v["editions"][0]["edition"], "2019-07-01");
    assert!(
        v["editions"][0]["text"]
            .as_str()
            .is_some_and(|t| t.contains("10 000 euros"))
    );
    // An unknown article is a French error.
    let out = vigie(tmp.path(), &corpus(), &["article", "9999"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("Aucun article 9999"));
}

#[test]
fn searches_are_journaled_and_the_journal_verifies() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The journal lives in the data directory; use a private one that shares the built index.
    let data = tmp.path().join("data");
    std::fs::create_dir_all(data.join("index")).unwrap_or_else(|e| panic!("{e}"));
    let shared_index = indexed().join("index").join("inforce");
    let status = Command::new("cp")
        .arg("-r")
        .arg(&shared_index)
        .arg(data.join("index").join("inforce"))
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success());
    let out = vigie(
        &data,
        &corpus(),
        &["search", "--json", "-k", "2", "art. 414"],
    );
    json(&out);
    let out = vigie(&data, &corpus(), &["audit", "head"]);
    assert!(out.status.success());
    let head = String::from_utf8_lossy(&out.stdout).trim().to_string();
    // The policy in force is recorded at the first use, then the search.
    assert!(head.starts_with("2:"), "{head}");
    let out = vigie(&data, &corpus(), &["audit", "verify", "--head", &head]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = vigie(&data, &corpus(), &["audit", "export", "--format", "csv"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("CD-art-414"));
    // Tamper with the entry: verification fails and says where.
    let journal = data.join("audit.jsonl");
    let text = std::fs::read_to_string(&journal).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&journal, text.replace("art. 414", "art. 415"))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = vigie(&data, &corpus(), &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ligne 2"));
}

#[test]
fn ask_json_follows_the_contract_and_is_journaled() {
    let data = indexed();
    let out = vigie(
        data,
        &corpus(),
        &[
            "ask",
            "--json",
            "--model",
            "smollm2",
            "--max-tokens",
            "24",
            "--context-tokens",
            "1200",
            "Que prévoit l'article 414 du code des douanes ?",
        ],
    );
    let answer = json(&out);
    assert!(answer["question"].is_string());
    assert!(answer["answer"].is_string());
    assert_eq!(answer["abstained"], false);
    assert_eq!(answer["sources"][0], "CD-art-414");
    // Named by number: answered from that article, with confidence.
    assert_eq!(answer["confidence"], "high");
    assert_eq!(answer["confidence_signals"]["named_article"], true);
    assert_eq!(answer["model"]["name"], "smollm2");
    assert_eq!(answer["model"]["sha256"].as_str().map(str::len), Some(64));
    assert!(answer["corpus"]["hash"].is_string());
    assert!(
        answer["corpus"]["editions"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    for key in ["retrieval_ms", "first_token_ms", "total_ms"] {
        assert!(answer["timings"][key].is_number(), "timings.{key}");
    }
    let sources: Vec<&str> = answer["sources"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str()).collect())
        .unwrap_or_default();
    for citation in answer["citations"].as_array().into_iter().flatten() {
        for key in [
            "id",
            "article",
            "code",
            "path",
            "edition",
            "supporting_passage",
            "valid",
        ] {
            assert!(citation.get(key).is_some(), "citation.{key}");
        }
        assert!(sources.contains(&citation["id"].as_str().unwrap_or("")));
    }
    let journal = std::fs::read_to_string(data.join("audit.jsonl")).unwrap_or_default();
    assert!(
        journal
            .lines()
            .any(|l| l.contains("\"answer\"") && l.contains("article 414"))
    );
}

#[test]
fn a_question_no_article_answers_directly_is_said_low_confidence_first_without_the_model() {
    let data = indexed();
    let question = "Quelle est la couleur de l'uniforme des agents des douanes ?";
    let out = vigie(data, &corpus(), &["ask", "--model", "smollm2", question]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let first = text.lines().next().unwrap_or("");
    assert!(
        first.starts_with("Confiance faible : Aucune disposition ne répond directement"),
        "{text}"
    );
    assert!(
        text.contains("Ce que disent les articles les plus proches"),
        "{text}"
    );
    assert!(text.contains("Articles les plus proches"), "{text}");
    assert!(!text.contains("Synthèse du modèle"), "{text}");
    assert!(!text.contains('✓'), "{text}");
    let out = vigie(
        data,
        &corpus(),
        &["ask", "--json", "--model", "smollm2", question],
    );
    let answer = json(&out);
    assert_eq!(answer["confidence"], "low");
    assert_eq!(answer["abstained"], false);
    assert!(
        answer["timings"]["first_token_ms"].is_null(),
        "the model was called"
    );
    assert_eq!(answer["citations"].as_array().map(Vec::len), Some(0));
    assert!(answer["closest"].as_array().is_some_and(|c| !c.is_empty()));
    assert!(answer["extract"].as_array().is_some_and(|e| !e.is_empty()));
    let journal = std::fs::read_to_string(data.join("audit.jsonl")).unwrap_or_default();
    assert!(
        journal
            .lines()
            .any(|l| l.contains("uniforme") && l.contains("\"confidence\":\"low\"")),
        "{journal}"
    );
}

#[test]
fn ask_abstains_on_another_code_and_refuses_an_empty_question() {
    let data = indexed();
    let out = vigie(
        data,
        &corpus(),
        &[
            "ask",
            "--json",
            "--model",
            "smollm2",
            "Que dit l'article L. 1221-1 du code du travail ?",
        ],
    );
    let answer = json(&out);
    assert_eq!(answer["abstained"], true);
    assert!(
        answer["answer"]
            .as_str()
            .is_some_and(|a| a.starts_with("Je ne trouve pas"))
    );
    assert!(answer["closest"].as_array().is_some_and(|c| !c.is_empty()));
    assert_eq!(answer["citations"].as_array().map(Vec::len), Some(0));

    let out = vigie(data, &corpus(), &["ask", "--model", "smollm2", "   "]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("La question est vide"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

#[test]
fn a_gguf_added_from_a_file_is_checked_and_listed_and_pull_needs_its_feature() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let models = tmp.path().join("models");
    std::fs::create_dir_all(&models).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(
        root().join("models/manifest.toml"),
        models.join("manifest.toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_vigie"))
            .arg("--data-dir")
            .arg(tmp.path().join("data"))
            .arg("--models")
            .arg(&models)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"))
    };
    // Not a GGUF: refused, manifest untouched.
    let junk = tmp.path().join("junk.gguf");
    std::fs::write(&junk, b"not a model").unwrap_or_else(|e| panic!("{e}"));
    let out = run(&[
        "models",
        "add",
        junk.to_str().unwrap_or(""),
        "--name",
        "junk",
    ]);
    assert!(!out.status.success());
    let manifest = std::fs::read_to_string(models.join("manifest.toml")).unwrap_or_default();
    assert!(!manifest.contains("junk"));

    let gguf = root().join("models/SmolLM2-135M-Instruct.Q4_1.gguf");
    let out = run(&[
        "models",
        "add",
        gguf.to_str().unwrap_or(""),
        "--name",
        "petit",
        "--default",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["models", "list", "--json"]);
    let listed = json(&out);
    let text = listed.to_string();
    assert!(text.contains("\"petit\""), "{text}");
    let out = run(&["models", "verify", "petit"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The same name twice is refused.
    let out = run(&[
        "models",
        "add",
        gguf.to_str().unwrap_or(""),
        "--name",
        "petit",
    ]);
    assert!(!out.status.success());

    let out = run(&[
        "models", "pull", "--repo", "x/y", "--file", "m.gguf", "--name", "m",
    ]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("sans téléchargement"), "{stderr}");
}

#[test]
fn correspondence_tables_are_imported_listed_shown_and_removed() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = tmp.path().join("data");
    // A table made by the test over real numbers: a rename and a repeal.
    let table = tmp.path().join("essai.csv");
    std::fs::write(
        &table,
        "ancien_code;ancien_article;nouveau_code;nouveaux_articles;nature;date\n\
         CD;265;CIBS;L. 312-1;reprise à droit constant;2022-01-01\n\
         CD;413;;;abrogé;\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let path = table.to_string_lossy().to_string();
    let out = vigie(
        &data,
        &corpus(),
        &["correspondance", "import", &path, "--nom", "essai"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("« essai » importée : 2 lignes"));

    let v = json(&vigie(
        &data,
        &corpus(),
        &["correspondance", "list", "--json"],
    ));
    assert_eq!(v["tables"][0]["name"], "essai");

    let v = json(&vigie(&data, &corpus(), &["article", "265", "--json"]));
    assert_eq!(v["correspondence"]["successors"][0]["article"], "L. 312-1");
    assert_eq!(v["correspondence"]["successors"][0]["kind"], "reprise");
    let out = vigie(&data, &corpus(), &["article", "265"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Devenu : CIBS art. L. 312-1"), "{text}");
    let v = json(&vigie(&data, &corpus(), &["article", "L. 312-1", "--json"]));
    assert_eq!(v["correspondence"]["predecessors"][0]["article"], "265");

    // A bad table (unknown article) is refused whole, in French, with file and line.
    let bad = tmp.path().join("mauvaise.csv");
    std::fs::write(
        &bad,
        "ancien_code,ancien_article,nouveau_code,nouveaux_articles,nature,date\n\
         CD,60,CD,60-1,reprise,\nCD,9999,CD,60-2,reprise,\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let out = vigie(
        &data,
        &corpus(),
        &["correspondance", "import", &bad.to_string_lossy()],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("mauvaise.csv, ligne 3") && err.contains("9999"),
        "{err}"
    );
    assert!(err.contains("Rien n'a été importé"), "{err}");
    let v = json(&vigie(
        &data,
        &corpus(),
        &["correspondance", "list", "--json"],
    ));
    assert_eq!(v["tables"].as_array().map(Vec::len), Some(1));

    let out = vigie(&data, &corpus(), &["correspondance", "remove", "essai"]);
    assert!(out.status.success());
    let v = json(&vigie(&data, &corpus(), &["article", "265", "--json"]));
    assert_eq!(
        v["correspondence"]["successors"].as_array().map(Vec::len),
        Some(0)
    );
}

#[test]
fn search_at_a_date_returns_the_edition_of_that_date() {
    let data = indexed();
    let v = json(&vigie(
        data,
        &corpus(),
        &[
            "search",
            "--json",
            "-k",
            "3",
            "que disait l'article 60 en 2019 ?",
        ],
    ));
    assert_eq!(v["date"], "2019-12-31");
    assert_eq!(v["hits"][0]["id"], "CD2019-art-60");
    assert_eq!(v["hits"][0]["edition"], "2019-07-01");
    assert_eq!(v["editions"][0]["edition"], "2019-07-01");
    let v = json(&vigie(
        data,
        &corpus(),
        &[
            "search",
            "--json",
            "-k",
            "3",
            "--date",
            "2020-06-30",
            "article 416",
        ],
    ));
    assert_eq!(v["hits"][0]["id"], "CD2019-art-416");
    // Without a date: the law in force, and no `date` key.
    let v = json(&vigie(
        data,
        &corpus(),
        &["search", "--json", "-k", "3", "article 416"],
    ));
    assert_eq!(v["hits"][0]["id"], "CD-art-416");
    assert!(v.get("date").is_none());
}
