//! Every message survives a JSON round trip, and no byte string makes the
//! decoder panic.

use hub_protocol::*;
use proptest::option;
use proptest::prelude::*;

fn text() -> impl Strategy<Value = String> {
    // Any Unicode, including quotes, backslashes and control characters.
    ".{0,24}"
}

fn call_id() -> impl Strategy<Value = CallId> {
    "[a-z0-9-]{1,20}".prop_map(CallId)
}

fn payload() -> impl Strategy<Value = SignalPayload> {
    prop_oneof![
        (
            prop_oneof![Just(SdpKind::Offer), Just(SdpKind::Answer)],
            text()
        )
            .prop_map(|(kind, sdp)| SignalPayload::Sdp { kind, sdp }),
        (text(), option::of(text()), option::of(any::<u16>())).prop_map(
            |(candidate, sdp_mid, sdp_mline_index)| SignalPayload::Candidate {
                candidate,
                sdp_mid,
                sdp_mline_index
            }
        ),
        Just(SignalPayload::EndOfCandidates),
    ]
}

fn ice_servers() -> impl Strategy<Value = Vec<IceServer>> {
    prop::collection::vec(
        (
            prop::collection::vec(text(), 0..3),
            option::of(text()),
            option::of(text()),
        )
            .prop_map(|(urls, username, credential)| IceServer {
                urls,
                username,
                credential,
            }),
        0..3,
    )
}

fn end_reason() -> impl Strategy<Value = EndReason> {
    prop_oneof![
        Just(EndReason::HungUpByLawyer),
        Just(EndReason::HungUpByTerminal),
        Just(EndReason::LawyerLost),
        Just(EndReason::TerminalLost),
        Just(EndReason::NoLawyer),
        Just(EndReason::Timeout),
    ]
}

fn error_code() -> impl Strategy<Value = ErrorCode> {
    prop_oneof![
        Just(ErrorCode::Unauthenticated),
        Just(ErrorCode::BadMessage),
        Just(ErrorCode::TooLarge),
        Just(ErrorCode::RateLimited),
        Just(ErrorCode::Replaced),
        Just(ErrorCode::Timeout),
        Just(ErrorCode::NotAllowed),
        Just(ErrorCode::UnknownCall),
        Just(ErrorCode::Invalid),
        Just(ErrorCode::Internal),
    ]
}

fn resident() -> impl Strategy<Value = ResidentInfo> {
    (text(), option::of(text()), option::of(text())).prop_map(
        |(name, masked_id, callback_phone)| ResidentInfo {
            name,
            masked_id,
            callback_phone,
        },
    )
}

fn lawyer_state() -> impl Strategy<Value = LawyerState> {
    prop_oneof![
        Just(LawyerState::Away),
        Just(LawyerState::Available),
        Just(LawyerState::Ringing),
        Just(LawyerState::Busy),
    ]
}

fn terminal_to_hub() -> impl Strategy<Value = TerminalToHub> {
    prop_oneof![
        (text(), text(), text(), option::of(text())).prop_map(
            |(terminal_id, token, office, resume_token)| TerminalToHub::Hello {
                terminal_id,
                token,
                office,
                resume_token
            }
        ),
        (text(), text(), option::of(text()), option::of(text())).prop_map(
            |(topic, resident_name, masked_id, callback_phone)| TerminalToHub::RequestCall {
                topic,
                resident_name,
                masked_id,
                callback_phone
            }
        ),
        option::of(call_id()).prop_map(|call_id| TerminalToHub::CancelCall { call_id }),
        (call_id(), payload())
            .prop_map(|(call_id, payload)| TerminalToHub::Signal { call_id, payload }),
        option::of(call_id()).prop_map(|call_id| TerminalToHub::HangUp { call_id }),
        (text(), text(), text(), text()).prop_map(|(topic, name, callback_phone, text)| {
            TerminalToHub::LeaveMessage {
                topic,
                name,
                callback_phone,
                text,
            }
        }),
        Just(TerminalToHub::Heartbeat),
    ]
}

