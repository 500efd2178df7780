//! Conversations kept on the workstation, in one SQLite file of the data directory.
//!
//! SQLite because a conversation must survive a crash or a kill of the app without losing a
//! finished answer: each question and each answer is written in its own transaction, in WAL
//! mode with `synchronous = FULL`, before the app reports it done. A half-written answer is
//! never stored (it is only saved once complete, or marked as stopped), so there is nothing to
//! repair at the next start. The schema carries a version (`user_version`) so later releases
//! can migrate it. Answers are stored as the JSON of the engine's [`Answer`], the same object
//! `vigie ask --json` prints, so an export or an inspector reads exactly what the agent saw.
//!
//! Settings of the desktop app (chosen model, temperature, number of sources, whether the AI
//! notice was acknowledged) live in the same file: one place to back up, one place to wipe.

mod error;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

pub use error::StoreError;

use crate::answer::Answer;

/// File name of the database in the data directory.
pub const DATABASE_FILE: &str = "conversations.sqlite3";

/// Longest title kept (characters).
const TITLE_MAX_CHARS: usize = 120;

/// Schema version written in `user_version`.
const SCHEMA_VERSION: i64 = 1;

/// A conversation as listed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationSummary {
    /// Identifier.
    pub id: i64,
    /// Title (the first question, until renamed).
    pub title: String,
    /// Creation time (RFC 3339, UTC).
    pub created: String,
    /// Time of the last message.
    pub updated: String,
    /// Number of messages (questions and answers).
    pub messages: i64,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// The agent's question.
    Question,
    /// Vigie's answer.
    Answer,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Question => "question",
            Role::Answer => "answer",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "question" => Some(Role::Question),
            "answer" => Some(Role::Answer),
            _ => None,
        }
    }
}

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredMessage {
    /// Identifier.
    pub id: i64,
    /// Question or answer.
    pub role: Role,
    /// The question, or the answer text.
    pub text: String,
    /// For answers: the engine's whole answer object (citations, sources, model, corpus).
    pub answer: Option<serde_json::Value>,
    /// Whether the agent stopped the generation before its end.
    pub stopped: bool,
    /// When it was written (RFC 3339, UTC).
    pub created: String,
}

/// A conversation and its messages.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conversation {
    /// Its summary.
    pub summary: ConversationSummary,
    /// Messages, oldest first.
    pub messages: Vec<StoredMessage>,
}

/// The conversation database.
pub struct ConversationStore {
    conn: Connection,
    path: PathBuf,
}

impl std::fmt::Debug for ConversationStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConversationStore")
            .field("path", &self.path)
            .finish()
    }
}

impl ConversationStore {
    /// Opens (or creates) `conversations.sqlite3` in the data directory.
    pub fn open_in(data_dir: &Path) -> Result<Self, StoreError> {
        Self::open(&data_dir.join(DATABASE_FILE))
    }

