//! The terminal's connection to the dispatch hub.
//!
//! A resident asks for a video consultation at the terminal; the hub queues
//! the call, offers it to a duty lawyer and relays the WebRTC signaling
//! between the terminal and the lawyer's browser. This crate is the
//! terminal's side of that conversation, as a library with no UI:
//!
//! * [`HubClient`]: one WebSocket to `ws://…/ws/terminal`, on its own thread
//!   with its own tokio runtime. Commands ([`HubClient::request_call`],
//!   [`HubClient::send_signal`], …) are queued and never block; what the hub
//!   says comes back as [`HubEvent`]s through the callback given to
//!   [`HubClient::start`]. The client says `hello` with the terminal's token,
//!   sends heartbeats, and when the socket drops reconnects with
//!   exponential back-off and the resume token of its last `welcome`, so a
//!   call in progress goes on (media is peer to peer). Dropping the client
//!   closes the socket and joins the thread.
//! * [`CallSession`]: once the hub reports [`HubEvent::Accepted`], drives
//!   `kiosk-call`'s offerer: sends the offer and the trickled candidates
//!   through the client, applies the lawyer's answer and candidates,
//!   restarts ICE when the media path stays down, and ends the call when it
//!   cannot recover. It hands the decoded remote video and audio to the UI.
//!
//! The message schema is the `hub-protocol` crate; read its crate docs for
//! the order of messages. This crate adds no message of its own.
//!
//! # Threads
//!
//! ```text
//!  UI thread ──commands (unbounded channel)──► khub-client thread (tokio, 1 worker)
//!      ▲                                             │  WebSocket to the hub
//!      └──────────── on_event(HubEvent) ◄────────────┘
//!
//!  UI thread ──signals from the hub──► khub-session thread ──► kiosk_call::Call
//!      ▲                                    │  (its own runtime and media threads)
//!      └──── on_event(SessionEvent), video/audio channels
//! ```
//!
//! Callbacks run on the client's (or the session's) thread: they must
//! return quickly, typically by posting to the UI event loop.
//!
//! # Robustness and privacy
//!
//! Nothing received from the network causes a panic: frames that do not
//! decode are logged (by kind and size, never content) and ignored. Logs
//! carry message types, sequence numbers and error codes only — never a
//! resident's name, ID number, phone, message text or SDP.

pub mod client;
pub mod session;

pub use client::{HubClient, HubClientConfig, HubEvent, HubSender};
pub use hub_protocol::{
    CallId, EndReason, ErrorCode, IceServer, SdpKind, SignalPayload, Suggestion,
};
pub use kiosk_call::{AudioChunk, CallConfig, CallStats, MediaSources, Quality, VideoFrame};
pub use session::{CallSession, SessionConfig, SessionEnd, SessionEvent};
