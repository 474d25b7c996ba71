//! An article file (front matter + Markdown body) and a citation string are
//! parsed without panicking, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = kiosk_library::parse_article(std::path::Path::new("fuzz/fuzz.md"), &text);
    let _ = kiosk_library::Citation::parse(&text);
});