    /// Opens (or creates) the database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let sql = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(sql)?;
        // Another process (the CLI, a second window) may hold the write lock for a moment.
        conn.busy_timeout(std::time::Duration::from_secs(5))
            .map_err(sql)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sql)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(sql)?;
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |row| row.get(0))
            .map_err(sql)?;
        if check != "ok" {
            return Err(StoreError::Damaged {
                path: path.to_path_buf(),
                detail: check,
            });
        }
        let version: i64 = conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))
            .map_err(sql)?;
        if version > SCHEMA_VERSION {
            return Err(StoreError::NewerSchema {
                path: path.to_path_buf(),
                found: version,
            });
        }
        if version < 1 {
            conn.execute_batch(
                "BEGIN;
                 CREATE TABLE IF NOT EXISTS conversations (
                     id INTEGER PRIMARY KEY,
                     title TEXT NOT NULL,
                     created TEXT NOT NULL,
                     updated TEXT NOT NULL
                 );
                 CREATE TABLE IF NOT EXISTS messages (
                     id INTEGER PRIMARY KEY,
                     conversation_id INTEGER NOT NULL
                         REFERENCES conversations(id) ON DELETE CASCADE,
                     role TEXT NOT NULL,
                     text TEXT NOT NULL,
                     answer_json TEXT,
                     stopped INTEGER NOT NULL DEFAULT 0,
                     created TEXT NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS messages_by_conversation
                     ON messages(conversation_id, id);
                 CREATE TABLE IF NOT EXISTS settings (
                     key TEXT PRIMARY KEY,
                     value TEXT NOT NULL
                 );
                 PRAGMA user_version = 1;
                 COMMIT;",
            )
            .map_err(sql)?;
        }
        Ok(Self {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// Where the database is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> StoreError + '_ {
        |source| StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Starts a conversation titled after its first question.
    pub fn create(&self, first_question: &str) -> Result<ConversationSummary, StoreError> {
        let title = title_from(first_question);
        let now = crate::audit::rfc3339_now();
        self.conn
            .execute(
                "INSERT INTO conversations (title, created, updated) VALUES (?1, ?2, ?2)",
                params![title, now],
            )
            .map_err(self.sql())?;
        let id = self.conn.last_insert_rowid();
        Ok(ConversationSummary {
            id,
            title,
            created: now.clone(),
            updated: now,
            messages: 0,
        })
    }

    /// Conversations, most recent first; with a filter, those whose title contains it (case
    /// and accents ignored).
    pub fn list(&self, filter: Option<&str>) -> Result<Vec<ConversationSummary>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT c.id, c.title, c.created, c.updated,
                        (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)
                 FROM conversations c ORDER BY c.updated DESC, c.id DESC",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], |row| {
                Ok(ConversationSummary {
                    id: row.get(0)?,
                    title: row.get(1)?,
                    created: row.get(2)?,
                    updated: row.get(3)?,
                    messages: row.get(4)?,
                })
            })
            .map_err(self.sql())?;
        let wanted = filter.map(fold).filter(|f| !f.trim().is_empty());
        let mut out = Vec::new();
        for row in rows {
            let summary = row.map_err(self.sql())?;
            if wanted
                .as_deref()
                .is_none_or(|w| fold(&summary.title).contains(w.trim()))
            {
                out.push(summary);
            }
        }
        Ok(out)
    }

    /// A conversation with its messages.
    pub fn get(&self, id: i64) -> Result<Conversation, StoreError> {
        let summary = self
            .conn
            .query_row(
                "SELECT c.id, c.title, c.created, c.updated,
                        (SELECT COUNT(*) FROM messages m WHERE m.conversation_id = c.id)
                 FROM conversations c WHERE c.id = ?1",
                [id],
                |row| {
                    Ok(ConversationSummary {
                        id: row.get(0)?,
                        title: row.get(1)?,
                        created: row.get(2)?,
                        updated: row.get(3)?,
                        messages: row.get(4)?,
                    })
                },
            )
            .optional()
            .map_err(self.sql())?
            .ok_or(StoreError::NoSuchConversation { id })?;
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, role, text, answer_json, stopped, created FROM messages
                 WHERE conversation_id = ?1 ORDER BY id",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([id], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, Option<String>>(3)?,
                    row.get::<_, bool>(4)?,
                    row.get::<_, String>(5)?,
                ))
            })
            .map_err(self.sql())?;
        let mut messages = Vec::new();
        for row in rows {
            let (mid, role, text, answer_json, stopped, created) = row.map_err(self.sql())?;
            let role = Role::parse(&role).ok_or_else(|| StoreError::Damaged {
                path: self.path.clone(),
                detail: format!("message {mid}: unknown role {role}"),
            })?;
            let answer = match answer_json {
                Some(json) => {
                    Some(
                        serde_json::from_str(&json).map_err(|e| StoreError::Damaged {
                            path: self.path.clone(),
                            detail: format!("message {mid}: {e}"),
                        })?,
                    )
                }
                None => None,
            };
            messages.push(StoredMessage {
                id: mid,
                role,
                text,
                answer,
                stopped,
                created,
            });
        }
        Ok(Conversation { summary, messages })
    }

    /// Renames a conversation.
    pub fn rename(&self, id: i64, title: &str) -> Result<(), StoreError> {
        let title = title_from(title);
        if title.is_empty() {
            return Err(StoreError::EmptyTitle);
        }
        let changed = self
            .conn
            .execute(
                "UPDATE conversations SET title = ?1 WHERE id = ?2",
                params![title, id],
            )
            .map_err(self.sql())?;
        if changed == 0 {
            return Err(StoreError::NoSuchConversation { id });
        }
        Ok(())
    }

    /// Deletes a conversation and its messages.
    pub fn delete(&self, id: i64) -> Result<(), StoreError> {
        let changed = self
            .conn
            .execute("DELETE FROM conversations WHERE id = ?1", [id])
            .map_err(self.sql())?;
        if changed == 0 {
            return Err(StoreError::NoSuchConversation { id });
        }
        Ok(())
    }

    /// Records the agent's question (committed before any answer is generated).
    pub fn add_question(&self, conversation: i64, question: &str) -> Result<i64, StoreError> {
        self.add_message(conversation, Role::Question, question, None, false)
    }

    /// Records a finished (or stopped) answer.
    pub fn add_answer(
        &self,
        conversation: i64,
        answer: &Answer,
        stopped: bool,
    ) -> Result<i64, StoreError> {
        let json = serde_json::to_string(answer).map_err(|e| StoreError::Damaged {
            path: self.path.clone(),
            detail: format!("answer not serialisable: {e}"),
        })?;
        self.add_message(
            conversation,
            Role::Answer,
            &answer.answer,
            Some(&json),
            stopped,
        )
    }

    fn add_message(
        &self,
        conversation: i64,
        role: Role,
        text: &str,
        answer_json: Option<&str>,
        stopped: bool,
    ) -> Result<i64, StoreError> {
        let now = crate::audit::rfc3339_now();
        let tx = self.conn.unchecked_transaction().map_err(self.sql())?;
        let changed = tx
            .execute(
                "UPDATE conversations SET updated = ?1 WHERE id = ?2",
                params![now, conversation],
            )
            .map_err(self.sql())?;
        if changed == 0 {
            return Err(StoreError::NoSuchConversation { id: conversation });
        }
        tx.execute(
            "INSERT INTO messages (conversation_id, role, text, answer_json, stopped, created)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![conversation, role.as_str(), text, answer_json, stopped, now],
        )
        .map_err(self.sql())?;
        let id = tx.last_insert_rowid();
        tx.commit().map_err(self.sql())?;
        Ok(id)
    }

    /// A setting (JSON value), if set.
    pub fn setting(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        let raw: Option<String> = self
            .conn
            .query_row("SELECT value FROM settings WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .optional()
            .map_err(self.sql())?;
        Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
    }

    /// Sets a setting.
    pub fn set_setting(&self, key: &str, value: &serde_json::Value) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![key, value.to_string()],
            )
            .map_err(self.sql())?;
        Ok(())
    }
}

