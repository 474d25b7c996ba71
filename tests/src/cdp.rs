//! A small Chrome DevTools Protocol client on tokio-tungstenite.
//!
//! One [`Cdp`] is one DevTools WebSocket: the browser endpoint
//! (`/devtools/browser/<id>`) or a page's (`/devtools/page/<targetId>`).
//! [`Cdp::call`] sends `{"id", "method", "params"}` and awaits the answer
//! with the same `id`; a protocol error comes back as `Err`. Messages
//! without an `id` are events: [`Cdp::events`] subscribes to them as
//! `(method, params)`. A reader task owns the receiving half; when the
//! socket closes, pending and later calls fail.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio::sync::{broadcast, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::{Result, fail};

type Sink = SplitSink<WebSocketStream<MaybeTlsStream<TcpStream>>, Message>;
type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<std::result::Result<Value, String>>>>>;

/// How long one DevTools command may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(30);

pub struct Cdp {
    sink: tokio::sync::Mutex<Sink>,
    next_id: AtomicU64,
    pending: Pending,
    events: broadcast::Sender<(String, Value)>,
    reader: tokio::task::JoinHandle<()>,
}

impl Cdp {
    /// Connects to a DevTools WebSocket URL.
    pub async fn connect(url: &str) -> Result<Cdp> {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| fail!("DevTools connection to {url}: {e}"))?;
        let (sink, mut stream) = ws.split();
        let pending: Pending = Arc::default();
        let (events, _) = broadcast::channel(1024);
        let reader = {
            let pending = pending.clone();
            let events = events.clone();
            tokio::spawn(async move {
                while let Some(Ok(frame)) = stream.next().await {
                    let Message::Text(text) = frame else { continue };
                    let Ok(v) = serde_json::from_str::<Value>(&text) else {
                        continue;
                    };
                    if let Some(id) = v.get("id").and_then(Value::as_u64) {
                        let waiter = pending.lock().unwrap().remove(&id);
                        if let Some(w) = waiter {
                            let answer = match v.get("error") {
                                Some(e) => Err(e.to_string()),
                                None => Ok(v.get("result").cloned().unwrap_or(Value::Null)),
                            };
                            let _ = w.send(answer);
                        }
                    } else if let Some(method) = v.get("method").and_then(Value::as_str) {
                        let params = v.get("params").cloned().unwrap_or(Value::Null);
                        let _ = events.send((method.to_owned(), params));
                    }
                }
                // Closed: fail everything still waiting.
                pending.lock().unwrap().clear();
            })
        };
        Ok(Cdp {
            sink: tokio::sync::Mutex::new(sink),
            next_id: AtomicU64::new(1),
            pending,
            events,
            reader,
        })
    }

    /// Sends a command and awaits its result.
    pub async fn call(&self, method: &str, params: Value) -> Result<Value> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().unwrap().insert(id, tx);
        let text = json!({ "id": id, "method": method, "params": params }).to_string();
        self.sink
            .lock()
            .await
            .send(Message::Text(text.into()))
            .await
            .map_err(|e| fail!("DevTools {method}: sending failed: {e}"))?;
        match tokio::time::timeout(CALL_TIMEOUT, rx).await {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(e))) => Err(fail!("DevTools {method}: {e}")),
            Ok(Err(_)) => Err(fail!("DevTools {method}: connection closed")),
            Err(_) => {
                self.pending.lock().unwrap().remove(&id);
                Err(fail!("DevTools {method}: no answer in {CALL_TIMEOUT:?}"))
            }
        }
    }

    /// Events from now on, as `(method, params)`.
    pub fn events(&self) -> broadcast::Receiver<(String, Value)> {
        self.events.subscribe()
    }
}

impl Drop for Cdp {
    fn drop(&mut self) {
        self.reader.abort();
    }
}
