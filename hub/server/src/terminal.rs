//! A terminal's WebSocket (`GET /ws/terminal`).
//!
//! The first message must be `hello` within `limits.hello_timeout_secs`,
//! with a terminal id from `[terminals]` and its token (compared in
//! constant time). Anything else closes the connection with
//! `error{unauthenticated}`. After that the connection forwards messages to
//! the hub task and writes what the hub task sends back; it answers
//! `heartbeat` itself and closes a connection silent for three heartbeat
//! intervals.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocket;
use hub_protocol::{ErrorCode, HubToTerminal, TerminalToHub};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::auth::secrets_equal;
use crate::config::Config;
use crate::conn::{Conn, Received};
use crate::hub::{Command, HubTx, OUT_CAPACITY, Out};

pub async fn run(ws: WebSocket, conn_id: u64, config: Arc<Config>, hub: HubTx) {
    let mut conn = Conn::new(ws, conn_id, "terminal", &config.limits);
    let hello_timeout = Duration::from_secs(u64::from(config.limits.hello_timeout_secs));
    let first = tokio::time::timeout(hello_timeout, conn.ws.recv()).await;
    let Ok(first) = first else {
        conn.refuse::<HubToTerminal>(ErrorCode::Timeout, "no hello in time".into())
            .await;
        return;
    };
    let (terminal_id, office, resume_token) = match conn.check::<TerminalToHub>(first) {
        Received::Message(m) => match m.message {
            TerminalToHub::Hello {
                terminal_id,
                token,
                office,
                resume_token,
            } => {
                let known = config.terminals.get(&terminal_id);
                // Compare against something even for an unknown id, so
                // timing does not tell which ids exist.
                let expected = known.map(|t| t.token.as_str()).unwrap_or("-");
                let token_ok = secrets_equal(&token, expected);
                match known {
                    Some(entry) if token_ok => {
                        if entry.office != office {
                            log::debug!(
                                "terminal connection {conn_id}: hello names another office than the configuration"
                            );
                        }
                        (terminal_id, entry.office.clone(), resume_token)
                    }
                    _ => {
                        conn.refuse::<HubToTerminal>(
                            ErrorCode::Unauthenticated,
                            "unknown terminal id or wrong token".into(),
                        )
                        .await;
                        return;
                    }
                }
            }
            _ => {
                conn.refuse::<HubToTerminal>(
                    ErrorCode::Unauthenticated,
                    "the first message must be hello".into(),
                )
                .await;
                return;
            }
        },
        Received::Refused(code, message) => {
            conn.refuse::<HubToTerminal>(code, message).await;
            return;
        }
        Received::Nothing => {
            conn.refuse::<HubToTerminal>(
                ErrorCode::Unauthenticated,
                "the first message must be hello".into(),
            )
            .await;
            return;
        }
        Received::Closed => return,
    };

    let (tx, mut rx) = mpsc::channel(OUT_CAPACITY);
    if hub
        .send(Command::TerminalHello {
            terminal_id: terminal_id.clone(),
            office,
            resume_token,
            conn: conn_id,
            tx,
        })
        .is_err()
    {
        return;
    }

    let silence = Duration::from_secs(u64::from(config.limits.heartbeat_secs) * 3);
    let deadline = tokio::time::sleep(silence);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            frame = conn.ws.recv() => match conn.check::<TerminalToHub>(frame) {
                Received::Message(m) => {
                    deadline.as_mut().reset(Instant::now() + silence);
                    match m.message {
                        TerminalToHub::Heartbeat => {
                            if !conn.send(&HubToTerminal::Heartbeat).await {
                                break;
                            }
                        }
                        message => {
                            let _ = hub.send(Command::Terminal {
                                terminal_id: terminal_id.clone(),
                                conn: conn_id,
                                message,
                            });
                        }
                    }
                }
                Received::Nothing => deadline.as_mut().reset(Instant::now() + silence),
                Received::Closed => break,
                Received::Refused(code, message) => {
                    conn.refuse::<HubToTerminal>(code, message).await;
                    break;
                }
            },
            out = rx.recv() => match out {
                Some(Out::Msg(m)) => {
                    if !conn.send(&m).await {
                        break;
                    }
                }
                Some(Out::Close(code, message)) => {
                    conn.refuse::<HubToTerminal>(code, message).await;
                    break;
                }
                None => break,
            },
            _ = &mut deadline => {
                conn.refuse::<HubToTerminal>(ErrorCode::Timeout, "no heartbeat in time".into()).await;
                break;
            }
        }
    }
    let _ = hub.send(Command::TerminalGone {
        terminal_id,
        conn: conn_id,
    });
}
