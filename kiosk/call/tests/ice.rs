//! Trickle ICE and ICE restart on loopback.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{CONNECT_TIMEOUT, eventually, start_pair, wait_for};
use kiosk_call::{Call, CallConfig, CallEvent, MediaSources, block_on};

fn ufrag(sdp: &str) -> String {
    sdp.lines()
        .find_map(|l| l.trim().strip_prefix("a=ice-ufrag:"))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn ice_restart_keeps_media_flowing_both_ways() {
    let pair = start_pair();
    pair.connect();
    let first_ufrag = ufrag(&block_on(pair.kiosk.call.local_description()).unwrap().sdp);
    assert!(eventually(CONNECT_TIMEOUT, || {
        pair.kiosk.call.stats().frames_decoded > 10 && pair.lawyer.call.stats().frames_decoded > 10
    }));

    let offer = block_on(pair.kiosk.call.restart_ice()).unwrap();
    assert_ne!(
        ufrag(&offer.sdp),
        first_ufrag,
        "restart must change ICE credentials"
    );
    let answer = block_on(pair.lawyer.call.accept_offer(offer)).unwrap();
    block_on(pair.kiosk.call.apply_answer(answer)).unwrap();

    let (k0, l0) = (
        pair.kiosk.call.stats().frames_decoded,
        pair.lawyer.call.stats().frames_decoded,
    );
    let a0 = pair.kiosk.call.stats().audio_samples_decoded;
    let flowing = eventually(Duration::from_secs(40), || {
        pair.kiosk.call.stats().frames_decoded >= k0 + 60
            && pair.lawyer.call.stats().frames_decoded >= l0 + 60
            && pair.kiosk.call.stats().audio_samples_decoded >= a0 + 48_000
    });
    assert!(
        flowing,
        "after restart: kiosk {:?}\nlawyer {:?}",
        pair.kiosk.call.stats(),
        pair.lawyer.call.stats()
    );
    // A second restart works too.
    let offer = block_on(pair.kiosk.call.restart_ice()).unwrap();
    let answer = block_on(pair.lawyer.call.accept_offer(offer)).unwrap();
    block_on(pair.kiosk.call.apply_answer(answer)).unwrap();
    let k1 = pair.kiosk.call.stats().frames_decoded;
    assert!(eventually(Duration::from_secs(40), || {
        pair.kiosk.call.stats().frames_decoded >= k1 + 60
    }));
}

#[test]
fn remote_candidates_before_the_answer_are_buffered_and_used() {
    let kiosk = Arc::new(Call::start(CallConfig::loopback(), MediaSources::default()).unwrap());
    let lawyer = Arc::new(Call::start(CallConfig::loopback(), MediaSources::default()).unwrap());

    // A candidate before any description at all is accepted (buffered).
    let offer = block_on(kiosk.create_offer()).unwrap();
    assert!(offer.sdp.contains("VP8"), "{}", offer.sdp);
    assert!(offer.sdp.contains("opus"), "{}", offer.sdp);
    assert!(!offer.sdp.contains(".local"));

    // Kiosk candidates go to the lawyer once it has the offer.
    let answer = block_on(lawyer.accept_offer(offer)).unwrap();
    let kiosk_events = kiosk.events();
    let mut kiosk_candidates = Vec::new();
    loop {
        match kiosk_events.recv_timeout(CONNECT_TIMEOUT) {
            Ok(CallEvent::LocalCandidate(c)) => {
                let end = c.is_none();
                kiosk_candidates.push(c);
                if end {
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => panic!("kiosk gathering did not finish: {e}"),
        }
    }
    assert!(kiosk_candidates.len() >= 2, "{kiosk_candidates:?}");
    for c in kiosk_candidates {
        block_on(lawyer.add_remote_candidate(c)).unwrap();
    }

    // The lawyer's candidates reach the kiosk BEFORE its answer.
    let lawyer_events = lawyer.events();
    let mut n = 0;
    loop {
        match lawyer_events.recv_timeout(CONNECT_TIMEOUT) {
            Ok(CallEvent::LocalCandidate(c)) => {
                let end = c.is_none();
                if let Some(c) = &c {
                    assert!(c.candidate.contains("127.0.0.1"), "{c:?}");
                    n += 1;
                }
                block_on(kiosk.add_remote_candidate(c)).expect("buffered, not rejected");
                if end {
                    break;
                }
            }
            Ok(_) => {}
            Err(e) => panic!("lawyer gathering did not finish: {e}"),
        }
    }
    assert!(n >= 1);
    block_on(kiosk.apply_answer(answer)).unwrap();

    assert!(
        wait_for(&kiosk_events, CONNECT_TIMEOUT, |e| matches!(
            e,
            CallEvent::Connected
        ))
        .is_some()
    );
    assert!(eventually(CONNECT_TIMEOUT, || {
        kiosk.stats().frames_decoded > 10 && lawyer.stats().frames_decoded > 10
    }));
    kiosk.hang_up();
    lawyer.hang_up();
}