fn hub_to_terminal() -> impl Strategy<Value = HubToTerminal> {
    prop_oneof![
        (
            text(),
            ice_servers(),
            any::<u32>(),
            any::<u32>(),
            option::of(call_id())
        )
            .prop_map(
                |(resume_token, ice_servers, heartbeat_secs, protocol_version, resumed_call_id)| {
                    HubToTerminal::Welcome {
                        resume_token,
                        ice_servers,
                        heartbeat_secs,
                        protocol_version,
                        resumed_call_id,
                    }
                }
            ),
        (
            call_id(),
            any::<u32>(),
            option::of(any::<u32>()),
            option::of(prop_oneof![
                Just(Suggestion::NoLawyerOnDuty),
                Just(Suggestion::LongWait)
            ])
        )
            .prop_map(|(call_id, position, estimated_wait_secs, suggestion)| {
                HubToTerminal::Queued {
                    call_id,
                    position,
                    estimated_wait_secs,
                    suggestion,
                }
            }),
        (call_id(), text()).prop_map(|(call_id, lawyer_display_name)| HubToTerminal::Ringing {
            call_id,
            lawyer_display_name
        }),
        (call_id(), text(), ice_servers()).prop_map(
            |(call_id, lawyer_display_name, ice_servers)| {
                HubToTerminal::Accepted {
                    call_id,
                    lawyer_display_name,
                    ice_servers,
                }
            }
        ),
        (call_id(), payload())
            .prop_map(|(call_id, payload)| HubToTerminal::Signal { call_id, payload }),
        (call_id(), end_reason())
            .prop_map(|(call_id, reason)| HubToTerminal::Ended { call_id, reason }),
        (call_id(), text(), text()).prop_map(|(call_id, text, advice)| HubToTerminal::Summary {
            call_id,
            text,
            advice
        }),
        any::<i64>().prop_map(|id| HubToTerminal::MessageStored { id }),
        (error_code(), text()).prop_map(|(code, message)| HubToTerminal::Error { code, message }),
        Just(HubToTerminal::Heartbeat),
    ]
}

fn lawyer_to_hub() -> impl Strategy<Value = LawyerToHub> {
    prop_oneof![
        prop_oneof![Just(Availability::Available), Just(Availability::Away)]
            .prop_map(|state| LawyerToHub::SetState { state }),
        prop::collection::vec(text(), 0..4).prop_map(|topics| LawyerToHub::SetSkills { topics }),
        call_id().prop_map(|call_id| LawyerToHub::Accept { call_id }),
        call_id().prop_map(|call_id| LawyerToHub::Decline { call_id }),
        (call_id(), payload())
            .prop_map(|(call_id, payload)| LawyerToHub::Signal { call_id, payload }),
        call_id().prop_map(|call_id| LawyerToHub::HangUp { call_id }),
        (call_id(), text(), text()).prop_map(|(call_id, text, advice)| {
            LawyerToHub::SubmitSummary {
                call_id,
                text,
                advice,
            }
        }),
        Just(LawyerToHub::ListMessages),
        any::<i64>().prop_map(|id| LawyerToHub::MarkHandled { id }),
        Just(LawyerToHub::Heartbeat),
    ]
}

fn queue_entry() -> impl Strategy<Value = QueueEntry> {
    (
        call_id(),
        text(),
        text(),
        any::<u32>(),
        prop_oneof![
            Just(QueueStatus::Waiting),
            Just(QueueStatus::Ringing),
            Just(QueueStatus::Busy)
        ],
        any::<bool>(),
        option::of(resident()),
    )
        .prop_map(
            |(call_id, topic, office, waiting_secs, status, matches_skills, resident)| QueueEntry {
                call_id,
                topic,
                office,
                waiting_secs,
                status,
                matches_skills,
                resident,
            },
        )
}

fn left_message() -> impl Strategy<Value = LeftMessage> {
    (
        any::<i64>(),
        (text(), text(), text(), text()),
        (text(), text()),
        any::<i64>(),
        any::<bool>(),
    )
        .prop_map(
            |(
                id,
                (topic, name, callback_phone, text),
                (office, terminal_id),
                created_at,
                handled,
            )| {
                LeftMessage {
                    id,
                    topic,
                    name,
                    callback_phone,
                    text,
                    office,
                    terminal_id,
                    created_at,
                    handled,
                }
            },
        )
}

