//! The desktop app's engine side, without a window: conversations in a real SQLite file, the
//! assistant over the real corpus, index and small model, exports, and a writer killed with
//! SIGKILL in the middle of its work.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use vigie_engine::answer::AnswerEvent;
use vigie_engine::assistant::{Assistant, AssistantError, AssistantSettings, IndexState};
use vigie_engine::export::{ExportFormat, render};
use vigie_engine::llm::SinkControl;
use vigie_engine::store::{ConversationStore, Role, StoreError};

/// A fresh data directory that reuses the shared test index (read only).
fn data_dir_with_shared_index(dir: &Path) -> vigie_engine::Paths {
    // Make sure the shared index exists (built once per machine).
    let _ = common::shared_retriever();
    let shared = common::shared_data_dir();
    std::os::unix::fs::symlink(shared.join("index"), dir.join("index")).expect("symlink index");
    let _ = std::fs::copy(shared.join("verified.json"), dir.join("verified.json"));
    common::paths(dir, &common::corpus_dir())
}

fn open_assistant(dir: &Path) -> Assistant {
    let paths = data_dir_with_shared_index(dir);
    // Exports go to the temp dir, not the user's documents.
    let assistant = Assistant::open(paths)
        .expect("assistant opens")
        .with_export_dir(dir.join("exports"));
    assistant.prepare_index(false).expect("index opens");
    assert!(matches!(
        assistant.index_state(),
        IndexState::Ready { rebuilt: None }
    ));
    assistant
        .set_settings(&AssistantSettings {
            model: Some("smollm2".into()),
            ..AssistantSettings::default()
        })
        .expect("settings");
    assistant
}

#[test]
fn conversations_are_created_listed_renamed_and_deleted() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = ConversationStore::open_in(dir.path()).expect("open");
    let a = store
        .create("Quelle est l'amende pour contrebande ?")
        .expect("create");
    store
        .add_question(a.id, "Quelle est l'amende pour contrebande ?")
        .expect("question");
    let b = store.create("Entrepôt sous douane").expect("create");
    assert_eq!(store.list(None).expect("list").len(), 2);

    store.rename(a.id, "Contrebande : amendes").expect("rename");
    let found = store.list(Some("contrebande")).expect("filter");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].title, "Contrebande : amendes");
    assert_eq!(found[0].messages, 1);

    store.delete(b.id).expect("delete");
    assert!(matches!(
        store.get(b.id),
        Err(StoreError::NoSuchConversation { .. })
    ));
    assert!(matches!(
        store.rename(a.id, "   "),
        Err(StoreError::EmptyTitle)
    ));
    // Reopening the file finds the same state.
    drop(store);
    let store = ConversationStore::open_in(dir.path()).expect("reopen");
    let conv = store.get(a.id).expect("get");
    assert_eq!(conv.messages.len(), 1);
    assert_eq!(conv.messages[0].role, Role::Question);
}

#[test]
fn a_damaged_database_is_reported_not_overwritten() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(vigie_engine::store::DATABASE_FILE);
    std::fs::write(&path, b"this is not a database, but the agent's file").expect("write");
    let err = ConversationStore::open(&path).expect_err("must refuse");
    assert!(
        err.message_fr().contains("conversations"),
        "{}",
        err.message_fr()
    );
    assert_eq!(
        std::fs::read(&path).expect("read"),
        b"this is not a database, but the agent's file"
    );
}

/// Child mode of the kill test: writes conversations until killed, printing each id once its
/// transaction is committed.
#[test]
fn child_writer() {
    let Ok(db) = std::env::var("VIGIE_STORE_CHILD_DB") else {
        return;
    };
    let store = ConversationStore::open(Path::new(&db)).expect("open");
    for n in 0.. {
        let c = store.create(&format!("question {n}")).expect("create");
        store
            .add_question(c.id, &format!("question {n}"))
            .expect("q");
        store
            .add_question(c.id, &"réponse ".repeat(2_000))
            .expect("a");
        println!("committed {}", c.id);
    }
}

