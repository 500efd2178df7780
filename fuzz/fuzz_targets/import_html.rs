#![no_main]

use vigie_engine::import::DocumentFormat;

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigie_fuzz::import(DocumentFormat::Html, data));
