//! [`HubClient`]: the WebSocket to the hub, on its own thread.
//!
//! One task owns the socket and all connection state; the public methods
//! only put a command on an unbounded channel, so they never block the
//! UI thread. The task goes through these phases, forever, until the client
//! is dropped:
//!
//! ```text
//!   connect ──ok──► hello ──welcome──► serve (heartbeats, commands, messages)
//!      │ fail          │ error/close        │ socket lost
//!      ▼               ▼                    ▼
//!   back off (0.5 s, 1 s, 2 s … ≤ backoff_max, jittered) ◄──┘
//! ```
//!
//! * The first `welcome` is reported as [`HubEvent::Connected`], later ones
//!   as [`HubEvent::Reconnected`]. Every `hello` after the first carries the
//!   resume token of the last `welcome`, so the hub keeps the call going.
//!   When the hub did not resume the call the client thought was going on,
//!   the client reports that call as [`HubEvent::Ended`] itself.
//! * While disconnected, signaling, `hang_up` and `cancel_call` of the
//!   current call are kept (bounded) and sent after a resume; a new
//!   `request_call` or `leave_message` is answered with
//!   [`HubEvent::NotConnected`] at once, so the UI can offer the 12348
//!   hotline instead of a spinner.
//! * After `unreachable_after` failed attempts in a row,
//!   [`HubEvent::Unreachable`] is reported (once per outage).
//! * A hub that refuses the terminal (`unauthenticated`: wrong id or token;
//!   `replaced`: another terminal uses the same id) is reported as
//!   [`HubEvent::Error`] and retried only every `refused_retry`: retrying
//!   faster would not fix a configuration and would hammer the hub.
//! * The hub answers every `heartbeat`; a connection silent for three
//!   heartbeat intervals is considered dead (half-open TCP) and replaced.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use hub_protocol::{
    CallId, EndReason, ErrorCode, HubToTerminal, IceServer, MAX_MESSAGE_BYTES, SignalPayload,
    Suggestion, TerminalToHub, decode, encode,
};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Where the hub is and who this terminal is, plus timing knobs whose
/// defaults suit production.
#[derive(Clone)]
pub struct HubClientConfig {
    /// `ws://host:port/ws/terminal`. `wss://` needs a TLS feature of
    /// `tokio-tungstenite` that is not enabled yet: until then a `wss://`
    /// URL fails like an unreachable hub (logged as a URL error); put TLS
    /// in a local tunnel instead.
    pub url: String,
    /// The terminal's id as configured in the hub's `[terminals]`.
    pub terminal_id: String,
    /// The terminal's secret token. Never logged.
    pub token: String,
    /// The office name (informational; the hub's configuration decides).
    pub office: String,
    /// First reconnect delay; doubled after each failure.
    pub backoff_min: Duration,
    /// Largest reconnect delay.
    pub backoff_max: Duration,
    /// Time allowed for TCP, the WebSocket handshake and the `welcome`.
    pub connect_timeout: Duration,
    /// Failed attempts in a row before [`HubEvent::Unreachable`].
    pub unreachable_after: u32,
    /// Delay before trying again after the hub refused this terminal.
    pub refused_retry: Duration,
    /// Messages of the current call kept while disconnected.
    pub outbox_limit: usize,
}

impl HubClientConfig {
    pub fn new(
        url: impl Into<String>,
        terminal_id: impl Into<String>,
        token: impl Into<String>,
        office: impl Into<String>,
    ) -> Self {
        HubClientConfig {
            url: url.into(),
            terminal_id: terminal_id.into(),
            token: token.into(),
            office: office.into(),
            backoff_min: Duration::from_millis(500),
            backoff_max: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            unreachable_after: 3,
            refused_retry: Duration::from_secs(60),
            outbox_limit: 256,
        }
    }
}

impl std::fmt::Debug for HubClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubClientConfig")
            .field("url", &self.url)
            .field("terminal_id", &self.terminal_id)
            .field("token", &"<secret>")
            .field("office", &self.office)
            .field("backoff_min", &self.backoff_min)
            .field("backoff_max", &self.backoff_max)
            .field("connect_timeout", &self.connect_timeout)
            .field("unreachable_after", &self.unreachable_after)
            .field("refused_retry", &self.refused_retry)
            .finish_non_exhaustive()
    }
}

