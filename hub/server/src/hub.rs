//! The hub task: the one owner of live state.
//!
//! Connection tasks ([`crate::terminal`], [`crate::lawyer`]) send
//! [`Command`]s here over one channel; this task applies them to the
//! [`Dispatcher`], turns the resulting events into messages for the
//! connections' outgoing channels and into record writes, and runs the
//! dispatcher's clock (`tick`) five times per second. Nothing here awaits
//! I/O: database work goes to the database thread ([`crate::db`]) and
//! sending to a connection is a non-blocking `try_send` (a connection that
//! cannot keep up is dropped).
//!
//! It is also the **signaling relay**: a `signal` from a terminal goes to
//! the lawyer who accepted that call and one from a lawyer to the call's
//! terminal, checked against the dispatcher; anything else is refused with
//! `unknown_call`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use hub_protocol::{
    CallId, ErrorCode, HubToLawyer, HubToTerminal, LawyerProfile, LawyerToHub, MAX_TEXT_CHARS,
    PROTOCOL_VERSION, QueueEntry, QueueStatus, ResidentInfo, TerminalToHub, char_len,
};
use tokio::sync::mpsc;

use crate::auth;
use crate::config::Config;
use crate::db::{Db, now_ms};
use crate::dispatch::{CallStatus, Dispatcher, Event, LawyerId, Outcome, Refusal, Rules};
use crate::records;
use crate::turn;

/// What a connection task is asked to send, or to close with.
#[derive(Debug)]
pub enum Out<M> {
    Msg(M),
    Close(ErrorCode, String),
}

/// Capacity of each connection's outgoing channel.
pub const OUT_CAPACITY: usize = 64;
/// At most this many calls in one `queue` snapshot.
const QUEUE_VIEW_LIMIT: usize = 200;

pub type TerminalTx = mpsc::Sender<Out<HubToTerminal>>;
pub type LawyerTx = mpsc::Sender<Out<HubToLawyer>>;

/// Messages to the hub task.
#[derive(Debug)]
pub enum Command {
    TerminalHello {
        terminal_id: String,
        office: String,
        resume_token: Option<String>,
        conn: u64,
        tx: TerminalTx,
    },
    Terminal {
        terminal_id: String,
        conn: u64,
        message: TerminalToHub,
    },
    TerminalGone {
        terminal_id: String,
        conn: u64,
    },
    LawyerJoin {
        lawyer: records::Lawyer,
        conn: u64,
        tx: LawyerTx,
    },
    Lawyer {
        lawyer_id: LawyerId,
        conn: u64,
        message: LawyerToHub,
    },
    LawyerGone {
        lawyer_id: LawyerId,
        conn: u64,
    },
    /// The open messages changed: push them to every lawyer.
    BroadcastMessages(Vec<hub_protocol::LeftMessage>),
    /// A summary was stored: forward it to the terminal if connected.
    DeliverSummary {
        terminal_id: String,
        call_id: CallId,
        text: String,
        advice: String,
    },
}

pub type HubTx = mpsc::UnboundedSender<Command>;

struct TerminalConn {
    conn: u64,
    tx: TerminalTx,
}

struct LawyerConn {
    conn: u64,
    tx: LawyerTx,
}

struct CallInfo {
    office: String,
    resident: ResidentInfo,
}

struct Hub {
    config: Arc<Config>,
    db: Db,
    me: HubTx,
    dispatch: Dispatcher,
    terminals: HashMap<String, TerminalConn>,
    resume_tokens: HashMap<String, String>,
    lawyers: HashMap<LawyerId, LawyerConn>,
    profiles: HashMap<LawyerId, LawyerProfile>,
    calls: HashMap<CallId, CallInfo>,
    queue_dirty: bool,
}

/// Starts the hub task; returns the channel to it.
pub fn start(config: Arc<Config>, db: Db) -> HubTx {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut hub = Hub {
        dispatch: Dispatcher::new(Rules::from_config(&config.dispatch)),
        config,
        db,
        me: tx.clone(),
        terminals: HashMap::new(),
        resume_tokens: HashMap::new(),
        lawyers: HashMap::new(),
        profiles: HashMap::new(),
        calls: HashMap::new(),
        queue_dirty: false,
    };
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                command = rx.recv() => match command {
                    Some(command) => hub.handle(command),
                    None => break,
                },
                _ = tick.tick() => {
                    let events = hub.dispatch.tick(now_ms());
                    hub.apply(events);
                    if hub.queue_dirty {
                        hub.queue_dirty = false;
                        let ids: Vec<LawyerId> = hub.lawyers.keys().copied().collect();
                        for id in ids {
                            hub.send_queue(id);
                        }
                    }
                }
            }
        }
    });
    tx
}

