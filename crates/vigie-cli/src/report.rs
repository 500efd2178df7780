//! Turning errors into French messages for the terminal.

use vigie_engine::EngineError;
use vigie_engine::audit::AuditError;
use vigie_engine::config::ConfigError;
use vigie_engine::corpus::CorpusError;
use vigie_engine::index::IndexError;
use vigie_engine::retrieve::SearchError;
use vigie_engine::versions::VersionError;

/// The French message of the innermost engine error, or the error's own text.
pub fn french_message(error: &anyhow::Error) -> String {
    for cause in error.chain() {
        if let Some(e) = cause.downcast_ref::<EngineError>() {
            return e.message_fr();
        }
        if let Some(e) = cause.downcast_ref::<ConfigError>() {
            return e.message_fr();
        }
        if let Some(e) = cause.downcast_ref::<CorpusError>() {
            return e.message_fr();
        }
        if let Some(e) = cause.downcast_ref::<IndexError>() {
            return e.message_fr();
        }
        if let Some(e) = cause.downcast_ref::<SearchError>() {
            return e.message_fr();
        }
        if let Some(e) = cause.downcast_ref::<AuditError>() {
            return e.message_fr();
        }
        if let Some(e) =
            cause.downcast_ref::<vigie_engine::versions::correspondence::CorrespondenceError>()
        {
            return e.message_fr();
        }
        if let Some(e) = cause.downcast_ref::<VersionError>() {
            return e.message_fr();
        }
        if let Some(e) = cause.downcast_ref::<vigie_engine::answer::AnswerError>() {
            return e.message_fr();
        }
        if let Some(e) = cause.downcast_ref::<vigie_engine::llm::LlmError>() {
            return e.message_fr();
        }
        if let Some(e) = cause.downcast_ref::<vigie_engine::registry::RegistryError>() {
            return e.message_fr();
        }
        if let Some(e) = cause.downcast_ref::<vigie_engine::policy::PolicyError>() {
            return e.message_fr();
        }
        if let Some(e) = cause.downcast_ref::<vigie_engine::collection::CollectionError>() {
            return e.message_fr();
        }
        if let Some(e) = cause.downcast_ref::<vigie_engine::import::ImportError>() {
            return e.message_fr();
        }
        if let Some(e) = cause.downcast_ref::<vigie_engine::model_import::ModelImportError>() {
            return e.message_fr();
        }
    }
    error.to_string()
}
