//! [`CallSession`]: one accepted call, from the SDP offer to the hang-up.
//!
//! Created by the application when the hub reports
//! [`HubEvent::Accepted`], it runs on its own
//! thread (`khub-session`) and drives a [`kiosk_call::Call`] in offerer mode:
//!
//! 1. starts the peer with the ICE servers of `accepted` (TURN credentials
//!    there are fresh), sends the SDP offer through the [`HubSender`];
//! 2. sends every local candidate as it is gathered (`end_of_candidates`
//!    when gathering ends);
//! 3. applies the lawyer's answer and candidates, which the application
//!    passes on with [`CallSession::handle_hub_event`]; candidates that come
//!    before the answer are buffered (by `kiosk-call`);
//! 4. when the media path is down (`disconnected`) for
//!    [`SessionConfig::restart_after`], or `failed`, or the remote media
//!    stalls, restarts ICE with a new offer (the terminal is always the
//!    offerer, so offers never collide), again every `restart_after` while
//!    it stays down;
//! 5. ends the call — `hang_up` to the hub and [`SessionEnd::ConnectionLost`]
//!    — when the media path is not up within
//!    [`SessionConfig::give_up_after`] (counted from the start, or from the
//!    moment it went down).
//!
//! Decoded remote pictures and audio are on [`CallSession::video_frames`]
//! and [`CallSession::audio`]; counters on [`CallSession::stats`] and in
//! [`SessionEvent::Stats`]. Nothing here blocks the caller: the blocking
//! parts of `kiosk-call` (start, hang-up) run on the session's thread.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hub_protocol::{CallId, EndReason, IceServer, SdpKind, SignalPayload};
use kiosk_call::{
    AudioChunk, Call, CallConfig, CallEvent, CallStats, IceCandidate, MediaSources,
    SessionDescription, VideoFrame,
};

use crate::client::{HubEvent, HubSender};

/// Timing of recovery, and the call's media settings.
#[derive(Clone, Debug)]
pub struct SessionConfig {
    /// Media settings; its `ice_servers` are replaced by those of `accepted`.
    pub call: CallConfig,
    /// Media path down this long → ICE restart (and again as long as it
    /// stays down).
    pub restart_after: Duration,
    /// Media path not up for this long → the call is ended.
    pub give_up_after: Duration,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            call: CallConfig::default(),
            restart_after: Duration::from_secs(3),
            give_up_after: Duration::from_secs(30),
        }
    }
}

/// Why a session ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// [`CallSession::hang_up`] (or the session was dropped).
    HungUp,
    /// The hub ended the call (the lawyer hung up, or a party was lost).
    Remote(EndReason),
    /// The media path could not be (re)established in time; the call was
    /// hung up.
    ConnectionLost,
    /// The peer could not be set up (e.g. no network interface, codec).
    Failed(String),
}

/// What a session reports, in order.
#[derive(Clone, Debug)]
pub enum SessionEvent {
    /// The media path is up (first time, or after a recovery).
    Connected,
    /// The media path is down; the session is trying to recover.
    Interrupted,
    /// An ICE restart offer was sent.
    Restarting,
    /// First remote picture (and on every size change).
    RemoteVideoStarted { width: u32, height: u32 },
    /// First remote audio.
    RemoteAudioStarted,
    /// Periodic counters (see [`kiosk_call::CallStats::quality`] for signal bars).
    Stats(CallStats),
    /// The call is over and its media threads are stopped. Last event.
    Ended(SessionEnd),
}

enum Input {
    Signal(SignalPayload),
    HubEnded(EndReason),
    HubReconnected,
    RestartIce,
    HangUp,
}