fn refusal_code(r: Refusal) -> ErrorCode {
    match r {
        Refusal::AlreadyInCall | Refusal::WrongState => ErrorCode::NotAllowed,
        Refusal::UnknownCall => ErrorCode::UnknownCall,
        Refusal::UnknownLawyer => ErrorCode::Internal,
    }
}

/// `Err` with an `invalid` message if `text` is empty (when required) or
/// longer than `max` characters.
fn check_text(field: &str, text: &str, required: bool, max: usize) -> Result<(), String> {
    if required && text.trim().is_empty() {
        return Err(format!("{field} is empty"));
    }
    if char_len(text) > max {
        return Err(format!("{field} is longer than {max} characters"));
    }
    Ok(())
}

fn check_topic(topic: &str) -> Result<(), String> {
    check_text("topic", topic, true, 64)?;
    if topic.chars().any(|c| c.is_control() || c == ',') {
        return Err("topic contains a control character or comma".into());
    }
    Ok(())
}

impl Hub {
    fn handle(&mut self, command: Command) {
        match command {
            Command::TerminalHello {
                terminal_id,
                office,
                resume_token,
                conn,
                tx,
            } => self.terminal_hello(terminal_id, office, resume_token, conn, tx),
            Command::Terminal {
                terminal_id,
                conn,
                message,
            } => {
                if self
                    .terminals
                    .get(&terminal_id)
                    .is_some_and(|t| t.conn == conn)
                {
                    self.terminal_message(&terminal_id, message);
                }
            }
            Command::TerminalGone { terminal_id, conn } => {
                if self
                    .terminals
                    .get(&terminal_id)
                    .is_some_and(|t| t.conn == conn)
                {
                    self.terminals.remove(&terminal_id);
                    let events = self.dispatch.terminal_offline(&terminal_id, now_ms());
                    self.apply(events);
                }
            }
            Command::LawyerJoin { lawyer, conn, tx } => self.lawyer_join(lawyer, conn, tx),
            Command::Lawyer {
                lawyer_id,
                conn,
                message,
            } => {
                if self.lawyers.get(&lawyer_id).is_some_and(|l| l.conn == conn) {
                    self.lawyer_message(lawyer_id, message);
                }
            }
            Command::LawyerGone { lawyer_id, conn } => {
                if self.lawyers.get(&lawyer_id).is_some_and(|l| l.conn == conn) {
                    self.lawyers.remove(&lawyer_id);
                    let events = self.dispatch.lawyer_offline(lawyer_id, now_ms());
                    self.apply(events);
                }
            }
            Command::BroadcastMessages(messages) => {
                let ids: Vec<LawyerId> = self.lawyers.keys().copied().collect();
                for id in ids {
                    self.send_lawyer(
                        id,
                        HubToLawyer::Messages {
                            messages: messages.clone(),
                        },
                    );
                }
            }
            Command::DeliverSummary {
                terminal_id,
                call_id,
                text,
                advice,
            } => self.send_terminal(
                &terminal_id,
                HubToTerminal::Summary {
                    call_id,
                    text,
                    advice,
                },
            ),
        }
    }

    // ----- sending -------------------------------------------------

    fn send_terminal(&mut self, terminal_id: &str, message: HubToTerminal) {
        let Some(t) = self.terminals.get(terminal_id) else {
            return;
        };
        if t.tx.try_send(Out::Msg(message)).is_err() {
            // Full (a stuck connection) or closed: drop it; it will be
            // treated as lost.
            log::warn!("terminal connection {} cannot keep up; dropping it", t.conn);
            self.terminals.remove(terminal_id);
            let events = self.dispatch.terminal_offline(terminal_id, now_ms());
            self.apply(events);
        }
    }

