//! The messages between a terminal and the hub, and between a lawyer's
//! browser console and the hub.
//!
//! This crate is the schema. The terminal (Rust) compiles against these
//! types; the lawyer console (JavaScript in the browser) reads this page.
//! It has no I/O: encode a message with [`encode`], decode one with
//! [`decode`].
//!
//! # Transport
//!
//! Every message is one WebSocket **text** frame holding one JSON object of
//! at most [`MAX_MESSAGE_BYTES`] bytes. Larger messages, binary frames and
//! anything that does not decode are answered with an `error` message and
//! the connection is closed (close code 1008, or 1009 for size).
//!
//! | who | WebSocket | authentication |
//! |---|---|---|
//! | terminal | `GET /ws/terminal` | first message `hello` with the terminal's token |
//! | lawyer console | `GET /ws/lawyer` | session cookie from `POST /api/login` |
//!
//! # Envelope
//!
//! Every object has two fields besides its own:
//!
//! * `type`: the message name in `snake_case`, e.g. `"request_call"`;
//! * `seq`: the sender's sequence number, an integer counted from 1 on each
//!   connection, one per message sent. Receivers use it in logs and to
//!   spot gaps; the hub does not reject a message for its `seq`.
//!
//! ```json
//! {"type":"request_call","seq":2,"topic":"labor","resident_name":"张三","masked_id":"1101**********1234"}
//! ```
//!
//! Optional fields (`Option` below) may be omitted or `null`; the hub omits
//! them when empty. Unknown fields are ignored, so either side may add
//! optional fields without breaking the other. Times are whole seconds.
//!
//! # Terminal ↔ hub ([`TerminalToHub`], [`HubToTerminal`])
//!
//! ```text
//! terminal                                hub
//!   hello{terminal_id, token, ...}  ──►
//!                                   ◄──  welcome{resume_token, ice_servers}
//!   request_call{topic, ...}        ──►
//!                                   ◄──  queued{call_id, position, estimated_wait_secs}   (again when it changes)
//!                                   ◄──  ringing{call_id, lawyer_display_name}            (a lawyer is being offered the call)
//!                                   ◄──  accepted{call_id, lawyer_display_name, ice_servers}
//!   signal{sdp offer}               ──►  (relayed to the lawyer)
//!                                   ◄──  signal{sdp answer}, signal{candidate}...
//!   hang_up                         ──►
//!                                   ◄──  ended{call_id, reason}
//!                                   ◄──  summary{call_id, text, advice}                   (when the lawyer writes it)
//! ```
//!
//! * The **terminal is always the WebRTC offerer** (it sends the SDP offer
//!   after `accepted`, and it alone restarts ICE with a new offer); the
//!   lawyer console always answers. Offers therefore never collide.
//! * A `signal` is relayed unchanged, with the same `call_id`, to the other
//!   party of that call and to nobody else. A `candidate` may arrive before
//!   the remote description: buffer it. `end_of_candidates` ends gathering.
//! * A terminal has at most one call at a time.
//! * `queued.suggestion` tells the terminal to offer "leave a message"
//!   (no lawyer with the topic on duty, or the estimated wait is over the
//!   hub's limit). The call keeps waiting until the resident decides:
//!   `leave_message` while a call is waiting ends it (outcome
//!   `message_left`); `cancel_call` abandons it.
//! * Reconnecting: a terminal whose WebSocket drops reconnects (with
//!   back-off) and sends `hello` with the `resume_token` of its last
//!   `welcome`. Within the hub's grace period (`resume_grace_secs`) its
//!   call goes on (media is peer to peer and does not need the hub), and
//!   `welcome.resumed_call_id` names it. After the grace period the call
//!   ends (`terminal_lost` for the lawyer).
//! * Heartbeat: send `heartbeat` every `welcome.heartbeat_secs`; the hub
//!   answers `heartbeat`. A connection silent for three intervals is
//!   closed by the hub.
//!
//! # Lawyer console ↔ hub ([`LawyerToHub`], [`HubToLawyer`])
//!
//! ```text
//! console                                 hub
//!   (POST /api/login, cookie)
//!   GET /ws/lawyer                  ──►
//!                                   ◄──  welcome{lawyer, state}, queue{...}, messages{...}
//!   set_state{available}            ──►
//!                                   ◄──  state{available}
//!                                   ◄──  offer{call_id, topic, resident_name, expires_in_secs, ...}
//!   accept{call_id}                 ──►
//!                                   ◄──  call_started{call_id, ice_servers}
//!                                   ◄──  signal{sdp offer}     (from the terminal)
//!   signal{sdp answer}              ──►
//!   hang_up{call_id}                ──►
//!                                   ◄──  ended{call_id, reason}
//!   submit_summary{call_id, ...}    ──►
//!                                   ◄──  summary_stored{call_id}
//! ```
//!
//! * Lawyer states ([`LawyerState`]): `away` (initial state after
//!   connecting), `available`, `ringing` (an offer is pending), `busy` (in
//!   a call). The console sets only `available` or `away`; the hub pushes
//!   `state` whenever it changes.
//! * Dispatch: a waiting call is offered to the matching available lawyer
//!   (topic in skills) who has been idle longest. An offer not accepted
//!   within `expires_in_secs` is withdrawn (`offer_withdrawn`), the lawyer
//!   is set `away`, and the call goes back to the head of the queue for the
//!   next lawyer. `decline` withdraws it at once; that lawyer is not
//!   offered the same call again but stays available.
//! * `queue` snapshots are pushed whenever the queue changes (at most a few
//!   per second). They show every waiting call (topic, office, waiting
//!   time). Resident details appear only in the entries of the call offered
//!   to or accepted by the receiving lawyer.
//! * `messages` lists the messages residents left that are not handled
//!   yet; it is pushed on connect and whenever it changes.
//! * Only one console per lawyer account: a second connection replaces the
//!   first, which receives `error{replaced}` and is closed.
//!
//! # Errors
//!
//! `error{code, message}`: `message` is English for logs and developers;
//! show the user something based on `code` ([`ErrorCode`]). Errors with
//! codes `unauthenticated`, `bad_message`, `too_large`, `rate_limited`,
//! `replaced` and `timeout` are followed by the hub closing the connection;
//! the others (`not_allowed`, `unknown_call`, `invalid`, `internal`) are
//! answers to one request and the connection stays open.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The largest message, in bytes of JSON text, either side may send.
/// SDP offers with several media sections and many codecs stay well under
/// 16 KiB; summaries and messages are bounded by [`MAX_TEXT_CHARS`].
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// The longest free text (summary, advice, left message), in characters.
pub const MAX_TEXT_CHARS: usize = 4000;

