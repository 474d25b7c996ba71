//! One WebSocket connection's framing rules, shared by terminals and
//! lawyers: text frames only, at most `limits.max_message_bytes`, at most
//! `limits.burst` messages at once and `limits.messages_per_sec` sustained,
//! each a decodable message. A breach is answered with `error{code}`, a
//! close frame, and the end of the connection. Outgoing messages are
//! numbered (`seq`) here.
//!
//! Logs name the connection number and the kind of breach, never the
//! content of a message.

use std::time::Instant;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use hub_protocol::{Envelope, ErrorCode, HubToLawyer, HubToTerminal, Message, decode, encode};

use crate::config::LimitsConfig;

/// Close codes (RFC 6455).
const CLOSE_NORMAL: u16 = 1000;
const CLOSE_POLICY: u16 = 1008;
const CLOSE_TOO_BIG: u16 = 1009;

/// Messages the hub sends that can carry an error.
pub trait Outgoing: Message {
    fn error(code: ErrorCode, message: String) -> Self;
}

impl Outgoing for HubToTerminal {
    fn error(code: ErrorCode, message: String) -> Self {
        HubToTerminal::Error { code, message }
    }
}

impl Outgoing for HubToLawyer {
    fn error(code: ErrorCode, message: String) -> Self {
        HubToLawyer::Error { code, message }
    }
}

/// A token bucket.
struct RateLimit {
    tokens: f64,
    capacity: f64,
    per_sec: f64,
    last: Instant,
}

impl RateLimit {
    fn allow(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What a received frame turned out to be.
pub enum Received<M> {
    Message(Envelope<M>),
    /// Ping/pong: nothing to do.
    Nothing,
    /// The peer closed or the socket failed.
    Closed,
    /// A breach: send this error and close.
    Refused(ErrorCode, String),
}

pub struct Conn {
    pub ws: WebSocket,
    pub id: u64,
    pub kind: &'static str,
    seq: u64,
    max_bytes: usize,
    rate: RateLimit,
}

impl Conn {
    pub fn new(ws: WebSocket, id: u64, kind: &'static str, limits: &LimitsConfig) -> Self {
        Conn {
            ws,
            id,
            kind,
            seq: 0,
            max_bytes: limits.max_message_bytes,
            rate: RateLimit {
                tokens: f64::from(limits.burst),
                capacity: f64::from(limits.burst),
                per_sec: f64::from(limits.messages_per_sec),
                last: Instant::now(),
            },
        }
    }

    /// Checks one frame from `ws.recv()`.
    pub fn check<M: Message>(
        &mut self,
        frame: Option<Result<WsMessage, axum::Error>>,
    ) -> Received<M> {
        let frame = match frame {
            None | Some(Err(_)) => return Received::Closed,
            Some(Ok(frame)) => frame,
        };
        if !self.rate.allow() {
            return Received::Refused(
                ErrorCode::RateLimited,
                "too many messages per second".into(),
            );
        }
        match frame {
            WsMessage::Text(text) => {
                if text.len() > self.max_bytes {
                    return Received::Refused(
                        ErrorCode::TooLarge,
                        format!(
                            "message of {} bytes is over the limit of {} bytes",
                            text.len(),
                            self.max_bytes
                        ),
                    );
                }
                match decode::<M>(text.as_bytes()) {
                    Ok(m) => Received::Message(m),
                    Err(e) => Received::Refused(e.code(), e.to_string()),
                }
            }
            WsMessage::Binary(_) => Received::Refused(
                ErrorCode::BadMessage,
                "binary frames are not accepted".into(),
            ),
            WsMessage::Ping(_) | WsMessage::Pong(_) => Received::Nothing,
            WsMessage::Close(_) => Received::Closed,
        }
    }

    /// Sends one message; `false` if the socket is gone.
    pub async fn send<M: Message>(&mut self, message: &M) -> bool {
        self.seq += 1;
        let text = encode(self.seq, message);
        self.ws.send(WsMessage::Text(text.into())).await.is_ok()
    }

    /// Sends `error{code, message}`, then a close frame.
    pub async fn refuse<M: Outgoing>(&mut self, code: ErrorCode, message: String) {
        log::info!(
            "{} connection {} closed: {code:?}: {message}",
            self.kind,
            self.id
        );
        let close_code = match code {
            ErrorCode::TooLarge => CLOSE_TOO_BIG,
            ErrorCode::Replaced => CLOSE_NORMAL,
            _ => CLOSE_POLICY,
        };
        let reason: String = format!("{code:?}").chars().take(100).collect();
        let _ = self.send(&M::error(code, message)).await;
        let _ = self
            .ws
            .send(WsMessage::Close(Some(CloseFrame {
                code: close_code,
                reason: reason.into(),
            })))
            .await;
    }
}
