//! Vigie's engine: the law as data, retrieval, and (in later modules) generation and grounded
//! answers, as a synchronous library.
//!
//! The engine knows nothing of the desktop shell, async runtimes or the UI: the `vigie` CLI,
//! the Tauri shell and the tests are equal clients. See `ARCHITECTURE.md` for the map.

pub mod answer;
pub mod assistant;
pub mod atomic_file;
pub mod audit;
pub mod collection;
pub mod config;
pub mod corpus;
pub mod cpu;
pub mod doctor;
pub mod document_import;
pub mod embed;
pub mod engine;
pub mod eval;
pub mod export;
pub mod import;
pub mod index;
pub mod integrity;
pub mod llm;
pub mod model_import;
pub mod policy;
pub mod registry;
pub mod retrieve;
pub mod store;
pub mod usage;
pub mod versions;

pub use config::{PathOverrides, Paths};
pub use engine::{Engine, EngineError, IndexAction};