#[test]
fn a_writer_killed_mid_write_loses_no_committed_message() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("conversations.sqlite3");
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args(["--exact", "child_writer", "--nocapture", "--test-threads=1"])
        .env("VIGIE_STORE_CHILD_DB", &db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let stdout = child.stdout.take().expect("stdout");
    let mut committed = Vec::new();
    let started = Instant::now();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        if let Some(id) = line.strip_prefix("committed ") {
            committed.push(id.parse::<i64>().expect("id"));
        }
        if committed.len() >= 20 || started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    // SIGKILL: no destructor, no flush, in the middle of the next transaction.
    child.kill().expect("kill");
    let _ = child.wait();
    assert!(committed.len() >= 5, "child committed too little");

    let store = ConversationStore::open(&db).expect("reopens after the kill");
    for id in &committed {
        let conv = store.get(*id).expect("committed conversation present");
        assert_eq!(conv.messages.len(), 2, "conversation {id} whole");
    }
    // Nothing half-written: every conversation has its two messages or none.
    for summary in store.list(None).expect("list") {
        assert!(
            summary.messages == 2 || summary.messages <= 1,
            "{summary:?}"
        );
    }
}

#[test]
fn the_assistant_searches_opens_articles_answers_stores_and_exports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let assistant = open_assistant(dir.path());

    // An article number alone opens that article.
    let results = assistant.search("414", 5).expect("search");
    assert_eq!(results.direct.as_deref(), Some("CD-art-414"));
    let results = assistant.search("L. 312-1 CIBS", 5).expect("search");
    assert!(
        results
            .direct
            .as_deref()
            .is_some_and(|id| id.starts_with("CIBS-")),
        "{:?}",
        results.direct
    );
    // A question is not taken for a reference.
    let results = assistant
        .search("quelles sanctions pour la contrebande de tabac", 5)
        .expect("search");
    assert_eq!(results.direct, None);
    assert_eq!(results.hits.len(), 5);

    let article = assistant.article("CD-art-414").expect("article");
    assert!(article.in_force);
    assert!(article.credit.contains("Licence Ouverte 2.0"));
    assert!(article.reference.starts_with("Code des douanes, art. 414"));
    let history = assistant.article_history("CD-art-414").expect("history");
    assert!(history.editions.len() >= 2);
    assert!(matches!(
        assistant.article("CD-art-nope"),
        Err(AssistantError::NoSuchArticle(_))
    ));

    // A real answer with the small model, streamed then stored.
    let mut events = Vec::new();
    let outcome = assistant
        .ask(
            None,
            "Que prévoit l'article 414 du code des douanes ?",
            &mut |e| {
                events.push(e);
                SinkControl::Continue
            },
        )
        .expect("answer");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AnswerEvent::Token { .. }))
    );
    assert!(matches!(events.last(), Some(AnswerEvent::Done { .. })));
    assert!(!outcome.stopped);
    assert!(outcome.answer.sources.iter().any(|s| s == "CD-art-414"));
    let conv = assistant
        .conversation(outcome.conversation.id)
        .expect("stored");
    assert_eq!(conv.messages.len(), 2);
    assert_eq!(conv.messages[1].text, outcome.answer.answer);

    // Follow-up in the same conversation; then the export quotes the cited articles.
    let second = assistant
        .ask(
            Some(outcome.conversation.id),
            "Et quelles sont les peines de l'article 414 ?",
            &mut |_| SinkControl::Continue,
        )
        .expect("second answer");
    assert_eq!(second.conversation.id, outcome.conversation.id);
    assert_eq!(second.conversation.messages, 4);

    let md = assistant
        .export(outcome.conversation.id, ExportFormat::Markdown)
        .expect("export");
    let text = std::fs::read_to_string(&md.path).expect("read export");
    assert!(text.contains("Que prévoit l'article 414"));
    assert!(text.contains("smollm2"));
    assert!(text.contains("intelligence artificielle"));
    let html = assistant
        .export(outcome.conversation.id, ExportFormat::Html)
        .expect("export html");
    let page = std::fs::read_to_string(&html.path).expect("read html");
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(!page.contains("<script"));

    // Every step is in the journal, and the chain holds.
    let journal = std::fs::read_to_string(dir.path().join("audit.jsonl")).expect("journal");
    for event in [
        "\"settings_changed\"",
        "\"search\"",
        "\"model_load\"",
        "\"answer\"",
        "\"export\"",
    ] {
        assert!(journal.contains(event), "journal lacks {event}");
    }
}