    fn send_lawyer(&mut self, lawyer_id: LawyerId, message: HubToLawyer) {
        let Some(l) = self.lawyers.get(&lawyer_id) else {
            return;
        };
        if l.tx.try_send(Out::Msg(message)).is_err() {
            log::warn!("lawyer connection {} cannot keep up; dropping it", l.conn);
            self.lawyers.remove(&lawyer_id);
            let events = self.dispatch.lawyer_offline(lawyer_id, now_ms());
            self.apply(events);
        }
    }

    fn terminal_error(&mut self, terminal_id: &str, code: ErrorCode, message: impl Into<String>) {
        let message = message.into();
        log::info!("terminal request refused: {code:?}: {message}");
        self.send_terminal(terminal_id, HubToTerminal::Error { code, message });
    }

    fn lawyer_error(&mut self, lawyer_id: LawyerId, code: ErrorCode, message: impl Into<String>) {
        let message = message.into();
        log::info!("lawyer {lawyer_id} request refused: {code:?}: {message}");
        self.send_lawyer(lawyer_id, HubToLawyer::Error { code, message });
    }

    fn display_name(&self, lawyer_id: LawyerId) -> String {
        self.profiles
            .get(&lawyer_id)
            .map(|p| p.display_name.clone())
            .unwrap_or_default()
    }

    fn ice(&self, id: &str) -> Vec<hub_protocol::IceServer> {
        turn::ice_servers(&self.config.ice, id, now_ms() / 1000)
    }

    // ----- events --------------------------------------------------

    /// Tells everyone concerned about what the dispatcher did, and records
    /// it.
    fn apply(&mut self, events: Vec<Event>) {
        let now = now_ms();
        for event in events {
            match event {
                Event::Queued {
                    call,
                    terminal,
                    position,
                    estimated_wait_secs,
                    suggestion,
                } => self.send_terminal(
                    &terminal,
                    HubToTerminal::Queued {
                        call_id: call,
                        position,
                        estimated_wait_secs,
                        suggestion,
                    },
                ),
                Event::Offered {
                    call,
                    terminal,
                    lawyer,
                    waited_ms,
                    expires_in_ms,
                } => {
                    let id = call.0.clone();
                    self.db
                        .spawn("offered", move |c| records::record_offered(c, &id, now));
                    let (office, resident, topic) = self.call_details(&call);
                    self.send_lawyer(
                        lawyer,
                        HubToLawyer::Offer {
                            call_id: call.clone(),
                            topic,
                            office,
                            terminal_id: terminal.clone(),
                            waited_secs: (waited_ms / 1000) as u32,
                            expires_in_secs: expires_in_ms.div_ceil(1000) as u32,
                            resident,
                        },
                    );
                    let lawyer_display_name = self.display_name(lawyer);
                    self.send_terminal(
                        &terminal,
                        HubToTerminal::Ringing {
                            call_id: call,
                            lawyer_display_name,
                        },
                    );
                }
                Event::OfferWithdrawn {
                    call,
                    lawyer,
                    reason,
                } => self.send_lawyer(
                    lawyer,
                    HubToLawyer::OfferWithdrawn {
                        call_id: call,
                        reason,
                    },
                ),
                Event::Connected {
                    call,
                    terminal,
                    lawyer,
                } => {
                    let id = call.0.clone();
                    self.db.spawn("answered", move |c| {
                        records::record_answered(c, &id, lawyer, now)
                    });
                    let lawyer_display_name = self.display_name(lawyer);
                    let ice = self.ice(&format!("{call}-t"));
                    self.send_terminal(
                        &terminal,
                        HubToTerminal::Accepted {
                            call_id: call.clone(),
                            lawyer_display_name,
                            ice_servers: ice,
                        },
                    );
                    self.send_call_started(lawyer, &call);
                }
                Event::Ended {
                    call,
                    terminal,
                    lawyer,
                    reason,
                    outcome,
                } => {
                    let id = call.0.clone();
                    let reason_text = serde_json::to_value(reason)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    let outcome_text = outcome.as_str();
                    self.db.spawn("ended", move |c| {
                        records::record_ended(c, &id, outcome_text, &reason_text, now)
                    });
                    log::info!("call {call} ended: {outcome_text}");
                    self.calls.remove(&call);
                    self.send_terminal(
                        &terminal,
                        HubToTerminal::Ended {
                            call_id: call.clone(),
                            reason,
                        },
                    );
                    if let Some(lawyer) = lawyer {
                        self.send_lawyer(
                            lawyer,
                            HubToLawyer::Ended {
                                call_id: call,
                                reason,
                            },
                        );
                    }
                }
                Event::LawyerState { lawyer, state } => {
                    self.send_lawyer(lawyer, HubToLawyer::State { state })
                }
                Event::QueueChanged => self.queue_dirty = true,
            }
        }
    }

