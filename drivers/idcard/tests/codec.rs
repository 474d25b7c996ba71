//! The codec as a specification: request bytes, status codes, the decoder's
//! behaviour on any stream, and typed replies.

use kiosk_idcard::codec::*;
use proptest::prelude::*;

fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).expect("test vector is hex"))
        .collect()
}

/// Feeds `bytes` in the given chunk sizes (cycled) and collects everything
/// the decoder yields.
fn decode_chunked(bytes: &[u8], chunks: &[usize]) -> Vec<Result<Frame, FrameError>> {
    let mut decoder = FrameDecoder::new();
    let mut out = Vec::new();
    let mut rest = bytes;
    let mut sizes = chunks.iter().cycle();
    while !rest.is_empty() {
        let n = (*sizes.next().unwrap_or(&1)).clamp(1, rest.len());
        decoder.push(&rest[..n]);
        rest = &rest[n..];
        while let Some(item) = decoder.next_frame() {
            out.push(item);
        }
    }
    out
}

fn frames(items: Vec<Result<Frame, FrameError>>) -> Vec<Frame> {
    items.into_iter().filter_map(Result::ok).collect()
}

fn read_text_reply(text: &[u8; 256]) -> Vec<u8> {
    let mut data = vec![0x01, 0x00, 0x04, 0x00];
    data.extend_from_slice(text);
    data.extend((0..1024).map(|i| (i * 7 % 251) as u8));
    encode_reply(0x90, &data)
}

#[test]
fn every_request_frame_matches_the_reference_bytes() {
    let table = [
        (Command::ResetSam, "AA AA AA 96 69 00 03 10 FF EC"),
        (Command::SamStatus, "AA AA AA 96 69 00 03 11 FF ED"),
        (Command::SamId, "AA AA AA 96 69 00 03 12 FF EE"),
        (Command::FindCard, "AA AA AA 96 69 00 03 20 01 22"),
        (Command::SelectCard, "AA AA AA 96 69 00 03 20 02 21"),
        (Command::ReadText, "AA AA AA 96 69 00 03 30 01 32"),
        (Command::ReadExtraAddress, "AA AA AA 96 69 00 03 30 03 30"),
        (
            Command::ReadTextWithFingerprint,
            "AA AA AA 96 69 00 03 30 10 23",
        ),
        (
            Command::SetBaud(Baud::B115200),
            "AA AA AA 96 69 00 03 60 00 63",
        ),
        (
            Command::SetBaud(Baud::B57600),
            "AA AA AA 96 69 00 03 60 01 62",
        ),
        (
            Command::SetBaud(Baud::B38400),
            "AA AA AA 96 69 00 03 60 02 61",
        ),
        (
            Command::SetBaud(Baud::B19200),
            "AA AA AA 96 69 00 03 60 03 60",
        ),
        (
            Command::SetBaud(Baud::B9600),
            "AA AA AA 96 69 00 03 60 04 67",
        ),
    ];
    for (command, bytes) in table {
        assert_eq!(command.encode(), hex(bytes), "{}", command.name());
    }
    assert_eq!(table.len(), Command::ALL.len());
}

#[test]
fn reset_is_10_ff_and_status_is_11_ff_not_the_buggy_variants() {
    assert_eq!(Command::ResetSam.cmd_para(), (0x10, 0xFF));
    assert_eq!(Command::SamStatus.cmd_para(), (0x11, 0xFF));
    assert_eq!(Command::from_cmd_para(0x01, 0xFF), None);
    assert_eq!(Command::from_cmd_para(0x12, 0xFF), Some(Command::SamId));
}