/// Version of this schema; bumped on an incompatible change.
pub const PROTOCOL_VERSION: u32 = 1;

/// The topic keys terminals offer and lawyers list as skills, in the order
/// a terminal shows them. The hub accepts other keys too (a newer terminal);
/// what each is called is up to the UI (`hub/console/js/text.js`, the
/// terminal's `ConsultWords`).
pub const TOPICS: [&str; 12] = [
    "family",
    "labor",
    "debt",
    "land",
    "housing",
    "traffic",
    "consumer",
    "inheritance",
    "neighbor",
    "administrative",
    "criminal",
    "other",
];

/// A call's identifier, chosen by the hub (opaque string, at most 64 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CallId(pub String);

impl std::fmt::Display for CallId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One message with its sequence number: `{"type": ..., "seq": n, ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<M> {
    /// Counted from 1 per connection and sender.
    pub seq: u64,
    #[serde(flatten)]
    pub message: M,
}

/// Terminal → hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TerminalToHub {
    /// First message on every connection. `token` is the terminal's secret
    /// from the hub's configuration; `office` is informational (the hub's
    /// configuration is authoritative). `resume_token` from the last
    /// `welcome` resumes a call after a reconnect.
    Hello {
        terminal_id: String,
        token: String,
        office: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resume_token: Option<String>,
    },
    /// Ask for a lawyer. `topic` is a topic key such as `labor`, `family`,
    /// `land` (the same keys as the lawyers' skills). The resident's name,
    /// masked ID number (never the full number) and phone are shown only to
    /// the lawyer the call is offered to.
    RequestCall {
        topic: String,
        resident_name: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        masked_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        callback_phone: Option<String>,
    },
    /// Stop waiting (while queued or ringing). `call_id`, when given, must
    /// be the terminal's current call.
    CancelCall {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<CallId>,
    },
    /// WebRTC signaling for the call, relayed to its lawyer.
    Signal {
        call_id: CallId,
        payload: SignalPayload,
    },
    /// End the current call. `call_id`, when given, must be the current call.
    HangUp {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        call_id: Option<CallId>,
    },
    /// Leave a message for the lawyers (stored; answered by a call back).
    /// Sent while a call is waiting, it also ends that call.
    LeaveMessage {
        topic: String,
        name: String,
        callback_phone: String,
        text: String,
    },
    /// Keep-alive; the hub answers `heartbeat`.
    Heartbeat,
}

/// Hub → terminal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HubToTerminal {
    /// Answer to a valid `hello`. Keep `resume_token` for reconnecting.
    /// `ice_servers` are good for general use (TURN credentials here expire
    /// after the hub's TURN lifetime; `accepted` brings fresh ones).
    Welcome {
        resume_token: String,
        ice_servers: Vec<IceServer>,
        heartbeat_secs: u32,
        protocol_version: u32,
        /// Set when the hello resumed a call that is still going on.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resumed_call_id: Option<CallId>,
    },
    /// The call waits for a lawyer. Sent after `request_call` and again
    /// whenever the position or estimate changes. `position` counts from 1
    /// among the calls waiting for the same topic. `estimated_wait_secs`
    /// is absent when no lawyer for the topic is on duty.
    Queued {
        call_id: CallId,
        position: u32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        estimated_wait_secs: Option<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        suggestion: Option<Suggestion>,
    },
    /// A lawyer is being offered the call (it may still go back to the
    /// queue, announced by a new `queued`).
    Ringing {
        call_id: CallId,
        lawyer_display_name: String,
    },
    /// The lawyer answered: create the peer connection with `ice_servers`
    /// and send the SDP offer.
    Accepted {
        call_id: CallId,
        lawyer_display_name: String,
        ice_servers: Vec<IceServer>,
    },
    /// Signaling from the lawyer.
    Signal {
        call_id: CallId,
        payload: SignalPayload,
    },
    /// The call is over (from any state).
    Ended { call_id: CallId, reason: EndReason },
    /// The lawyer's written summary, for the resident to print.
    Summary {
        call_id: CallId,
        text: String,
        advice: String,
    },
    /// The `leave_message` was stored under this reference number.
    MessageStored { id: i64 },
    /// See [`ErrorCode`].
    Error { code: ErrorCode, message: String },
    /// Answer to `heartbeat`.
    Heartbeat,
}

/// Lawyer console → hub.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LawyerToHub {
    /// Go on duty (`available`) or off (`away`). Not allowed while busy.
    SetState { state: Availability },
    /// Replace the lawyer's topics (stored in the account).
    SetSkills { topics: Vec<String> },
    /// Answer the call offered in `offer`.
    Accept { call_id: CallId },
    /// Refuse the offered call; it goes back to the head of the queue.
    Decline { call_id: CallId },
    /// WebRTC signaling for the accepted call, relayed to its terminal.
    Signal {
        call_id: CallId,
        payload: SignalPayload,
    },
    /// End the accepted call.
    HangUp { call_id: CallId },
    /// Write the summary of a call this lawyer answered (during or after
    /// the call; a later one replaces an earlier one). Sent on to the
    /// terminal if it is still connected.
    SubmitSummary {
        call_id: CallId,
        text: String,
        advice: String,
    },
    /// Ask for the `messages` list again.
    ListMessages,
    /// Mark a resident's message as handled (called back).
    MarkHandled { id: i64 },
    /// Keep-alive; the hub answers `heartbeat`.
    Heartbeat,
}

/// Hub → lawyer console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HubToLawyer {
    /// First message after connecting.
    Welcome {
        lawyer: LawyerProfile,
        state: LawyerState,
        heartbeat_secs: u32,
        protocol_version: u32,
    },
    /// The lawyer's state changed.
    State { state: LawyerState },
    /// The waiting calls, pushed when the queue changes. `entries` holds at
    /// most a few hundred calls, oldest first; `total_waiting` counts all.
    Queue {
        entries: Vec<QueueEntry>,
        total_waiting: u32,
    },
    /// A call is offered to this lawyer; `accept` or `decline` it within
    /// `expires_in_secs`.
    Offer {
        call_id: CallId,
        topic: String,
        office: String,
        terminal_id: String,
        waited_secs: u32,
        expires_in_secs: u32,
        resident: ResidentInfo,
    },
    /// The offer is no longer valid (it timed out, or the resident
    /// cancelled).
    OfferWithdrawn {
        call_id: CallId,
        reason: WithdrawReason,
    },
    /// The accepted call is set up: expect the terminal's SDP offer.
    CallStarted {
        call_id: CallId,
        ice_servers: Vec<IceServer>,
        resident: ResidentInfo,
        office: String,
        topic: String,
    },
    /// Signaling from the terminal.
    Signal {
        call_id: CallId,
        payload: SignalPayload,
    },
    /// The accepted call is over.
    Ended { call_id: CallId, reason: EndReason },
    /// The summary was saved.
    SummaryStored { call_id: CallId },
    /// Messages left by residents and not yet handled, newest first.
    Messages { messages: Vec<LeftMessage> },
    /// See [`ErrorCode`].
    Error { code: ErrorCode, message: String },
    /// Answer to `heartbeat`.
    Heartbeat,
}

/// WebRTC signaling, relayed unchanged between the two parties of a call:
/// `{"type":"sdp","kind":"offer","sdp":"v=0..."}`,
/// `{"type":"candidate","candidate":"candidate:1 1 UDP ...","sdp_mid":"0","sdp_mline_index":0}`,
/// `{"type":"end_of_candidates"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SignalPayload {
    /// A session description (`RTCSessionDescription`).
    Sdp { kind: SdpKind, sdp: String },
    /// One trickled ICE candidate (`RTCIceCandidateInit`).
    Candidate {
        candidate: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdp_mid: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        sdp_mline_index: Option<u16>,
    },
    /// Gathering finished (the browser's `null` candidate).
    EndOfCandidates,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SdpKind {
    Offer,
    Answer,
}

/// A STUN or TURN server, as in the browser's `RTCIceServer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// Why a call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    HungUpByLawyer,
    /// Also: cancelled while waiting, or a message was left instead.
    HungUpByTerminal,
    /// The lawyer's connection was lost and did not come back in time.
    LawyerLost,
    /// The terminal's connection was lost and did not come back in time.
    TerminalLost,
    /// The call waited too long and no lawyer for its topic was on duty.
    NoLawyer,
    /// The call waited longer than the hub's queue limit.
    Timeout,
}

/// Why the terminal should offer to leave a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Suggestion {
    /// No lawyer for this topic is on duty now.
    NoLawyerOnDuty,
    /// The estimated wait is over the hub's limit.
    LongWait,
}

