//! The commands the page may call. Each one calls a single engine method on a blocking thread
//! and maps its error; none holds logic of its own.

use std::sync::Arc;

use serde::Serialize;
use tauri::State;
use tauri::ipc::Channel;
use vigie_engine::answer::{AnswerEvent, ModelIdentity};
use vigie_engine::assistant::{
    ArticleView, AskOutcome, Assistant, AssistantError, AssistantSettings, AssistantStatus,
    DocumentView, ExportOutcome, PolicyOverview, SearchResults,
};
use vigie_engine::document_import::{DocumentImportProgress, DocumentImportReport};
use vigie_engine::export::ExportFormat;
use vigie_engine::llm::SinkControl;
use vigie_engine::model_import::{ImportedModel, ModelImportProgress};
use vigie_engine::store::{Conversation, ConversationSummary};
use vigie_engine::versions::ArticleHistory;

use crate::state::{AppState, prepare_index_in_background};

/// An error as the page receives it: French for the agent, English for the logs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommandError {
    /// Shown in the page.
    pub message_fr: String,
    /// Logged.
    pub message: String,
}

impl CommandError {
    /// An error with both messages.
    pub fn new(message_fr: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            message_fr: message_fr.into(),
            message: message.into(),
        }
    }
}

impl From<AssistantError> for CommandError {
    fn from(e: AssistantError) -> Self {
        log::warn!("command failed: {e}");
        Self::new(e.message_fr(), e.to_string())
    }
}

type CommandResult<T> = Result<T, CommandError>;

/// Runs `work` on a blocking thread with the assistant.
async fn on_assistant<T, F>(state: &AppState, work: F) -> CommandResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Assistant) -> Result<T, AssistantError> + Send + 'static,
{
    let assistant: Arc<Assistant> = state.assistant()?;
    tauri::async_runtime::spawn_blocking(move || work(&assistant))
        .await
        .map_err(|e| {
            CommandError::new(
                "Erreur interne de Vigie : l'opération a été interrompue.",
                e.to_string(),
            )
        })?
        .map_err(CommandError::from)
}

/// Index, model, settings and corpus editions.
#[tauri::command]
pub async fn status(state: State<'_, AppState>) -> CommandResult<AssistantStatus> {
    on_assistant(&state, |a| a.status()).await
}

/// Saves the settings.
#[tauri::command]
pub async fn save_settings(
    state: State<'_, AppState>,
    settings: AssistantSettings,
) -> CommandResult<()> {
    on_assistant(&state, move |a| a.set_settings(&settings)).await
}

/// Searches without the model.
#[tauri::command]
pub async fn search(
    state: State<'_, AppState>,
    query: String,
    k: Option<usize>,
) -> CommandResult<SearchResults> {
    on_assistant(&state, move |a| a.search(&query, k.unwrap_or(10))).await
}

/// One article for the article panel.
#[tauri::command]
pub async fn article(state: State<'_, AppState>, id: String) -> CommandResult<ArticleView> {
    on_assistant(&state, move |a| a.article(&id)).await
}

/// A cited section of an imported document (if the profile may read its collection).
#[tauri::command]
pub async fn document(state: State<'_, AppState>, id: String) -> CommandResult<DocumentView> {
    on_assistant(&state, move |a| a.document(&id)).await
}

/// An article in every edition, with what changed.
#[tauri::command]
pub async fn article_history(
    state: State<'_, AppState>,
    id: String,
) -> CommandResult<ArticleHistory> {
    on_assistant(&state, move |a| a.article_history(&id)).await
}

/// Loads the chosen generation model (before a first question, to show its progress).
#[tauri::command]
pub async fn load_model(state: State<'_, AppState>) -> CommandResult<ModelIdentity> {
    on_assistant(&state, |a| a.ensure_model()).await
}

/// Answers a question, streaming the engine's events to `on_event`.
#[tauri::command]
pub async fn ask(
    state: State<'_, AppState>,
    conversation: Option<i64>,
    question: String,
    on_event: Channel<AnswerEvent>,
) -> CommandResult<AskOutcome> {
    on_assistant(&state, move |a| {
        a.ask(conversation, &question, &mut |event| {
            // A page that went away stops the generation.
            match on_event.send(event) {
                Ok(()) => SinkControl::Continue,
                Err(_) => SinkControl::Stop,
            }
        })
    })
    .await
}

