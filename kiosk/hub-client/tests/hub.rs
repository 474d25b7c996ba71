//! The client against the real hub, started in-process on 127.0.0.1:0 with
//! a temporary database; a lawyer played over a WebSocket as the console
//! would; drops and restarts through a TCP proxy.

mod common;

use std::time::{Duration, Instant};

use common::hubtest::{self, Lawyer};
use common::{Events, Proxy, config, start_client};
use hub_protocol::{HubToLawyer, LawyerToHub};
use kiosk_hub_client::*;

fn queued(e: &HubEvent) -> Option<(CallId, u32, Option<Suggestion>)> {
    match e {
        HubEvent::Queued {
            call_id,
            position,
            suggestion,
            ..
        } => Some((call_id.clone(), *position, *suggestion)),
        _ => None,
    }
}

fn ended(e: &HubEvent) -> Option<(CallId, EndReason)> {
    match e {
        HubEvent::Ended { call_id, reason } => Some((call_id.clone(), *reason)),
        _ => None,
    }
}

fn signal(e: &HubEvent) -> Option<SignalPayload> {
    match e {
        HubEvent::Signal { payload, .. } => Some(payload.clone()),
        _ => None,
    }
}

async fn lawyer_signal(l: &mut Lawyer) -> SignalPayload {
    l.until("signal", |m| match m {
        HubToLawyer::Signal { payload, .. } => Some(payload.clone()),
        _ => None,
    })
    .await
}

async fn connected(events: &mut Events) {
    events
        .until("connected", |e| {
            matches!(e, HubEvent::Connected { .. }).then_some(())
        })
        .await;
}

