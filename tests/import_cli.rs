//! End-to-end tests of `vigie import`, `vigie policy`, `vigie collections`, `vigie doctor` and
//! the document part of `vigie search`, on the real binary and the real embedding model.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// A small corpus (the first articles of each real file): imports only need the embedder.
fn small_corpus(dir: &Path) -> PathBuf {
    let source = std::env::var("VIGIE_CORPUS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("../shared/corpus"));
    let corpus = dir.join("corpus");
    std::fs::create_dir_all(&corpus).unwrap_or_else(|e| panic!("{e}"));
    for name in ["code-des-douanes.jsonl", "cibs.jsonl"] {
        let text = std::fs::read_to_string(source.join(name)).unwrap_or_else(|e| panic!("{e}"));
        let head: Vec<&str> = text.lines().take(3).collect();
        std::fs::write(corpus.join(name), head.join("\n") + "\n").unwrap_or_else(|e| panic!("{e}"));
    }
    corpus
}

fn command(data: &Path, corpus: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_vigie"));
    c.arg("--data-dir")
        .arg(data)
        .arg("--corpus")
        .arg(corpus)
        .arg("--models")
        .arg(root().join("models"))
        .args(args)
        .env_remove("RUST_LOG")
        .env_remove("VIGIE_PROFILE");
    c
}

fn vigie(data: &Path, corpus: &Path, args: &[&str]) -> Output {
    command(data, corpus, args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run vigie: {e}"))
}

/// The arguments of `vigie import PATH --collection NAME --label LABEL`.
fn import_args<'a>(path: &'a Path, collection: &'a str, label: &'a str) -> Vec<&'a str> {
    vec![
        "import",
        path.to_str().unwrap_or(""),
        "--collection",
        collection,
        "--label",
        label,
    ]
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}

fn write(path: &Path, content: &str) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::write(path, content).unwrap_or_else(|e| panic!("{e}"));
}