/// What the client reports, in order, through the `on_event` callback.
#[derive(Debug, Clone, PartialEq)]
pub enum HubEvent {
    /// First `welcome` since start: the terminal is signed in.
    Connected { ice_servers: Vec<IceServer> },
    /// The socket was lost; the client is reconnecting.
    Disconnected,
    /// Signed in again. `resumed_call` is the call that goes on, if any.
    Reconnected {
        resumed_call: Option<CallId>,
        ice_servers: Vec<IceServer>,
    },
    /// The hub could not be reached `attempts` times in a row (reported
    /// once per outage; the client keeps trying). Offer the resident the
    /// 12348 hotline.
    Unreachable { attempts: u32 },
    /// A command that needs the hub now (`request_call`, `leave_message`)
    /// was not sent because the terminal is not connected.
    NotConnected { command: &'static str },
    /// The call waits; `position` counts from 1. `suggestion`: offer
    /// "leave a message".
    Queued {
        call_id: CallId,
        position: u32,
        estimated_wait_secs: Option<u32>,
        suggestion: Option<Suggestion>,
    },
    /// A lawyer is being offered the call.
    Ringing {
        call_id: CallId,
        lawyer_display_name: String,
    },
    /// The lawyer answered: start a [`crate::CallSession`].
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
    /// The call is over.
    Ended { call_id: CallId, reason: EndReason },
    /// The lawyer's written summary.
    Summary {
        call_id: CallId,
        text: String,
        advice: String,
    },
    /// The left message was stored under this reference number.
    MessageStored { id: i64 },
    /// An error from the hub. `unauthenticated` and `replaced` mean the
    /// terminal's configuration needs a technician.
    Error { code: ErrorCode, message: String },
}

pub(crate) enum Command {
    Send(TerminalToHub),
    Shutdown,
}

/// A cheap, cloneable handle for sending commands (what a
/// [`crate::CallSession`] uses to send its signaling). Sending never
/// blocks; after the client is dropped commands are discarded.
#[derive(Clone)]
pub struct HubSender {
    tx: mpsc::UnboundedSender<Command>,
}

impl HubSender {
    fn send(&self, m: TerminalToHub) {
        let _ = self.tx.send(Command::Send(m));
    }

    /// Ask for a lawyer on `topic` (a key such as `labor`).
    pub fn request_call(
        &self,
        topic: impl Into<String>,
        resident_name: impl Into<String>,
        masked_id: Option<String>,
        callback_phone: Option<String>,
    ) {
        self.send(TerminalToHub::RequestCall {
            topic: topic.into(),
            resident_name: resident_name.into(),
            masked_id,
            callback_phone,
        });
    }

    /// Stop waiting for a lawyer.
    pub fn cancel_call(&self) {
        self.send(TerminalToHub::CancelCall { call_id: None });
    }

    /// End the current call.
    pub fn hang_up(&self) {
        self.send(TerminalToHub::HangUp { call_id: None });
    }

    /// Leave a message for the lawyers (also ends a waiting call).
    pub fn leave_message(
        &self,
        topic: impl Into<String>,
        name: impl Into<String>,
        callback_phone: impl Into<String>,
        text: impl Into<String>,
    ) {
        self.send(TerminalToHub::LeaveMessage {
            topic: topic.into(),
            name: name.into(),
            callback_phone: callback_phone.into(),
            text: text.into(),
        });
    }

    /// WebRTC signaling for `call_id`, relayed to its lawyer.
    pub fn send_signal(&self, call_id: CallId, payload: SignalPayload) {
        self.send(TerminalToHub::Signal { call_id, payload });
    }
}

/// The terminal's connection to the hub. See the [module docs](self).
pub struct HubClient {
    sender: HubSender,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl HubClient {
    /// Starts the client thread and connects. `on_event` runs on that
    /// thread and must return quickly.
    ///
    /// # Panics
    /// If the operating system cannot start a thread or a tokio runtime.
    pub fn start(
        config: HubClientConfig,
        on_event: impl Fn(HubEvent) + Send + Sync + 'static,
    ) -> HubClient {
        let (tx, rx) = mpsc::unbounded_channel();
        let on_event: EventFn = Arc::new(on_event);
        let thread = std::thread::Builder::new()
            .name("khub-client".into())
            .spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a tokio runtime for the hub client");
                rt.block_on(Runner::new(config, on_event, rx).run());
                rt.shutdown_timeout(Duration::from_secs(1));
            })
            .expect("the hub client thread");
        HubClient {
            sender: HubSender { tx },
            thread: Some(thread),
        }
    }

