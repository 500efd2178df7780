//! The hash-chained audit journal: tamper detection at the right position, head recording,
//! repair of an interrupted write, and a real process killed while writing.

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};
use vigie_engine::audit::{self, AuditError, AuditLog, JournalHead};

fn write_entries(dir: &Path, n: usize) -> JournalHead {
    write_questions(dir, n, "question")
}

/// Appends `n` search entries whose questions start with `topic`.
fn write_questions(dir: &Path, n: usize, topic: &str) -> JournalHead {
    let mut log = AuditLog::open(dir).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..n {
        log.append("search", serde_json::json!({ "question": format!("{topic} {i} « accentuée »"), "hits": ["CD-art-414"] }))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    log.head().clone()
}

fn lines(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join(audit::FILE_NAME))
        .unwrap_or_else(|e| panic!("{e}"))
        .lines()
        .map(str::to_string)
        .collect()
}

fn rewrite(dir: &Path, lines: &[String]) {
    fs::write(dir.join(audit::FILE_NAME), lines.join("\n") + "\n")
        .unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn an_intact_journal_verifies_and_reports_its_head() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let head = write_entries(tmp.path(), 5);
    assert_eq!(head.seq, 5);
    let v = audit::verify(tmp.path(), Some(&head)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.entries, 5);
    assert_eq!(v.head, head);
    // Reopening continues the chain.
    let head = write_entries(tmp.path(), 2);
    assert_eq!(head.seq, 7);
    assert!(audit::verify(tmp.path(), None).is_ok());
}

#[test]
fn each_line_can_be_checked_with_common_tools() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_entries(tmp.path(), 3);
    for line in lines(tmp.path()) {
        let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}"));
        for key in ["seq", "time", "event", "prev_hash", "hash"] {
            assert!(v.get(key).is_some(), "{key} missing");
        }
        let hash = v["hash"].as_str().unwrap_or_default();
        // What `sed 's/,"hash":"[0-9a-f]*"}$/}/' | tr -d '\n' | sha256sum` computes.
        let unsigned = line.replace(&format!(",\"hash\":\"{hash}\"}}"), "}");
        assert_eq!(hex::encode(Sha256::digest(unsigned.as_bytes())), hash);
    }
}

#[test]
fn an_edited_entry_is_found_at_its_line() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_entries(tmp.path(), 6);
    let mut l = lines(tmp.path());
    l[3] = l[3].replace("question 3", "question trois");
    rewrite(tmp.path(), &l);
    match audit::verify(tmp.path(), None) {
        Err(AuditError::Modified { line: 4, seq: 4 }) => {}
        other => panic!("expected a modification at line 4, got {other:?}"),
    }
}

#[test]
fn a_removed_entry_is_found_at_its_position() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_entries(tmp.path(), 6);
    let mut l = lines(tmp.path());
    l.remove(2);
    rewrite(tmp.path(), &l);
    match audit::verify(tmp.path(), None) {
        Err(AuditError::Broken {
            line: 3,
            seq: 4,
            expected_seq: 3,
        }) => {}
        other => panic!("expected a break at line 3, got {other:?}"),
    }
}

#[test]
fn swapped_entries_are_found_at_the_first_of_them() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_entries(tmp.path(), 6);
    let mut l = lines(tmp.path());
    l.swap(1, 4);
    rewrite(tmp.path(), &l);
    match audit::verify(tmp.path(), None) {
        Err(AuditError::Broken {
            line: 2,
            seq: 5,
            expected_seq: 2,
        }) => {}
        other => panic!("expected a break at line 2, got {other:?}"),
    }
}

