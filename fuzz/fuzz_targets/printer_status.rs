//! The printer's status decoder takes any bytes, split anywhere, and never
//! panics; whatever it assembles is self-consistent.
#![no_main]

use kiosk_printer::status::{self, StatusDecoder, StatusKind};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // First byte: seed for the chunk lengths; the rest is the stream.
    let Some((&seed, mut stream)) = data.split_first() else {
        return;
    };
    let mut decoder = StatusDecoder::new();
    let mut lengths = seed;
    while !stream.is_empty() {
        lengths = lengths.rotate_left(3) ^ 0x5A;
        let n = (usize::from(lengths % 7) + 1).min(stream.len());
        let (chunk, rest) = stream.split_at(n);
        stream = rest;
        if let Some(Ok(st)) = decoder.push(chunk) {
            if st.paper_out || st.cover_open || !st.online {
                assert!(st.problem().is_some());
            }
        }
    }
    for &b in data {
        for kind in StatusKind::ALL {
            assert_eq!(status::decode(kind, b).is_ok(), status::is_status_byte(b));
        }
    }
});
