//! Loopback signaling for tests: two calls in one process on 127.0.0.1, the
//! "kiosk" as offerer and a second instance in answerer mode as the "lawyer".
//! Candidates are relayed through serde JSON, as the hub would carry them.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_call::{Call, CallConfig, CallEvent, IceCandidate, MediaSources};

/// Generous: the CI machine has two loaded cores.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Side {
    pub call: Arc<Call>,
    /// Every event of this side except candidates (which the relay consumes).
    pub events: flume::Receiver<CallEvent>,
}

pub struct Pair {
    pub kiosk: Side,
    pub lawyer: Side,
}

/// Relays `from`'s local candidates to `to` (through JSON) and forwards all
/// other events to the returned receiver. Ends when `from`'s events end.
fn relay(from: &Arc<Call>, to: &Arc<Call>) -> flume::Receiver<CallEvent> {
    let (tx, rx) = flume::unbounded();
    let events = from.events();
    let to = Arc::downgrade(to);
    std::thread::spawn(move || {
        while let Ok(ev) = events.recv() {
            match ev {
                CallEvent::LocalCandidate(c) => {
                    let json = serde_json::to_string(&c).unwrap();
                    let c: Option<IceCandidate> = serde_json::from_str(&json).unwrap();
                    let Some(to) = to.upgrade() else { break };
                    if let Err(e) = kiosk_call::block_on(to.add_remote_candidate(c)) {
                        eprintln!("relay: add_remote_candidate: {e}");
                    }
                }
                CallEvent::Closed => {
                    let _ = tx.send(CallEvent::Closed);
                    break;
                }
                other => {
                    if tx.send(other).is_err() {
                        break;
                    }
                }
            }
        }
    });
    rx
}

pub fn start_pair() -> Pair {
    start_pair_with(MediaSources::default())
}

/// A pair whose kiosk side sends `kiosk_sources` (the lawyer side sends the
/// synthetic defaults).
pub fn start_pair_with(kiosk_sources: MediaSources) -> Pair {
    let kiosk = Arc::new(Call::start(CallConfig::loopback(), kiosk_sources).unwrap());
    let lawyer = Arc::new(Call::start(CallConfig::loopback(), MediaSources::default()).unwrap());
    let kiosk_events = relay(&kiosk, &lawyer);
    let lawyer_events = relay(&lawyer, &kiosk);
    Pair {
        kiosk: Side {
            call: kiosk,
            events: kiosk_events,
        },
        lawyer: Side {
            call: lawyer,
            events: lawyer_events,
        },
    }
}

impl Pair {
    /// Offer/answer through JSON, as over the hub.
    pub fn negotiate(&self) {
        let offer = kiosk_call::block_on(self.kiosk.call.create_offer()).unwrap();
        let offer = serde_json::from_str(&serde_json::to_string(&offer).unwrap()).unwrap();
        let answer = kiosk_call::block_on(self.lawyer.call.accept_offer(offer)).unwrap();
        let answer = serde_json::from_str(&serde_json::to_string(&answer).unwrap()).unwrap();
        kiosk_call::block_on(self.kiosk.call.apply_answer(answer)).unwrap();
    }

    pub fn connect(&self) {
        self.negotiate();
        wait_for(&self.kiosk.events, CONNECT_TIMEOUT, |e| {
            matches!(e, CallEvent::Connected)
        })
        .expect("kiosk connected");
        wait_for(&self.lawyer.events, CONNECT_TIMEOUT, |e| {
            matches!(e, CallEvent::Connected)
        })
        .expect("lawyer connected");
    }
}

/// Waits for the first event matching `pred`, skipping others.
pub fn wait_for(
    rx: &flume::Receiver<CallEvent>,
    timeout: Duration,
    pred: impl Fn(&CallEvent) -> bool,
) -> Option<CallEvent> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match rx.recv_timeout(left) {
            Ok(e) if pred(&e) => return Some(e),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

/// Polls `cond` every 50 ms until true or timeout.
pub fn eventually(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    cond()
}
