//! The polling thread's events against a reader played on a pseudo-terminal.

mod support;

use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use kiosk_idcard::codec::{Command, SamId};
use kiosk_idcard::poller::{Poller, ReaderEvent};
use kiosk_idcard::transport::ReaderConfig;
use support::*;

fn config(fake: &FakeReader) -> ReaderConfig {
    ReaderConfig {
        command_timeout: Duration::from_millis(300),
        read_timeout: Duration::from_millis(1000),
        poll_interval: Duration::from_millis(30),
        ..ReaderConfig::new(fake.port())
    }
}

fn spawn(fake: &FakeReader) -> (Poller, Receiver<ReaderEvent>) {
    let (tx, rx) = mpsc::channel();
    let poller = Poller::spawn(config(fake), move |event| {
        let _ = tx.send(event);
    });
    (poller, rx)
}

/// The next event, passing over `CardPresent` (which only announces the
/// outcome that follows; its own test is below).
fn next(rx: &Receiver<ReaderEvent>) -> ReaderEvent {
    loop {
        let event = rx
            .recv_timeout(Duration::from_secs(5))
            .expect("an event within 5 s");
        if event != ReaderEvent::CardPresent {
            return event;
        }
    }
}

/// Asserts nothing but `CardPresent` is emitted for `d`.
fn quiet(rx: &Receiver<ReaderEvent>, d: Duration) {
    let until = std::time::Instant::now() + d;
    while let Ok(event) =
        rx.recv_timeout(until.saturating_duration_since(std::time::Instant::now()))
    {
        if event != ReaderEvent::CardPresent {
            panic!("unexpected event {event:?}");
        }
    }
}

#[test]
fn a_card_being_read_is_announced_once_before_its_data() {
    let fake = FakeReader::new();
    fake.state().card = Some(([1; 8], sample_block()));
    let (poller, rx) = spawn(&fake);
    assert_eq!(next(&rx), ready());
    poller.set_reading(true);
    let first = rx.recv_timeout(Duration::from_secs(5)).expect("an event");
    assert_eq!(first, ReaderEvent::CardPresent);
    let second = rx.recv_timeout(Duration::from_secs(5)).expect("an event");
    assert_eq!(second, ReaderEvent::CardRead(sample_card()));
    if let Ok(event) = rx.recv_timeout(Duration::from_millis(600)) {
        panic!("the card left on the reader produced {event:?}");
    }
}

fn ready() -> ReaderEvent {
    ReaderEvent::Ready {
        sam_id: SamId(SAM_ID).to_string(),
    }
}

#[test]
fn the_first_connection_reports_ready_with_the_sam_id() {
    let fake = FakeReader::new();
    let (_poller, rx) = spawn(&fake);
    assert_eq!(next(&rx), ready());
}

#[test]
fn no_card_is_looked_for_until_a_service_asks() {
    let fake = FakeReader::new();
    fake.state().card = Some(([1; 8], sample_block()));
    let (poller, rx) = spawn(&fake);
    assert_eq!(next(&rx), ready());
    quiet(&rx, Duration::from_millis(300));
    assert_eq!(fake.count(Command::FindCard), 0);
    assert_eq!(fake.count(Command::ReadText), 0);
    poller.set_reading(true);
    assert_eq!(next(&rx), ReaderEvent::CardRead(sample_card()));
}

#[test]
fn a_card_left_on_the_reader_is_read_once() {
    let fake = FakeReader::new();
    fake.state().card = Some(([1; 8], sample_block()));
    let (poller, rx) = spawn(&fake);
    poller.set_reading(true);
    assert_eq!(next(&rx), ready());
    assert_eq!(next(&rx), ReaderEvent::CardRead(sample_card()));
    quiet(&rx, Duration::from_millis(400));
    assert!(fake.count(Command::FindCard) > 3, "it keeps polling");
    assert_eq!(fake.count(Command::ReadText), 1);
}

#[test]
fn removing_the_card_is_reported_and_placing_it_again_reads_it_again() {
    let fake = FakeReader::new();
    fake.state().card = Some(([1; 8], sample_block()));
    let (poller, rx) = spawn(&fake);
    poller.set_reading(true);
    assert_eq!(next(&rx), ready());
    assert_eq!(next(&rx), ReaderEvent::CardRead(sample_card()));
    fake.state().card = None;
    assert_eq!(next(&rx), ReaderEvent::CardRemoved);
    fake.state().card = Some(([1; 8], sample_block()));
    assert_eq!(next(&rx), ReaderEvent::CardRead(sample_card()));
    assert_eq!(fake.count(Command::ReadText), 2);
}