/// A one-line title of at most [`TITLE_MAX_CHARS`] characters.
fn title_from(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut title: String = line.chars().take(TITLE_MAX_CHARS).collect();
    if line.chars().count() > TITLE_MAX_CHARS {
        title.push('…');
    }
    title
}

/// Lower case without accents, for title search.
fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'à' | 'â' | 'ä' => 'a',
            'é' | 'è' | 'ê' | 'ë' => 'e',
            'î' | 'ï' => 'i',
            'ô' | 'ö' => 'o',
            'ù' | 'û' | 'ü' => 'u',
            'ç' => 'c',
            'œ' => 'o',
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_line_and_bounded() {
        assert_eq!(title_from("  Quelle\n amende ?  "), "Quelle amende ?");
        let long = "mot ".repeat(100);
        let title = title_from(&long);
        assert_eq!(title.chars().count(), TITLE_MAX_CHARS + 1);
        assert!(title.ends_with('…'));
    }

    #[test]
    fn title_search_ignores_case_and_accents() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = ConversationStore::open_in(dir.path()).expect("open");
        store.create("Pénalités de la contrebande").expect("create");
        store.create("Entrepôt sous douane").expect("create");
        let found = store.list(Some("PENALITES")).expect("list");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].title, "Pénalités de la contrebande");
        assert_eq!(store.list(None).expect("list").len(), 2);
    }
}