#[test]
fn a_stopped_answer_is_stored_as_stopped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let assistant = Arc::new(open_assistant(dir.path()));
    let mut tokens = 0;
    let stopper = Arc::clone(&assistant);
    let outcome = assistant
        .ask(
            None,
            // Named by number: answered with confidence, so the model is called.
            "Que prévoit l'article 60 du code des douanes sur la visite des marchandises ?",
            &mut |e| {
                if matches!(e, AnswerEvent::Token { .. }) {
                    tokens += 1;
                    if tokens == 3 {
                        // As the app's Stop button does, from the command thread.
                        assert!(stopper.cancel());
                    }
                }
                SinkControl::Continue
            },
        )
        .expect("answer");
    assert!(outcome.stopped);
    assert!(
        tokens < 10,
        "generation went on after the stop: {tokens} tokens"
    );
    let conv = assistant
        .conversation(outcome.conversation.id)
        .expect("stored");
    assert!(conv.messages[1].stopped);
    assert!(!assistant.cancel(), "nothing left to stop");
}

#[test]
fn bad_settings_and_questions_get_french_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let assistant = open_assistant(dir.path());
    let err = assistant
        .set_settings(&AssistantSettings {
            temperature: 7.0,
            ..AssistantSettings::default()
        })
        .expect_err("temperature out of range");
    assert!(
        err.message_fr().contains("température"),
        "{}",
        err.message_fr()
    );
    let err = assistant
        .set_settings(&AssistantSettings {
            model: Some("e5-small".into()),
            ..AssistantSettings::default()
        })
        .expect_err("embedding model is no generation model");
    assert!(!err.message_fr().is_empty());
    let err = assistant
        .ask(None, "   ", &mut |_| SinkControl::Continue)
        .expect_err("empty question");
    assert!(!err.message_fr().is_empty());
    // A refused question creates no conversation.
    assert!(assistant.conversations(None).expect("list").is_empty());
    let huge = "douane ".repeat(1_000);
    assert!(
        assistant
            .ask(None, &huge, &mut |_| SinkControl::Continue)
            .is_err()
    );
    assert!(assistant.conversations(None).expect("list").is_empty());
}

#[test]
fn export_of_a_stored_conversation_quotes_articles_and_escapes_html() {
    let shared = common::shared_retriever();
    let corpus = shared.0.corpus();
    let dir = tempfile::tempdir().expect("temp dir");
    let store = ConversationStore::open_in(dir.path()).expect("open");
    let c = store.create("<b>Contrebande</b>").expect("create");
    store
        .add_question(c.id, "Contrebande & <script>")
        .expect("q");
    let conv = store.get(c.id).expect("get");
    let md = render(
        &conv,
        corpus,
        ExportFormat::Markdown,
        "2026-11-29T08:00:00.000Z",
    );
    assert!(md.contains("# <b>Contrebande</b>"));
    assert!(md.contains("pas de réponse enregistrée"));
    let html = render(
        &conv,
        corpus,
        ExportFormat::Html,
        "2026-11-29T08:00:00.000Z",
    );
    assert!(html.contains("&lt;script&gt;"));
    assert!(!html.contains("<script>"));
}

