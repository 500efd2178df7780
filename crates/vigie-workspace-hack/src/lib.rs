//! Empty on purpose: this crate only carries dependency features (see its `Cargo.toml`), so
//! that building the CLI alone and building the whole workspace share one set of artifacts.
