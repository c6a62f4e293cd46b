#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ecr_login::fuzz::cache_entry(data));