    /// A handle for sending commands from elsewhere (e.g. a call session).
    pub fn sender(&self) -> HubSender {
        self.sender.clone()
    }

    /// See [`HubSender::request_call`].
    pub fn request_call(
        &self,
        topic: impl Into<String>,
        resident_name: impl Into<String>,
        masked_id: Option<String>,
        callback_phone: Option<String>,
    ) {
        self.sender
            .request_call(topic, resident_name, masked_id, callback_phone);
    }

    /// See [`HubSender::cancel_call`].
    pub fn cancel_call(&self) {
        self.sender.cancel_call();
    }

    /// See [`HubSender::hang_up`].
    pub fn hang_up(&self) {
        self.sender.hang_up();
    }

    /// See [`HubSender::leave_message`].
    pub fn leave_message(
        &self,
        topic: impl Into<String>,
        name: impl Into<String>,
        callback_phone: impl Into<String>,
        text: impl Into<String>,
    ) {
        self.sender.leave_message(topic, name, callback_phone, text);
    }

    /// See [`HubSender::send_signal`].
    pub fn send_signal(&self, call_id: CallId, payload: SignalPayload) {
        self.sender.send_signal(call_id, payload);
    }
}

impl Drop for HubClient {
    /// Closes the socket (waiting at most a second for the close frame)
    /// and joins the client thread.
    fn drop(&mut self) {
        let _ = self.sender.tx.send(Command::Shutdown);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

type EventFn = Arc<dyn Fn(HubEvent) + Send + Sync>;

/// How a connection ended.
enum Lost {
    /// The client is being dropped.
    Shutdown,
    /// The hub refused this terminal (`unauthenticated`, `replaced`).
    Refused,
    /// No `welcome` (closed or timed out during the handshake).
    NoWelcome,
    /// A signed-in connection was lost after `lived`.
    Dropped { lived: Duration },
}

/// Whether the client should go on.
enum Flow {
    Continue,
    Shutdown,
}

struct Runner {
    config: HubClientConfig,
    on_event: EventFn,
    rx: mpsc::UnboundedReceiver<Command>,
    resume_token: Option<String>,
    /// The call the hub last told us about (queued, ringing or accepted).
    current_call: Option<CallId>,
    /// Messages of the current call kept while disconnected.
    outbox: VecDeque<TerminalToHub>,
    welcomed_once: bool,
    failures: u32,
    unreachable_reported: bool,
    backoff: Duration,
    rng: u64,
}

impl Runner {
    fn new(
        config: HubClientConfig,
        on_event: EventFn,
        rx: mpsc::UnboundedReceiver<Command>,
    ) -> Self {
        // Jitter spreads thousands of terminals reconnecting after a hub
        // restart; it needs no cryptographic quality.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        let id_hash = config
            .terminal_id
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
                (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
            });
        Runner {
            backoff: config.backoff_min,
            config,
            on_event,
            rx,
            resume_token: None,
            current_call: None,
            outbox: VecDeque::new(),
            welcomed_once: false,
            failures: 0,
            unreachable_reported: false,
            rng: (nanos ^ id_hash) | 1,
        }
    }

    fn emit(&self, event: HubEvent) {
        (self.on_event)(event);
    }

    async fn run(mut self) {
        loop {
            let wait = match self.connect().await {
                Err(Flow::Shutdown) => return,
                Err(Flow::Continue) => self.failed(),
                Ok(ws) => match self.serve(ws).await {
                    Lost::Shutdown => return,
                    Lost::Refused => self.config.refused_retry,
                    Lost::NoWelcome => self.failed(),
                    Lost::Dropped { lived } => {
                        self.emit(HubEvent::Disconnected);
                        if lived >= self.config.backoff_max {
                            self.backoff = self.config.backoff_min;
                        }
                        self.next_backoff()
                    }
                },
            };
            let wait = self.jitter(wait);
            log::debug!("hub: next connection attempt in {} ms", wait.as_millis());
            if let Flow::Shutdown = self.idle(wait).await {
                return;
            }
        }
    }

    /// One more failed attempt: reports an outage when it is long enough,
    /// and returns the delay before the next attempt.
    fn failed(&mut self) -> Duration {
        self.failures += 1;
        if self.failures >= self.config.unreachable_after && !self.unreachable_reported {
            self.unreachable_reported = true;
            log::warn!("hub unreachable after {} attempts", self.failures);
            self.emit(HubEvent::Unreachable {
                attempts: self.failures,
            });
        }
        self.next_backoff()
    }

    fn next_backoff(&mut self) -> Duration {
        let wait = self.backoff;
        self.backoff = (self.backoff * 2).min(self.config.backoff_max);
        wait
    }

    /// `d` scaled by a factor in 0.5..1.0.
    fn jitter(&mut self, d: Duration) -> Duration {
        // xorshift64
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        let f = 0.5 + (self.rng % 1000) as f64 / 2000.0;
        d.mul_f64(f)
    }

    /// Waits `d` while answering commands as a disconnected client.
    async fn idle(&mut self, d: Duration) -> Flow {
        let until = tokio::time::sleep(d);
        tokio::pin!(until);
        loop {
            tokio::select! {
                _ = &mut until => return Flow::Continue,
                cmd = self.rx.recv() => {
                    if let Flow::Shutdown = self.offline(cmd) {
                        return Flow::Shutdown;
                    }
                }
            }
        }
    }

    /// A command while there is no signed-in connection.
    fn offline(&mut self, cmd: Option<Command>) -> Flow {
        let m = match cmd {
            None | Some(Command::Shutdown) => return Flow::Shutdown,
            Some(Command::Send(m)) => m,
        };
        match &m {
            TerminalToHub::RequestCall { .. } => self.emit(HubEvent::NotConnected {
                command: "request_call",
            }),
            TerminalToHub::LeaveMessage { .. } => self.emit(HubEvent::NotConnected {
                command: "leave_message",
            }),
            TerminalToHub::Signal { .. }
            | TerminalToHub::HangUp { .. }
            | TerminalToHub::CancelCall { .. } => {
                if self.current_call.is_some() && self.outbox.len() < self.config.outbox_limit {
                    self.outbox.push_back(m);
                } else {
                    log::debug!("hub: a call message while disconnected was dropped");
                }
            }
            TerminalToHub::Hello { .. } | TerminalToHub::Heartbeat => {}
        }
        Flow::Continue
    }

    /// Opens the WebSocket (commands are answered meanwhile).
    async fn connect(&mut self) -> Result<Ws, Flow> {
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(2 * MAX_MESSAGE_BYTES))
            .max_frame_size(Some(2 * MAX_MESSAGE_BYTES));
        let url = self.config.url.clone();
        let attempt = tokio::time::timeout(
            self.config.connect_timeout,
            tokio_tungstenite::connect_async_with_config(url, Some(ws_config), true),
        );
        tokio::pin!(attempt);
        loop {
            tokio::select! {
                result = &mut attempt => return match result {
                    Ok(Ok((ws, _response))) => Ok(ws),
                    Ok(Err(e)) => {
                        log::info!("hub: cannot connect: {}", short_error(&e));
                        Err(Flow::Continue)
                    }
                    Err(_) => {
                        log::info!("hub: connecting timed out");
                        Err(Flow::Continue)
                    }
                },
                cmd = self.rx.recv() => {
                    if let Flow::Shutdown = self.offline(cmd) {
                        return Err(Flow::Shutdown);
                    }
                }
            }
        }
    }