#[test]
fn another_card_replacing_the_first_without_a_gap_is_read() {
    let fake = FakeReader::new();
    fake.state().card = Some(([1; 8], sample_block()));
    let (poller, rx) = spawn(&fake);
    poller.set_reading(true);
    assert_eq!(next(&rx), ready());
    assert_eq!(next(&rx), ReaderEvent::CardRead(sample_card()));
    fake.state().card = Some(([2; 8], sample_block()));
    assert_eq!(next(&rx), ReaderEvent::CardRemoved);
    assert_eq!(next(&rx), ReaderEvent::CardRead(sample_card()));
}

#[test]
fn a_failing_read_is_reported_once_per_placement_and_retried_quietly() {
    let fake = FakeReader::new();
    {
        let mut s = fake.state();
        s.card = Some(([1; 8], sample_block()));
        s.read_sw3 = 0x41;
    }
    let (poller, rx) = spawn(&fake);
    poller.set_reading(true);
    assert_eq!(next(&rx), ready());
    match next(&rx) {
        ReaderEvent::CardUnreadable(reason, None) => {
            assert!(reason.contains("read failed"), "{reason}");
        }
        other => panic!("expected CardUnreadable, got {other:?}"),
    }
    quiet(&rx, Duration::from_millis(300));
    assert!(
        fake.count(Command::ReadText) >= 2,
        "transient failures are retried"
    );
    // The card now reads: the same placement yields the card.
    fake.state().read_sw3 = 0x90;
    assert_eq!(next(&rx), ReaderEvent::CardRead(sample_card()));
    fake.state().card = None;
    assert_eq!(next(&rx), ReaderEvent::CardRemoved);
}

#[test]
fn a_card_with_bad_data_is_unreadable_once_with_its_card_error() {
    let fake = FakeReader::new();
    fake.state().card = Some(([1; 8], bad_block()));
    let (poller, rx) = spawn(&fake);
    poller.set_reading(true);
    assert_eq!(next(&rx), ready());
    match next(&rx) {
        ReaderEvent::CardUnreadable(reason, Some(error)) => {
            assert!(!reason.contains("110105"), "{reason}");
            assert_eq!(error, kiosk_idcard::card::CardError::BadCheckCharacter);
        }
        other => panic!("expected CardUnreadable, got {other:?}"),
    }
    quiet(&rx, Duration::from_millis(300));
    assert_eq!(
        fake.count(Command::ReadText),
        1,
        "rejected data is not re-read"
    );
    fake.state().card = None;
    assert_eq!(next(&rx), ReaderEvent::CardRemoved);
}

#[test]
fn stopping_reading_forgets_the_card_so_the_next_service_reads_it_again() {
    let fake = FakeReader::new();
    fake.state().card = Some(([1; 8], sample_block()));
    let (poller, rx) = spawn(&fake);
    poller.set_reading(true);
    assert_eq!(next(&rx), ready());
    assert_eq!(next(&rx), ReaderEvent::CardRead(sample_card()));
    poller.set_reading(false);
    quiet(&rx, Duration::from_millis(200));
    let finds = fake.count(Command::FindCard);
    quiet(&rx, Duration::from_millis(200));
    assert_eq!(
        fake.count(Command::FindCard),
        finds,
        "no polling while not reading"
    );
    poller.set_reading(true);
    assert_eq!(next(&rx), ReaderEvent::CardRead(sample_card()));
}

#[test]
fn an_unplugged_reader_is_lost_once_and_back_when_plugged_in_again() {
    let mut fake = FakeReader::new();
    let (poller, rx) = spawn(&fake);
    poller.set_reading(true);
    assert_eq!(next(&rx), ready());
    fake.unplug();
    assert!(matches!(next(&rx), ReaderEvent::ReaderLost(_)));
    quiet(&rx, Duration::from_millis(1500));
    fake.state().card = Some(([1; 8], sample_block()));
    fake.plug();
    assert_eq!(next(&rx), ReaderEvent::ReaderBack);
    assert_eq!(next(&rx), ReaderEvent::CardRead(sample_card()));
}