#[test]
fn a_rewritten_chain_is_caught_by_the_recorded_head() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let recorded = write_entries(tmp.path(), 4);
    // Rewrite the whole journal consistently with other questions: the chain verifies, the head
    // does not. (The same entries written within the same second would hash the same: the time
    // has a one-second resolution, so the forgery must differ in content to be a forgery.)
    fs::remove_file(tmp.path().join(audit::FILE_NAME)).unwrap_or_else(|e| panic!("{e}"));
    write_questions(tmp.path(), 4, "autre question");
    assert!(audit::verify(tmp.path(), None).is_ok());
    assert!(matches!(
        audit::verify(tmp.path(), Some(&recorded)),
        Err(AuditError::HeadMissing(_))
    ));
    let parsed: JournalHead = recorded
        .to_string()
        .parse()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed, recorded);
    assert!("12:xyz".parse::<JournalHead>().is_err());
}

#[test]
fn a_partial_last_entry_is_set_aside_and_recorded() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_entries(tmp.path(), 3);
    let path = tmp.path().join(audit::FILE_NAME);
    let mut bytes = fs::read(&path).unwrap_or_else(|e| panic!("{e}"));
    bytes.extend_from_slice(b"{\"seq\":4,\"time\":\"2026-");
    fs::write(&path, &bytes).unwrap_or_else(|e| panic!("{e}"));
    let log = AuditLog::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(log.head().seq, 4);
    let l = lines(tmp.path());
    assert!(l[3].contains("journal_repaired"));
    assert!(audit::verify(tmp.path(), None).is_ok());
    assert!(tmp.path().join("audit.jsonl.damaged").exists());
}

#[test]
fn export_filters_by_period_and_writes_csv() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write_entries(tmp.path(), 3);
    let all = audit::entries_between(tmp.path(), None, None).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len(), 3);
    let none = audit::entries_between(tmp.path(), Some("2999-01-01"), None)
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(none.is_empty());
    let today = &all[0].time[..10];
    let same_day = audit::entries_between(tmp.path(), Some(today), Some(today))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(same_day.len(), 3);
    let csv = audit::to_csv(&all);
    assert!(csv.starts_with("seq,time,event,data,prev_hash,hash\n"));
    assert_eq!(csv.lines().count(), 4);
    assert!(csv.contains("\"\"question\"\""));
}

/// Child side of the kill test: appends entries until killed.
#[test]
fn child_writer_for_kill_test() {
    let Ok(dir) = std::env::var("VIGIE_AUDIT_CHILD_DIR") else {
        return; // Only meaningful when started by the kill test.
    };
    let mut log = AuditLog::open(Path::new(&dir)).unwrap_or_else(|e| panic!("{e}"));
    let filler = "x".repeat(4_000);
    loop {
        log.append("search", serde_json::json!({ "question": filler }))
            .unwrap_or_else(|e| panic!("{e}"));
    }
}

#[test]
fn a_process_killed_while_writing_leaves_a_consistent_journal() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for round in 0..3 {
        let mut child =
            std::process::Command::new(std::env::current_exe().unwrap_or_else(|e| panic!("{e}")))
                .args([
                    "--exact",
                    "child_writer_for_kill_test",
                    "--nocapture",
                    "--test-threads",
                    "1",
                ])
                .env("VIGIE_AUDIT_CHILD_DIR", tmp.path())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("{e}"));
        std::thread::sleep(std::time::Duration::from_millis(300 + 100 * round));
        child.kill().unwrap_or_else(|e| panic!("{e}")); // SIGKILL
        let _ = child.wait();
        // The next open repairs whatever the kill left; the chain verifies.
        let log = AuditLog::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
        assert!(log.head().seq > 0);
        drop(log);
        audit::verify(tmp.path(), None).unwrap_or_else(|e| panic!("round {round}: {e}"));
    }
}

#[test]
fn two_writers_on_the_same_journal_keep_one_chain() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let mut app = audit::AuditLog::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
    let mut cli = audit::AuditLog::open(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
    for i in 0..5 {
        app.append("question", serde_json::json!({ "from": "app", "i": i }))
            .unwrap_or_else(|e| panic!("{e}"));
        cli.append("search", serde_json::json!({ "from": "cli", "i": i }))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let v = audit::verify(tmp.path(), Some(cli.head())).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(v.entries, 10);
    assert_eq!(cli.head().seq, 10);
}
