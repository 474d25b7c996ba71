//! A configuration file is either accepted or rejected with an error, never
//! a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = kiosk_core::Config::parse(&text, std::path::Path::new("fuzz.toml"), Vec::new());
});