fn hub_to_lawyer() -> impl Strategy<Value = HubToLawyer> {
    prop_oneof![
        (
            (text(), text(), prop::collection::vec(text(), 0..3)),
            lawyer_state(),
            any::<u32>(),
            any::<u32>()
        )
            .prop_map(
                |((username, display_name, skills), state, heartbeat_secs, protocol_version)| {
                    HubToLawyer::Welcome {
                        lawyer: LawyerProfile {
                            username,
                            display_name,
                            skills,
                        },
                        state,
                        heartbeat_secs,
                        protocol_version,
                    }
                }
            ),
        lawyer_state().prop_map(|state| HubToLawyer::State { state }),
        (prop::collection::vec(queue_entry(), 0..3), any::<u32>()).prop_map(
            |(entries, total_waiting)| HubToLawyer::Queue {
                entries,
                total_waiting
            }
        ),
        (
            call_id(),
            text(),
            text(),
            text(),
            any::<u32>(),
            any::<u32>(),
            resident()
        )
            .prop_map(
                |(call_id, topic, office, terminal_id, waited_secs, expires_in_secs, resident)| {
                    HubToLawyer::Offer {
                        call_id,
                        topic,
                        office,
                        terminal_id,
                        waited_secs,
                        expires_in_secs,
                        resident,
                    }
                }
            ),
        (
            call_id(),
            prop_oneof![
                Just(WithdrawReason::Timeout),
                Just(WithdrawReason::Cancelled),
                Just(WithdrawReason::Declined)
            ]
        )
            .prop_map(|(call_id, reason)| HubToLawyer::OfferWithdrawn { call_id, reason }),
        (call_id(), ice_servers(), resident(), text(), text()).prop_map(
            |(call_id, ice_servers, resident, office, topic)| HubToLawyer::CallStarted {
                call_id,
                ice_servers,
                resident,
                office,
                topic,
            }
        ),
        (call_id(), payload())
            .prop_map(|(call_id, payload)| HubToLawyer::Signal { call_id, payload }),
        (call_id(), end_reason())
            .prop_map(|(call_id, reason)| HubToLawyer::Ended { call_id, reason }),
        call_id().prop_map(|call_id| HubToLawyer::SummaryStored { call_id }),
        prop::collection::vec(left_message(), 0..3)
            .prop_map(|messages| HubToLawyer::Messages { messages }),
        (error_code(), text()).prop_map(|(code, message)| HubToLawyer::Error { code, message }),
        Just(HubToLawyer::Heartbeat),
    ]
}

fn round_trip<M: Message + PartialEq + std::fmt::Debug>(seq: u64, message: M) {
    let text = encode(seq, &message);
    let back = decode::<M>(text.as_bytes()).expect("decodes what it encoded");
    assert_eq!(back.seq, seq);
    assert_eq!(back.message, message);
}

proptest! {
    #[test]
    fn terminal_to_hub_round_trips(seq in any::<u64>(), m in terminal_to_hub()) { round_trip(seq, m) }

    #[test]
    fn hub_to_terminal_round_trips(seq in any::<u64>(), m in hub_to_terminal()) { round_trip(seq, m) }

    #[test]
    fn lawyer_to_hub_round_trips(seq in any::<u64>(), m in lawyer_to_hub()) { round_trip(seq, m) }

    #[test]
    fn hub_to_lawyer_round_trips(seq in any::<u64>(), m in hub_to_lawyer()) { round_trip(seq, m) }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = decode::<TerminalToHub>(&bytes);
        let _ = decode::<HubToTerminal>(&bytes);
        let _ = decode::<LawyerToHub>(&bytes);
        let _ = decode::<HubToLawyer>(&bytes);
    }

    #[test]
    fn json_shaped_noise_never_panics(
        ty in prop_oneof![Just("hello"), Just("signal"), Just("request_call"), Just("accept"), Just("x"), Just("")],
        seq in prop_oneof![Just("1".to_string()), Just("-1".to_string()), Just("1e400".to_string()), Just("\"a\"".to_string()), any::<i64>().prop_map(|n| n.to_string())],
        rest in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = format!(r#"{{"type":"{ty}","seq":{seq},"payload":"#).into_bytes();
        bytes.extend_from_slice(&rest);
        let _ = decode::<TerminalToHub>(&bytes);
        let _ = decode::<LawyerToHub>(&bytes);
    }
}