    fn call_details(&self, call: &CallId) -> (String, ResidentInfo, String) {
        let topic = self
            .dispatch
            .call(call)
            .map(|c| c.topic)
            .unwrap_or_default();
        match self.calls.get(call) {
            Some(info) => (info.office.clone(), info.resident.clone(), topic),
            None => (
                String::new(),
                ResidentInfo {
                    name: String::new(),
                    masked_id: None,
                    callback_phone: None,
                },
                topic,
            ),
        }
    }

    fn send_call_started(&mut self, lawyer: LawyerId, call: &CallId) {
        let (office, resident, topic) = self.call_details(call);
        let ice = self.ice(&format!("{call}-l"));
        self.send_lawyer(
            lawyer,
            HubToLawyer::CallStarted {
                call_id: call.clone(),
                ice_servers: ice,
                resident,
                office,
                topic,
            },
        );
    }

    /// The queue as `lawyer_id` may see it.
    fn send_queue(&mut self, lawyer_id: LawyerId) {
        let now = now_ms();
        let skills = self
            .dispatch
            .lawyer_skills(lawyer_id)
            .cloned()
            .unwrap_or_default();
        let mut entries = Vec::new();
        for view in self.dispatch.live_calls() {
            let own = view.lawyer == Some(lawyer_id);
            let status = match view.status {
                CallStatus::Waiting => QueueStatus::Waiting,
                CallStatus::Offered if own => QueueStatus::Ringing,
                CallStatus::Connected if own => QueueStatus::Busy,
                _ => continue,
            };
            if !own && entries.len() >= QUEUE_VIEW_LIMIT {
                continue;
            }
            let info = self.calls.get(&view.call);
            entries.push(QueueEntry {
                call_id: view.call.clone(),
                matches_skills: skills.contains(&view.topic),
                topic: view.topic,
                office: info.map(|i| i.office.clone()).unwrap_or_default(),
                waiting_secs: (now.saturating_sub(view.requested_at) / 1000) as u32,
                status,
                resident: if own {
                    info.map(|i| i.resident.clone())
                } else {
                    None
                },
            });
        }
        let total_waiting = self.dispatch.waiting_count() as u32;
        self.send_lawyer(
            lawyer_id,
            HubToLawyer::Queue {
                entries,
                total_waiting,
            },
        );
    }

    fn send_open_messages(&self, tx: LawyerTx) {
        let db = self.db.clone();
        tokio::spawn(async move {
            match db.call(|c| records::open_messages(c, 200)).await {
                Ok(messages) => {
                    let _ = tx.try_send(Out::Msg(HubToLawyer::Messages { messages }));
                }
                Err(e) => log::error!("loading messages failed: {e}"),
            }
        });
    }

    // ----- terminals -----------------------------------------------

    fn terminal_hello(
        &mut self,
        terminal_id: String,
        office: String,
        resume_token: Option<String>,
        conn: u64,
        tx: TerminalTx,
    ) {
        if let Some(old) = self.terminals.remove(&terminal_id) {
            let _ = old.tx.try_send(Out::Close(
                ErrorCode::Replaced,
                "another connection signed in as this terminal".into(),
            ));
        }
        let resumed = match (&resume_token, self.resume_tokens.get(&terminal_id)) {
            (Some(given), Some(known)) => auth::secrets_equal(given, known),
            _ => false,
        };
        let new_token = auth::random_hex(16);
        self.resume_tokens
            .insert(terminal_id.clone(), new_token.clone());
        log::info!("terminal connection {conn} signed in (resumed: {resumed})");
        let _ = office;
        self.terminals
            .insert(terminal_id.clone(), TerminalConn { conn, tx });
        let (resumed_call_id, events) =
            self.dispatch
                .terminal_online(&terminal_id, resumed, now_ms());
        let welcome = HubToTerminal::Welcome {
            resume_token: new_token,
            ice_servers: self.ice(&terminal_id),
            heartbeat_secs: self.config.limits.heartbeat_secs,
            protocol_version: PROTOCOL_VERSION,
            resumed_call_id,
        };
        self.send_terminal(&terminal_id, welcome);
        self.apply(events);
    }

