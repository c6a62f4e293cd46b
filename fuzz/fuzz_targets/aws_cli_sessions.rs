#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| ecr_login::fuzz::aws_cli_sessions(data));
