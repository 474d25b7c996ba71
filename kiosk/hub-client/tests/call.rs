//! End to end through the real hub: the terminal's `CallSession` (webrtc-rs
//! offerer) and, as the lawyer, a console WebSocket plus a `kiosk-call`
//! peer in answerer mode, on 127.0.0.1. Frames are decoded both ways.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use common::hubtest::{self, Lawyer};
use common::{config, start_client};
use futures_util::StreamExt;
use hub_protocol::{HubToLawyer, LawyerToHub, decode};
use kiosk_call::{Call, CallEvent, IceCandidate, PixelFormat, SessionDescription};
use kiosk_hub_client::*;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// Media on a loaded two-core machine: generous.
const MEDIA_WAIT: Duration = Duration::from_secs(60);

async fn eventually(d: Duration, mut ok: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + d;
    while tokio::time::Instant::now() < deadline {
        if ok() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    ok()
}

struct LawyerSide {
    call: Arc<Call>,
    /// SDP offers received (1 + ICE restarts).
    offers: Arc<AtomicUsize>,
    /// Why the hub ended the call, once it did.
    ended: mpsc::UnboundedReceiver<EndReason>,
    /// Stops answering (and relaying candidates) when set.
    mute: Arc<std::sync::atomic::AtomicBool>,
    /// Messages for the console WebSocket.
    console: mpsc::UnboundedSender<LawyerToHub>,
}

/// The lawyer's browser: answers offers with a kiosk-call peer, relays
/// candidates both ways through the console WebSocket.
async fn lawyer_peer(mut alice: Lawyer, call_id: CallId) -> LawyerSide {
    let call = tokio::task::spawn_blocking(|| {
        Arc::new(
            Call::start(
                kiosk_call::CallConfig::loopback(),
                kiosk_call::MediaSources::default(),
            )
            .unwrap(),
        )
    })
    .await
    .unwrap();
    let offers = Arc::new(AtomicUsize::new(0));
    let mute = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (ended_tx, ended) = mpsc::unbounded_channel();
    let (console, mut console_rx) = mpsc::unbounded_channel();
    let (c, o, m) = (call.clone(), offers.clone(), mute.clone());
    tokio::spawn(async move {
        let events = c.events();
        loop {
            tokio::select! {
                Some(m) = console_rx.recv() => alice.send(m).await,
                frame = alice.ws.next() => {
                    let Some(Ok(WsMessage::Text(text))) = frame else { break };
                    let Ok(msg) = decode::<HubToLawyer>(text.as_bytes()) else { continue };
                    match msg.message {
                        HubToLawyer::Signal { payload, .. } => {
                            if m.load(Ordering::SeqCst) {
                                continue;
                            }
                            match payload {
                                SignalPayload::Sdp { kind: SdpKind::Offer, sdp } => {
                                    o.fetch_add(1, Ordering::SeqCst);
                                    let answer = c
                                        .accept_offer(SessionDescription { kind: kiosk_call::SdpKind::Offer, sdp })
                                        .await
                                        .unwrap();
                                    alice.send(LawyerToHub::Signal {
                                        call_id: call_id.clone(),
                                        payload: SignalPayload::Sdp { kind: SdpKind::Answer, sdp: answer.sdp },
                                    }).await;
                                }
                                SignalPayload::Candidate { candidate, sdp_mid, sdp_mline_index } => {
                                    let _ = c.add_remote_candidate(Some(IceCandidate {
                                        candidate, sdp_mid, sdp_mline_index, username_fragment: None,
                                    })).await;
                                }
                                SignalPayload::EndOfCandidates => {
                                    let _ = c.add_remote_candidate(None).await;
                                }
                                SignalPayload::Sdp { .. } => panic!("the terminal sent an answer"),
                            }
                        }
                        HubToLawyer::Ended { reason, .. } => {
                            let _ = ended_tx.send(reason);
                        }
                        _ => {}
                    }
                }
                ev = events.recv_async() => {
                    let Ok(ev) = ev else { break };
                    if let CallEvent::LocalCandidate(c) = ev {
                        if m.load(Ordering::SeqCst) {
                            continue;
                        }
                        let payload = match c {
                            Some(c) => SignalPayload::Candidate {
                                candidate: c.candidate,
                                sdp_mid: c.sdp_mid,
                                sdp_mline_index: c.sdp_mline_index,
                            },
                            None => SignalPayload::EndOfCandidates,
                        };
                        alice.send(LawyerToHub::Signal { call_id: call_id.clone(), payload }).await;
                    }
                }
            }
        }
    });
    LawyerSide {
        call,
        offers,
        ended,
        mute,
        console,
    }
}

struct Terminal {
    _client: HubClient,
    session: Arc<CallSession>,
    session_events: mpsc::UnboundedReceiver<SessionEvent>,
    lawyer: LawyerSide,
}

/// A hub, Alice on duty, the terminal's call accepted, its session started
/// and fed with the hub's events.
async fn call_through_hub(session_config: SessionConfig) -> (hubtest::TestHub, Terminal) {
    let hub = hubtest::start(|_| {}).await;
    let mut alice = hubtest::lawyer(hub.addr, "alice").await;
    hubtest::available(&mut alice).await;
    let (client, mut events) = start_client(config(hub.addr, "t1"));
    events
        .until("connected", |e| {
            matches!(e, HubEvent::Connected { .. }).then_some(())
        })
        .await;
    client.request_call("labor", "Zhang San", None, None);
    let (call_id, _) = hubtest::offer(&mut alice).await;
    alice
        .send(LawyerToHub::Accept {
            call_id: call_id.clone(),
        })
        .await;
    alice
        .until("call_started", |m| {
            matches!(m, HubToLawyer::CallStarted { .. }).then_some(())
        })
        .await;
    let (accepted, ice_servers) = events
        .until("accepted", |e| match e {
            HubEvent::Accepted {
                call_id,
                ice_servers,
                ..
            } => Some((call_id.clone(), ice_servers.clone())),
            _ => None,
        })
        .await;
    assert_eq!(accepted, call_id);
    let lawyer = lawyer_peer(alice, call_id.clone()).await;

    let (stx, session_events) = mpsc::unbounded_channel();
    let session = Arc::new(CallSession::start(
        client.sender(),
        call_id,
        &ice_servers,
        session_config,
        MediaSources::default(),
        move |e| {
            let _ = stx.send(e);
        },
    ));
    let s = session.clone();
    tokio::spawn(async move {
        while let Some(e) = events.rx_recv().await {
            s.handle_hub_event(&e);
        }
    });
    (
        hub,
        Terminal {
            _client: client,
            session,
            session_events,
            lawyer,
        },
    )
}

async fn session_event<T>(
    rx: &mut mpsc::UnboundedReceiver<SessionEvent>,
    what: &str,
    mut pick: impl FnMut(&SessionEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + MEDIA_WAIT;
    loop {
        let e = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("no {what} in time"))
            .expect("session events");
        if let Some(t) = pick(&e) {
            return t;
        }
    }
}

fn loopback_session() -> SessionConfig {
    SessionConfig {
        call: CallConfig::loopback(),
        ..SessionConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_through_the_hub_decodes_both_ways_restarts_ice_and_hangs_up() {
    let (_hub, mut t) = call_through_hub(loopback_session()).await;
    session_event(&mut t.session_events, "connected", |e| {
        matches!(e, SessionEvent::Connected).then_some(())
    })
    .await;
    let size = session_event(&mut t.session_events, "remote video", |e| match e {
        SessionEvent::RemoteVideoStarted { width, height } => Some((*width, *height)),
        _ => None,
    })
    .await;
    assert_eq!(size, (640, 480));
    let (session, lawyer) = (t.session.clone(), t.lawyer.call.clone());
    let flowing = eventually(MEDIA_WAIT, || {
        let (k, l) = (session.stats(), lawyer.stats());
        k.frames_decoded >= 30 && k.audio_samples_decoded >= 48_000 && l.frames_decoded >= 30
    })
    .await;
    assert!(
        flowing,
        "kiosk {:?}\nlawyer {:?}",
        t.session.stats(),
        t.lawyer.call.stats()
    );
    let frame = tokio::time::timeout(MEDIA_WAIT, t.session.video_frames().recv_async())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(frame.format, PixelFormat::Rgba8);
    assert_eq!(frame.pixels.len(), 640 * 480 * 4);
    let chunk = tokio::time::timeout(MEDIA_WAIT, t.session.audio().recv_async())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((chunk.sample_rate, chunk.channels), (48_000, 1));

    // An ICE restart goes through the hub as a new offer; media goes on.
    assert_eq!(t.lawyer.offers.load(Ordering::SeqCst), 1);
    t.session.restart_ice();
    session_event(&mut t.session_events, "restarting", |e| {
        matches!(e, SessionEvent::Restarting).then_some(())
    })
    .await;
    assert!(eventually(MEDIA_WAIT, || t.lawyer.offers.load(Ordering::SeqCst) == 2).await);
    let (k0, l0) = (
        t.session.stats().frames_decoded,
        t.lawyer.call.stats().frames_decoded,
    );
    let (session, lawyer) = (t.session.clone(), t.lawyer.call.clone());
    let flowing = eventually(MEDIA_WAIT, || {
        session.stats().frames_decoded >= k0 + 60 && lawyer.stats().frames_decoded >= l0 + 60
    })
    .await;
    assert!(
        flowing,
        "after restart: kiosk {:?}\nlawyer {:?}",
        t.session.stats(),
        t.lawyer.call.stats()
    );

    // Hanging up ends it at the hub for the lawyer, and stops the media.
    t.session.hang_up();
    let end = session_event(&mut t.session_events, "ended", |e| match e {
        SessionEvent::Ended(end) => Some(end.clone()),
        _ => None,
    })
    .await;
    assert_eq!(end, SessionEnd::HungUp);
    let reason = tokio::time::timeout(MEDIA_WAIT, t.lawyer.ended.recv())
        .await
        .unwrap();
    assert_eq!(reason, Some(EndReason::HungUpByTerminal));
    assert!(
        !t.session.is_running()
            || eventually(Duration::from_secs(10), || !t.session.is_running()).await
    );
    assert!(
        t.session.stats().frames_decoded >= k0 + 60,
        "last counters kept"
    );
    let lawyer = t.lawyer.call.clone();
    tokio::task::spawn_blocking(move || lawyer.hang_up())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_gone_silent_is_restarted_then_given_up_and_the_hub_is_told() {
    let (_hub, mut t) = call_through_hub(SessionConfig {
        restart_after: Duration::from_secs(1),
        give_up_after: Duration::from_secs(6),
        call: CallConfig {
            stall_timeout: Duration::from_secs(2),
            ..CallConfig::loopback()
        },
    })
    .await;
    session_event(&mut t.session_events, "connected", |e| {
        matches!(e, SessionEvent::Connected).then_some(())
    })
    .await;
    // The lawyer's peer vanishes without a word through the hub, and does
    // not answer restarts.
    t.lawyer.mute.store(true, Ordering::SeqCst);
    let lawyer = t.lawyer.call.clone();
    tokio::task::spawn_blocking(move || lawyer.hang_up())
        .await
        .unwrap();
    session_event(&mut t.session_events, "interrupted", |e| {
        matches!(e, SessionEvent::Interrupted).then_some(())
    })
    .await;
    session_event(&mut t.session_events, "restarting", |e| {
        matches!(e, SessionEvent::Restarting).then_some(())
    })
    .await;
    let end = session_event(&mut t.session_events, "ended", |e| match e {
        SessionEvent::Ended(end) => Some(end.clone()),
        _ => None,
    })
    .await;
    assert_eq!(end, SessionEnd::ConnectionLost);
    let reason = tokio::time::timeout(MEDIA_WAIT, t.lawyer.ended.recv())
        .await
        .unwrap();
    assert_eq!(reason, Some(EndReason::HungUpByTerminal));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lawyer_hanging_up_ends_the_session() {
    let (_hub, mut t) = call_through_hub(loopback_session()).await;
    session_event(&mut t.session_events, "connected", |e| {
        matches!(e, SessionEvent::Connected).then_some(())
    })
    .await;
    t.lawyer
        .console
        .send(LawyerToHub::HangUp {
            call_id: t.session.call_id().clone(),
        })
        .unwrap();
    let end = session_event(&mut t.session_events, "ended", |e| match e {
        SessionEvent::Ended(end) => Some(end.clone()),
        _ => None,
    })
    .await;
    assert_eq!(end, SessionEnd::Remote(EndReason::HungUpByLawyer));
    let lawyer = t.lawyer.call.clone();
    tokio::task::spawn_blocking(move || lawyer.hang_up())
        .await
        .unwrap();
}
