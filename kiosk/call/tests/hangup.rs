//! Hang-up stops everything: no thread of either call survives it, the API
//! refuses further use, and the other side notices that media stopped.
//! (Alone in its test binary, so the process-wide thread check is exact.)

mod common;

use std::time::Duration;

use common::{CONNECT_TIMEOUT, eventually, start_pair, wait_for};
use kiosk_call::{CallError, CallEvent};

/// Serialises the tests of this binary so the process-wide check sees only its own call.
static SERIAL: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Threads of this process whose name starts with `kcall-`.
fn kcall_threads() -> Vec<String> {
    let mut names = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for task in dir.flatten() {
            if let Ok(comm) = std::fs::read_to_string(task.path().join("comm"))
                && comm.starts_with("kcall-")
            {
                names.push(comm.trim().to_owned());
            }
        }
    }
    names
}

#[test]
fn hang_up_ends_every_thread_and_the_other_side_notices() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let pair = start_pair();
    pair.connect();
    assert!(
        eventually(CONNECT_TIMEOUT, || pair.kiosk.call.stats().frames_decoded
            > 10
            && pair.lawyer.call.stats().frames_decoded > 10),
        "media did not flow"
    );
    assert!(pair.kiosk.call.live_threads() >= 4);

    pair.kiosk.call.hang_up();
    assert_eq!(pair.kiosk.call.live_threads(), 0, "kiosk threads left");
    assert!(pair.kiosk.call.is_hung_up());
    assert!(
        wait_for(&pair.kiosk.events, Duration::from_secs(5), |e| matches!(
            e,
            CallEvent::Closed
        ))
        .is_some()
    );
    match kiosk_call::block_on(pair.kiosk.call.create_offer()) {
        Err(CallError::HungUp) => {}
        other => panic!("offer after hang-up: {other:?}"),
    }
    pair.kiosk.call.hang_up(); // idempotent

    // The lawyer's side sees the media stop (stall or connection loss).
    let noticed = wait_for(&pair.lawyer.events, Duration::from_secs(40), |e| {
        matches!(
            e,
            CallEvent::MediaStalled | CallEvent::Disconnected | CallEvent::Failed
        )
    });
    assert!(noticed.is_some(), "lawyer did not notice the hang-up");

    pair.lawyer.call.hang_up();
    assert_eq!(pair.lawyer.call.live_threads(), 0, "lawyer threads left");
    assert!(
        eventually(Duration::from_secs(5), || kcall_threads().is_empty()),
        "threads still running: {:?}",
        kcall_threads()
    );
}

#[test]
fn dropping_a_call_that_never_connected_stops_its_threads() {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let call = kiosk_call::Call::start(
        kiosk_call::CallConfig::loopback(),
        kiosk_call::MediaSources::default(),
    )
    .unwrap();
    let _offer = kiosk_call::block_on(call.create_offer()).unwrap();
    let tracker_view = call.live_threads();
    assert!(tracker_view > 0);
    drop(call);
    assert!(
        eventually(Duration::from_secs(5), || kcall_threads().is_empty()),
        "threads still running after drop: {:?}",
        kcall_threads()
    );
}
