//! The driver's polling thread (`kiosk_idcard::poller::Poller`) against the
//! simulator: reader lost and back, one read per placement, removal.

mod common;

use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::time::Duration;

use common::*;
use kiosk_idcard::poller::{Poller, ReaderEvent};

fn spawn(sim: &Sim) -> (Poller, Receiver<ReaderEvent>) {
    let mut cfg = config(sim);
    cfg.poll_interval = Duration::from_millis(20);
    let (tx, rx) = mpsc::channel();
    let poller = Poller::spawn(cfg, move |event| {
        let _ = tx.send(event);
    });
    (poller, rx)
}

/// The next event, passing over `CardPresent` (announces the outcome).
fn next(rx: &Receiver<ReaderEvent>) -> ReaderEvent {
    loop {
        let event = rx.recv_timeout(PATIENCE).expect("an event from the poller");
        if event != ReaderEvent::CardPresent {
            return event;
        }
    }
}

#[test]
fn unplug_emits_reader_lost_and_replug_reader_back_and_reads_again() {
    let sim = sim("poll-plug");
    let ctl = sim.control();
    ctl.place_card(&card("resident"));
    let (poller, rx) = spawn(&sim);
    assert!(matches!(next(&rx), ReaderEvent::Ready { .. }));
    poller.set_reading(true);
    match next(&rx) {
        ReaderEvent::CardRead(c) => assert_eq!(c.name, "王小明"),
        other => panic!("unexpected {other:?}"),
    }

    ctl.unplug();
    assert!(matches!(next(&rx), ReaderEvent::ReaderLost(_)));

    ctl.replug();
    assert_eq!(next(&rx), ReaderEvent::ReaderBack);
    // The poller forgot the placement with the port: the card is read anew.
    match next(&rx) {
        ReaderEvent::CardRead(c) => assert_eq!(c.name, "王小明"),
        other => panic!("unexpected {other:?}"),
    }
    drop(poller);
}

#[test]
fn the_same_card_left_on_the_reader_is_read_once_and_removal_is_reported() {
    let sim = sim("poll-once");
    let ctl = sim.control();
    let (poller, rx) = spawn(&sim);
    assert!(matches!(next(&rx), ReaderEvent::Ready { .. }));
    poller.set_reading(true);
    ctl.place_card(&card("hmt"));
    assert!(matches!(next(&rx), ReaderEvent::CardRead(_)));

    // Many more polls (find + select each) without another event.
    let served = ctl.requests_served();
    wait_until("40 more requests", || ctl.requests_served() >= served + 40);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));

    ctl.remove_card();
    assert_eq!(next(&rx), ReaderEvent::CardRemoved);

    // A new placement of the same card is a new read.
    ctl.place_card(&card("hmt"));
    assert!(matches!(next(&rx), ReaderEvent::CardRead(_)));
    drop(poller);
}

#[test]
fn a_faulty_card_is_reported_unreadable_once() {
    let sim = sim("poll-bad");
    let ctl = sim.control();
    let (poller, rx) = spawn(&sim);
    assert!(matches!(next(&rx), ReaderEvent::Ready { .. }));
    poller.set_reading(true);
    ctl.place_card(&card("bad-date"));
    match next(&rx) {
        ReaderEvent::CardUnreadable(_, Some(_)) => {}
        other => panic!("unexpected {other:?}"),
    }
    let served = ctl.requests_served();
    wait_until("20 more requests", || ctl.requests_served() >= served + 20);
    assert_eq!(rx.try_recv().err(), Some(TryRecvError::Empty));
    ctl.remove_card();
    assert_eq!(next(&rx), ReaderEvent::CardRemoved);
    drop(poller);
}