    /// Signs in on `ws` and serves it until it is lost.
    async fn serve(&mut self, mut ws: Ws) -> Lost {
        let mut seq = 0u64;
        let hello = TerminalToHub::Hello {
            terminal_id: self.config.terminal_id.clone(),
            token: self.config.token.clone(),
            office: self.config.office.clone(),
            resume_token: self.resume_token.clone(),
        };
        if send(&mut ws, &mut seq, &hello).await.is_err() {
            return Lost::NoWelcome;
        }

        // Wait for welcome (or a refusal).
        let deadline = tokio::time::sleep(self.config.connect_timeout);
        tokio::pin!(deadline);
        let (resumed_call, ice_servers, heartbeat_secs) = loop {
            tokio::select! {
                _ = &mut deadline => {
                    log::info!("hub: no welcome in time");
                    return Lost::NoWelcome;
                }
                cmd = self.rx.recv() => {
                    if let Flow::Shutdown = self.offline(cmd) {
                        close(&mut ws).await;
                        return Lost::Shutdown;
                    }
                }
                frame = ws.next() => match received(frame) {
                    Frame::Closed => return Lost::NoWelcome,
                    Frame::Other => {}
                    Frame::Message(HubToTerminal::Welcome {
                        resume_token,
                        ice_servers,
                        heartbeat_secs,
                        resumed_call_id,
                        ..
                    }) => {
                        self.resume_token = Some(resume_token);
                        break (resumed_call_id, ice_servers, heartbeat_secs);
                    }
                    Frame::Message(HubToTerminal::Error { code, message }) => {
                        log::warn!("hub refused the hello: {code:?}: {message}");
                        let refused = is_refusal(code);
                        self.emit(HubEvent::Error { code, message });
                        return if refused { Lost::Refused } else { Lost::NoWelcome };
                    }
                    Frame::Message(other) => {
                        log::debug!("hub: {} before welcome ignored", kind(&other));
                    }
                }
            }
        };
        let since = Instant::now();
        self.failures = 0;
        self.unreachable_reported = false;
        log::info!("hub: signed in (resumed call: {})", resumed_call.is_some());
        self.welcomed(resumed_call, ice_servers);
        for m in std::mem::take(&mut self.outbox) {
            if send(&mut ws, &mut seq, &m).await.is_err() {
                return Lost::Dropped {
                    lived: since.elapsed(),
                };
            }
        }

        let interval = Duration::from_secs(u64::from(heartbeat_secs.max(1)));
        let mut heartbeat =
            tokio::time::interval_at(tokio::time::Instant::now() + interval, interval);
        heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let silence = interval * 3;
        let quiet = tokio::time::sleep(silence);
        tokio::pin!(quiet);
        let mut refused = false;
        loop {
            tokio::select! {
                cmd = self.rx.recv() => match cmd {
                    None | Some(Command::Shutdown) => {
                        close(&mut ws).await;
                        return Lost::Shutdown;
                    }
                    Some(Command::Send(m)) => {
                        if send(&mut ws, &mut seq, &m).await.is_err() {
                            // Keep what belongs to the call for the resume.
                            let _ = self.offline(Some(Command::Send(m)));
                            break;
                        }
                    }
                },
                frame = ws.next() => {
                    quiet.as_mut().reset(tokio::time::Instant::now() + silence);
                    match received(frame) {
                        Frame::Closed => break,
                        Frame::Other => {}
                        Frame::Message(m) => {
                            if let HubToTerminal::Error { code, .. } = &m {
                                refused |= is_refusal(*code);
                            }
                            self.on_message(m);
                        }
                    }
                }
                _ = heartbeat.tick() => {
                    if send(&mut ws, &mut seq, &TerminalToHub::Heartbeat).await.is_err() {
                        break;
                    }
                }
                _ = &mut quiet => {
                    log::warn!("hub: nothing received for {} s, reconnecting", silence.as_secs());
                    break;
                }
            }
        }
        if refused {
            // Refused while connected (e.g. replaced): the session ends here.
            self.emit(HubEvent::Disconnected);
            Lost::Refused
        } else {
            log::info!("hub: connection lost after {} s", since.elapsed().as_secs());
            Lost::Dropped {
                lived: since.elapsed(),
            }
        }
    }

