//! Test helpers: the hub started in-process exactly as the hub's own tests
//! start it (their `common` module is reused as is), a TCP proxy in front of
//! it that can cut connections, refuse them or switch to another hub, and an
//! event collector for the client.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiosk_hub_client::{HubClient, HubClientConfig, HubEvent};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

#[path = "../../../../hub/server/tests/common/mod.rs"]
pub mod hubtest;

/// Generous: the tests run on loaded two-core machines.
pub const WAIT: Duration = Duration::from_secs(20);

pub fn url(addr: SocketAddr) -> String {
    format!("ws://{addr}/ws/terminal")
}

/// A client configuration for terminal `id` with short back-off.
pub fn config(addr: SocketAddr, id: &str) -> HubClientConfig {
    let mut c = HubClientConfig::new(url(addr), id, hubtest::token(id), format!("Office {id}"));
    c.backoff_min = Duration::from_millis(100);
    c.backoff_max = Duration::from_secs(1);
    c
}

pub struct Events {
    rx: mpsc::UnboundedReceiver<HubEvent>,
    /// Every event taken so far.
    pub seen: Vec<HubEvent>,
}

pub fn start_client(config: HubClientConfig) -> (HubClient, Events) {
    let (tx, rx) = mpsc::unbounded_channel();
    let client = HubClient::start(config, move |e| {
        let _ = tx.send(e);
    });
    (
        client,
        Events {
            rx,
            seen: Vec::new(),
        },
    )
}

impl Events {
    /// Skips events until one matches; panics after [`WAIT`].
    pub async fn until<T>(
        &mut self,
        what: &str,
        mut pick: impl FnMut(&HubEvent) -> Option<T>,
    ) -> T {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let e = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("no {what} in time; seen {:?}", self.seen))
                .expect("client alive");
            self.seen.push(e.clone());
            if let Some(t) = pick(&e) {
                return t;
            }
        }
    }

    /// The next event, untracked (None when the client is gone).
    pub async fn rx_recv(&mut self) -> Option<HubEvent> {
        self.rx.recv().await
    }

    /// Events arriving within `d`.
    pub async fn during(&mut self, d: Duration) -> Vec<HubEvent> {
        let deadline = tokio::time::Instant::now() + d;
        let mut got = Vec::new();
        while let Ok(Some(e)) = tokio::time::timeout_at(deadline, self.rx.recv()).await {
            self.seen.push(e.clone());
            got.push(e);
        }
        got
    }
}

/// A TCP proxy to a hub.
pub struct Proxy {
    pub addr: SocketAddr,
    target: Arc<Mutex<SocketAddr>>,
    refusing: Arc<AtomicBool>,
    accepted: Arc<AtomicUsize>,
    cut: watch::Sender<u64>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let target = Arc::new(Mutex::new(target));
        let refusing = Arc::new(AtomicBool::new(false));
        let accepted = Arc::new(AtomicUsize::new(0));
        let (cut, cut_rx) = watch::channel(0u64);
        let (t, r, a) = (target.clone(), refusing.clone(), accepted.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                a.fetch_add(1, Ordering::SeqCst);
                if r.load(Ordering::SeqCst) {
                    drop(inbound);
                    continue;
                }
                let to = *t.lock().unwrap();
                let mut cut_rx = cut_rx.clone();
                cut_rx.mark_unchanged();
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(to).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        Proxy {
            addr,
            target,
            refusing,
            accepted,
            cut,
        }
    }

    /// Drops every connection going through now (as a network failure would).
    pub fn cut(&self) {
        self.cut.send_modify(|n| *n += 1);
    }

    /// Accepts and at once closes new connections (a hub that is down).
    pub fn refuse(&self, on: bool) {
        self.refusing.store(on, Ordering::SeqCst);
    }

    /// Sends new connections to another hub.
    pub fn retarget(&self, to: SocketAddr) {
        *self.target.lock().unwrap() = to;
    }

    /// Connections accepted so far.
    pub fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}