#[test]
fn documents_imported_from_the_app_answer_under_the_profile_and_open_from_the_citation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let assistant = open_assistant(dir.path());
    let notes = dir.path().join("notes");
    std::fs::create_dir(&notes).expect("notes folder");
    std::fs::write(
        notes.join("note-scelles.txt"),
        "Note de service : les scellés posés sur les conteneurs en transit sont vérifiés par la \
         brigade de surveillance à chaque escale.\n",
    )
    .expect("note");
    std::fs::write(
        notes.join("instruction-dr.txt"),
        "Instruction cynophile\n\nDIFFUSION RESTREINTE\n\nLes chiens sont au port du Havre.\n",
    )
    .expect("marked note");

    let mut stages = Vec::new();
    let report = assistant
        .import_documents(&notes, "notes", "interne", &mut |p| stages.push(p))
        .expect("import runs");
    assert!(!report.complete(), "the marked instruction is refused");
    let outcome = report.outcome.as_ref().expect("outcome");
    assert_eq!(outcome.imported.len(), 1, "{report:?}");
    assert_eq!(outcome.refused.len(), 1);
    assert!(report.summary_fr().contains("1 document(s) importé(s)"));
    assert!(report.problems_fr()[0].starts_with("Refusé : instruction-dr.txt"));
    assert!(stages.iter().any(|s| matches!(
        s,
        vigie_engine::document_import::DocumentImportProgress::Reading { total: 2, .. }
    )));
    // A label closed to the AI is refused before anything is read.
    let refused = assistant
        .import_documents(&notes, "secret", "interdit-ia", &mut |_| {})
        .expect("refusal is a report");
    assert!(refused.label_refused.is_some() && refused.outcome.is_none());

    // The default profile (`agent`) may query `interne`: the note reaches the model.
    let question = "Qui vérifie les scellés des conteneurs en transit ?";
    let outcome = assistant
        .ask(None, question, &mut |_| SinkControl::Continue)
        .expect("answer");
    let note_id = outcome
        .answer
        .sources
        .iter()
        .find(|id| id.starts_with("DOC:notes:"))
        .unwrap_or_else(|| panic!("note not given: {:?}", outcome.answer.sources))
        .clone();
    let view = assistant.document(&note_id).expect("the cited note opens");
    assert_eq!(view.citation, "note-scelles.txt, texte intégral");
    assert_eq!(view.label, "interne");
    assert!(view.text.contains("brigade de surveillance"));
    let journal = std::fs::read_to_string(dir.path().join("audit.jsonl")).expect("journal");
    assert!(
        journal.contains("\"document_viewed\""),
        "the document view is not journaled"
    );

    // The `public` profile may not: neither in answers nor through a stored citation.
    assistant
        .set_settings(&AssistantSettings {
            model: Some("smollm2".into()),
            profile: Some("public".into()),
            ..AssistantSettings::default()
        })
        .expect("profile saved");
    let outcome = assistant
        .ask(None, question, &mut |_| SinkControl::Continue)
        .expect("answer");
    assert!(
        outcome
            .answer
            .sources
            .iter()
            .all(|id| !id.starts_with("DOC:")),
        "{:?}",
        outcome.answer.sources
    );
    assert!(matches!(
        assistant.document(&note_id),
        Err(AssistantError::NoSuchArticle(_))
    ));
    // An unknown profile is refused in French.
    let err = assistant
        .set_settings(&AssistantSettings {
            profile: Some("inconnu".into()),
            ..AssistantSettings::default()
        })
        .expect_err("unknown profile");
    assert!(err.message_fr().contains("inconnu"), "{}", err.message_fr());

    let journal = std::fs::read_to_string(dir.path().join("audit.jsonl")).expect("journal");
    assert!(journal.contains("\"import\"") && journal.contains("\"import_refused\""));
    assert!(
        !journal.contains("chiens sont au port"),
        "no document text in the journal"
    );
}