    fn terminal_office(&self, terminal_id: &str) -> String {
        self.config
            .terminals
            .get(terminal_id)
            .map(|t| t.office.clone())
            .unwrap_or_default()
    }

    fn terminal_message(&mut self, terminal_id: &str, message: TerminalToHub) {
        let now = now_ms();
        match message {
            TerminalToHub::Hello { .. } => {
                self.terminal_error(terminal_id, ErrorCode::NotAllowed, "already signed in")
            }
            TerminalToHub::Heartbeat => self.send_terminal(terminal_id, HubToTerminal::Heartbeat),
            TerminalToHub::RequestCall {
                topic,
                resident_name,
                masked_id,
                callback_phone,
            } => {
                let checks = check_topic(&topic)
                    .and(check_text("resident_name", &resident_name, true, 100))
                    .and(check_text(
                        "masked_id",
                        masked_id.as_deref().unwrap_or(""),
                        false,
                        32,
                    ))
                    .and(check_text(
                        "callback_phone",
                        callback_phone.as_deref().unwrap_or(""),
                        false,
                        32,
                    ));
                if let Err(e) = checks {
                    return self.terminal_error(terminal_id, ErrorCode::Invalid, e);
                }
                if self.dispatch.call_of_terminal(terminal_id).is_some() {
                    return self.terminal_error(
                        terminal_id,
                        ErrorCode::NotAllowed,
                        "the terminal already has a call",
                    );
                }
                let call = CallId(format!("c{}", auth::random_hex(8)));
                let office = self.terminal_office(terminal_id);
                {
                    let (id, t, o, tp) = (
                        call.0.clone(),
                        terminal_id.to_owned(),
                        office.clone(),
                        topic.clone(),
                    );
                    self.db.spawn("requested", move |c| {
                        records::record_requested(c, &id, &t, &o, &tp, now)
                    });
                }
                self.calls.insert(
                    call.clone(),
                    CallInfo {
                        office,
                        resident: ResidentInfo {
                            name: resident_name,
                            masked_id,
                            callback_phone,
                        },
                    },
                );
                log::info!("call {call} requested (topic {topic})");
                match self
                    .dispatch
                    .request_call(call.clone(), terminal_id, &topic, now)
                {
                    Ok(events) => self.apply(events),
                    Err(r) => {
                        self.calls.remove(&call);
                        self.terminal_error(terminal_id, refusal_code(r), r.to_string());
                    }
                }
            }
            TerminalToHub::CancelCall { call_id } | TerminalToHub::HangUp { call_id } => {
                match self.dispatch.terminal_ends(
                    terminal_id,
                    call_id.as_ref(),
                    Outcome::AbandonedInQueue,
                    now,
                ) {
                    Ok(events) => self.apply(events),
                    Err(r) => self.terminal_error(terminal_id, refusal_code(r), r.to_string()),
                }
            }
            TerminalToHub::Signal { call_id, payload } => {
                match self.dispatch.peer_of_terminal(terminal_id, &call_id) {
                    Some(lawyer) => {
                        self.send_lawyer(lawyer, HubToLawyer::Signal { call_id, payload })
                    }
                    None => self.terminal_error(
                        terminal_id,
                        ErrorCode::UnknownCall,
                        "signal for a call that is not connected to this terminal",
                    ),
                }
            }
            TerminalToHub::LeaveMessage {
                topic,
                name,
                callback_phone,
                text,
            } => {
                let checks = check_topic(&topic)
                    .and(check_text("name", &name, true, 100))
                    .and(check_text("callback_phone", &callback_phone, true, 32))
                    .and(check_text("text", &text, false, MAX_TEXT_CHARS));
                if let Err(e) = checks {
                    return self.terminal_error(terminal_id, ErrorCode::Invalid, e);
                }
                // A waiting call is replaced by the message.
                if let Some(call) = self.dispatch.call_of_terminal(terminal_id).cloned()
                    && self
                        .dispatch
                        .call(&call)
                        .is_some_and(|c| c.status != CallStatus::Connected)
                    && let Ok(events) = self.dispatch.terminal_ends(
                        terminal_id,
                        Some(&call),
                        Outcome::MessageLeft,
                        now,
                    )
                {
                    self.apply(events);
                }
                let office = self.terminal_office(terminal_id);
                let db = self.db.clone();
                let tx = self.terminals.get(terminal_id).map(|t| t.tx.clone());
                let me = self.me.clone();
                let tid = terminal_id.to_owned();
                tokio::spawn(async move {
                    let stored = db
                        .call(move |c| {
                            records::store_message(
                                c,
                                &tid,
                                &office,
                                &topic,
                                &name,
                                &callback_phone,
                                &text,
                                (now / 1000) as i64,
                            )
                        })
                        .await;
                    let reply = match stored {
                        Ok(id) => {
                            log::info!("message {id} stored");
                            HubToTerminal::MessageStored { id }
                        }
                        Err(e) => {
                            log::error!("storing a message failed: {e}");
                            HubToTerminal::Error {
                                code: ErrorCode::Internal,
                                message: "the message could not be stored".into(),
                            }
                        }
                    };
                    if let Some(tx) = tx {
                        let _ = tx.try_send(Out::Msg(reply));
                    }
                    if let Ok(messages) = db.call(|c| records::open_messages(c, 200)).await {
                        let _ = me.send(Command::BroadcastMessages(messages));
                    }
                });
            }
        }
    }