#[test]
fn every_command_round_trips_through_its_cmd_para_and_a_parsed_request() {
    for command in Command::ALL {
        let (cmd, para) = command.cmd_para();
        assert_eq!(Command::from_cmd_para(cmd, para), Some(command));
        let mut decoder = FrameDecoder::new();
        decoder.push(&command.encode());
        let frame = decoder
            .next_frame()
            .expect("a frame")
            .expect("a good frame");
        let request = parse_request(&frame).expect("a request");
        assert_eq!((request.cmd, request.para), (cmd, para));
        assert!(request.data.is_empty());
        assert_eq!(request.command(), Some(command));
    }
    assert_eq!(Command::from_cmd_para(0x60, 0x05), None);
}

#[test]
fn baud_rates_map_to_their_codes_and_speeds() {
    let table = [
        (Baud::B115200, 115_200, 0),
        (Baud::B57600, 57_600, 1),
        (Baud::B38400, 38_400, 2),
        (Baud::B19200, 19_200, 3),
        (Baud::B9600, 9_600, 4),
    ];
    for (baud, bps, code) in table {
        assert_eq!(baud.bits_per_second(), bps);
        assert_eq!(baud.code(), code);
        assert_eq!(Baud::from_bps(bps), Some(baud));
        assert_eq!(Baud::from_code(code), Some(baud));
    }
    assert_eq!(Baud::from_bps(4800), None);
    assert_eq!(Baud::from_code(5), None);
}

#[test]
fn a_request_body_shorter_than_two_bytes_is_not_a_request() {
    assert_eq!(parse_request(&Frame { body: vec![0x20] }), None);
    assert_eq!(parse_request(&Frame { body: vec![] }), None);
}

#[test]
fn every_sw3_code_maps_to_its_named_status() {
    let table = [
        (0x90, Sw3::Ok),
        (0x9F, Sw3::CardFound),
        (0x10, Sw3::HostChecksumError),
        (0x11, Sw3::LengthError),
        (0x21, Sw3::BadCommand),
        (0x23, Sw3::NotPermitted),
        (0x24, Sw3::UnrecognizedError),
        (0x31, Sw3::CardAuthenticationFailed),
        (0x32, Sw3::SamAuthenticationFailed),
        (0x33, Sw3::VerificationError),
        (0x40, Sw3::UnknownCardType),
        (0x41, Sw3::ReadFailed),
        (0x47, Sw3::ChallengeFailed),
        (0x60, Sw3::SamSelfTestFailed),
        (0x66, Sw3::SamNotAuthorized),
        (0x80, Sw3::NoCard),
        (0x81, Sw3::SelectFailed),
        (0x91, Sw3::ItemAbsent),
    ];
    for (byte, status) in table {
        assert_eq!(Sw3::from_byte(byte), status);
        assert_eq!(status.to_byte(), byte);
        assert!(!status.description().is_empty());
    }
    assert_eq!(Sw3::ALL_KNOWN.to_vec(), table.map(|(_, s)| s).to_vec());
    for b in 0..=255u8 {
        assert_eq!(Sw3::from_byte(b).to_byte(), b);
    }
    assert_eq!(Sw3::from_byte(0x55), Sw3::Unknown(0x55));
}

#[test]
fn every_non_success_sw3_is_a_named_status_error_for_every_command() {
    for command in Command::ALL {
        for status in Sw3::ALL_KNOWN.into_iter().chain([Sw3::Unknown(0x55)]) {
            let success = match command {
                Command::FindCard => status == Sw3::CardFound,
                Command::ReadExtraAddress => status == Sw3::Ok || status == Sw3::ItemAbsent,
                _ => status == Sw3::Ok,
            };
            let raw = RawReply {
                sw1: 0,
                sw2: 0,
                sw3: status,
                data: vec![0; 1300],
            };
            let result = interpret(command, raw);
            if success {
                assert!(
                    !matches!(result, Err(ReplyError::Status { .. })),
                    "{command}: {status}"
                );
            } else {
                assert_eq!(result, Err(ReplyError::Status { command, status }));
            }
        }
    }
}