/// Alice on duty, the client asks, Alice accepts: returns the call.
async fn accepted_call(client: &HubClient, events: &mut Events, alice: &mut Lawyer) -> CallId {
    hubtest::available(alice).await;
    client.request_call(
        "labor",
        "Zhang San",
        Some("1101**********1234".into()),
        Some("13800000000".into()),
    );
    let (offered, resident) = hubtest::offer(alice).await;
    assert_eq!(resident.name, "Zhang San");
    assert_eq!(resident.callback_phone.as_deref(), Some("13800000000"));
    let (call, name) = events
        .until("ringing", |e| match e {
            HubEvent::Ringing {
                call_id,
                lawyer_display_name,
            } => Some((call_id.clone(), lawyer_display_name.clone())),
            _ => None,
        })
        .await;
    assert_eq!((&call, name.as_str()), (&offered, "Lawyer alice"));
    alice
        .send(LawyerToHub::Accept {
            call_id: call.clone(),
        })
        .await;
    let accepted = events
        .until("accepted", |e| match e {
            HubEvent::Accepted { call_id, .. } => Some(call_id.clone()),
            _ => None,
        })
        .await;
    assert_eq!(accepted, call);
    alice
        .until("call_started", |m| {
            matches!(m, HubToLawyer::CallStarted { .. }).then_some(())
        })
        .await;
    call
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connects_queues_cancels_leaves_a_message_and_keeps_the_heartbeat() {
    let hub = hubtest::start(|c| c.limits.heartbeat_secs = 1).await;
    let (t1, mut e1) = start_client(config(hub.addr, "t1"));
    let (t2, mut e2) = start_client(config(hub.addr, "t2"));
    connected(&mut e1).await;
    connected(&mut e2).await;

    // Nobody on duty: first in line, with the suggestion to leave a message.
    t1.request_call("labor", "Zhang San", None, None);
    let (call1, position, suggestion) = e1.until("queued", queued).await;
    assert_eq!(
        (position, suggestion),
        (1, Some(Suggestion::NoLawyerOnDuty))
    );
    t2.request_call("labor", "Li Si", None, None);
    let (_, position, _) = e2.until("queued", queued).await;
    assert_eq!(position, 2);

    // Cancelling ends the first call; the second moves up.
    t1.cancel_call();
    assert_eq!(
        e1.until("ended", ended).await,
        (call1, EndReason::HungUpByTerminal)
    );
    let (_, position, _) = e2.until("queued again", queued).await;
    assert_eq!(position, 1);

    // A message is stored with a reference number; it ends t2's waiting call.
    t2.leave_message("labor", "Li Si", "13900000000", "Please call me back");
    let id = e2
        .until("message_stored", |e| match e {
            HubEvent::MessageStored { id } => Some(*id),
            _ => None,
        })
        .await;
    assert!(id > 0);

    // Heartbeats keep the connections open well past three intervals.
    let quiet = e1.during(Duration::from_secs(5)).await;
    assert!(
        !quiet.iter().any(|e| matches!(e, HubEvent::Disconnected)),
        "{quiet:?}"
    );
    // Dropping closes and joins at once.
    let t = Instant::now();
    drop(t1);
    drop(t2);
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_an_error_event_without_a_reconnect_storm() {
    let hub = hubtest::start(|_| {}).await;
    let proxy = Proxy::start(hub.addr).await;
    let mut c = config(proxy.addr, "t1");
    c.token = "not-the-token-0123456789".into();
    let (client, mut events) = start_client(c);
    let code = events
        .until("error", |e| match e {
            HubEvent::Error { code, .. } => Some(*code),
            _ => None,
        })
        .await;
    assert_eq!(code, ErrorCode::Unauthenticated);
    let later = events.during(Duration::from_secs(3)).await;
    assert!(later.is_empty(), "{later:?}");
    assert_eq!(proxy.accepted(), 1);
    // While refused, requests are answered locally.
    client.request_call("labor", "Zhang San", None, None);
    let command = events
        .until("not connected", |e| match e {
            HubEvent::NotConnected { command } => Some(*command),
            _ => None,
        })
        .await;
    assert_eq!(command, "request_call");
    let t = Instant::now();
    drop(client);
    assert!(t.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lawyer_accepts_and_signals_are_relayed_both_ways() {
    let hub = hubtest::start(|_| {}).await;
    let mut alice = hubtest::lawyer(hub.addr, "alice").await;
    let (client, mut events) = start_client(config(hub.addr, "t1"));
    connected(&mut events).await;
    let call = accepted_call(&client, &mut events, &mut alice).await;

    let offer = SignalPayload::Sdp {
        kind: SdpKind::Offer,
        sdp: "v=0 offer".into(),
    };
    client.send_signal(call.clone(), offer.clone());
    assert_eq!(lawyer_signal(&mut alice).await, offer);

    let answer = SignalPayload::Sdp {
        kind: SdpKind::Answer,
        sdp: "v=0 answer".into(),
    };
    let candidate = SignalPayload::Candidate {
        candidate: "candidate:1 1 UDP 1 127.0.0.1 5000 typ host".into(),
        sdp_mid: Some("0".into()),
        sdp_mline_index: Some(0),
    };
    for p in [&answer, &candidate, &SignalPayload::EndOfCandidates] {
        alice
            .send(LawyerToHub::Signal {
                call_id: call.clone(),
                payload: p.clone(),
            })
            .await;
    }
    assert_eq!(events.until("answer", signal).await, answer);
    assert_eq!(events.until("candidate", signal).await, candidate);
    assert_eq!(
        events.until("end of candidates", signal).await,
        SignalPayload::EndOfCandidates
    );

    // The lawyer hangs up and writes the summary.
    alice
        .send(LawyerToHub::HangUp {
            call_id: call.clone(),
        })
        .await;
    assert_eq!(
        events.until("ended", ended).await,
        (call.clone(), EndReason::HungUpByLawyer)
    );
    alice
        .send(LawyerToHub::SubmitSummary {
            call_id: call.clone(),
            text: "Talked about wages".into(),
            advice: "Apply for labor arbitration".into(),
        })
        .await;
    let (id, text, advice) = events
        .until("summary", |e| match e {
            HubEvent::Summary {
                call_id,
                text,
                advice,
            } => Some((call_id.clone(), text.clone(), advice.clone())),
            _ => None,
        })
        .await;
    assert_eq!(
        (id, text.as_str(), advice.as_str()),
        (call, "Talked about wages", "Apply for labor arbitration")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_socket_reconnects_and_resumes_the_call() {
    let hub = hubtest::start(|_| {}).await;
    let proxy = Proxy::start(hub.addr).await;
    let mut alice = hubtest::lawyer(hub.addr, "alice").await;
    let (client, mut events) = start_client(config(proxy.addr, "t1"));
    connected(&mut events).await;
    let call = accepted_call(&client, &mut events, &mut alice).await;

    // A plain drop: back within the grace period, the call goes on.
    proxy.cut();
    events
        .until("disconnected", |e| {
            matches!(e, HubEvent::Disconnected).then_some(())
        })
        .await;
    let resumed = events
        .until("reconnected", |e| match e {
            HubEvent::Reconnected { resumed_call, .. } => Some(resumed_call.clone()),
            _ => None,
        })
        .await;
    assert_eq!(resumed, Some(call.clone()));

    // A longer outage: signaling sent meanwhile is delivered after the resume.
    proxy.refuse(true);
    proxy.cut();
    events
        .until("disconnected", |e| {
            matches!(e, HubEvent::Disconnected).then_some(())
        })
        .await;
    let restart = SignalPayload::Sdp {
        kind: SdpKind::Offer,
        sdp: "v=0 restart offer".into(),
    };
    client.send_signal(call.clone(), restart.clone());
    tokio::time::sleep(Duration::from_millis(500)).await;
    proxy.refuse(false);
    let resumed = events
        .until("reconnected", |e| match e {
            HubEvent::Reconnected { resumed_call, .. } => Some(resumed_call.clone()),
            _ => None,
        })
        .await;
    assert_eq!(resumed, Some(call.clone()));
    assert_eq!(lawyer_signal(&mut alice).await, restart);
    // Both ways still.
    alice
        .send(LawyerToHub::Signal {
            call_id: call.clone(),
            payload: SignalPayload::EndOfCandidates,
        })
        .await;
    assert_eq!(
        events.until("signal", signal).await,
        SignalPayload::EndOfCandidates
    );
    // The lawyer never saw the call end.
    client.hang_up();
    let reason = alice
        .until("ended", |m| match m {
            HubToLawyer::Ended { reason, .. } => Some(*reason),
            _ => None,
        })
        .await;
    assert_eq!(reason, EndReason::HungUpByTerminal);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_hub_ends_the_lost_call_and_serves_again() {
    let hub = hubtest::start(|_| {}).await;
    let proxy = Proxy::start(hub.addr).await;
    let mut alice = hubtest::lawyer(hub.addr, "alice").await;
    let (client, mut events) = start_client(config(proxy.addr, "t1"));
    connected(&mut events).await;
    let call = accepted_call(&client, &mut events, &mut alice).await;

    // "Restart": a fresh hub (empty memory, new database) at the same address.
    let fresh = hubtest::start(|_| {}).await;
    proxy.retarget(fresh.addr);
    proxy.cut();
    let resumed = events
        .until("reconnected", |e| match e {
            HubEvent::Reconnected { resumed_call, .. } => Some(resumed_call.clone()),
            _ => None,
        })
        .await;
    assert_eq!(resumed, None);
    assert_eq!(
        events.until("ended", ended).await,
        (call, EndReason::TerminalLost)
    );
    client.request_call("labor", "Zhang San", None, None);
    let (_, position, _) = events.until("queued", queued).await;
    assert_eq!(position, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_hub_is_reported_and_joined_when_it_comes_back() {
    let hub = hubtest::start(|_| {}).await;
    let proxy = Proxy::start(hub.addr).await;
    proxy.refuse(true);
    let (client, mut events) = start_client(config(proxy.addr, "t1"));
    let attempts = events
        .until("unreachable", |e| match e {
            HubEvent::Unreachable { attempts } => Some(*attempts),
            _ => None,
        })
        .await;
    assert_eq!(attempts, 3);
    client.leave_message("labor", "Zhang San", "13800000000", "Call me");
    let command = events
        .until("not connected", |e| match e {
            HubEvent::NotConnected { command } => Some(*command),
            _ => None,
        })
        .await;
    assert_eq!(command, "leave_message");
    // Back-off is capped at a second here: a few more attempts, no storm.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(proxy.accepted() < 12, "{} attempts", proxy.accepted());
    proxy.refuse(false);
    connected(&mut events).await;
    assert_eq!(
        events
            .seen
            .iter()
            .filter(|e| matches!(e, HubEvent::Unreachable { .. }))
            .count(),
        1
    );
}

/// A fake hub that sends whatever the test wants.
async fn fake_hub() -> (std::net::SocketAddr, tokio::net::TcpListener) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    (listener.local_addr().unwrap(), listener)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_from_the_network_is_ignored_or_reconnected_never_a_panic() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let (addr, listener) = fake_hub().await;
    let (client, mut events) = start_client(config(addr, "t1"));
    let (tcp, _) = listener.accept().await.unwrap();
    let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
    let hello = ws.next().await.unwrap().unwrap();
    let hello: serde_json::Value = serde_json::from_str(hello.to_text().unwrap()).unwrap();
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["seq"], 1);
    assert!(hello.get("resume_token").is_none());
    for junk in [
        Message::text("not json"),
        Message::text(r#"{"type":"queued","seq":1}"#),
        Message::text(r#"{"type":"launch_missiles","seq":2}"#),
        Message::text("{\"type\":\"heartbeat\",\"seq\":\u{0}}"),
        Message::binary(vec![0xff, 0x00, 0x7b]),
        Message::text(
            r#"{"type":"welcome","seq":3,"resume_token":"r1","ice_servers":[],"heartbeat_secs":0,"protocol_version":1}"#,
        ),
        Message::text(
            r#"{"type":"queued","seq":4,"call_id":"c1","position":7,"future_field":[1,2]}"#,
        ),
        Message::text(r#"{"type":"ringing","seq":5,"call_id":"c1"}"#),
    ] {
        ws.send(junk).await.unwrap();
    }
    connected(&mut events).await;
    let (call, position, _) = events.until("queued", queued).await;
    assert_eq!((call.0.as_str(), position), ("c1", 7));
    // A message far over the protocol's limit: the client drops the socket
    // and comes back with the resume token.
    let _ = ws.send(Message::text("x".repeat(1 << 20))).await;
    events
        .until("disconnected", |e| {
            matches!(e, HubEvent::Disconnected).then_some(())
        })
        .await;
    let (tcp, _) = tokio::time::timeout(common::WAIT, listener.accept())
        .await
        .unwrap()
        .unwrap();
    let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
    let hello = ws.next().await.unwrap().unwrap();
    let hello: serde_json::Value = serde_json::from_str(hello.to_text().unwrap()).unwrap();
    assert_eq!(hello["resume_token"], "r1");
    assert!(
        !events
            .seen
            .iter()
            .any(|e| matches!(e, HubEvent::Error { .. } | HubEvent::Ringing { .. })),
        "{:?}",
        events.seen
    );
    drop(client);
}