/// What a lawyer may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Available,
    Away,
}

/// A lawyer's state as the hub sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LawyerState {
    Away,
    Available,
    Ringing,
    Busy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WithdrawReason {
    /// Not accepted in time; the lawyer was set `away`.
    Timeout,
    /// The resident cancelled or left.
    Cancelled,
    /// The lawyer declined it.
    Declined,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LawyerProfile {
    pub username: String,
    pub display_name: String,
    pub skills: Vec<String>,
}

/// What the lawyer may know about the resident of an offered or accepted
/// call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResidentInfo {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub masked_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_phone: Option<String>,
}

/// One call in the `queue` snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueEntry {
    pub call_id: CallId,
    pub topic: String,
    pub office: String,
    pub waiting_secs: u32,
    /// `waiting`, or `ringing` / `busy` for this lawyer's own call.
    pub status: QueueStatus,
    /// Whether the topic is among this lawyer's skills.
    pub matches_skills: bool,
    /// Only for the call offered to or accepted by this lawyer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resident: Option<ResidentInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QueueStatus {
    Waiting,
    Ringing,
    Busy,
}

/// A message a resident left.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftMessage {
    pub id: i64,
    pub topic: String,
    pub name: String,
    pub callback_phone: String,
    pub text: String,
    pub office: String,
    pub terminal_id: String,
    /// Seconds since the Unix epoch.
    pub created_at: i64,
    pub handled: bool,
}