#[test]
fn find_card_no_card_is_the_no_card_status() {
    let mut decoder = FrameDecoder::new();
    decoder.push(&encode_reply(0x80, &[]));
    let frame = decoder.next_frame().expect("frame").expect("good frame");
    let raw = parse_reply(&frame).expect("reply");
    assert_eq!(
        interpret(Command::FindCard, raw),
        Err(ReplyError::Status {
            command: Command::FindCard,
            status: Sw3::NoCard
        })
    );
}

#[test]
fn typed_replies_for_each_command() {
    let reply = |sw3, data: &[u8]| RawReply {
        sw1: 0,
        sw2: 0,
        sw3: Sw3::from_byte(sw3),
        data: data.to_vec(),
    };
    assert_eq!(
        interpret(Command::ResetSam, reply(0x90, &[])),
        Ok(Reply::Done)
    );
    assert_eq!(
        interpret(Command::SamStatus, reply(0x90, &[])),
        Ok(Reply::Done)
    );
    assert_eq!(
        interpret(Command::SetBaud(Baud::B9600), reply(0x90, &[])),
        Ok(Reply::Done)
    );
    assert_eq!(
        interpret(Command::FindCard, reply(0x9F, &[0, 0, 0, 0])),
        Ok(Reply::CardFound)
    );
    assert_eq!(
        interpret(Command::SelectCard, reply(0x90, &[1, 2, 3, 4, 5, 6, 7, 8])),
        Ok(Reply::CardSelected {
            serial: [1, 2, 3, 4, 5, 6, 7, 8]
        })
    );
    assert!(matches!(
        interpret(Command::SelectCard, reply(0x90, &[1, 2, 3])),
        Err(ReplyError::Malformed { .. })
    ));
    let id: Vec<u8> = (1..=16).collect();
    assert_eq!(
        interpret(Command::SamId, reply(0x90, &id)),
        Ok(Reply::SamId(SamId(
            id.clone().try_into().expect("16 bytes")
        )))
    );
    assert!(matches!(
        interpret(Command::SamId, reply(0x90, &id[..15])),
        Err(ReplyError::Malformed { .. })
    ));
}

#[test]
fn read_text_keeps_the_text_block_and_drops_the_photo() {
    let text: [u8; 256] = std::array::from_fn(|i| i as u8);
    let frame_bytes = read_text_reply(&text);
    assert_eq!(frame_bytes.len(), 1295);
    assert_eq!(&frame_bytes[5..7], &[0x05, 0x08]);
    let mut decoder = FrameDecoder::new();
    decoder.push(&frame_bytes);
    let frame = decoder.next_frame().expect("frame").expect("good frame");
    let raw = parse_reply(&frame).expect("reply");
    assert_eq!(
        interpret(Command::ReadText, raw),
        Ok(Reply::CardText(TextBlock(text)))
    );
}

#[test]
fn read_text_with_fingerprint_finds_the_text_after_three_lengths() {
    let text: [u8; 256] = std::array::from_fn(|i| (255 - i) as u8);
    for fp_len in [0usize, 512, 1024] {
        let mut data = vec![0x01, 0x00, 0x04, 0x00];
        data.extend_from_slice(&(fp_len as u16).to_be_bytes());
        data.extend_from_slice(&text);
        data.extend(std::iter::repeat_n(0xEE, 1024 + fp_len));
        let raw = RawReply {
            sw1: 0,
            sw2: 0,
            sw3: Sw3::Ok,
            data,
        };
        assert_eq!(
            interpret(Command::ReadTextWithFingerprint, raw),
            Ok(Reply::CardText(TextBlock(text)))
        );
    }
}

#[test]
fn read_text_replies_with_wrong_lengths_are_malformed() {
    let malformed = |data: Vec<u8>| {
        let raw = RawReply {
            sw1: 0,
            sw2: 0,
            sw3: Sw3::Ok,
            data,
        };
        matches!(
            interpret(Command::ReadText, raw),
            Err(ReplyError::Malformed { .. })
        )
    };
    assert!(malformed(vec![]));
    assert!(malformed(vec![0x01, 0x00, 0x04]));
    // Text length 255.
    assert!(malformed([vec![0x00, 0xFF, 0, 0], vec![0; 255]].concat()));
    // Photo shorter than declared.
    assert!(malformed(
        [vec![0x01, 0x00, 0x04, 0x00], vec![0; 256 + 100]].concat()
    ));
    // Huge photo length never overflows.
    assert!(malformed(
        [vec![0x01, 0x00, 0xFF, 0xFF], vec![0; 256]].concat()
    ));
}

