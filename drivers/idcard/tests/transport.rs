//! The serial transport against a reader played on a pseudo-terminal.

mod support;

use std::time::{Duration, Instant};

use kiosk_idcard::codec::{Baud, Command, FrameError, Reply, ReplyError, SamId, Sw3};
use kiosk_idcard::transport::{Reader, ReaderConfig, TransportError};
use support::*;

fn config(fake: &FakeReader) -> ReaderConfig {
    ReaderConfig {
        command_timeout: Duration::from_millis(300),
        read_timeout: Duration::from_millis(600),
        ..ReaderConfig::new(fake.port())
    }
}

#[test]
fn config_defaults_are_115200_500ms_2s_250ms() {
    let c = ReaderConfig::new("/dev/ttyUSB0");
    assert_eq!(c.port, "/dev/ttyUSB0");
    assert_eq!(c.baud, 115_200);
    assert_eq!(c.command_timeout, Duration::from_millis(500));
    assert_eq!(c.read_timeout, Duration::from_secs(2));
    assert_eq!(c.poll_interval, Duration::from_millis(250));
}

#[test]
fn the_reader_receives_exactly_the_reference_request_frames() {
    let fake = FakeReader::new();
    let mut reader = Reader::open(&config(&fake)).expect("open");
    reader.sam_status().expect("status");
    reader.sam_id().expect("sam id");
    assert!(!reader.find_card().expect("find"));
    let raw = fake.state().raw_requests.clone();
    assert_eq!(
        raw,
        vec![
            Command::SamStatus.encode(),
            Command::SamId.encode(),
            Command::FindCard.encode()
        ]
    );
}

#[test]
fn a_full_read_returns_the_card_and_counts_the_wire_bytes() {
    let fake = FakeReader::new();
    fake.state().card = Some(([1, 2, 3, 4, 5, 6, 7, 8], sample_block()));
    let mut reader = Reader::open(&config(&fake)).expect("open");
    let card = reader.read_card().expect("read").expect("a card");
    assert_eq!(card, sample_card());
    // find (15) + select (19) + read (1295) bytes in; three 10-byte requests out.
    assert_eq!(reader.wire_bytes(), (30, 15 + 19 + 1295));
    assert_eq!(
        fake.state().requests,
        vec![Command::FindCard, Command::SelectCard, Command::ReadText]
    );
}

#[test]
fn no_card_is_ok_false_for_find_and_none_for_a_read() {
    let fake = FakeReader::new();
    let mut reader = Reader::open(&config(&fake)).expect("open");
    assert!(!reader.find_card().expect("find"));
    assert_eq!(reader.read_card().expect("read"), None);
}

#[test]
fn sam_id_select_extra_address_and_set_baud_give_typed_results() {
    let fake = FakeReader::new();
    fake.state().card = Some(([9; 8], sample_block()));
    let mut reader = Reader::open(&config(&fake)).expect("open");
    assert_eq!(reader.sam_id().expect("sam id"), SamId(SAM_ID));
    assert!(reader.find_card().expect("find"));
    assert_eq!(reader.select_card().expect("select"), [9; 8]);
    assert_eq!(reader.read_extra_address().expect("extra"), None);
    reader.set_baud(Baud::B57600).expect("set baud");
    assert_eq!(reader.config().baud, 57_600);
    assert!(matches!(
        reader.exchange(Command::ResetSam),
        Ok(Reply::Done)
    ));
}

#[test]
fn replies_after_noise_and_in_single_bytes_are_still_decoded() {
    let fake = FakeReader::new();
    {
        let mut s = fake.state();
        s.card = Some(([1; 8], sample_block()));
        s.noise = vec![0x00, 0xAA, 0xAA, 0x13, 0x96, 0x69, 0xFF];
        s.trickle = true;
    }
    let mut reader = Reader::open(&config(&fake)).expect("open");
    assert_eq!(reader.read_card().expect("read"), Some(sample_card()));
}

#[test]
fn a_silent_reader_times_out_after_the_command_timeout() {
    let fake = FakeReader::new();
    fake.state().mute = true;
    let mut reader = Reader::open(&config(&fake)).expect("open");
    let start = Instant::now();
    let err = reader.find_card().expect_err("no reply");
    let took = start.elapsed();
    assert!(
        matches!(
            err,
            TransportError::Timeout {
                command: Command::FindCard
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_disconnect());
    assert!(
        took >= Duration::from_millis(300) && took < Duration::from_millis(800),
        "{took:?}"
    );
    // Reads get the longer read timeout.
    let start = Instant::now();
    let err = reader.read_text().expect_err("no reply");
    assert!(matches!(
        err,
        TransportError::Timeout {
            command: Command::ReadText
        }
    ));
    assert!(start.elapsed() >= Duration::from_millis(600));
}

#[test]
fn a_damaged_reply_without_a_good_one_is_a_frame_error() {
    let fake = FakeReader::new();
    fake.state().corrupt_next = 1;
    let mut reader = Reader::open(&config(&fake)).expect("open");
    let err = reader.sam_status().expect_err("bad checksum");
    assert!(
        matches!(err, TransportError::Frame(FrameError::BadChecksum { .. })),
        "{err:?}"
    );
    assert!(!err.is_disconnect());
    // The next exchange is clean.
    reader.sam_status().expect("status");
}

#[test]
fn a_reader_error_status_is_a_named_reply_error() {
    let fake = FakeReader::new();
    {
        let mut s = fake.state();
        s.card = Some(([1; 8], sample_block()));
        s.read_sw3 = 0x41;
    }
    let mut reader = Reader::open(&config(&fake)).expect("open");
    let err = reader.read_card().expect_err("read failed");
    assert!(
        matches!(
            err,
            TransportError::Reply(ReplyError::Status {
                command: Command::ReadText,
                status: Sw3::ReadFailed
            })
        ),
        "{err:?}"
    );
    assert!(!err.is_disconnect());
}

#[test]
fn bad_card_data_is_a_card_error_without_personal_data_in_the_message() {
    let fake = FakeReader::new();
    fake.state().card = Some(([1; 8], bad_block()));
    let mut reader = Reader::open(&config(&fake)).expect("open");
    let err = reader.read_card().expect_err("bad check character");
    assert!(matches!(err, TransportError::Card(_)), "{err:?}");
    let message = err.to_string();
    assert!(!message.contains("110105"), "{message}");
    assert!(!message.contains("张三"), "{message}");
}

#[test]
fn an_unplugged_reader_is_a_disconnect() {
    let mut fake = FakeReader::new();
    let mut reader = Reader::open(&config(&fake)).expect("open");
    reader.sam_status().expect("status");
    fake.unplug();
    let err = reader.sam_status().expect_err("gone");
    assert!(err.is_disconnect(), "{err:?}");
}

#[test]
fn opening_a_missing_port_is_a_disconnect() {
    let fake = FakeReader::unplugged();
    let err = Reader::open(&config(&fake)).expect_err("no port");
    assert!(matches!(err, TransportError::Open { .. }));
    assert!(err.is_disconnect());
}

#[test]
fn a_pty_can_be_reopened_after_the_driver_closes_it() {
    // Pseudo-terminals are opened shared (no TIOCEXCL, see the transport
    // docs), so closing and reopening never hits EBUSY. Tests run as root,
    // which ignores TIOCEXCL anyway; this checks the reopen path works.
    let fake = FakeReader::new();
    for _ in 0..3 {
        let mut reader = Reader::open(&config(&fake)).expect("open");
        reader.sam_status().expect("status");
    }
}