#[test]
fn a_reader_missing_at_start_is_lost_then_back_then_ready() {
    let mut fake = FakeReader::unplugged();
    let (_poller, rx) = spawn(&fake);
    match next(&rx) {
        ReaderEvent::ReaderLost(reason) => assert!(reason.contains("cannot open"), "{reason}"),
        other => panic!("expected ReaderLost, got {other:?}"),
    }
    fake.plug();
    assert_eq!(next(&rx), ReaderEvent::ReaderBack);
    assert_eq!(next(&rx), ready());
}

#[test]
fn a_reader_that_stops_answering_is_lost_after_one_retry() {
    let fake = FakeReader::new();
    let (poller, rx) = spawn(&fake);
    poller.set_reading(true);
    assert_eq!(next(&rx), ready());
    fake.state().mute = true;
    assert_eq!(
        next(&rx),
        ReaderEvent::ReaderLost("reader does not answer".into())
    );
    fake.state().mute = false;
    assert_eq!(next(&rx), ReaderEvent::ReaderBack);
}

#[test]
fn one_timeout_is_retried_without_an_event() {
    let fake = FakeReader::new();
    fake.state().card = Some(([1; 8], sample_block()));
    let (poller, rx) = spawn(&fake);
    assert_eq!(next(&rx), ready());
    fake.state().drop_once = Some(Command::FindCard);
    poller.set_reading(true);
    assert_eq!(next(&rx), ReaderEvent::CardRead(sample_card()));
    // The unanswered find was sent again, then the read went on.
    let requests = fake.state().requests.clone();
    let first_find = requests
        .iter()
        .position(|&c| c == Command::FindCard)
        .expect("a find");
    assert_eq!(
        requests[first_find..first_find + 4],
        [
            Command::FindCard,
            Command::FindCard,
            Command::SelectCard,
            Command::ReadText
        ]
    );
}

#[test]
fn one_damaged_reply_is_retried_without_an_event() {
    let fake = FakeReader::new();
    fake.state().card = Some(([1; 8], sample_block()));
    let (poller, rx) = spawn(&fake);
    assert_eq!(next(&rx), ready());
    fake.state().corrupt_next = 1;
    poller.set_reading(true);
    assert_eq!(next(&rx), ReaderEvent::CardRead(sample_card()));
}

#[test]
fn the_health_check_notices_a_lost_reader_while_not_reading() {
    let mut fake = FakeReader::new();
    let (_poller, rx) = spawn(&fake);
    assert_eq!(next(&rx), ready());
    fake.unplug();
    // Health checks run every 3 s.
    assert!(matches!(next(&rx), ReaderEvent::ReaderLost(_)));
    assert_eq!(fake.count(Command::FindCard), 0);
}

#[test]
fn stop_returns_promptly_even_with_a_long_poll_interval() {
    let fake = FakeReader::new();
    let (tx, rx) = mpsc::channel();
    let poller = Poller::spawn(
        ReaderConfig {
            poll_interval: Duration::from_secs(30),
            ..config(&fake)
        },
        move |e| {
            let _ = tx.send(e);
        },
    );
    assert_eq!(next(&rx), ready());
    poller.set_reading(true);
    thread::sleep(Duration::from_millis(50));
    let start = Instant::now();
    poller.stop();
    assert!(
        start.elapsed() < Duration::from_millis(300),
        "{:?}",
        start.elapsed()
    );
}

#[test]
fn set_reading_wakes_the_thread_at_once() {
    let fake = FakeReader::new();
    fake.state().card = Some(([1; 8], sample_block()));
    let (tx, rx) = mpsc::channel();
    let poller = Poller::spawn(
        ReaderConfig {
            poll_interval: Duration::from_secs(30),
            ..config(&fake)
        },
        move |e| {
            let _ = tx.send(e);
        },
    );
    assert_eq!(next(&rx), ready());
    let start = Instant::now();
    poller.set_reading(true);
    assert_eq!(next(&rx), ReaderEvent::CardRead(sample_card()));
    assert!(
        start.elapsed() < Duration::from_millis(500),
        "{:?}",
        start.elapsed()
    );
}