    // ----- lawyers -------------------------------------------------

    fn lawyer_join(&mut self, lawyer: records::Lawyer, conn: u64, tx: LawyerTx) {
        if let Some(old) = self.lawyers.remove(&lawyer.id) {
            let _ = old.tx.try_send(Out::Close(
                ErrorCode::Replaced,
                "this account connected from another console".into(),
            ));
        }
        log::info!("lawyer {} connected (connection {conn})", lawyer.id);
        let profile = LawyerProfile {
            username: lawyer.username.clone(),
            display_name: lawyer.display_name.clone(),
            skills: lawyer.skills.clone(),
        };
        self.profiles.insert(lawyer.id, profile.clone());
        self.lawyers.insert(
            lawyer.id,
            LawyerConn {
                conn,
                tx: tx.clone(),
            },
        );
        let (current, events) = self
            .dispatch
            .lawyer_online(lawyer.id, lawyer.skills, now_ms());
        let state = self
            .dispatch
            .lawyer_state(lawyer.id)
            .unwrap_or(hub_protocol::LawyerState::Away);
        self.send_lawyer(
            lawyer.id,
            HubToLawyer::Welcome {
                lawyer: profile,
                state,
                heartbeat_secs: self.config.limits.heartbeat_secs,
                protocol_version: PROTOCOL_VERSION,
            },
        );
        // The welcome already carries the state.
        let events: Vec<Event> = events
            .into_iter()
            .filter(|e| !matches!(e, Event::LawyerState { lawyer: l, .. } if *l == lawyer.id))
            .collect();
        self.apply(events);
        if let Some(call) = current {
            self.send_call_started(lawyer.id, &call);
        }
        self.send_queue(lawyer.id);
        self.send_open_messages(tx);
    }