    /// Reports a `welcome` and reconciles the call the terminal thought it had.
    fn welcomed(&mut self, resumed_call: Option<CallId>, ice_servers: Vec<IceServer>) {
        if !self.welcomed_once {
            self.welcomed_once = true;
            self.emit(HubEvent::Connected { ice_servers });
            return;
        }
        let lost = match &self.current_call {
            Some(old) if resumed_call.as_ref() != Some(old) => Some(old.clone()),
            _ => None,
        };
        if lost.is_some() || resumed_call.is_none() {
            // Nothing kept while offline can be delivered now.
            let hung_up = self.outbox.iter().any(|m| {
                matches!(
                    m,
                    TerminalToHub::HangUp { .. } | TerminalToHub::CancelCall { .. }
                )
            });
            self.outbox.clear();
            self.current_call = resumed_call.clone();
            self.emit(HubEvent::Reconnected {
                resumed_call,
                ice_servers,
            });
            if let Some(call_id) = lost {
                let reason = if hung_up {
                    EndReason::HungUpByTerminal
                } else {
                    EndReason::TerminalLost
                };
                self.emit(HubEvent::Ended { call_id, reason });
            }
        } else {
            if let Some(id) = &resumed_call {
                self.outbox.retain(|m| match m {
                    TerminalToHub::Signal { call_id, .. } => call_id == id,
                    _ => true,
                });
            }
            self.current_call = resumed_call.clone();
            self.emit(HubEvent::Reconnected {
                resumed_call,
                ice_servers,
            });
        }
    }