/// One video call with a lawyer. See the [module docs](self).
pub struct CallSession {
    call_id: CallId,
    tx: flume::Sender<Input>,
    video: flume::Receiver<VideoFrame>,
    audio: flume::Receiver<AudioChunk>,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    call: Mutex<Option<Arc<Call>>>,
    last_stats: Mutex<CallStats>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl CallSession {
    /// Starts the session for `call_id` (from `accepted`), sending through
    /// `hub`. Returns at once; the peer is set up on the session's thread.
    /// `on_event` runs on that thread and must return quickly.
    ///
    /// # Panics
    /// If the operating system cannot start a thread.
    pub fn start(
        hub: HubSender,
        call_id: CallId,
        ice_servers: &[IceServer],
        mut config: SessionConfig,
        sources: MediaSources,
        on_event: impl Fn(SessionEvent) + Send + Sync + 'static,
    ) -> CallSession {
        config.call.ice_servers = ice_servers
            .iter()
            .map(|s| kiosk_call::IceServer {
                urls: s.urls.clone(),
                username: s.username.clone().unwrap_or_default(),
                credential: s.credential.clone().unwrap_or_default(),
            })
            .collect();
        let (tx, rx) = flume::unbounded();
        let (video_tx, video) = flume::bounded(2);
        let (audio_tx, audio) = flume::bounded(50);
        let shared = Arc::new(Shared::default());
        let worker = Worker {
            hub,
            call_id: call_id.clone(),
            config,
            inputs: rx,
            on_event: Box::new(on_event),
            shared: shared.clone(),
            video: (video_tx, video.clone()),
            audio: (audio_tx, audio.clone()),
        };
        let thread = std::thread::Builder::new()
            .name("khub-session".into())
            .spawn(move || worker.run(sources))
            .expect("the call session thread");
        CallSession {
            call_id,
            tx,
            video,
            audio,
            shared,
            thread: Some(thread),
        }
    }

    /// The call this session belongs to.
    pub fn call_id(&self) -> &CallId {
        &self.call_id
    }

    /// Passes on what the hub client reported: signals and the end of this
    /// call, reconnections. Events of other calls are ignored.
    pub fn handle_hub_event(&self, event: &HubEvent) {
        let input = match event {
            HubEvent::Signal { call_id, payload } if *call_id == self.call_id => {
                Input::Signal(payload.clone())
            }
            HubEvent::Ended { call_id, reason } if *call_id == self.call_id => {
                Input::HubEnded(*reason)
            }
            HubEvent::Reconnected { .. } => Input::HubReconnected,
            _ => return,
        };
        let _ = self.tx.send(input);
    }

    /// Restarts ICE now (e.g. from a "reconnect video" button).
    pub fn restart_ice(&self) {
        let _ = self.tx.send(Input::RestartIce);
    }

    /// Ends the call: `hang_up` to the hub, then the media stops. Returns at
    /// once; [`SessionEvent::Ended`] follows.
    pub fn hang_up(&self) {
        let _ = self.tx.send(Input::HangUp);
    }

    /// Decoded remote pictures (the two most recent are kept).
    pub fn video_frames(&self) -> flume::Receiver<VideoFrame> {
        self.video.clone()
    }

    /// Decoded remote audio, 48 kHz mono (up to a second is kept).
    pub fn audio(&self) -> flume::Receiver<AudioChunk> {
        self.audio.clone()
    }

    /// The call's counters (the last ones once it has ended).
    pub fn stats(&self) -> CallStats {
        match lock(&self.shared.call).as_ref() {
            Some(call) => call.stats(),
            None => lock(&self.shared.last_stats).clone(),
        }
    }

    /// Whether the session's thread is still running.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Hangs up (if not done yet) and waits until the media threads have
    /// stopped. Blocks for a few seconds at most: not for the UI thread.
    pub fn join(mut self) {
        let _ = self.tx.send(Input::HangUp);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for CallSession {
    /// Hangs up without waiting (see [`CallSession::join`]).
    fn drop(&mut self) {
        let _ = self.tx.send(Input::HangUp);
    }
}

/// Remote RTP packets received so far.
fn received(call: &Call) -> u64 {
    let s = call.stats();
    s.video_packets_received + s.audio_packets_received
}

struct Worker {
    hub: HubSender,
    call_id: CallId,
    config: SessionConfig,
    inputs: flume::Receiver<Input>,
    on_event: Box<dyn Fn(SessionEvent) + Send + Sync>,
    shared: Arc<Shared>,
    video: (flume::Sender<VideoFrame>, flume::Receiver<VideoFrame>),
    audio: (flume::Sender<AudioChunk>, flume::Receiver<AudioChunk>),
}

/// Moves items to a bounded channel, dropping the oldest when it is full
/// (the UI wants the latest picture, not a backlog).
async fn forward<T>(from: flume::Receiver<T>, to: flume::Sender<T>, own: flume::Receiver<T>) {
    while let Ok(mut item) = from.recv_async().await {
        loop {
            match to.try_send(item) {
                Ok(()) => break,
                Err(flume::TrySendError::Full(back)) => {
                    let _ = own.try_recv();
                    item = back;
                }
                Err(flume::TrySendError::Disconnected(_)) => return,
            }
        }
    }
}

impl Worker {
    fn emit(&self, e: SessionEvent) {
        (self.on_event)(e);
    }

    fn run(self, sources: MediaSources) {
        // Call::start blocks on the call's own runtime: outside any runtime here.
        let call = match Call::start(self.config.call.clone(), sources) {
            Ok(c) => Arc::new(c),
            Err(e) => {
                log::error!("call session: the peer could not be set up: {e}");
                self.hub.hang_up();
                self.emit(SessionEvent::Ended(SessionEnd::Failed(e.to_string())));
                return;
            }
        };
        *lock(&self.shared.call) = Some(call.clone());
        let rt = match tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => {
                self.hub.hang_up();
                self.finish(&call, SessionEnd::Failed(e.to_string()));
                return;
            }
        };
        rt.spawn(forward(
            call.video_frames(),
            self.video.0.clone(),
            self.video.1.clone(),
        ));
        rt.spawn(forward(
            call.audio(),
            self.audio.0.clone(),
            self.audio.1.clone(),
        ));
        let end = rt.block_on(self.drive(&call));
        rt.shutdown_background();
        self.finish(&call, end);
    }

    fn finish(&self, call: &Arc<Call>, end: SessionEnd) {
        call.hang_up();
        *lock(&self.shared.last_stats) = call.stats();
        lock(&self.shared.call).take();
        log::info!("call session ended: {end:?}");
        self.emit(SessionEvent::Ended(end));
    }

    fn signal(&self, payload: SignalPayload) {
        self.hub.send_signal(self.call_id.clone(), payload);
    }

    fn send_offer(&self, offer: SessionDescription) {
        self.signal(SignalPayload::Sdp {
            kind: SdpKind::Offer,
            sdp: offer.sdp,
        });
    }

    /// The session's loop; returns why it ended.
    async fn drive(&self, call: &Call) -> SessionEnd {
        let events = call.events();
        match call.create_offer().await {
            Ok(offer) => self.send_offer(offer),
            Err(e) => {
                self.hub.hang_up();
                return SessionEnd::Failed(e.to_string());
            }
        }
        let restart_after = self.config.restart_after;
        let mut connected = false;
        let mut ever_connected = false;
        // The media path is "down" from the start until first connected.
        let mut down_since = Some(Instant::now());
        let mut last_restart: Option<Instant> = None;
        // Packets received when the media stalled while "connected".
        let mut stall_mark: Option<u64> = None;
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);

        loop {
            let mut restart = false;
            tokio::select! {
                ev = events.recv_async() => {
                    let Ok(ev) = ev else {
                        return SessionEnd::Failed("the call's events ended".into());
                    };
                    match ev {
                        CallEvent::LocalCandidate(Some(c)) => self.signal(SignalPayload::Candidate {
                            candidate: c.candidate,
                            sdp_mid: c.sdp_mid,
                            sdp_mline_index: c.sdp_mline_index,
                        }),
                        CallEvent::LocalCandidate(None) => self.signal(SignalPayload::EndOfCandidates),
                        CallEvent::Connected => {
                            stall_mark = None;
                            if !connected {
                                connected = true;
                                ever_connected = true;
                                down_since = None;
                                log::info!("call session: media path up");
                                self.emit(SessionEvent::Connected);
                            }
                        }
                        CallEvent::Disconnected | CallEvent::Failed => {
                            let failed = matches!(ev, CallEvent::Failed);
                            if connected {
                                connected = false;
                                log::info!("call session: media path down (failed: {failed})");
                                if down_since.is_none() {
                                    down_since = Some(Instant::now());
                                    self.emit(SessionEvent::Interrupted);
                                }
                            }
                            stall_mark = None;
                            restart = failed && ever_connected;
                        }
                        CallEvent::MediaStalled => {
                            // Connected on paper, but nothing arrives: as bad as down.
                            log::info!("call session: remote media stalled");
                            if connected && down_since.is_none() {
                                down_since = Some(Instant::now());
                                stall_mark = Some(received(call));
                                self.emit(SessionEvent::Interrupted);
                            }
                            restart = ever_connected;
                        }
                        CallEvent::RemoteVideoStarted { width, height } => {
                            self.emit(SessionEvent::RemoteVideoStarted { width, height })
                        }
                        CallEvent::RemoteAudioStarted => self.emit(SessionEvent::RemoteAudioStarted),
                        CallEvent::Stats(s) => self.emit(SessionEvent::Stats(s)),
                        CallEvent::MediaError(e) => log::warn!("call session: media: {e}"),
                        CallEvent::Closed => {
                            return SessionEnd::Failed("the peer connection closed".into());
                        }
                    }
                }
                input = self.inputs.recv_async() => match input {
                    Ok(Input::Signal(payload)) => self.apply(call, payload).await,
                    Ok(Input::HubEnded(reason)) => return SessionEnd::Remote(reason),
                    Ok(Input::HubReconnected) => {
                        // Signaling was down: whatever failed meanwhile may
                        // need a fresh offer.
                        restart = !connected && ever_connected;
                    }
                    Ok(Input::RestartIce) => {
                        last_restart = None;
                        restart = true;
                    }
                    Ok(Input::HangUp) | Err(_) => {
                        self.hub.hang_up();
                        return SessionEnd::HungUp;
                    }
                },
                _ = tick.tick() => {
                    if let Some(mark) = stall_mark
                        && received(call) > mark
                    {
                        log::info!("call session: remote media flows again");
                        stall_mark = None;
                        down_since = None;
                        self.emit(SessionEvent::Connected);
                    }
                    if let Some(since) = down_since {
                        if since.elapsed() >= self.config.give_up_after {
                            log::warn!(
                                "call session: no media path for {} s, hanging up",
                                since.elapsed().as_secs()
                            );
                            self.hub.hang_up();
                            return SessionEnd::ConnectionLost;
                        }
                        restart = ever_connected && since.elapsed() >= restart_after;
                    }
                }
            }
            let due = last_restart.is_none_or(|t| t.elapsed() >= restart_after);
            if restart && due {
                last_restart = Some(Instant::now());
                match call.restart_ice().await {
                    Ok(offer) => {
                        log::info!("call session: ICE restart offer sent");
                        self.send_offer(offer);
                        self.emit(SessionEvent::Restarting);
                    }
                    Err(e) => log::warn!("call session: ICE restart failed: {e}"),
                }
            }
        }
    }

    /// Applies one signal from the lawyer. Bad input is logged, never fatal.
    async fn apply(&self, call: &Call, payload: SignalPayload) {
        let result = match payload {
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
            } => {
                log::warn!("call session: an offer from the lawyer ignored (the terminal offers)");
                Ok(())
            }
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
        };
        if let Err(e) = result {
            // kiosk-call's errors name the failing step, not the SDP.
            log::warn!("call session: signal not applied: {e}");
        }
    }
}