    fn lawyer_message(&mut self, lawyer_id: LawyerId, message: LawyerToHub) {
        let now = now_ms();
        let result = match message {
            LawyerToHub::Heartbeat => {
                self.send_lawyer(lawyer_id, HubToLawyer::Heartbeat);
                return;
            }
            LawyerToHub::SetState { state } => self.dispatch.set_available(
                lawyer_id,
                state == hub_protocol::Availability::Available,
                now,
            ),
            LawyerToHub::SetSkills { topics } => {
                if topics.len() > 50 {
                    return self.lawyer_error(lawyer_id, ErrorCode::Invalid, "at most 50 topics");
                }
                if let Some(e) = topics.iter().find_map(|t| check_topic(t).err()) {
                    return self.lawyer_error(lawyer_id, ErrorCode::Invalid, e);
                }
                let stored = topics.clone();
                self.db.spawn("skills", move |c| {
                    records::set_lawyer_skills(c, lawyer_id, &stored)
                });
                if let Some(p) = self.profiles.get_mut(&lawyer_id) {
                    p.skills = topics.clone();
                }
                self.dispatch.set_skills(lawyer_id, topics, now)
            }
            LawyerToHub::Accept { call_id } => self.dispatch.accept(lawyer_id, &call_id, now),
            LawyerToHub::Decline { call_id } => self.dispatch.decline(lawyer_id, &call_id, now),
            LawyerToHub::HangUp { call_id } => {
                self.dispatch.lawyer_hangs_up(lawyer_id, &call_id, now)
            }
            LawyerToHub::Signal { call_id, payload } => {
                match self.dispatch.peer_of_lawyer(lawyer_id, &call_id).cloned() {
                    Some(terminal) => {
                        self.send_terminal(&terminal, HubToTerminal::Signal { call_id, payload })
                    }
                    None => self.lawyer_error(
                        lawyer_id,
                        ErrorCode::UnknownCall,
                        "signal for a call that is not connected to this lawyer",
                    ),
                }
                return;
            }
            LawyerToHub::SubmitSummary {
                call_id,
                text,
                advice,
            } => {
                let checks = check_text("text", &text, true, MAX_TEXT_CHARS).and(check_text(
                    "advice",
                    &advice,
                    false,
                    MAX_TEXT_CHARS,
                ));
                if let Err(e) = checks {
                    return self.lawyer_error(lawyer_id, ErrorCode::Invalid, e);
                }
                let Some(tx) = self.lawyers.get(&lawyer_id).map(|l| l.tx.clone()) else {
                    return;
                };
                let db = self.db.clone();
                let me = self.me.clone();
                tokio::spawn(async move {
                    let id = call_id.0.clone();
                    let (t, a) = (text.clone(), advice.clone());
                    let reply = match db
                        .call(move |c| records::record_summary(c, &id, lawyer_id, &t, &a))
                        .await
                    {
                        Ok(Some(terminal_id)) => {
                            let _ = me.send(Command::DeliverSummary {
                                terminal_id,
                                call_id: call_id.clone(),
                                text,
                                advice,
                            });
                            HubToLawyer::SummaryStored { call_id }
                        }
                        Ok(None) => HubToLawyer::Error {
                            code: ErrorCode::UnknownCall,
                            message: "no call answered by this lawyer has that id".into(),
                        },
                        Err(e) => {
                            log::error!("storing a summary failed: {e}");
                            HubToLawyer::Error {
                                code: ErrorCode::Internal,
                                message: "the summary could not be stored".into(),
                            }
                        }
                    };
                    let _ = tx.try_send(Out::Msg(reply));
                });
                return;
            }
            LawyerToHub::ListMessages => {
                if let Some(tx) = self.lawyers.get(&lawyer_id).map(|l| l.tx.clone()) {
                    self.send_open_messages(tx);
                }
                return;
            }
            LawyerToHub::MarkHandled { id } => {
                let db = self.db.clone();
                let me = self.me.clone();
                let tx = self.lawyers.get(&lawyer_id).map(|l| l.tx.clone());
                tokio::spawn(async move {
                    let secs = (now / 1000) as i64;
                    match db
                        .call(move |c| records::mark_handled(c, id, lawyer_id, secs))
                        .await
                    {
                        Ok(true) => {
                            if let Ok(messages) = db.call(|c| records::open_messages(c, 200)).await
                            {
                                let _ = me.send(Command::BroadcastMessages(messages));
                            }
                        }
                        Ok(false) => {
                            if let Some(tx) = tx {
                                let _ = tx.try_send(Out::Msg(HubToLawyer::Error {
                                    code: ErrorCode::Invalid,
                                    message: "no open message has that id".into(),
                                }));
                            }
                        }
                        Err(e) => log::error!("marking a message failed: {e}"),
                    }
                });
                return;
            }
        };
        match result {
            Ok(events) => self.apply(events),
            Err(r) => self.lawyer_error(lawyer_id, refusal_code(r), r.to_string()),
        }
    }
}