#[test]
fn extra_address_is_text_or_none_when_absent() {
    let mut data = Vec::new();
    for unit in "北京市海淀区新址路1号".encode_utf16() {
        data.extend_from_slice(&unit.to_le_bytes());
    }
    data.extend([0x20, 0x00].repeat(10));
    let raw = |sw3, data: Vec<u8>| RawReply {
        sw1: 0,
        sw2: 0,
        sw3,
        data,
    };
    assert_eq!(
        interpret(Command::ReadExtraAddress, raw(Sw3::Ok, data)),
        Ok(Reply::ExtraAddress(Some("北京市海淀区新址路1号".into())))
    );
    assert_eq!(
        interpret(Command::ReadExtraAddress, raw(Sw3::ItemAbsent, vec![])),
        Ok(Reply::ExtraAddress(None))
    );
    assert!(matches!(
        interpret(Command::ReadExtraAddress, raw(Sw3::Ok, vec![0x00, 0xD8])),
        Err(ReplyError::Malformed { .. })
    ));
}

#[test]
fn a_reply_shorter_than_three_status_bytes_is_too_short() {
    assert_eq!(
        parse_reply(&Frame { body: vec![0, 0] }),
        Err(ReplyError::TooShort)
    );
}

#[test]
fn text_block_debug_prints_no_bytes() {
    let block = TextBlock([0x41; 256]);
    let shown = format!("{block:?} {:?}", Reply::CardText(block.clone()));
    assert!(!shown.contains("65"), "{shown}");
    assert!(!shown.contains('A'), "{shown}");
}

#[test]
fn sam_id_displays_in_dotted_decimal_form() {
    let mut id = [0u8; 16];
    id[0] = 5;
    id[2] = 1;
    id[4..8].copy_from_slice(&20_101_010u32.to_le_bytes());
    id[8..12].copy_from_slice(&12_345_678u32.to_le_bytes());
    id[12..16].copy_from_slice(&987_654_321u32.to_le_bytes());
    let id = SamId(id);
    assert_eq!(id.to_string(), "05.01-20101010-0012345678-0987654321");
    assert_eq!(id.hex().len(), 32);
}

// ---------------------------------------------------------------- decoder

#[test]
fn decoder_yields_frames_fed_one_byte_at_a_time() {
    let stream = [
        encode_reply(0x9F, &[0, 0, 0, 0]),
        encode_reply(0x90, &[1, 2, 3, 4, 5, 6, 7, 8]),
        read_text_reply(&[0x20; 256]),
    ]
    .concat();
    let got = decode_chunked(&stream, &[1]);
    assert_eq!(got.len(), 3);
    assert!(got.iter().all(Result::is_ok));
}

#[test]
fn decoder_skips_garbage_before_and_between_frames() {
    let a = encode_reply(0x9F, &[0, 0, 0, 0]);
    let b = encode_reply(0x80, &[]);
    let stream = [
        vec![0x00, 0xFF, 0xAA, 0xAA, 0x13],
        a.clone(),
        vec![0xAA, 0xAA, 0xAA, 0x96, 0x00, 0x69, 0x42],
        b.clone(),
    ]
    .concat();
    for chunks in [&[1usize][..], &[3, 7], &[1000]] {
        let mut decoder = FrameDecoder::new();
        let mut got = Vec::new();
        for chunk in stream.chunks(chunks[0]) {
            decoder.push(chunk);
            while let Some(item) = decoder.next_frame() {
                got.push(item);
            }
        }
        assert_eq!(
            got,
            vec![
                Ok(Frame {
                    body: a[7..a.len() - 1].to_vec()
                }),
                Ok(Frame {
                    body: b[7..b.len() - 1].to_vec()
                })
            ]
        );
        assert_eq!(decoder.skipped_bytes(), 5 + 7);
        assert_eq!(decoder.buffered(), 0);
    }
}