fn journal_events(data: &Path) -> Vec<String> {
    std::fs::read_to_string(data.join("audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["event"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn import_refuses_marked_files_searches_by_profile_and_journals_everything() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let corpus = small_corpus(tmp.path());
    let data = tmp.path().join("data");
    let docs = tmp.path().join("docs");
    write(
        &docs.join("circulaire.md"),
        "# Circulaire\n## Objet\nLes agents contrôlent les cargaisons de vanille de Madagascar au port de Marseille.\n",
    );
    write(
        &docs.join("sous-dossier/note.html"),
        "<html><body><h1>Note</h1><p>Les conteneurs frigorifiques sont scannés à l'arrivée.</p></body></html>",
    );
    write(
        &docs.join("restreint.txt"),
        "Procédure d'infiltration des réseaux de fourmis rouges.\n\u{c}Page deux.\n\u{c}— Diffusion Restreinte —\n",
    );
    write(&docs.join("image.png"), "pas une image");

    let out = vigie(
        &data,
        &corpus,
        &[import_args(&docs, "notes", "interne"), vec!["--json"]].concat(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("Refusé : restreint.txt"), "{stderr}");
    assert!(stderr.contains("page 3"), "{stderr}");
    assert!(
        stderr.contains("image.png — format non pris en charge"),
        "{stderr}"
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        report["outcome"]["imported"].as_array().map(Vec::len),
        Some(2)
    );

    // The refused file is nowhere in the data directory; the journal names it without text.
    let journal = std::fs::read_to_string(data.join("audit.jsonl")).unwrap_or_default();
    assert!(journal.contains("restreint.txt"));
    assert!(!journal.contains("fourmis") && !journal.contains("vanille"));
    let events = journal_events(&data);
    for expected in ["policy_changed", "import_refused", "import"] {
        assert!(events.iter().any(|e| e == expected), "{events:?}");
    }

    // An agent finds the circular, cited by file and section.
    let out = vigie(
        &data,
        &corpus,
        &[
            "search",
            "--json",
            "-k",
            "1",
            "vanille de Madagascar à Marseille",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["profile"], "agent");
    assert_eq!(v["documents"][0]["document"], "circulaire.md");
    assert_eq!(v["documents"][0]["location"], "section « Objet »");
    let out = vigie(
        &data,
        &corpus,
        &["search", "-k", "1", "conteneurs frigorifiques scannés"],
    );
    assert!(
        text(&out.stdout).contains("sous-dossier/note.html, section « Note »"),
        "{}",
        text(&out.stdout)
    );

    // The public profile sees no internal collection, and may not name one.
    let out = vigie(
        &data,
        &corpus,
        &[
            "search",
            "--json",
            "--profile",
            "public",
            "vanille de Madagascar",
        ],
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["documents"].as_array().map(Vec::len), Some(0));
    let out = vigie(
        &data,
        &corpus,
        &[
            "search",
            "--profile",
            "public",
            "--collection",
            "notes",
            "vanille",
        ],
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("n'a pas accès"),
        "{}",
        text(&out.stderr)
    );
    assert!(journal_events(&data).iter().any(|e| e == "access_refused"));

    // A label closed to the AI refuses before reading anything.
    let out = vigie(
        &data,
        &corpus,
        &import_args(&docs, "dr", "diffusion-restreinte"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("interdit tout traitement"),
        "{}",
        text(&out.stderr)
    );

    // The policy, the collections and the health report.
    let out = vigie(&data, &corpus, &["policy"]);
    let shown = text(&out.stdout);
    assert!(
        shown.contains("politique livrée") && shown.contains("DIFFUSION RESTREINTE"),
        "{shown}"
    );
    assert!(shown.contains("[collections : notes]"), "{shown}");
    let out = vigie(&data, &corpus, &["doctor", "--json"]);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["journal"]["health"], "ok");
    assert_eq!(v["policy"]["health"], "ok");
    let indexes = v["indexes"].as_array().cloned().unwrap_or_default();
    assert!(
        indexes
            .iter()
            .any(|c| c["subject"] == "collection notes" && c["health"] == "ok"),
        "{indexes:?}"
    );

    // An administrator's policy replaces the shipped one, and the change is journaled.
    let admin = vigie_engine::policy::DEFAULT_POLICY.replace(
        "labels = [\"public\", \"interne\"]",
        "labels = [\"public\"]",
    );
    write(&data.join("policy.toml"), &admin);
    let out = vigie(
        &data,
        &corpus,
        &["search", "--json", "vanille de Madagascar"],
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["documents"].as_array().map(Vec::len), Some(0));
    let changes = journal_events(&data)
        .iter()
        .filter(|e| *e == "policy_changed")
        .count();
    assert_eq!(changes, 2);
    let out = vigie(&data, &corpus, &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn kill_9_during_an_import_leaves_the_collection_absent_or_whole_and_reimport_works() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let corpus = small_corpus(tmp.path());
    let data = tmp.path().join("data");
    let big = tmp.path().join("gros-dossier");
    for i in 0..60 {
        let body: String = (0..12)
            .map(|p| format!("Paragraphe {p} de la note {i} sur le contrôle des marchandises en transit et les déclarations simplifiées.\n\n"))
            .collect();
        write(
            &big.join(format!("note-{i:02}.md")),
            &format!("# Note {i}\n{body}"),
        );
    }
    let small = tmp.path().join("petit");
    write(
        &small.join("a.md"),
        "# A\nLes bureaux de Lille ouvrent à huit heures.\n",
    );

    // First a whole collection, so a killed re-import must keep it whole.
    let out = vigie(&data, &corpus, &import_args(&small, "notes", "interne"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let before = std::fs::read(data.join("collections/notes/collection.json")).unwrap_or_default();

    for collection in ["notes", "neuve"] {
        let mut child = command(&data, &corpus, &import_args(&big, collection, "interne"))
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        // Kill it while it embeds: after the policy admitted the documents.
        let stderr = child.stderr.take().unwrap_or_else(|| panic!("no stderr"));
        let started = Instant::now();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("Embeddings") || started.elapsed() > Duration::from_secs(120) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(300));
        child.kill().unwrap_or_else(|e| panic!("{e}"));
        let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            !status.success(),
            "the import finished before it was killed"
        );
    }

    // "notes" is the old collection, whole; "neuve" does not exist.
    let out = vigie(&data, &corpus, &["collections", "list", "--json"]);
    let list: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{} {e}", text(&out.stderr)));
    let names: Vec<&str> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["name"].as_str())
        .collect();
    assert_eq!(names, ["notes"]);
    assert_eq!(
        std::fs::read(data.join("collections/notes/collection.json")).unwrap_or_default(),
        before
    );
    let out = vigie(&data, &corpus, &["doctor", "--json"]);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    let indexes = v["indexes"].as_array().cloned().unwrap_or_default();
    assert!(
        indexes
            .iter()
            .any(|c| c["subject"] == "collection notes" && c["health"] == "ok"),
        "{indexes:?}"
    );
    let out = vigie(
        &data,
        &corpus,
        &["search", "--json", "bureaux de Lille huit heures"],
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["documents"][0]["document"], "a.md");

    // A re-import works and clears what the killed ones left.
    let out = vigie(&data, &corpus, &import_args(&small, "neuve", "interne"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = vigie(&data, &corpus, &import_args(&small, "notes", "interne"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let leftovers: Vec<String> = std::fs::read_dir(data.join("collections"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.contains(".building-") || n.contains(".old-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let out = vigie(&data, &corpus, &["audit", "verify"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
}

#[test]
fn an_answer_lists_the_service_documents_of_the_profile() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let corpus = small_corpus(tmp.path());
    let data = tmp.path().join("data");
    let docs = tmp.path().join("docs");
    write(
        &docs.join("consigne-tabac.md"),
        "# Consigne\n## Tabac\nLes cartouches de cigarettes saisies à Hendaye sont détruites sous huit jours.\n",
    );
    let out = vigie(&data, &corpus, &import_args(&docs, "consignes", "interne"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let question = "Que deviennent les cartouches de cigarettes saisies à Hendaye ?";
    let args = [
        "ask",
        "--json",
        "--model",
        "smollm2",
        "--max-tokens",
        "8",
        "--context-tokens",
        "1200",
        question,
    ];
    let out = vigie(&data, &corpus, &args);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v["documents"][0]["document"], "consigne-tabac.md");
    assert_eq!(v["documents"][0]["location"], "section « Tabac »");
    let mut public = args.to_vec();
    public.splice(1..1, ["--profile", "public"]);
    let out = vigie(&data, &corpus, &public);
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{} {e}", text(&out.stderr)));
    assert_eq!(v["documents"].as_array().map(Vec::len), Some(0));
    assert!(journal_events(&data).iter().any(|e| e == "documents_shown"));
}
