#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| vigie_fuzz::e5s1_reader(data));