#[test]
fn decoder_reports_a_bad_checksum_then_finds_the_next_good_frame() {
    let mut bad = encode_reply(0x90, &[1, 2, 3, 4, 5, 6, 7, 8]);
    let last = bad.len() - 1;
    bad[last] ^= 0x01;
    let good = encode_reply(0x9F, &[0, 0, 0, 0]);
    let got = decode_chunked(&[bad.clone(), good.clone()].concat(), &[1]);
    assert_eq!(got.len(), 2);
    assert!(
        matches!(got[0], Err(FrameError::BadChecksum { expected, actual }) if expected == actual ^ 0x01)
    );
    assert_eq!(
        got[1],
        Ok(Frame {
            body: good[7..good.len() - 1].to_vec()
        })
    );
}

#[test]
fn decoder_rejects_insane_lengths_without_waiting_for_them() {
    for length in [0u16, 1, 2, MAX_LENGTH + 1, 0xFFFF] {
        let mut stream = PREAMBLE.to_vec();
        stream.extend_from_slice(&length.to_be_bytes());
        let good = encode_reply(0x90, &[]);
        stream.extend_from_slice(&good);
        let mut decoder = FrameDecoder::new();
        decoder.push(&stream);
        assert_eq!(
            decoder.next_frame(),
            Some(Err(FrameError::LengthOutOfRange(length)))
        );
        assert_eq!(
            decoder.next_frame(),
            Some(Ok(Frame {
                body: vec![0, 0, 0x90]
            }))
        );
        assert_eq!(decoder.next_frame(), None);
    }
}

#[test]
fn decoder_recovers_a_full_frame_after_a_truncated_one() {
    // A read reply cut after 600 bytes, then a complete read reply: the
    // truncated frame's claimed extent swallows part of the good frame, fails
    // its checksum, and the decoder rescans from after its preamble.
    let text = [0x31; 256];
    let full = read_text_reply(&text);
    let stream = [full[..600].to_vec(), full.clone()].concat();
    for chunks in [&[1usize][..], &[64], &[5000], &[3, 900, 17]] {
        let got = decode_chunked(&stream, chunks);
        assert!(
            matches!(got[0], Err(FrameError::BadChecksum { .. })),
            "{chunks:?}"
        );
        let good = frames(got);
        assert_eq!(
            good,
            vec![Frame {
                body: full[7..full.len() - 1].to_vec()
            }]
        );
    }
    // A short truncated frame followed by a short full one.
    let find = encode_reply(0x9F, &[0, 0, 0, 0]);
    let no_card = encode_reply(0x80, &[]);
    let stream = [find[..8].to_vec(), no_card.clone(), no_card.clone()].concat();
    let good = frames(decode_chunked(&stream, &[1]));
    assert!(good.contains(&Frame {
        body: vec![0, 0, 0x80]
    }));
}

#[test]
fn decoder_keeps_a_split_preamble_and_little_else() {
    let mut decoder = FrameDecoder::new();
    decoder.push(&[0x01; 1000]);
    assert_eq!(decoder.next_frame(), None);
    assert_eq!(decoder.buffered(), 0);
    decoder.push(&[0xAA, 0xAA, 0xAA]);
    assert_eq!(decoder.next_frame(), None);
    assert_eq!(decoder.buffered(), 3);
    decoder.push(&[0x96, 0x69, 0x00, 0x04, 0x00, 0x00, 0x90, 0x94]);
    assert_eq!(
        decoder.next_frame(),
        Some(Ok(Frame {
            body: vec![0, 0, 0x90]
        }))
    );
    assert_eq!(decoder.skipped_bytes(), 1000);
}

