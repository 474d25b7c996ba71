//! The ID-card reader's frame decoder and reply interpreter take any byte
//! stream in any chunking without panicking, stay bounded, and every frame
//! they accept re-encodes to a frame that decodes to itself.
#![no_main]

use kiosk_idcard::codec::{
    Command, FrameDecoder, MAX_LENGTH, encode_frame, interpret, parse_reply, parse_request,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // The first byte picks a chunk-size seed; the rest is the stream.
    let Some((&seed, stream)) = data.split_first() else {
        return;
    };
    let mut decoder = FrameDecoder::new();
    let mut rest = stream;
    let mut size = usize::from(seed % 64) + 1;
    while !rest.is_empty() {
        let n = size.min(rest.len());
        decoder.push(&rest[..n]);
        rest = &rest[n..];
        // Vary the chunk size as the stream goes.
        size = (size * 7 + usize::from(seed)) % 97 + 1;
        while let Some(item) = decoder.next_frame() {
            let Ok(frame) = item else { continue };
            assert!(frame.body.len() < usize::from(MAX_LENGTH));
            let mut again = FrameDecoder::new();
            again.push(&encode_frame(&frame.body));
            assert_eq!(again.next_frame(), Some(Ok(frame.clone())));
            let _ = parse_request(&frame);
            if let Ok(raw) = parse_reply(&frame) {
                for command in Command::ALL {
                    let _ = interpret(command, raw.clone());
                }
            }
        }
        assert!(decoder.buffered() <= 7 + usize::from(MAX_LENGTH) + 97);
    }
});