    fn on_message(&mut self, m: HubToTerminal) {
        let event = match m {
            HubToTerminal::Heartbeat => return,
            HubToTerminal::Welcome { .. } => {
                log::debug!("hub: a second welcome ignored");
                return;
            }
            HubToTerminal::Queued {
                call_id,
                position,
                estimated_wait_secs,
                suggestion,
            } => {
                self.current_call = Some(call_id.clone());
                HubEvent::Queued {
                    call_id,
                    position,
                    estimated_wait_secs,
                    suggestion,
                }
            }
            HubToTerminal::Ringing {
                call_id,
                lawyer_display_name,
            } => {
                self.current_call = Some(call_id.clone());
                HubEvent::Ringing {
                    call_id,
                    lawyer_display_name,
                }
            }
            HubToTerminal::Accepted {
                call_id,
                lawyer_display_name,
                ice_servers,
            } => {
                self.current_call = Some(call_id.clone());
                HubEvent::Accepted {
                    call_id,
                    lawyer_display_name,
                    ice_servers,
                }
            }
            HubToTerminal::Signal { call_id, payload } => HubEvent::Signal { call_id, payload },
            HubToTerminal::Ended { call_id, reason } => {
                if self.current_call.as_ref() == Some(&call_id) {
                    self.current_call = None;
                }
                log::info!("hub: call ended ({reason:?})");
                HubEvent::Ended { call_id, reason }
            }
            HubToTerminal::Summary {
                call_id,
                text,
                advice,
            } => HubEvent::Summary {
                call_id,
                text,
                advice,
            },
            HubToTerminal::MessageStored { id } => HubEvent::MessageStored { id },
            HubToTerminal::Error { code, message } => {
                log::warn!("hub error {code:?}: {message}");
                HubEvent::Error { code, message }
            }
        };
        self.emit(event);
    }
}

/// Errors after which the hub closes and retrying soon is pointless.
fn is_refusal(code: ErrorCode) -> bool {
    matches!(code, ErrorCode::Unauthenticated | ErrorCode::Replaced)
}

enum Frame {
    Message(HubToTerminal),
    /// Ping, pong, or something ignored.
    Other,
    Closed,
}

/// Classifies one frame from the socket. Never panics; logs without content.
fn received(frame: Option<Result<WsMessage, tokio_tungstenite::tungstenite::Error>>) -> Frame {
    match frame {
        None => Frame::Closed,
        Some(Err(e)) => {
            log::info!("hub: socket error: {}", short_error(&e));
            Frame::Closed
        }
        Some(Ok(WsMessage::Text(text))) => match decode::<HubToTerminal>(text.as_bytes()) {
            Ok(envelope) => {
                log::trace!(
                    "hub: received {} #{}",
                    kind(&envelope.message),
                    envelope.seq
                );
                Frame::Message(envelope.message)
            }
            Err(e) => {
                // The error names position and shape, never content.
                log::warn!(
                    "hub: undecodable message of {} bytes ignored: {e}",
                    text.len()
                );
                Frame::Other
            }
        },
        Some(Ok(WsMessage::Binary(b))) => {
            log::warn!("hub: binary frame of {} bytes ignored", b.len());
            Frame::Other
        }
        Some(Ok(WsMessage::Close(_))) => Frame::Closed,
        Some(Ok(_)) => Frame::Other,
    }
}

async fn send(
    ws: &mut Ws,
    seq: &mut u64,
    m: &TerminalToHub,
) -> Result<(), tokio_tungstenite::tungstenite::Error> {
    *seq += 1;
    log::trace!("hub: sending {} #{}", out_kind(m), seq);
    ws.send(WsMessage::Text(encode(*seq, m).into())).await
}

async fn close(ws: &mut Ws) {
    let _ = tokio::time::timeout(Duration::from_secs(1), ws.close(None)).await;
}