/// Adds a GGUF file to the models (checksum verified when given), reporting the copy's
/// progress to `on_progress` at most every percent.
#[tauri::command]
pub async fn import_model(
    state: State<'_, AppState>,
    path: String,
    name: String,
    sha256: Option<String>,
    make_default: bool,
    on_progress: Channel<ModelImportProgress>,
) -> CommandResult<ImportedModel> {
    on_assistant(&state, move |a| {
        let mut last_percent = None;
        let expected = sha256.as_deref().map(str::trim).filter(|s| !s.is_empty());
        a.import_model(
            std::path::Path::new(path.trim()),
            name.trim(),
            expected,
            make_default,
            &mut |p| {
                let percent = p.done * 100 / p.total.max(1);
                if last_percent != Some(percent) {
                    last_percent = Some(percent);
                    // A page that went away no longer needs the progress; the copy goes on.
                    let _ = on_progress.send(p);
                }
            },
        )
    })
    .await
}

/// An import's report with its French summary, as the page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ImportedDocuments {
    /// What was done.
    #[serde(flatten)]
    pub report: DocumentImportReport,
    /// One sentence.
    pub summary_fr: String,
    /// One line per refused or unreadable document.
    pub problems_fr: Vec<String>,
}

/// Imports the documents of a file or folder into a collection, under the classification
/// policy, reporting each step to `on_progress`.
#[tauri::command]
pub async fn import_documents(
    state: State<'_, AppState>,
    path: String,
    collection: String,
    label: String,
    on_progress: Channel<DocumentImportProgress>,
) -> CommandResult<ImportedDocuments> {
    on_assistant(&state, move |a| {
        a.import_documents(
            std::path::Path::new(path.trim()),
            collection.trim(),
            label.trim(),
            &mut |p| {
                // A page that went away no longer needs the progress; the import goes on.
                let _ = on_progress.send(p);
            },
        )
        .map(|report| ImportedDocuments {
            summary_fr: report.summary_fr(),
            problems_fr: report.problems_fr(),
            report,
        })
    })
    .await
}

/// The classification policy in effect and the collections of each label.
#[tauri::command]
pub async fn policy(state: State<'_, AppState>) -> CommandResult<PolicyOverview> {
    on_assistant(&state, |a| a.policy_overview()).await
}

/// Stops the answer being generated.
#[tauri::command]
pub fn cancel(state: State<'_, AppState>) -> CommandResult<bool> {
    Ok(state.assistant()?.cancel())
}

/// Conversations, optionally filtered by title.
#[tauri::command]
pub async fn conversations(
    state: State<'_, AppState>,
    filter: Option<String>,
) -> CommandResult<Vec<ConversationSummary>> {
    on_assistant(&state, move |a| a.conversations(filter.as_deref())).await
}

/// One conversation with its messages.
#[tauri::command]
pub async fn conversation(state: State<'_, AppState>, id: i64) -> CommandResult<Conversation> {
    on_assistant(&state, move |a| a.conversation(id)).await
}

/// Renames a conversation.
#[tauri::command]
pub async fn rename_conversation(
    state: State<'_, AppState>,
    id: i64,
    title: String,
) -> CommandResult<()> {
    on_assistant(&state, move |a| a.rename_conversation(id, &title)).await
}

/// Deletes a conversation.
#[tauri::command]
pub async fn delete_conversation(state: State<'_, AppState>, id: i64) -> CommandResult<()> {
    on_assistant(&state, move |a| a.delete_conversation(id)).await
}

/// Exports a conversation (`markdown` or `html`).
#[tauri::command]
pub async fn export_conversation(
    state: State<'_, AppState>,
    id: i64,
    format: String,
) -> CommandResult<ExportOutcome> {
    let format = match format.as_str() {
        "markdown" => ExportFormat::Markdown,
        "html" => ExportFormat::Html,
        other => {
            return Err(CommandError::new(
                "Format d'export inconnu (Markdown ou HTML imprimable).",
                format!("unknown export format {other}"),
            ));
        }
    };
    on_assistant(&state, move |a| a.export(id, format)).await
}

/// Rebuilds the index in the background; progress through `status`.
#[tauri::command]
pub fn rebuild_index(state: State<'_, AppState>) -> CommandResult<()> {
    let assistant = state.assistant()?;
    prepare_index_in_background(&assistant, true);
    Ok(())
}
