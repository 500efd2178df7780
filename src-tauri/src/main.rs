//! Vigie's desktop application.

// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

use std::process::ExitCode;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    // Before any model code runs: the engine's kernels use the instructions of the build's
    // target (x86-64-v3), which an older processor would only report as an illegal instruction.
    if let Err(message) = vigie_engine::cpu::check_cpu() {
        log::error!("the processor lacks instructions this build requires");
        eprintln!("erreur : {message}");
        return ExitCode::from(3);
    }
    vigie_desktop::run();
    ExitCode::SUCCESS
}
