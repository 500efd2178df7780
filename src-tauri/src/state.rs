//! What the shell keeps between commands: the assistant, or why it could not open.

use std::sync::Arc;

use vigie_engine::assistant::Assistant;

use crate::commands::CommandError;

/// The shell's managed state.
pub struct AppState {
    assistant: Result<Arc<Assistant>, CommandError>,
}

impl AppState {
    /// An opened assistant.
    pub fn ready(assistant: Arc<Assistant>) -> Self {
        Self {
            assistant: Ok(assistant),
        }
    }

    /// The assistant could not open: every command reports why.
    pub fn failed(error: CommandError) -> Self {
        Self {
            assistant: Err(error),
        }
    }

    /// The assistant, or the error that prevented it from opening.
    pub fn assistant(&self) -> Result<Arc<Assistant>, CommandError> {
        self.assistant.clone()
    }
}

/// Opens (or rebuilds) the index on its own thread; the page follows it through `status`.
pub fn prepare_index_in_background(assistant: &Arc<Assistant>, force: bool) {
    let assistant = Arc::clone(assistant);
    let spawned = std::thread::Builder::new()
        .name("vigie-index".into())
        .spawn(move || {
            if let Err(e) = assistant.prepare_index(force) {
                log::error!("index: {e}");
            }
        });
    if let Err(e) = spawned {
        log::error!("cannot start the index thread: {e}");
    }
}
