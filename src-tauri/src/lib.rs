//! Vigie's desktop shell: a thin Tauri 2 layer over the engine's [`Assistant`].
//!
//! The shell owns no logic. At start it opens the assistant (corpus, manifest, conversations,
//! journal) and opens or builds the index on a background thread; each command deserialises
//! its arguments, calls one engine method on a blocking thread (never on the async runtime)
//! and maps the error to a French message for the page and an English one for the logs.
//! Answers are streamed to the page through a Tauri channel carrying the engine's own
//! `AnswerEvent`. If the assistant cannot open (corpus missing, manifest broken), the window
//! still opens and every command returns that error, so the page shows it instead of a blank
//! screen.

mod commands;
mod state;

use std::sync::Arc;

use tauri::Runtime;
use vigie_engine::assistant::Assistant;
use vigie_engine::{PathOverrides, Paths};

pub use commands::CommandError;
pub use state::AppState;

/// Registers the state and the commands on a builder (the real runtime or the mock one).
pub fn with_commands<R: Runtime>(builder: tauri::Builder<R>, state: AppState) -> tauri::Builder<R> {
    builder
        .manage(state)
        .invoke_handler(tauri::generate_handler![
            commands::status,
            commands::save_settings,
            commands::search,
            commands::article,
            commands::article_history,
            commands::document,
            commands::import_documents,
            commands::load_model,
            commands::import_model,
            commands::policy,
            commands::ask,
            commands::cancel,
            commands::conversations,
            commands::conversation,
            commands::rename_conversation,
            commands::delete_conversation,
            commands::export_conversation,
            commands::rebuild_index,
        ])
}

/// Opens the assistant from the environment (`VIGIE_DATA_DIR`, `VIGIE_CORPUS_DIR`,
/// `VIGIE_MODELS_DIR`, or the platform defaults; exports in `VIGIE_EXPORT_DIR` or
/// `Documents/Vigie`) and starts preparing the index.
pub fn open_state() -> AppState {
    let from_env = |name: &str| std::env::var_os(name).map(std::path::PathBuf::from);
    let overrides = PathOverrides {
        data_dir: from_env("VIGIE_DATA_DIR"),
        corpus_dir: from_env("VIGIE_CORPUS_DIR"),
        models_dir: from_env("VIGIE_MODELS_DIR"),
    };
    let opened = Paths::resolve(&overrides)
        .map_err(|e| CommandError::new(e.message_fr(), e.to_string()))
        .and_then(|paths| {
            Assistant::open(paths).map_err(|e| CommandError::new(e.message_fr(), e.to_string()))
        })
        .map(|assistant| match std::env::var_os("VIGIE_EXPORT_DIR") {
            Some(dir) => assistant.with_export_dir(dir.into()),
            None => assistant,
        });
    match opened {
        Ok(assistant) => {
            let assistant = Arc::new(assistant);
            state::prepare_index_in_background(&assistant, false);
            AppState::ready(assistant)
        }
        Err(e) => {
            log::error!("assistant unavailable: {}", e.message);
            AppState::failed(e)
        }
    }
}

/// Runs the application.
pub fn run() {
    let app =
        with_commands(tauri::Builder::default(), open_state()).build(tauri::generate_context!());
    match app {
        Ok(app) => app.run(|_, _| {}),
        Err(e) => {
            log::error!("the window could not be created: {e}");
            eprintln!("Vigie n'a pas pu ouvrir sa fenêtre : {e}");
            std::process::exit(1);
        }
    }
}
