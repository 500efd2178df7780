//! A build script, so that Cargo resolves the build dependencies whose features this crate
//! unifies with the desktop shell's build (proc macros and build scripts).
fn main() {}
