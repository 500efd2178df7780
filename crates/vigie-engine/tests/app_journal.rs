//! The desktop app's journal: a journal that cannot be written stops the operation instead
//! of being logged and ignored, and a locked profile cannot be changed from the settings.

mod common;

use std::io::Write;

use vigie_engine::assistant::{Assistant, AssistantError, AssistantSettings};
use vigie_engine::policy::{DEFAULT_POLICY, POLICY_FILE, PolicyError};

fn assistant(dir: &std::path::Path) -> Assistant {
    common::small_corpus(&dir.join("corpus"), 3);
    Assistant::open(common::paths(&dir.join("data"), &dir.join("corpus")))
        .unwrap_or_else(|e| panic!("{}", e.message_fr()))
}

fn with_profile(profile: &str) -> AssistantSettings {
    AssistantSettings {
        profile: Some(profile.into()),
        ..AssistantSettings::default()
    }
}

#[test]
fn a_settings_change_the_journal_cannot_record_is_not_made() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let assistant = assistant(tmp.path());
    assistant
        .set_settings(&with_profile("public"))
        .unwrap_or_else(|e| panic!("{}", e.message_fr()));
    // The journal's last line becomes unreadable: the next entry cannot be chained.
    std::fs::OpenOptions::new()
        .append(true)
        .open(tmp.path().join("data").join("audit.jsonl"))
        .and_then(|mut f| f.write_all(b"{pas du json}\n"))
        .unwrap_or_else(|e| panic!("{e}"));
    match assistant.set_settings(&with_profile("agent")) {
        Err(AssistantError::Audit(_)) => {}
        other => panic!("{other:?}"),
    }
    let settings = assistant.settings().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(settings.profile.as_deref(), Some("public"));
}

#[test]
fn a_locked_profile_cannot_be_changed_from_the_settings() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        data.join(POLICY_FILE),
        format!("locked_profile = \"public\"\n{DEFAULT_POLICY}"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let assistant = assistant(tmp.path());
    match assistant.set_settings(&with_profile("agent")) {
        Err(AssistantError::Policy(e @ PolicyError::ProfileLocked { .. })) => {
            assert!(e.message_fr().contains("impose le profil"))
        }
        other => panic!("{other:?}"),
    }
    assistant
        .set_settings(&with_profile("public"))
        .unwrap_or_else(|e| panic!("{}", e.message_fr()));
}