/// Machine-readable error kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// Missing, unknown or wrong credentials (closes).
    Unauthenticated,
    /// Not JSON, not a known message, or not a text frame (closes).
    BadMessage,
    /// Over [`MAX_MESSAGE_BYTES`] (closes).
    TooLarge,
    /// Too many messages per second (closes).
    RateLimited,
    /// Another connection signed in with the same identity (closes).
    Replaced,
    /// No hello or no heartbeat in time (closes).
    Timeout,
    /// Not allowed in the current state, e.g. a second call.
    NotAllowed,
    /// The call id is not a call of this connection.
    UnknownCall,
    /// A field is empty or too long.
    Invalid,
    /// The hub failed (e.g. storage); try again later.
    Internal,
}

/// Why bytes are not a message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("message of {size} bytes is over the limit of {limit} bytes")]
    TooLarge { size: usize, limit: usize },
    #[error("malformed message: {0}")]
    Malformed(String),
}

impl ProtocolError {
    /// The error code to send back.
    pub fn code(&self) -> ErrorCode {
        match self {
            ProtocolError::TooLarge { .. } => ErrorCode::TooLarge,
            ProtocolError::Malformed(_) => ErrorCode::BadMessage,
        }
    }
}

/// The four message enums; `decode`/`encode` work on any of them.
pub trait Message: Serialize + DeserializeOwned + sealed::Sealed {}
impl Message for TerminalToHub {}
impl Message for HubToTerminal {}
impl Message for LawyerToHub {}
impl Message for HubToLawyer {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for super::TerminalToHub {}
    impl Sealed for super::HubToTerminal {}
    impl Sealed for super::LawyerToHub {}
    impl Sealed for super::HubToLawyer {}
}