/// A socket error for the log: its kind, without any payload.
fn short_error(e: &tokio_tungstenite::tungstenite::Error) -> String {
    use tokio_tungstenite::tungstenite::Error;
    match e {
        Error::Io(io) => format!("I/O: {}", io.kind()),
        Error::Http(r) => format!("HTTP status {}", r.status()),
        Error::Capacity(c) => format!("capacity: {c}"),
        Error::ConnectionClosed | Error::AlreadyClosed => "closed".into(),
        Error::Url(u) => format!("URL: {u}"),
        other => format!("{}", other).chars().take(120).collect(),
    }
}

fn kind(m: &HubToTerminal) -> &'static str {
    match m {
        HubToTerminal::Welcome { .. } => "welcome",
        HubToTerminal::Queued { .. } => "queued",
        HubToTerminal::Ringing { .. } => "ringing",
        HubToTerminal::Accepted { .. } => "accepted",
        HubToTerminal::Signal { .. } => "signal",
        HubToTerminal::Ended { .. } => "ended",
        HubToTerminal::Summary { .. } => "summary",
        HubToTerminal::MessageStored { .. } => "message_stored",
        HubToTerminal::Error { .. } => "error",
        HubToTerminal::Heartbeat => "heartbeat",
    }
}

fn out_kind(m: &TerminalToHub) -> &'static str {
    match m {
        TerminalToHub::Hello { .. } => "hello",
        TerminalToHub::RequestCall { .. } => "request_call",
        TerminalToHub::CancelCall { .. } => "cancel_call",
        TerminalToHub::Signal { .. } => "signal",
        TerminalToHub::HangUp { .. } => "hang_up",
        TerminalToHub::LeaveMessage { .. } => "leave_message",
        TerminalToHub::Heartbeat => "heartbeat",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runner() -> Runner {
        let (_tx, rx) = mpsc::unbounded_channel();
        let mut c = HubClientConfig::new("ws://127.0.0.1:1/ws/terminal", "t1", "secret-token", "o");
        c.backoff_min = Duration::from_millis(500);
        c.backoff_max = Duration::from_secs(10);
        Runner::new(c, Arc::new(|_| {}), rx)
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_stays_in_range() {
        let mut r = runner();
        let waits: Vec<u64> = (0..8)
            .map(|_| r.next_backoff().as_millis() as u64)
            .collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..1000 {
            let j = r.jitter(Duration::from_secs(10));
            assert!(
                j >= Duration::from_secs(5) && j <= Duration::from_secs(10),
                "{j:?}"
            );
            seen.insert(j.as_millis() / 500);
        }
        assert!(seen.len() >= 8, "jitter spreads: {seen:?}");
    }

    #[test]
    fn the_token_is_not_in_debug_output() {
        let r = runner();
        let text = format!("{:?}", r.config);
        assert!(
            !text.contains("secret-token") && text.contains("t1"),
            "{text}"
        );
    }

    #[test]
    fn offline_commands_keep_call_messages_and_refuse_new_requests() {
        let events = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (_tx, rx) = mpsc::unbounded_channel();
        let e = events.clone();
        let mut r = Runner::new(
            HubClientConfig::new("ws://x/ws/terminal", "t1", "k", "o"),
            Arc::new(move |ev| e.lock().unwrap().push(ev)),
            rx,
        );
        let signal = TerminalToHub::Signal {
            call_id: CallId("c1".into()),
            payload: SignalPayload::EndOfCandidates,
        };
        // No call: nothing to keep.
        let _ = r.offline(Some(Command::Send(signal.clone())));
        assert!(r.outbox.is_empty());
        r.current_call = Some(CallId("c1".into()));
        let _ = r.offline(Some(Command::Send(signal.clone())));
        let _ = r.offline(Some(Command::Send(TerminalToHub::HangUp { call_id: None })));
        assert_eq!(r.outbox.len(), 2);
        let _ = r.offline(Some(Command::Send(TerminalToHub::RequestCall {
            topic: "labor".into(),
            resident_name: "x".into(),
            masked_id: None,
            callback_phone: None,
        })));
        assert_eq!(
            events.lock().unwrap().as_slice(),
            [HubEvent::NotConnected {
                command: "request_call"
            }]
        );
        // Reconnected without the call: it is reported ended, as hung up.
        r.welcomed_once = true;
        r.welcomed(None, Vec::new());
        assert!(r.outbox.is_empty() && r.current_call.is_none());
        assert_eq!(
            events.lock().unwrap()[2],
            HubEvent::Ended {
                call_id: CallId("c1".into()),
                reason: EndReason::HungUpByTerminal
            }
        );
    }
}