#[test]
fn decoder_clear_forgets_partial_frames() {
    let mut decoder = FrameDecoder::new();
    decoder.push(&encode_reply(0x90, &[1; 100])[..50]);
    assert_eq!(decoder.next_frame(), None);
    assert_eq!(decoder.buffered(), 50);
    decoder.clear();
    assert_eq!(decoder.buffered(), 0);
    decoder.push(&encode_reply(0x80, &[]));
    assert_eq!(
        decoder.next_frame(),
        Some(Ok(Frame {
            body: vec![0, 0, 0x80]
        }))
    );
}

#[test]
fn encode_frame_puts_length_and_xor_checksum_around_the_body() {
    assert_eq!(
        encode_reply(0x90, &[]),
        hex("AA AA AA 96 69 00 04 00 00 90 94")
    );
    assert_eq!(encode_frame(&[0x20, 0x01]), Command::FindCard.encode());
}

// ---------------------------------------------------------------- properties

fn any_frame() -> impl Strategy<Value = Vec<u8>> {
    let max = usize::from(MAX_LENGTH) - 1;
    prop_oneof![
        prop::sample::select(Command::ALL.to_vec()).prop_map(Command::encode),
        (any::<u8>(), prop::collection::vec(any::<u8>(), 0..=max - 3))
            .prop_map(|(sw3, data)| encode_reply(sw3, &data)),
        (
            any::<u8>(),
            any::<u8>(),
            prop::collection::vec(any::<u8>(), 0..=max - 2)
        )
            .prop_map(|(c, p, data)| encode_frame(&[vec![c, p], data].concat())),
        // Bodies of exactly the maximum size.
        prop::collection::vec(any::<u8>(), max..=max).prop_map(|b| encode_frame(&b)),
    ]
}

fn garbage_without_preamble() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![Just(0xAAu8), Just(0x96), Just(0x69), any::<u8>()],
        0..64,
    )
    // No preamble inside; garbage ending in AA bytes cannot form one
    // with the frame's own start, which begins AA AA AA 96 69.
    .prop_filter("contains no preamble", |g| {
        !g.windows(5).any(|w| w == PREAMBLE)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_encoded_frame_decodes_to_itself_under_any_chunking_after_any_garbage(
        frames_in in prop::collection::vec(any_frame(), 1..4),
        garbage in prop::collection::vec(garbage_without_preamble(), 4),
        chunks in prop::collection::vec(1usize..300, 1..20),
    ) {
        let mut stream = Vec::new();
        for (i, f) in frames_in.iter().enumerate() {
            stream.extend_from_slice(&garbage[i % garbage.len()]);
            stream.extend_from_slice(f);
        }
        let got = decode_chunked(&stream, &chunks);
        let expected: Vec<Result<Frame, FrameError>> = frames_in
            .iter()
            .map(|f| Ok(Frame { body: f[7..f.len() - 1].to_vec() }))
            .collect();
        prop_assert_eq!(got, expected);
    }

    #[test]
    fn the_decoder_never_panics_and_stays_bounded_on_any_bytes(
        bytes in prop::collection::vec(any::<u8>(), 0..6000),
        chunks in prop::collection::vec(1usize..500, 1..10),
    ) {
        let mut decoder = FrameDecoder::new();
        let mut rest = &bytes[..];
        let mut sizes = chunks.iter().cycle();
        while !rest.is_empty() {
            let n = (*sizes.next().unwrap_or(&1)).min(rest.len());
            decoder.push(&rest[..n]);
            rest = &rest[n..];
            while let Some(item) = decoder.next_frame() {
                if let Ok(frame) = item {
                    for command in Command::ALL {
                        if let Ok(raw) = parse_reply(&frame) {
                            let _ = interpret(command, raw);
                        }
                    }
                }
            }
            prop_assert!(decoder.buffered() <= 7 + usize::from(MAX_LENGTH));
        }
    }
}
