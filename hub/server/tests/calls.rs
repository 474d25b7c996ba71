//! The hub end to end: real server on loopback, WebSocket clients.

mod common;

use common::*;
use hub_protocol::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_queued_offered_accepted_relayed_hung_up_and_recorded() {
    let hub = start(|_| {}).await;
    let mut t1 = terminal(hub.addr, "t1").await;
    let mut t2 = terminal(hub.addr, "t2").await;
    let mut alice = lawyer(hub.addr, "alice").await;
    let mut bob = lawyer(hub.addr, "bob").await;

    // Nobody on duty: queued with the suggestion to leave a message.
    request(&mut t1, "labor", "Zhang San").await;
    let (call, position, suggestion) = t1
        .until("queued", |m| match m {
            HubToTerminal::Queued {
                call_id,
                position,
                suggestion,
                ..
            } => Some((call_id.clone(), *position, *suggestion)),
            _ => None,
        })
        .await;
    assert_eq!(
        (position, suggestion),
        (1, Some(Suggestion::NoLawyerOnDuty))
    );

    // Alice sees it in the queue, without the resident's details.
    let entry = alice
        .until("queue entry", |m| match m {
            HubToLawyer::Queue { entries, .. } => {
                entries.iter().find(|e| e.call_id == call).cloned()
            }
            _ => None,
        })
        .await;
    assert_eq!(
        (entry.topic.as_str(), entry.status, entry.resident),
        ("labor", QueueStatus::Waiting, None)
    );
    assert!(entry.matches_skills);

    // On duty: the call is offered to her with the details; the terminal rings.
    go_on_duty(&mut alice).await;
    let (offered, resident) = offer(&mut alice).await;
    assert_eq!(offered, call);
    assert_eq!(resident.name, "Zhang San");
    let name = t1
        .until("ringing", |m| match m {
            HubToTerminal::Ringing {
                lawyer_display_name,
                ..
            } => Some(lawyer_display_name.clone()),
            _ => None,
        })
        .await;
    assert_eq!(name, "Lawyer alice");

    alice
        .send(LawyerToHub::Accept {
            call_id: call.clone(),
        })
        .await;
    t1.until("accepted", |m| {
        matches!(m, HubToTerminal::Accepted { .. }).then_some(())
    })
    .await;
    alice
        .until("call_started", |m| {
            matches!(m, HubToLawyer::CallStarted { .. }).then_some(())
        })
        .await;

    // Signals go between the two parties only.
    let sdp = SignalPayload::Sdp {
        kind: SdpKind::Offer,
        sdp: "v=0 offer".into(),
    };
    t1.send(TerminalToHub::Signal {
        call_id: call.clone(),
        payload: sdp.clone(),
    })
    .await;
    let got = alice
        .until("signal", |m| match m {
            HubToLawyer::Signal { payload, .. } => Some(payload.clone()),
            _ => None,
        })
        .await;
    assert_eq!(got, sdp);
    bob.send(LawyerToHub::Signal {
        call_id: call.clone(),
        payload: SignalPayload::EndOfCandidates,
    })
    .await;
    let code = bob
        .until("error", |m| match m {
            HubToLawyer::Error { code, .. } => Some(*code),
            _ => None,
        })
        .await;
    assert_eq!(code, ErrorCode::UnknownCall);
    t2.send(TerminalToHub::Signal {
        call_id: call.clone(),
        payload: SignalPayload::EndOfCandidates,
    })
    .await;
    let code = t2
        .until("error", |m| match m {
            HubToTerminal::Error { code, .. } => Some(*code),
            _ => None,
        })
        .await;
    assert_eq!(code, ErrorCode::UnknownCall);
    let answer = SignalPayload::Candidate {
        candidate: "candidate:1 1 UDP 1 127.0.0.1 5000 typ host".into(),
        sdp_mid: Some("0".into()),
        sdp_mline_index: Some(0),
    };
    alice
        .send(LawyerToHub::Signal {
            call_id: call.clone(),
            payload: answer.clone(),
        })
        .await;
    let got = t1
        .until("signal", |m| match m {
            HubToTerminal::Signal { payload, .. } => Some(payload.clone()),
            _ => None,
        })
        .await;
    assert_eq!(got, answer);

    // Hang-up ends it for both.
    t1.send(TerminalToHub::HangUp {
        call_id: Some(call.clone()),
    })
    .await;
    let reason = t1
        .until("ended", |m| match m {
            HubToTerminal::Ended { reason, .. } => Some(*reason),
            _ => None,
        })
        .await;
    assert_eq!(reason, EndReason::HungUpByTerminal);
    let reason = alice
        .until("ended", |m| match m {
            HubToLawyer::Ended { reason, .. } => Some(*reason),
            _ => None,
        })
        .await;
    assert_eq!(reason, EndReason::HungUpByTerminal);

    // The summary reaches the terminal and the record.
    alice
        .send(LawyerToHub::SubmitSummary {
            call_id: call.clone(),
            text: "Talked about wages".into(),
            advice: "Apply for labor arbitration".into(),
        })
        .await;
    alice
        .until("summary_stored", |m| {
            matches!(m, HubToLawyer::SummaryStored { .. }).then_some(())
        })
        .await;
    let text = t1
        .until("summary", |m| match m {
            HubToTerminal::Summary { text, .. } => Some(text.clone()),
            _ => None,
        })
        .await;
    assert_eq!(text, "Talked about wages");
    // Bob cannot write a summary for a call he did not answer.
    bob.send(LawyerToHub::SubmitSummary {
        call_id: call.clone(),
        text: "x".into(),
        advice: String::new(),
    })
    .await;
    bob.until("error", |m| {
        matches!(
            m,
            HubToLawyer::Error {
                code: ErrorCode::UnknownCall,
                ..
            }
        )
        .then_some(())
    })
    .await;

    let record = closed_record(&hub, &call).await;
    assert_eq!(record.outcome.as_deref(), Some("completed"));
    assert_eq!(record.terminal_id, "t1");
    assert_eq!(record.office, "Office t1");
    assert!(
        record.lawyer_id.is_some() && record.offered_at.is_some() && record.answered_at.is_some()
    );
    assert_eq!(record.summary_text.as_deref(), Some("Talked about wages"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_or_unknown_terminal_is_refused_and_closed() {
    let hub = start(|_| {}).await;
    for (id, token) in [
        ("t1", "wrong-token-0123456789"),
        ("t9", "token-of-t9-0123456789"),
    ] {
        let mut t = Terminal::new(connect(hub.addr, "/ws/terminal", None).await.unwrap());
        t.send(TerminalToHub::Hello {
            terminal_id: id.into(),
            token: token.into(),
            office: "x".into(),
            resume_token: None,
        })
        .await;
        let seen = t.until_closed().await;
        assert!(
            matches!(
                seen.as_slice(),
                [HubToTerminal::Error {
                    code: ErrorCode::Unauthenticated,
                    ..
                }]
            ),
            "{seen:?}"
        );
    }
    // A first message other than hello.
    let mut t = Terminal::new(connect(hub.addr, "/ws/terminal", None).await.unwrap());
    t.send(TerminalToHub::Heartbeat).await;
    let seen = t.until_closed().await;
    assert!(matches!(
        seen.as_slice(),
        [HubToTerminal::Error {
            code: ErrorCode::Unauthenticated,
            ..
        }]
    ));
    // A lawyer socket without a session, and a wrong password.
    assert!(connect(hub.addr, "/ws/lawyer", None).await.is_err());
    assert!(
        connect(hub.addr, "/ws/lawyer", Some("hub_session=forged"))
            .await
            .is_err()
    );
    let (status, cookie, _) = http(
        hub.addr,
        "POST",
        "/api/login",
        None,
        r#"{"username":"alice","password":"nope nope"}"#,
    )
    .await;
    assert_eq!((status, cookie), (401, None));
    let (status, _, _) = http(hub.addr, "POST", "/api/login", None, "garbage").await;
    assert_eq!(status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_malformed_and_binary_messages_are_refused_and_closed() {
    let hub = start(|_| {}).await;
    let mut t = terminal(hub.addr, "t1").await;
    let big = format!(
        r#"{{"type":"leave_message","seq":2,"topic":"labor","name":"x","callback_phone":"1","text":"{}"}}"#,
        "a".repeat(MAX_MESSAGE_BYTES)
    );
    t.send_raw(big).await;
    let seen = t.until_closed().await;
    assert!(
        matches!(
            seen.as_slice(),
            [HubToTerminal::Error {
                code: ErrorCode::TooLarge,
                ..
            }]
        ),
        "{seen:?}"
    );

    let mut t = terminal(hub.addr, "t2").await;
    t.send_raw("{not json".into()).await;
    let seen = t.until_closed().await;
    assert!(
        matches!(
            seen.as_slice(),
            [HubToTerminal::Error {
                code: ErrorCode::BadMessage,
                ..
            }]
        ),
        "{seen:?}"
    );

    let mut t = terminal(hub.addr, "t3").await;
    t.send_raw(r#"{"type":"request_call","seq":1}"#.into())
        .await;
    let seen = t.until_closed().await;
    assert!(
        matches!(
            seen.as_slice(),
            [HubToTerminal::Error {
                code: ErrorCode::BadMessage,
                ..
            }]
        ),
        "{seen:?}"
    );

    let mut l = lawyer(hub.addr, "alice").await;
    l.ws.send(tokio_tungstenite::tungstenite::Message::Binary(
        vec![1, 2, 3].into(),
    ))
    .await
    .unwrap();
    let seen = l.until_closed().await;
    assert!(
        seen.iter().any(|m| matches!(
            m,
            HubToLawyer::Error {
                code: ErrorCode::BadMessage,
                ..
            }
        )),
        "{seen:?}"
    );

    // Invalid fields are refused without closing.
    let mut t = terminal(hub.addr, "t1").await;
    request(&mut t, "", "Zhang San").await;
    t.until("invalid", |m| {
        matches!(
            m,
            HubToTerminal::Error {
                code: ErrorCode::Invalid,
                ..
            }
        )
        .then_some(())
    })
    .await;
    t.send(TerminalToHub::Heartbeat).await;
    t.until("heartbeat", |m| {
        matches!(m, HubToTerminal::Heartbeat).then_some(())
    })
    .await;
}

use futures_util::SinkExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_offer_goes_to_the_next_lawyer() {
    let hub = start(|c| c.dispatch.offer_timeout_secs = 1).await;
    let mut alice = lawyer(hub.addr, "alice").await;
    let mut bob = lawyer(hub.addr, "bob").await;
    available(&mut alice).await; // idle longest
    available(&mut bob).await;
    let mut t = terminal(hub.addr, "t1").await;
    request(&mut t, "labor", "Li Si").await;
    let (call, _) = offer(&mut alice).await;
    // Alice does not answer.
    let (withdrawn, reason) = alice
        .until("withdrawn", |m| match m {
            HubToLawyer::OfferWithdrawn { call_id, reason } => Some((call_id.clone(), *reason)),
            _ => None,
        })
        .await;
    assert_eq!((withdrawn, reason), (call.clone(), WithdrawReason::Timeout));
    alice
        .until("away", |m| {
            matches!(
                m,
                HubToLawyer::State {
                    state: LawyerState::Away
                }
            )
            .then_some(())
        })
        .await;
    let (again, _) = offer(&mut bob).await;
    assert_eq!(again, call);
    bob.send(LawyerToHub::Accept {
        call_id: call.clone(),
    })
    .await;
    t.until("accepted", |m| {
        matches!(m, HubToTerminal::Accepted { .. }).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_terminal_waits_second_in_line_and_is_served_next() {
    let hub = start(|_| {}).await;
    let mut alice = lawyer(hub.addr, "alice").await;
    let mut t1 = terminal(hub.addr, "t1").await;
    let mut t2 = terminal(hub.addr, "t2").await;
    request(&mut t1, "family", "A").await;
    t1.until("queued", |m| {
        matches!(m, HubToTerminal::Queued { position: 1, .. }).then_some(())
    })
    .await;
    request(&mut t2, "family", "B").await;
    let second = t2
        .until("queued", |m| match m {
            HubToTerminal::Queued {
                call_id, position, ..
            } => Some((call_id.clone(), *position)),
            _ => None,
        })
        .await;
    assert_eq!(second.1, 2);
    go_on_duty(&mut alice).await;
    let (first, resident) = offer(&mut alice).await;
    assert_eq!(resident.name, "A");
    // t2 moves up, with an estimate now that a lawyer is on duty.
    let estimate = t2
        .until("position 1", |m| match m {
            HubToTerminal::Queued {
                position: 1,
                estimated_wait_secs,
                ..
            } => Some(*estimated_wait_secs),
            _ => None,
        })
        .await;
    assert!(estimate.is_some());
    alice
        .send(LawyerToHub::Accept {
            call_id: first.clone(),
        })
        .await;
    alice
        .until("call_started", |m| {
            matches!(m, HubToLawyer::CallStarted { .. }).then_some(())
        })
        .await;
    alice
        .send(LawyerToHub::HangUp {
            call_id: first.clone(),
        })
        .await;
    t1.until("ended", |m| {
        matches!(
            m,
            HubToTerminal::Ended {
                reason: EndReason::HungUpByLawyer,
                ..
            }
        )
        .then_some(())
    })
    .await;
    let (next, resident) = offer(&mut alice).await;
    assert_eq!((next, resident.name.as_str()), (second.0, "B"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_terminal_ends_the_call_for_the_lawyer_as_dropped() {
    let hub = start(|c| c.dispatch.resume_grace_secs = 0).await;
    let mut alice = lawyer(hub.addr, "alice").await;
    available(&mut alice).await;
    let mut t = terminal(hub.addr, "t1").await;
    request(&mut t, "labor", "C").await;
    let (call, _) = offer(&mut alice).await;
    alice
        .send(LawyerToHub::Accept {
            call_id: call.clone(),
        })
        .await;
    t.until("accepted", |m| {
        matches!(m, HubToTerminal::Accepted { .. }).then_some(())
    })
    .await;
    drop(t);
    let reason = alice
        .until("ended", |m| match m {
            HubToLawyer::Ended { reason, .. } => Some(*reason),
            _ => None,
        })
        .await;
    assert_eq!(reason, EndReason::TerminalLost);
    assert_eq!(
        closed_record(&hub, &call).await.outcome.as_deref(),
        Some("dropped")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_lawyer_ends_the_call_for_the_terminal_and_resume_keeps_it() {
    let hub = start(|c| c.dispatch.resume_grace_secs = 1).await;
    let mut alice = lawyer(hub.addr, "alice").await;
    available(&mut alice).await;
    let mut t = Terminal::new(connect(hub.addr, "/ws/terminal", None).await.unwrap());
    t.send(TerminalToHub::Hello {
        terminal_id: "t1".into(),
        token: token("t1"),
        office: "x".into(),
        resume_token: None,
    })
    .await;
    let resume = t
        .until("welcome", |m| match m {
            HubToTerminal::Welcome { resume_token, .. } => Some(resume_token.clone()),
            _ => None,
        })
        .await;
    request(&mut t, "labor", "D").await;
    let (call, _) = offer(&mut alice).await;
    alice
        .send(LawyerToHub::Accept {
            call_id: call.clone(),
        })
        .await;
    t.until("accepted", |m| {
        matches!(m, HubToTerminal::Accepted { .. }).then_some(())
    })
    .await;
    // The terminal reconnects with its resume token: the call goes on.
    drop(t);
    let mut t = Terminal::new(connect(hub.addr, "/ws/terminal", None).await.unwrap());
    t.send(TerminalToHub::Hello {
        terminal_id: "t1".into(),
        token: token("t1"),
        office: "x".into(),
        resume_token: Some(resume),
    })
    .await;
    let resumed = t
        .until("welcome", |m| match m {
            HubToTerminal::Welcome {
                resumed_call_id, ..
            } => Some(resumed_call_id.clone()),
            _ => None,
        })
        .await;
    assert_eq!(resumed, Some(call.clone()));
    // The lawyer drops for good.
    drop(alice);
    let reason = t
        .until("ended", |m| match m {
            HubToTerminal::Ended { reason, .. } => Some(*reason),
            _ => None,
        })
        .await;
    assert_eq!(reason, EndReason::LawyerLost);
    assert_eq!(
        closed_record(&hub, &call).await.outcome.as_deref(),
        Some("dropped")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_left_reach_lawyers_and_stats_count_calls() {
    let hub = start(|_| {}).await;
    let mut alice = lawyer(hub.addr, "alice").await;
    let mut t1 = terminal(hub.addr, "t1").await;
    // A call abandoned for a message.
    request(&mut t1, "land", "E").await;
    let call = t1
        .until("queued", |m| match m {
            HubToTerminal::Queued { call_id, .. } => Some(call_id.clone()),
            _ => None,
        })
        .await;
    t1.send(TerminalToHub::LeaveMessage {
        topic: "land".into(),
        name: "E".into(),
        callback_phone: "13800000000".into(),
        text: "Boundary dispute".into(),
    })
    .await;
    let id = t1
        .until("stored", |m| match m {
            HubToTerminal::MessageStored { id } => Some(*id),
            _ => None,
        })
        .await;
    let listed = alice
        .until("messages", |m| match m {
            HubToLawyer::Messages { messages } => messages.iter().find(|x| x.id == id).cloned(),
            _ => None,
        })
        .await;
    assert_eq!(listed.text, "Boundary dispute");
    alice.send(LawyerToHub::MarkHandled { id }).await;
    alice
        .until("emptied", |m| {
            matches!(m, HubToLawyer::Messages { messages } if messages.is_empty()).then_some(())
        })
        .await;
    assert_eq!(
        closed_record(&hub, &call).await.outcome.as_deref(),
        Some("message_left")
    );

    // A completed call.
    available(&mut alice).await;
    let mut t2 = terminal(hub.addr, "t2").await;
    request(&mut t2, "labor", "F").await;
    let (call2, _) = offer(&mut alice).await;
    alice
        .send(LawyerToHub::Accept {
            call_id: call2.clone(),
        })
        .await;
    alice
        .until("call_started", |m| {
            matches!(m, HubToLawyer::CallStarted { .. }).then_some(())
        })
        .await;
    alice
        .send(LawyerToHub::HangUp {
            call_id: call2.clone(),
        })
        .await;
    closed_record(&hub, &call2).await;

    let (status, _, _) = http(hub.addr, "GET", "/api/stats", None, "").await;
    assert_eq!(status, 401);
    let cookie = login(hub.addr, "bob").await;
    let (status, _, body) = http(hub.addr, "GET", "/api/stats?days=7", Some(&cookie), "").await;
    assert_eq!(status, 200, "{body}");
    let stats: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(stats["total"]["calls"], 2);
    assert_eq!(stats["total"]["completed"], 1);
    assert_eq!(stats["total"]["message_left"], 1);
    assert_eq!(stats["messages_left"], 1);
    assert_eq!(stats["per_topic"].as_array().unwrap().len(), 2);
    assert_eq!(stats["per_terminal"][0]["key"], "t1");
    assert_eq!(stats["per_day"].as_array().unwrap().len(), 1);
    assert!(stats["total"]["average_wait_secs"].is_number());
}
