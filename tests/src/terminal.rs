//! A terminal played by `kiosk-call` (the terminal's real WebRTC engine:
//! webrtc-rs offerer, VP8 + Opus, synthetic camera and tone) and
//! `hub-protocol` over tokio-tungstenite.
//!
//! [`TestTerminal::connect`] sends `hello` and waits for `welcome`. A
//! reader task owns the socket's receiving half: `signal`s for the current
//! call go straight to the [`Call`] (answer, candidates, end of
//! candidates); every other hub message is queued for the test
//! ([`TestTerminal::next`], [`TestTerminal::until`]). [`TestTerminal::start_call`]
//! (after `accepted`) creates the call, sends the SDP offer and trickles
//! local candidates; the call's other events are kept for
//! [`TestTerminal::call_event`]. A heartbeat goes out every 10 s.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hub_protocol::{
    CallId, HubToTerminal, IceServer, SdpKind, SignalPayload, TerminalToHub, decode, encode,
};
use kiosk_call::{Call, CallConfig, CallEvent, IceCandidate, MediaSources, SessionDescription};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::hub::Hub;
use crate::{Result, WAIT, fail, within};

type CallSlot = Arc<Mutex<Option<(CallId, Arc<Call>)>>>;

pub struct TestTerminal {
    pub id: String,
    out: mpsc::UnboundedSender<TerminalToHub>,
    inbox: mpsc::UnboundedReceiver<HubToTerminal>,
    call: CallSlot,
    call_events: Option<flume::Receiver<CallEvent>>,
    pub welcome: HubToTerminal,
    /// When the SDP offer was sent (for timings).
    pub offer_sent_at: Option<Instant>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl TestTerminal {
    /// Connects as `terminal_id` (configured in `hub`) and says hello.
    pub async fn connect(hub: &Hub, terminal_id: &str) -> Result<TestTerminal> {
        let (ws, _) = tokio_tungstenite::connect_async(hub.ws_url("/ws/terminal"))
            .await
            .map_err(|e| fail!("terminal {terminal_id}: connecting to the hub: {e}"))?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut out_rx) = mpsc::unbounded_channel::<TerminalToHub>();
        let (in_tx, inbox) = mpsc::unbounded_channel();
        let call: CallSlot = Arc::default();

        let writer = tokio::spawn(async move {
            let mut seq = 0u64;
            let mut heartbeat = tokio::time::interval(Duration::from_secs(10));
            heartbeat.tick().await;
            loop {
                let message = tokio::select! {
                    m = out_rx.recv() => match m { Some(m) => m, None => break },
                    _ = heartbeat.tick() => TerminalToHub::Heartbeat,
                };
                seq += 1;
                if sink
                    .send(Message::Text(encode(seq, &message).into()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
            let _ = sink.close().await;
        });

        let reader = {
            let call = call.clone();
            let id = terminal_id.to_owned();
            tokio::spawn(async move {
                while let Some(Ok(frame)) = stream.next().await {
                    let Message::Text(text) = frame else { continue };
                    let message = match decode::<HubToTerminal>(text.as_bytes()) {
                        Ok(m) => m.message,
                        Err(e) => {
                            eprintln!("terminal {id}: undecodable hub message: {e}");
                            continue;
                        }
                    };
                    match message {
                        HubToTerminal::Signal { call_id, payload } => {
                            let current = call.lock().unwrap().clone();
                            match current {
                                Some((cid, c)) if cid == call_id => {
                                    if let Err(e) = apply_signal(&c, payload).await {
                                        eprintln!("terminal {id}: applying a signal: {e}");
                                    }
                                }
                                _ => eprintln!("terminal {id}: signal for no current call"),
                            }
                        }
                        HubToTerminal::Heartbeat => {}
                        other => {
                            if in_tx.send(other).is_err() {
                                break;
                            }
                        }
                    }
                }
            })
        };

        let mut terminal = TestTerminal {
            id: terminal_id.to_owned(),
            out,
            inbox,
            call,
            call_events: None,
            welcome: HubToTerminal::Heartbeat,
            offer_sent_at: None,
            tasks: vec![writer, reader],
        };
        terminal.send(TerminalToHub::Hello {
            terminal_id: terminal_id.to_owned(),
            token: Hub::token(terminal_id),
            office: hub.office_of(terminal_id),
            resume_token: None,
        })?;
        terminal.welcome = terminal
            .until("welcome", |m| {
                matches!(m, HubToTerminal::Welcome { .. }).then(|| m.clone())
            })
            .await?;
        Ok(terminal)
    }

    pub fn send(&self, message: TerminalToHub) -> Result<()> {
        self.out
            .send(message)
            .map_err(|_| fail!("terminal {}: the connection is closed", self.id))
    }

    /// Asks for a lawyer.
    pub fn request_call(&self, topic: &str, name: &str, masked_id: Option<&str>) -> Result<()> {
        self.send(TerminalToHub::RequestCall {
            topic: topic.into(),
            resident_name: name.into(),
            masked_id: masked_id.map(str::to_owned),
            callback_phone: None,
        })
    }

    /// The next hub message (signals and heartbeats excluded), within [`WAIT`].
    pub async fn next(&mut self) -> Result<HubToTerminal> {
        within("a hub message", WAIT, self.inbox.recv())
            .await?
            .ok_or_else(|| fail!("terminal {}: the hub closed the connection", self.id))
    }

    /// Skips hub messages until `pick` returns `Some`, within [`WAIT`]
    /// (use [`TestTerminal::until_within`] for longer waits).
    pub async fn until<T>(
        &mut self,
        what: &str,
        pick: impl FnMut(&HubToTerminal) -> Option<T>,
    ) -> Result<T> {
        self.until_within(what, WAIT, pick).await
    }

    pub async fn until_within<T>(
        &mut self,
        what: &str,
        timeout: Duration,
        mut pick: impl FnMut(&HubToTerminal) -> Option<T>,
    ) -> Result<T> {
        let id = self.id.clone();
        let mut seen = Vec::new();
        let found = tokio::time::timeout(timeout, async {
            loop {
                match self.inbox.recv().await {
                    Some(m) => {
                        if let Some(t) = pick(&m) {
                            return Ok(t);
                        }
                        seen.push(format!("{m:?}"));
                    }
                    None => return Err(fail!("terminal {id}: connection closed")),
                }
            }
        })
        .await;
        match found {
            Ok(r) => r.map_err(|e| fail!("{e} while waiting for {what}; seen: {seen:?}")),
            Err(_) => Err(fail!(
                "terminal {id}: no {what} within {timeout:?}; seen instead: {seen:?}"
            )),
        }
    }

    /// After `accepted`: starts the media engine on loopback with the
    /// hub's ICE servers, sends the offer and trickles candidates.
    pub async fn start_call(
        &mut self,
        call_id: CallId,
        ice_servers: &[IceServer],
    ) -> Result<Arc<Call>> {
        let mut config = CallConfig::loopback();
        config.ice_servers = ice_servers
            .iter()
            .map(|s| kiosk_call::IceServer {
                urls: s.urls.clone(),
                username: s.username.clone().unwrap_or_default(),
                credential: s.credential.clone().unwrap_or_default(),
            })
            .collect();
        let call =
            tokio::task::spawn_blocking(move || Call::start(config, MediaSources::default()))
                .await
                .map_err(|e| fail!("starting the call: {e}"))?
                .map_err(|e| fail!("starting the call: {e}"))?;
        let call = Arc::new(call);
        *self.call.lock().unwrap() = Some((call_id.clone(), call.clone()));

        // Local candidates → hub; everything else → the test.
        let events = call.events();
        let (tx, rx) = flume::unbounded();
        let out = self.out.clone();
        let cid = call_id.clone();
        self.tasks.push(tokio::spawn(async move {
            while let Ok(ev) = events.recv_async().await {
                match ev {
                    CallEvent::LocalCandidate(c) => {
                        let payload = match c {
                            Some(c) => SignalPayload::Candidate {
                                candidate: c.candidate,
                                sdp_mid: c.sdp_mid,
                                sdp_mline_index: c.sdp_mline_index,
                            },
                            None => SignalPayload::EndOfCandidates,
                        };
                        let _ = out.send(TerminalToHub::Signal {
                            call_id: cid.clone(),
                            payload,
                        });
                    }
                    other => {
                        let closed = matches!(other, CallEvent::Closed);
                        let _ = tx.send(other);
                        if closed {
                            break;
                        }
                    }
                }
            }
        }));
        self.call_events = Some(rx);

        let offer = call
            .create_offer()
            .await
            .map_err(|e| fail!("creating the offer: {e}"))?;
        self.send(TerminalToHub::Signal {
            call_id,
            payload: SignalPayload::Sdp {
                kind: SdpKind::Offer,
                sdp: offer.sdp,
            },
        })?;
        self.offer_sent_at = Some(Instant::now());
        Ok(call)
    }

    /// Restarts ICE (only the terminal does): sends a new offer with fresh
    /// ICE credentials; the lawyer's answer is applied when it arrives.
    pub async fn restart_ice(&self) -> Result<()> {
        let (call_id, call) = self
            .call
            .lock()
            .unwrap()
            .clone()
            .ok_or_else(|| fail!("no call to restart ICE on"))?;
        let offer = call
            .restart_ice()
            .await
            .map_err(|e| fail!("ICE restart offer: {e}"))?;
        self.send(TerminalToHub::Signal {
            call_id,
            payload: SignalPayload::Sdp {
                kind: SdpKind::Offer,
                sdp: offer.sdp,
            },
        })
    }

    /// The current call, if one was started.
    pub fn call(&self) -> Option<Arc<Call>> {
        self.call.lock().unwrap().as_ref().map(|(_, c)| c.clone())
    }

    /// Waits for a call event matching `pick` (candidates excluded).
    pub async fn call_event<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut pick: impl FnMut(&CallEvent) -> Option<T>,
    ) -> Result<T> {
        let rx = self
            .call_events
            .clone()
            .ok_or_else(|| fail!("no call started"))?;
        let mut seen = Vec::new();
        let r = tokio::time::timeout(timeout, async {
            while let Ok(ev) = rx.recv_async().await {
                if let Some(t) = pick(&ev) {
                    return Some(t);
                }
                if !matches!(ev, CallEvent::Stats(_)) {
                    seen.push(format!("{ev:?}"));
                }
            }
            None
        })
        .await;
        match r {
            Ok(Some(t)) => Ok(t),
            Ok(None) => Err(fail!("call events ended before {what}; seen: {seen:?}")),
            Err(_) => Err(fail!(
                "no {what} within {timeout:?}; call events seen: {seen:?}"
            )),
        }
    }

    /// Hangs the media engine up (joins its threads) and forgets the call.
    /// Returns the threads still alive afterwards (0 when clean).
    pub async fn end_media(&mut self) -> Result<usize> {
        let taken = self.call.lock().unwrap().take();
        let Some((_, call)) = taken else { return Ok(0) };
        tokio::task::spawn_blocking(move || {
            call.hang_up();
            call.live_threads()
        })
        .await
        .map_err(|e| fail!("hanging up the call: {e}"))
    }
}

async fn apply_signal(call: &Call, payload: SignalPayload) -> kiosk_call::Result<()> {
    match payload {
        SignalPayload::Sdp {
            kind: SdpKind::Answer,
            sdp,
        } => {
            call.apply_answer(SessionDescription {
                kind: kiosk_call::SdpKind::Answer,
                sdp,
            })
            .await
        }
        SignalPayload::Sdp {
            kind: SdpKind::Offer,
            ..
        } => Err(kiosk_call::CallError::Signaling(
            "the terminal is the offerer; it got an offer".into(),
        )),
        SignalPayload::Candidate {
            candidate,
            sdp_mid,
            sdp_mline_index,
        } => {
            call.add_remote_candidate(Some(IceCandidate {
                candidate,
                sdp_mid,
                sdp_mline_index,
                username_fragment: None,
            }))
            .await
        }
        SignalPayload::EndOfCandidates => call.add_remote_candidate(None).await,
    }
}

impl Drop for TestTerminal {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
        if let Some((_, call)) = self.call.lock().unwrap().take() {
            // hang_up blocks for a moment; not inside the async worker.
            std::thread::spawn(move || call.hang_up());
        }
    }
}
