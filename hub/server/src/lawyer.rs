//! A lawyer console's WebSocket (`GET /ws/lawyer`).
//!
//! The HTTP upgrade request must carry the session cookie of a signed-in,
//! enabled lawyer (checked in [`crate::server`] before upgrading; otherwise
//! `401`). The connection then forwards messages to the hub task and writes
//! what it sends back, answers `heartbeat` itself, and closes a connection
//! silent for three heartbeat intervals.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::WebSocket;
use hub_protocol::{HubToLawyer, LawyerToHub};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::config::Config;
use crate::conn::{Conn, Received};
use crate::hub::{Command, HubTx, OUT_CAPACITY, Out};
use crate::records::Lawyer;

pub async fn run(ws: WebSocket, conn_id: u64, lawyer: Lawyer, config: Arc<Config>, hub: HubTx) {
    let mut conn = Conn::new(ws, conn_id, "lawyer", &config.limits);
    let lawyer_id = lawyer.id;
    let (tx, mut rx) = mpsc::channel(OUT_CAPACITY);
    if hub
        .send(Command::LawyerJoin {
            lawyer,
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
            frame = conn.ws.recv() => match conn.check::<LawyerToHub>(frame) {
                Received::Message(m) => {
                    deadline.as_mut().reset(Instant::now() + silence);
                    match m.message {
                        LawyerToHub::Heartbeat => {
                            if !conn.send(&HubToLawyer::Heartbeat).await {
                                break;
                            }
                        }
                        message => {
                            let _ = hub.send(Command::Lawyer { lawyer_id, conn: conn_id, message });
                        }
                    }
                }
                Received::Nothing => deadline.as_mut().reset(Instant::now() + silence),
                Received::Closed => break,
                Received::Refused(code, message) => {
                    conn.refuse::<HubToLawyer>(code, message).await;
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
                    conn.refuse::<HubToLawyer>(code, message).await;
                    break;
                }
                None => break,
            },
            _ = &mut deadline => {
                conn.refuse::<HubToLawyer>(hub_protocol::ErrorCode::Timeout, "no heartbeat in time".into()).await;
                break;
            }
        }
    }
    let _ = hub.send(Command::LawyerGone {
        lawyer_id,
        conn: conn_id,
    });
}