/// Decodes one message. Never panics, whatever the bytes.
///
/// ```
/// use hub_protocol::{decode, TerminalToHub};
/// let m = decode::<TerminalToHub>(br#"{"type":"heartbeat","seq":7}"#).unwrap();
/// assert_eq!(m.seq, 7);
/// assert_eq!(m.message, TerminalToHub::Heartbeat);
/// ```
pub fn decode<M: Message>(bytes: &[u8]) -> Result<Envelope<M>, ProtocolError> {
    if bytes.len() > MAX_MESSAGE_BYTES {
        return Err(ProtocolError::TooLarge {
            size: bytes.len(),
            limit: MAX_MESSAGE_BYTES,
        });
    }
    serde_json::from_slice(bytes).map_err(|e| {
        // serde_json's message names the position and the expected shape,
        // never the content of a string, so it is safe to log.
        ProtocolError::Malformed(e.to_string())
    })
}

/// Encodes one message as JSON text.
pub fn encode<M: Message>(seq: u64, message: &M) -> String {
    #[derive(Serialize)]
    struct Ref<'a, M> {
        seq: u64,
        #[serde(flatten)]
        message: &'a M,
    }
    // Serializing these types cannot fail: every map key is a string.
    serde_json::to_string(&Ref { seq, message }).unwrap_or_else(|_| {
        String::from(r#"{"type":"error","seq":0,"code":"internal","message":"encoding failed"}"#)
    })
}

/// Counts characters, for the [`MAX_TEXT_CHARS`]-style limits.
pub fn char_len(text: &str) -> usize {
    text.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hello_has_documented_shape() {
        let text = encode(
            1,
            &TerminalToHub::Hello {
                terminal_id: "t-001".into(),
                token: "secret".into(),
                office: "城关司法所".into(),
                resume_token: None,
            },
        );
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["type"], "hello");
        assert_eq!(v["seq"], 1);
        assert_eq!(v["terminal_id"], "t-001");
        assert!(v.get("resume_token").is_none());
    }

    #[test]
    fn signal_payload_shape() {
        let text = encode(
            3,
            &HubToTerminal::Signal {
                call_id: CallId("c1".into()),
                payload: SignalPayload::Sdp {
                    kind: SdpKind::Answer,
                    sdp: "v=0".into(),
                },
            },
        );
        assert_eq!(
            text,
            r#"{"seq":3,"type":"signal","call_id":"c1","payload":{"type":"sdp","kind":"answer","sdp":"v=0"}}"#
        );
    }

    #[test]
    fn unknown_fields_are_ignored_and_missing_seq_is_refused() {
        let m = decode::<LawyerToHub>(br#"{"type":"accept","seq":2,"call_id":"x","extra":1}"#);
        assert!(m.is_ok());
        assert!(decode::<LawyerToHub>(br#"{"type":"accept","call_id":"x"}"#).is_err());
        assert!(decode::<LawyerToHub>(br#"{"type":"launch","seq":1}"#).is_err());
    }

    #[test]
    fn too_large_is_refused_before_parsing() {
        let big = vec![b' '; MAX_MESSAGE_BYTES + 1];
        assert_eq!(
            decode::<TerminalToHub>(&big).unwrap_err().code(),
            ErrorCode::TooLarge
        );
    }

    #[test]
    fn every_topic_has_a_name_in_the_lawyer_console() {
        let text = include_str!("../../console/js/text.js");
        let start = text.find("export const TOPICS").expect("TOPICS in text.js");
        let table = &text[start..start + text[start..].find("};").expect("end of TOPICS")];
        for topic in TOPICS {
            assert!(
                table.contains(&format!("\n  {topic}: '")),
                "hub/console/js/text.js has no name for topic {topic}"
            );
        }
    }
}
