//! The queue and the lawyers: who gets which call, when. Pure logic.
//!
//! [`Dispatcher`] holds every live call and every known lawyer. Each
//! operation takes the current time (milliseconds since the Unix epoch) and
//! returns the [`Event`]s it caused; the caller (the hub task) turns events
//! into messages and records. Nothing here does I/O or reads a clock, so
//! the tests below are the specification of the rules:
//!
//! * A waiting call is offered to the **available lawyer with the topic in
//!   their skills who has been idle longest**. Calls are considered oldest
//!   first; a call whose topic nobody can take does not hold up others.
//! * An offer not accepted within the offer timeout is withdrawn, the
//!   lawyer is set away (they are evidently not at the desk), and the call
//!   goes **back to the head of the queue** for the next lawyer. A declined
//!   call does the same, but the lawyer stays available and is not offered
//!   that call again.
//! * The **position** of a waiting call counts the waiting calls of the same
//!   topic ahead of it, from 1. The **estimated wait** is
//!   `position × average handling time ÷ lawyers on duty for the topic`,
//!   the average taken over the last completed calls.
//! * With no lawyer for the topic on duty, or an estimate over the wait
//!   limit, the terminal is told to suggest leaving a message. A call
//!   waiting longer than the queue limit is ended (`no_lawyer` if nobody
//!   for its topic is on duty, `timeout` otherwise).
//! * A party whose connection drops keeps its call for the resume grace
//!   period; then the call ends (`terminal_lost` / `lawyer_lost`), as
//!   `dropped` if it had been answered. A waiting call whose terminal is
//!   away is not offered meanwhile; an offer to a lawyer who drops is
//!   withdrawn at once.

use std::collections::{BTreeSet, HashMap, VecDeque};

use hub_protocol::{CallId, EndReason, LawyerState, Suggestion, WithdrawReason};

/// Milliseconds since the Unix epoch.
pub type Millis = u64;
/// A lawyer account's database id.
pub type LawyerId = i64;
/// A terminal id from the configuration.
pub type TerminalId = String;

/// How a call ended, as stored in its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Answered, then hung up by either side.
    Completed,
    /// The terminal cancelled or was lost before anyone answered.
    AbandonedInQueue,
    /// Answered, then a party's connection was lost.
    Dropped,
    /// The resident left a message instead of waiting.
    MessageLeft,
    /// The hub gave up: nobody answered within the queue limit.
    NoAnswer,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Completed => "completed",
            Outcome::AbandonedInQueue => "abandoned_in_queue",
            Outcome::Dropped => "dropped",
            Outcome::MessageLeft => "message_left",
            Outcome::NoAnswer => "no_answer",
        }
    }
}

/// Which side of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Terminal,
    Lawyer,
}

/// The rules' numbers, in milliseconds / seconds.
#[derive(Debug, Clone)]
pub struct Rules {
    pub offer_timeout_ms: u64,
    pub wait_limit_secs: u32,
    pub max_queue_ms: u64,
    pub resume_grace_ms: u64,
    pub default_handling_secs: u32,
    /// How many completed calls the average handling time is taken over.
    pub handling_window: usize,
}

impl Rules {
    pub fn from_config(c: &crate::config::DispatchConfig) -> Self {
        Rules {
            offer_timeout_ms: u64::from(c.offer_timeout_secs) * 1000,
            wait_limit_secs: c.wait_limit_secs,
            max_queue_ms: u64::from(c.max_queue_secs) * 1000,
            resume_grace_ms: u64::from(c.resume_grace_secs) * 1000,
            default_handling_secs: c.default_handling_secs,
            handling_window: 20,
        }
    }
}

/// Something the hub must tell someone or record.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// A waiting call's position or estimate changed (or it just queued).
    Queued {
        call: CallId,
        terminal: TerminalId,
        position: u32,
        estimated_wait_secs: Option<u32>,
        suggestion: Option<Suggestion>,
    },
    /// The call is offered to the lawyer (the terminal hears `ringing`).
    Offered {
        call: CallId,
        terminal: TerminalId,
        lawyer: LawyerId,
        waited_ms: u64,
        expires_in_ms: u64,
    },
    /// The offer to this lawyer is gone.
    OfferWithdrawn {
        call: CallId,
        lawyer: LawyerId,
        reason: WithdrawReason,
    },
    /// The lawyer accepted: the call is connected.
    Connected {
        call: CallId,
        terminal: TerminalId,
        lawyer: LawyerId,
    },
    /// The call is over and removed.
    Ended {
        call: CallId,
        terminal: TerminalId,
        /// The lawyer who had accepted it, if any.
        lawyer: Option<LawyerId>,
        reason: EndReason,
        outcome: Outcome,
    },
    /// A lawyer's state changed.
    LawyerState {
        lawyer: LawyerId,
        state: LawyerState,
    },
    /// The set of waiting calls changed (lawyers' queue views are stale).
    QueueChanged,
}

/// Why an operation was refused; nothing changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the terminal already has a call")]
    AlreadyInCall,
    #[error("no such call for this party")]
    UnknownCall,
    #[error("not allowed in the call's or lawyer's current state")]
    WrongState,
    #[error("unknown lawyer")]
    UnknownLawyer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Waiting,
    Offered {
        lawyer: LawyerId,
        deadline: Millis,
    },
    Connected {
        lawyer: LawyerId,
        answered_at: Millis,
    },
}

#[derive(Debug, Clone)]
struct Call {
    terminal: TerminalId,
    topic: String,
    requested_at: Millis,
    phase: Phase,
    declined_by: Vec<LawyerId>,
    terminal_lost_at: Option<Millis>,
    lawyer_lost_at: Option<Millis>,
    /// What the terminal was last told: (position, estimate, suggestion).
    announced: Option<(u32, Option<u32>, Option<Suggestion>)>,
}

#[derive(Debug, Clone)]
struct Lawyer {
    skills: BTreeSet<String>,
    /// The lawyer wants calls (`available`) or not (`away`).
    wants_calls: bool,
    online: bool,
    idle_since: Millis,
    call: Option<CallId>,
    announced: Option<LawyerState>,
}

/// A read-only view of one live call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallView {
    pub call: CallId,
    pub terminal: TerminalId,
    pub topic: String,
    pub requested_at: Millis,
    /// The lawyer it is offered to or connected with.
    pub lawyer: Option<LawyerId>,
    pub status: CallStatus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallStatus {
    Waiting,
    Offered,
    Connected,
}

/// The queue and the lawyers. See the module docs for the rules.
#[derive(Debug)]
pub struct Dispatcher {
    rules: Rules,
    /// Waiting calls, head first.
    queue: VecDeque<CallId>,
    calls: HashMap<CallId, Call>,
    by_terminal: HashMap<TerminalId, CallId>,
    lawyers: HashMap<LawyerId, Lawyer>,
    /// Talk times of the last completed calls, seconds.
    handling: VecDeque<u32>,
}

impl Dispatcher {
    pub fn new(rules: Rules) -> Self {
        Dispatcher {
            rules,
            queue: VecDeque::new(),
            calls: HashMap::new(),
            by_terminal: HashMap::new(),
            lawyers: HashMap::new(),
            handling: VecDeque::new(),
        }
    }

    // ----- terminals -------------------------------------------------

    /// A resident asks for a lawyer.
    pub fn request_call(
        &mut self,
        call: CallId,
        terminal: &str,
        topic: &str,
        now: Millis,
    ) -> Result<Vec<Event>, Refusal> {
        if self.by_terminal.contains_key(terminal) || self.calls.contains_key(&call) {
            return Err(Refusal::AlreadyInCall);
        }
        self.calls.insert(
            call.clone(),
            Call {
                terminal: terminal.to_owned(),
                topic: topic.to_owned(),
                requested_at: now,
                phase: Phase::Waiting,
                declined_by: Vec::new(),
                terminal_lost_at: None,
                lawyer_lost_at: None,
                announced: None,
            },
        );
        self.by_terminal.insert(terminal.to_owned(), call.clone());
        self.queue.push_back(call);
        let mut events = vec![Event::QueueChanged];
        self.settle(now, &mut events);
        Ok(events)
    }

    /// The terminal ends its call: cancelling while waiting or ringing,
    /// hanging up when connected. `outcome_if_waiting` is
    /// `AbandonedInQueue`, or `MessageLeft` when a message replaces it.
    pub fn terminal_ends(
        &mut self,
        terminal: &str,
        call: Option<&CallId>,
        outcome_if_waiting: Outcome,
        now: Millis,
    ) -> Result<Vec<Event>, Refusal> {
        let id = self.terminal_call(terminal, call)?;
        let mut events = Vec::new();
        let outcome = match self.calls[&id].phase {
            Phase::Connected { .. } => Outcome::Completed,
            _ => outcome_if_waiting,
        };
        self.end(&id, EndReason::HungUpByTerminal, outcome, now, &mut events);
        self.settle(now, &mut events);
        Ok(events)
    }

    /// The terminal's connection dropped.
    pub fn terminal_offline(&mut self, terminal: &str, now: Millis) -> Vec<Event> {
        let mut events = Vec::new();
        if let Some(id) = self.by_terminal.get(terminal).cloned() {
            if let Some(call) = self.calls.get_mut(&id) {
                call.terminal_lost_at = Some(now);
            }
            if let Phase::Offered { lawyer, .. } = self.calls[&id].phase {
                self.withdraw(&id, lawyer, WithdrawReason::Cancelled, now, &mut events);
            }
            self.settle(now, &mut events);
        }
        events
    }

    /// The terminal connected again. With `resumed`, its call (if any)
    /// goes on and is returned; without, the old call is ended.
    pub fn terminal_online(
        &mut self,
        terminal: &str,
        resumed: bool,
        now: Millis,
    ) -> (Option<CallId>, Vec<Event>) {
        let mut events = Vec::new();
        let Some(id) = self.by_terminal.get(terminal).cloned() else {
            return (None, events);
        };
        if resumed {
            if let Some(call) = self.calls.get_mut(&id) {
                call.terminal_lost_at = None;
                // Make sure it hears its position again.
                call.announced = None;
            }
            self.settle(now, &mut events);
            (Some(id), events)
        } else {
            let outcome = self.lost_outcome(&id);
            self.end(&id, EndReason::TerminalLost, outcome, now, &mut events);
            self.settle(now, &mut events);
            (None, events)
        }
    }

    // ----- lawyers ---------------------------------------------------

    /// A lawyer's console connected. A new lawyer starts away; a known one
    /// keeps their state, and their connected call (returned) goes on.
    pub fn lawyer_online(
        &mut self,
        lawyer: LawyerId,
        skills: impl IntoIterator<Item = String>,
        now: Millis,
    ) -> (Option<CallId>, Vec<Event>) {
        let skills: BTreeSet<String> = skills.into_iter().collect();
        let entry = self.lawyers.entry(lawyer).or_insert_with(|| Lawyer {
            skills: BTreeSet::new(),
            wants_calls: false,
            online: false,
            idle_since: now,
            call: None,
            announced: None,
        });
        entry.skills = skills;
        entry.online = true;
        entry.announced = None;
        let current = entry.call.clone();
        if let Some(id) = &current
            && let Some(call) = self.calls.get_mut(id)
        {
            call.lawyer_lost_at = None;
        }
        let mut events = Vec::new();
        self.settle(now, &mut events);
        (current, events)
    }

    /// A lawyer's console disconnected.
    pub fn lawyer_offline(&mut self, lawyer: LawyerId, now: Millis) -> Vec<Event> {
        let mut events = Vec::new();
        let Some(l) = self.lawyers.get_mut(&lawyer) else {
            return events;
        };
        l.online = false;
        if let Some(id) = l.call.clone() {
            match self.calls.get(&id).map(|c| c.phase) {
                Some(Phase::Offered { .. }) => {
                    self.withdraw(&id, lawyer, WithdrawReason::Cancelled, now, &mut events);
                }
                Some(Phase::Connected { .. }) => {
                    if let Some(call) = self.calls.get_mut(&id) {
                        call.lawyer_lost_at = Some(now);
                    }
                }
                _ => {}
            }
        }
        self.settle(now, &mut events);
        events
    }

    /// The lawyer goes on duty (`true`) or away.
    pub fn set_available(
        &mut self,
        lawyer: LawyerId,
        available: bool,
        now: Millis,
    ) -> Result<Vec<Event>, Refusal> {
        let l = self
            .lawyers
            .get_mut(&lawyer)
            .ok_or(Refusal::UnknownLawyer)?;
        if l.wants_calls != available {
            l.wants_calls = available;
            if available {
                l.idle_since = now;
            }
        }
        let mut events = Vec::new();
        // Going away while ringing gives the call back.
        if !available
            && let Some(id) = l.call.clone()
            && matches!(
                self.calls.get(&id).map(|c| c.phase),
                Some(Phase::Offered { .. })
            )
        {
            self.withdraw(&id, lawyer, WithdrawReason::Declined, now, &mut events);
        }
        self.settle(now, &mut events);
        Ok(events)
    }

    /// Replaces a lawyer's topics.
    pub fn set_skills(
        &mut self,
        lawyer: LawyerId,
        skills: impl IntoIterator<Item = String>,
        now: Millis,
    ) -> Result<Vec<Event>, Refusal> {
        let l = self
            .lawyers
            .get_mut(&lawyer)
            .ok_or(Refusal::UnknownLawyer)?;
        l.skills = skills.into_iter().collect();
        let mut events = vec![Event::QueueChanged];
        self.settle(now, &mut events);
        Ok(events)
    }

    /// The lawyer answers the call offered to them.
    pub fn accept(
        &mut self,
        lawyer: LawyerId,
        call: &CallId,
        now: Millis,
    ) -> Result<Vec<Event>, Refusal> {
        let c = self.calls.get_mut(call).ok_or(Refusal::UnknownCall)?;
        match c.phase {
            Phase::Offered { lawyer: l, .. } if l == lawyer => {}
            Phase::Connected { lawyer: l, .. } if l == lawyer => return Err(Refusal::WrongState),
            _ => return Err(Refusal::UnknownCall),
        }
        c.phase = Phase::Connected {
            lawyer,
            answered_at: now,
        };
        // The queue view changes too: the call is now in progress.
        let mut events = vec![
            Event::Connected {
                call: call.clone(),
                terminal: c.terminal.clone(),
                lawyer,
            },
            Event::QueueChanged,
        ];
        self.settle(now, &mut events);
        Ok(events)
    }

    /// The lawyer refuses the call offered to them.
    pub fn decline(
        &mut self,
        lawyer: LawyerId,
        call: &CallId,
        now: Millis,
    ) -> Result<Vec<Event>, Refusal> {
        let c = self.calls.get(call).ok_or(Refusal::UnknownCall)?;
        match c.phase {
            Phase::Offered { lawyer: l, .. } if l == lawyer => {}
            _ => return Err(Refusal::UnknownCall),
        }
        let mut events = Vec::new();
        self.withdraw(call, lawyer, WithdrawReason::Declined, now, &mut events);
        self.settle(now, &mut events);
        Ok(events)
    }

    /// The lawyer hangs up their connected call.
    pub fn lawyer_hangs_up(
        &mut self,
        lawyer: LawyerId,
        call: &CallId,
        now: Millis,
    ) -> Result<Vec<Event>, Refusal> {
        let c = self.calls.get(call).ok_or(Refusal::UnknownCall)?;
        match c.phase {
            Phase::Connected { lawyer: l, .. } if l == lawyer => {}
            _ => return Err(Refusal::UnknownCall),
        }
        let mut events = Vec::new();
        self.end(
            call,
            EndReason::HungUpByLawyer,
            Outcome::Completed,
            now,
            &mut events,
        );
        self.settle(now, &mut events);
        Ok(events)
    }

    // ----- time ------------------------------------------------------

    /// Applies every deadline that has passed: offer timeouts, queue
    /// limits, resume grace periods. Call it a few times per second.
    pub fn tick(&mut self, now: Millis) -> Vec<Event> {
        let mut events = Vec::new();
        let ids: Vec<CallId> = self.calls.keys().cloned().collect();
        for id in ids {
            let Some(c) = self.calls.get(&id) else {
                continue;
            };
            let grace = self.rules.resume_grace_ms;
            if c.terminal_lost_at.is_some_and(|t| now >= t + grace) {
                let outcome = self.lost_outcome(&id);
                self.end(&id, EndReason::TerminalLost, outcome, now, &mut events);
                continue;
            }
            if c.lawyer_lost_at.is_some_and(|t| now >= t + grace) {
                self.end(
                    &id,
                    EndReason::LawyerLost,
                    Outcome::Dropped,
                    now,
                    &mut events,
                );
                continue;
            }
            match c.phase {
                Phase::Offered { lawyer, deadline } if now >= deadline => {
                    self.withdraw(&id, lawyer, WithdrawReason::Timeout, now, &mut events);
                    if let Some(l) = self.lawyers.get_mut(&lawyer) {
                        l.wants_calls = false;
                    }
                }
                Phase::Waiting if now >= c.requested_at + self.rules.max_queue_ms => {
                    let reason = if self.on_duty_for(&c.topic) == 0 {
                        EndReason::NoLawyer
                    } else {
                        EndReason::Timeout
                    };
                    self.end(&id, reason, Outcome::NoAnswer, now, &mut events);
                }
                _ => {}
            }
        }
        if !events.is_empty() {
            self.settle(now, &mut events);
        }
        events
    }

    // ----- queries ---------------------------------------------------

    /// The other party of a call, for relaying signals: only the terminal
    /// and the lawyer who accepted (connected) may signal each other.
    pub fn peer_of_terminal(&self, terminal: &str, call: &CallId) -> Option<LawyerId> {
        let c = self.calls.get(call)?;
        match c.phase {
            Phase::Connected { lawyer, .. } if c.terminal == terminal => Some(lawyer),
            _ => None,
        }
    }

    /// See [`Dispatcher::peer_of_terminal`].
    pub fn peer_of_lawyer(&self, lawyer: LawyerId, call: &CallId) -> Option<&TerminalId> {
        let c = self.calls.get(call)?;
        match c.phase {
            Phase::Connected { lawyer: l, .. } if l == lawyer => Some(&c.terminal),
            _ => None,
        }
    }

    pub fn call(&self, id: &CallId) -> Option<CallView> {
        let c = self.calls.get(id)?;
        let (lawyer, status) = match c.phase {
            Phase::Waiting => (None, CallStatus::Waiting),
            Phase::Offered { lawyer, .. } => (Some(lawyer), CallStatus::Offered),
            Phase::Connected { lawyer, .. } => (Some(lawyer), CallStatus::Connected),
        };
        Some(CallView {
            call: id.clone(),
            terminal: c.terminal.clone(),
            topic: c.topic.clone(),
            requested_at: c.requested_at,
            lawyer,
            status,
        })
    }

    pub fn call_of_terminal(&self, terminal: &str) -> Option<&CallId> {
        self.by_terminal.get(terminal)
    }

    /// Waiting calls, head first, then the offered and connected ones.
    pub fn live_calls(&self) -> Vec<CallView> {
        let mut views: Vec<CallView> = self.queue.iter().filter_map(|id| self.call(id)).collect();
        let mut others: Vec<CallView> = self
            .calls
            .keys()
            .filter_map(|id| self.call(id))
            .filter(|v| v.status != CallStatus::Waiting)
            .collect();
        others.sort_by_key(|v| v.requested_at);
        views.extend(others);
        views
    }

    pub fn waiting_count(&self) -> usize {
        self.queue.len()
    }

    pub fn lawyer_state(&self, lawyer: LawyerId) -> Option<LawyerState> {
        self.lawyers.get(&lawyer).map(|l| self.state_of(l))
    }

    pub fn lawyer_skills(&self, lawyer: LawyerId) -> Option<&BTreeSet<String>> {
        self.lawyers.get(&lawyer).map(|l| &l.skills)
    }

    /// Average talk time of recent completed calls, seconds.
    pub fn average_handling_secs(&self) -> u32 {
        if self.handling.is_empty() {
            return self.rules.default_handling_secs;
        }
        let sum: u64 = self.handling.iter().map(|&s| u64::from(s)).sum();
        (sum / self.handling.len() as u64) as u32
    }

    // ----- internals -------------------------------------------------

    fn terminal_call(&self, terminal: &str, call: Option<&CallId>) -> Result<CallId, Refusal> {
        let id = self.by_terminal.get(terminal).ok_or(Refusal::UnknownCall)?;
        if call.is_some_and(|c| c != id) {
            return Err(Refusal::UnknownCall);
        }
        Ok(id.clone())
    }

    fn lost_outcome(&self, id: &CallId) -> Outcome {
        match self.calls.get(id).map(|c| c.phase) {
            Some(Phase::Connected { .. }) => Outcome::Dropped,
            _ => Outcome::AbandonedInQueue,
        }
    }

    fn on_duty_for(&self, topic: &str) -> usize {
        self.lawyers
            .values()
            .filter(|l| l.online && (l.wants_calls || l.call.is_some()) && l.skills.contains(topic))
            .count()
    }

    fn state_of(&self, l: &Lawyer) -> LawyerState {
        match l
            .call
            .as_ref()
            .and_then(|id| self.calls.get(id))
            .map(|c| c.phase)
        {
            Some(Phase::Offered { .. }) => LawyerState::Ringing,
            Some(Phase::Connected { .. }) => LawyerState::Busy,
            _ if l.wants_calls => LawyerState::Available,
            _ => LawyerState::Away,
        }
    }

    /// Takes the offer back from `lawyer` and puts the call at the head.
    fn withdraw(
        &mut self,
        id: &CallId,
        lawyer: LawyerId,
        reason: WithdrawReason,
        now: Millis,
        events: &mut Vec<Event>,
    ) {
        if let Some(c) = self.calls.get_mut(id) {
            c.phase = Phase::Waiting;
            c.announced = None;
            if reason == WithdrawReason::Declined {
                c.declined_by.push(lawyer);
            }
            self.queue.push_front(id.clone());
        }
        if let Some(l) = self.lawyers.get_mut(&lawyer) {
            l.call = None;
            l.idle_since = now;
        }
        events.push(Event::OfferWithdrawn {
            call: id.clone(),
            lawyer,
            reason,
        });
        events.push(Event::QueueChanged);
    }

    fn end(
        &mut self,
        id: &CallId,
        reason: EndReason,
        outcome: Outcome,
        now: Millis,
        events: &mut Vec<Event>,
    ) {
        let Some(c) = self.calls.remove(id) else {
            return;
        };
        self.by_terminal.remove(&c.terminal);
        let mut connected_lawyer = None;
        match c.phase {
            Phase::Waiting => {
                self.queue.retain(|q| q != id);
                events.push(Event::QueueChanged);
            }
            Phase::Offered { lawyer, .. } => {
                events.push(Event::OfferWithdrawn {
                    call: id.clone(),
                    lawyer,
                    reason: WithdrawReason::Cancelled,
                });
                if let Some(l) = self.lawyers.get_mut(&lawyer) {
                    l.call = None;
                }
            }
            Phase::Connected {
                lawyer,
                answered_at,
            } => {
                connected_lawyer = Some(lawyer);
                if let Some(l) = self.lawyers.get_mut(&lawyer) {
                    l.call = None;
                    l.idle_since = now;
                }
                if outcome == Outcome::Completed {
                    let secs =
                        (now.saturating_sub(answered_at) / 1000).min(u64::from(u32::MAX)) as u32;
                    self.handling.push_back(secs);
                    while self.handling.len() > self.rules.handling_window.max(1) {
                        self.handling.pop_front();
                    }
                }
            }
        }
        events.push(Event::Ended {
            call: id.clone(),
            terminal: c.terminal,
            lawyer: connected_lawyer,
            reason,
            outcome,
        });
        // Every console's queue view must drop the ended call.
        if !events.contains(&Event::QueueChanged) {
            events.push(Event::QueueChanged);
        }
    }

    /// Offers what can be offered, then announces changed positions and
    /// lawyer states.
    fn settle(&mut self, now: Millis, events: &mut Vec<Event>) {
        self.offer_waiting_calls(now, events);
        self.announce_positions(events);
        let mut ids: Vec<LawyerId> = self.lawyers.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            let state = self.state_of(&self.lawyers[&id]);
            if let Some(l) = self.lawyers.get_mut(&id)
                && l.announced != Some(state)
            {
                l.announced = Some(state);
                events.push(Event::LawyerState { lawyer: id, state });
            }
        }
    }

    fn offer_waiting_calls(&mut self, now: Millis, events: &mut Vec<Event>) {
        let mut i = 0;
        while i < self.queue.len() {
            let id = self.queue[i].clone();
            let Some(c) = self.calls.get(&id) else {
                self.queue.remove(i);
                continue;
            };
            if c.terminal_lost_at.is_some() {
                i += 1;
                continue;
            }
            let best = self
                .lawyers
                .iter()
                .filter(|(lid, l)| {
                    l.online
                        && l.wants_calls
                        && l.call.is_none()
                        && l.skills.contains(&c.topic)
                        && !c.declined_by.contains(lid)
                })
                .min_by_key(|(lid, l)| (l.idle_since, **lid))
                .map(|(lid, _)| *lid);
            let Some(lawyer) = best else {
                i += 1;
                continue;
            };
            self.queue.remove(i);
            let deadline = now + self.rules.offer_timeout_ms;
            let terminal = c.terminal.clone();
            let waited_ms = now.saturating_sub(c.requested_at);
            if let Some(c) = self.calls.get_mut(&id) {
                c.phase = Phase::Offered { lawyer, deadline };
                c.announced = None;
            }
            if let Some(l) = self.lawyers.get_mut(&lawyer) {
                l.call = Some(id.clone());
            }
            events.push(Event::Offered {
                call: id,
                terminal,
                lawyer,
                waited_ms,
                expires_in_ms: self.rules.offer_timeout_ms,
            });
            events.push(Event::QueueChanged);
        }
    }

    fn announce_positions(&mut self, events: &mut Vec<Event>) {
        let average = u64::from(self.average_handling_secs());
        let mut per_topic: HashMap<String, u32> = HashMap::new();
        let mut duty: HashMap<String, usize> = HashMap::new();
        for id in self.queue.clone() {
            let Some(topic) = self.calls.get(&id).map(|c| c.topic.clone()) else {
                continue;
            };
            let position = {
                let p = per_topic.entry(topic.clone()).or_insert(0);
                *p += 1;
                *p
            };
            let on_duty = *duty
                .entry(topic.clone())
                .or_insert_with(|| self.on_duty_for(&topic));
            let (estimate, suggestion) = if on_duty == 0 {
                (None, Some(Suggestion::NoLawyerOnDuty))
            } else {
                let secs = (u64::from(position) * average).div_ceil(on_duty as u64);
                let secs = secs.min(u64::from(u32::MAX)) as u32;
                let long = secs > self.rules.wait_limit_secs;
                (Some(secs), long.then_some(Suggestion::LongWait))
            };
            let Some(c) = self.calls.get_mut(&id) else {
                continue;
            };
            let now_announced = (position, estimate, suggestion);
            if c.announced != Some(now_announced) && c.terminal_lost_at.is_none() {
                c.announced = Some(now_announced);
                events.push(Event::Queued {
                    call: id.clone(),
                    terminal: c.terminal.clone(),
                    position,
                    estimated_wait_secs: estimate,
                    suggestion,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> Rules {
        Rules {
            offer_timeout_ms: 20_000,
            wait_limit_secs: 900,
            max_queue_ms: 1_800_000,
            resume_grace_ms: 15_000,
            default_handling_secs: 600,
            handling_window: 20,
        }
    }

    fn id(s: &str) -> CallId {
        CallId(s.to_owned())
    }

    fn skills(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    /// A dispatcher with lawyers that are online and available, going on
    /// duty in the given order at times 0, 1, 2...
    fn with_lawyers(lawyers: &[(LawyerId, &[&str])]) -> Dispatcher {
        let mut d = Dispatcher::new(rules());
        for (i, (lawyer, topics)) in lawyers.iter().enumerate() {
            d.lawyer_online(*lawyer, skills(topics), i as u64);
            d.set_available(*lawyer, true, i as u64).unwrap();
        }
        d
    }

    fn offers(events: &[Event]) -> Vec<(CallId, LawyerId)> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Offered { call, lawyer, .. } => Some((call.clone(), *lawyer)),
                _ => None,
            })
            .collect()
    }

    fn queued(events: &[Event], call: &str) -> Option<(u32, Option<u32>, Option<Suggestion>)> {
        events.iter().rev().find_map(|e| match e {
            Event::Queued {
                call: c,
                position,
                estimated_wait_secs,
                suggestion,
                ..
            } if c.0 == call => Some((*position, *estimated_wait_secs, *suggestion)),
            _ => None,
        })
    }

    fn ended(events: &[Event]) -> Vec<(CallId, EndReason, Outcome)> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Ended {
                    call,
                    reason,
                    outcome,
                    ..
                } => Some((call.clone(), *reason, *outcome)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn consoles_are_told_the_queue_changed_when_a_call_is_answered_or_ends() {
        let mut d = with_lawyers(&[(2, &["labor"])]);
        d.request_call(id("c1"), "t1", "labor", 100).unwrap();
        let ev = d.accept(2, &id("c1"), 200).unwrap();
        assert!(ev.contains(&Event::QueueChanged), "{ev:?}");
        let ev = d.lawyer_hangs_up(2, &id("c1"), 9_000).unwrap();
        assert!(ev.contains(&Event::QueueChanged), "{ev:?}");
    }

    #[test]
    fn a_call_goes_to_the_longest_idle_lawyer_with_the_topic() {
        let mut d = with_lawyers(&[(1, &["family"]), (2, &["labor"]), (3, &["labor"])]);
        let ev = d.request_call(id("c1"), "t1", "labor", 100).unwrap();
        assert_eq!(offers(&ev), vec![(id("c1"), 2)]);
    }

    #[test]
    fn a_lawyer_who_just_finished_a_call_is_offered_last() {
        let mut d = with_lawyers(&[(2, &["labor"]), (3, &["labor"])]);
        d.request_call(id("c1"), "t1", "labor", 100).unwrap();
        d.accept(2, &id("c1"), 200).unwrap();
        d.terminal_ends("t1", None, Outcome::AbandonedInQueue, 60_000)
            .unwrap();
        let ev = d.request_call(id("c2"), "t2", "labor", 70_000).unwrap();
        assert_eq!(offers(&ev), vec![(id("c2"), 3)]);
    }

    #[test]
    fn away_offline_busy_and_unskilled_lawyers_are_not_offered_calls() {
        let mut d = with_lawyers(&[(1, &["labor"]), (2, &["labor"]), (3, &["family"])]);
        d.set_available(1, false, 10).unwrap();
        d.lawyer_offline(2, 10);
        let ev = d.request_call(id("c1"), "t1", "labor", 100).unwrap();
        assert!(offers(&ev).is_empty());
        assert_eq!(d.call(&id("c1")).unwrap().status, CallStatus::Waiting);
    }

    #[test]
    fn a_call_nobody_can_take_does_not_hold_up_the_calls_behind_it() {
        let mut d = with_lawyers(&[(1, &["family"])]);
        d.request_call(id("c1"), "t1", "land", 100).unwrap();
        let ev = d.request_call(id("c2"), "t2", "family", 200).unwrap();
        assert_eq!(offers(&ev), vec![(id("c2"), 1)]);
    }

    #[test]
    fn a_lawyer_going_on_duty_is_offered_the_oldest_waiting_call() {
        let mut d = with_lawyers(&[]);
        d.request_call(id("c1"), "t1", "labor", 100).unwrap();
        d.request_call(id("c2"), "t2", "labor", 200).unwrap();
        d.lawyer_online(7, skills(&["labor"]), 300);
        let ev = d.set_available(7, true, 300).unwrap();
        assert_eq!(offers(&ev), vec![(id("c1"), 7)]);
    }

    #[test]
    fn an_unanswered_offer_times_out_and_goes_to_the_next_lawyer_who_is_set_away() {
        let mut d = with_lawyers(&[(1, &["labor"]), (2, &["labor"])]);
        d.request_call(id("c1"), "t1", "labor", 100).unwrap();
        assert_eq!(d.call(&id("c1")).unwrap().lawyer, Some(1));
        assert!(d.tick(100 + 19_999).is_empty());
        let ev = d.tick(100 + 20_000);
        assert!(ev.contains(&Event::OfferWithdrawn {
            call: id("c1"),
            lawyer: 1,
            reason: WithdrawReason::Timeout
        }));
        assert_eq!(offers(&ev), vec![(id("c1"), 2)]);
        assert_eq!(d.lawyer_state(1), Some(LawyerState::Away));
    }

    #[test]
    fn a_timed_out_call_goes_back_to_the_head_of_the_queue() {
        let mut d = with_lawyers(&[(1, &["labor"])]);
        d.request_call(id("c1"), "t1", "labor", 100).unwrap();
        let ev = d.request_call(id("c2"), "t2", "labor", 200).unwrap();
        assert_eq!(queued(&ev, "c2").map(|q| q.0), Some(1));
        let ev = d.tick(100 + 20_000);
        assert_eq!(queued(&ev, "c1").map(|q| q.0), Some(1));
        assert_eq!(queued(&ev, "c2").map(|q| q.0), Some(2));
        d.lawyer_online(3, skills(&["labor"]), 30_000);
        let ev = d.set_available(3, true, 30_000).unwrap();
        assert_eq!(offers(&ev), vec![(id("c1"), 3)]);
    }

    #[test]
    fn a_declined_call_goes_to_another_lawyer_and_never_back_to_the_decliner() {
        let mut d = with_lawyers(&[(1, &["labor"]), (2, &["labor"])]);
        d.request_call(id("c1"), "t1", "labor", 100).unwrap();
        let ev = d.decline(1, &id("c1"), 200).unwrap();
        assert_eq!(offers(&ev), vec![(id("c1"), 2)]);
        assert_eq!(d.lawyer_state(1), Some(LawyerState::Available));
        let ev = d.decline(2, &id("c1"), 300).unwrap();
        assert!(offers(&ev).is_empty());
        assert_eq!(d.call(&id("c1")).unwrap().status, CallStatus::Waiting);
    }

    #[test]
    fn only_the_offered_lawyer_can_accept() {
        let mut d = with_lawyers(&[(1, &["labor"]), (2, &["labor"])]);
        d.request_call(id("c1"), "t1", "labor", 100).unwrap();
        assert_eq!(d.accept(2, &id("c1"), 200), Err(Refusal::UnknownCall));
        let ev = d.accept(1, &id("c1"), 200).unwrap();
        assert!(ev.contains(&Event::Connected {
            call: id("c1"),
            terminal: "t1".into(),
            lawyer: 1
        }));
        assert_eq!(d.lawyer_state(1), Some(LawyerState::Busy));
    }

    #[test]
    fn signals_flow_only_between_the_terminal_and_the_lawyer_who_accepted() {
        let mut d = with_lawyers(&[(1, &["labor"]), (2, &["labor"])]);
        d.request_call(id("c1"), "t1", "labor", 100).unwrap();
        assert_eq!(
            d.peer_of_terminal("t1", &id("c1")),
            None,
            "not before acceptance"
        );
        d.accept(1, &id("c1"), 200).unwrap();
        assert_eq!(d.peer_of_terminal("t1", &id("c1")), Some(1));
        assert_eq!(d.peer_of_terminal("t2", &id("c1")), None);
        assert_eq!(d.peer_of_lawyer(1, &id("c1")), Some(&"t1".to_string()));
        assert_eq!(d.peer_of_lawyer(2, &id("c1")), None);
    }

    #[test]
    fn positions_count_waiting_calls_of_the_same_topic() {
        let mut d = with_lawyers(&[(1, &["labor", "family"])]);
        d.request_call(id("c1"), "t1", "labor", 100).unwrap(); // offered at once
        let ev = d.request_call(id("c2"), "t2", "labor", 200).unwrap();
        assert_eq!(queued(&ev, "c2").map(|q| q.0), Some(1));
        let ev = d.request_call(id("c3"), "t3", "family", 300).unwrap();
        assert_eq!(queued(&ev, "c3").map(|q| q.0), Some(1));
        let ev = d.request_call(id("c4"), "t4", "labor", 400).unwrap();
        assert_eq!(queued(&ev, "c4").map(|q| q.0), Some(2));
    }

    #[test]
    fn the_estimate_is_position_times_average_handling_over_lawyers_on_duty() {
        let mut d = with_lawyers(&[(1, &["labor"]), (2, &["labor"])]);
        // Two calls of 300 s and 500 s make the average 400 s.
        for (n, talk) in [(1u64, 300_000u64), (2, 500_000)] {
            let c = id(&format!("h{n}"));
            let t = format!("th{n}");
            let start = n * 1_000_000;
            d.request_call(c.clone(), &t, "labor", start).unwrap();
            let lawyer = d.call(&c).unwrap().lawyer.unwrap();
            d.accept(lawyer, &c, start).unwrap();
            d.lawyer_hangs_up(lawyer, &c, start + talk).unwrap();
        }
        assert_eq!(d.average_handling_secs(), 400);
        // Both lawyers busy; three more callers wait.
        let now = 10_000_000;
        for n in 1..=2 {
            let c = id(&format!("b{n}"));
            d.request_call(c.clone(), &format!("tb{n}"), "labor", now)
                .unwrap();
            let lawyer = d.call(&c).unwrap().lawyer.unwrap();
            d.accept(lawyer, &c, now).unwrap();
        }
        let ev = d.request_call(id("w1"), "tw1", "labor", now).unwrap();
        assert_eq!(queued(&ev, "w1"), Some((1, Some(200), None)));
        d.request_call(id("w2"), "tw2", "labor", now).unwrap();
        let ev = d.request_call(id("w3"), "tw3", "labor", now).unwrap();
        assert_eq!(queued(&ev, "w3"), Some((3, Some(600), None)));
    }

    #[test]
    fn no_lawyer_on_duty_suggests_leaving_a_message() {
        let mut d = with_lawyers(&[(1, &["family"])]);
        let ev = d.request_call(id("c1"), "t1", "labor", 100).unwrap();
        assert_eq!(
            queued(&ev, "c1"),
            Some((1, None, Some(Suggestion::NoLawyerOnDuty)))
        );
    }

    #[test]
    fn an_estimate_over_the_wait_limit_suggests_leaving_a_message() {
        let mut d = with_lawyers(&[(1, &["labor"])]);
        d.request_call(id("c0"), "t0", "labor", 0).unwrap();
        d.accept(1, &id("c0"), 0).unwrap();
        d.request_call(id("c1"), "t1", "labor", 100).unwrap(); // 600 s: fine
        let ev = d.request_call(id("c2"), "t2", "labor", 100).unwrap(); // 1200 s > 900 s
        assert_eq!(
            queued(&ev, "c2"),
            Some((2, Some(1200), Some(Suggestion::LongWait)))
        );
    }

    #[test]
    fn a_call_waiting_past_the_queue_limit_ends_as_no_answer() {
        let mut d = with_lawyers(&[(1, &["labor"])]);
        d.request_call(id("c0"), "t0", "labor", 0).unwrap();
        d.accept(1, &id("c0"), 0).unwrap();
        d.request_call(id("c1"), "t1", "labor", 0).unwrap();
        d.request_call(id("c2"), "t2", "land", 0).unwrap();
        let ev = d.tick(1_800_000);
        let mut e = ended(&ev);
        e.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            e,
            vec![
                (id("c1"), EndReason::Timeout, Outcome::NoAnswer),
                (id("c2"), EndReason::NoLawyer, Outcome::NoAnswer)
            ]
        );
    }

    #[test]
    fn a_terminal_has_one_call_at_a_time() {
        let mut d = with_lawyers(&[]);
        d.request_call(id("c1"), "t1", "labor", 0).unwrap();
        assert_eq!(
            d.request_call(id("c2"), "t1", "labor", 0),
            Err(Refusal::AlreadyInCall)
        );
    }

    #[test]
    fn cancelling_while_ringing_withdraws_the_offer_and_frees_the_lawyer() {
        let mut d = with_lawyers(&[(1, &["labor"])]);
        d.request_call(id("c1"), "t1", "labor", 0).unwrap();
        let ev = d
            .terminal_ends("t1", None, Outcome::AbandonedInQueue, 10)
            .unwrap();
        assert!(ev.contains(&Event::OfferWithdrawn {
            call: id("c1"),
            lawyer: 1,
            reason: WithdrawReason::Cancelled
        }));
        assert_eq!(
            ended(&ev),
            vec![(
                id("c1"),
                EndReason::HungUpByTerminal,
                Outcome::AbandonedInQueue
            )]
        );
        assert_eq!(d.lawyer_state(1), Some(LawyerState::Available));
    }

    #[test]
    fn a_left_message_ends_the_waiting_call_as_message_left() {
        let mut d = with_lawyers(&[]);
        d.request_call(id("c1"), "t1", "labor", 0).unwrap();
        let ev = d
            .terminal_ends("t1", None, Outcome::MessageLeft, 10)
            .unwrap();
        assert_eq!(
            ended(&ev),
            vec![(id("c1"), EndReason::HungUpByTerminal, Outcome::MessageLeft)]
        );
    }

    #[test]
    fn hanging_up_a_connected_call_completes_it_for_both() {
        let mut d = with_lawyers(&[(1, &["labor"])]);
        d.request_call(id("c1"), "t1", "labor", 0).unwrap();
        d.accept(1, &id("c1"), 10).unwrap();
        let ev = d
            .terminal_ends("t1", Some(&id("c1")), Outcome::AbandonedInQueue, 20)
            .unwrap();
        assert_eq!(
            ended(&ev),
            vec![(id("c1"), EndReason::HungUpByTerminal, Outcome::Completed)]
        );
        assert_eq!(d.lawyer_state(1), Some(LawyerState::Available));
        assert!(d.call_of_terminal("t1").is_none());
    }

    #[test]
    fn a_lawyer_lost_mid_call_ends_it_as_dropped_after_the_grace_period() {
        let mut d = with_lawyers(&[(1, &["labor"])]);
        d.request_call(id("c1"), "t1", "labor", 0).unwrap();
        d.accept(1, &id("c1"), 10).unwrap();
        d.lawyer_offline(1, 1_000);
        assert!(d.tick(15_999).is_empty());
        let ev = d.tick(16_000);
        assert_eq!(
            ended(&ev),
            vec![(id("c1"), EndReason::LawyerLost, Outcome::Dropped)]
        );
    }

    #[test]
    fn a_lawyer_who_reconnects_in_time_keeps_the_call() {
        let mut d = with_lawyers(&[(1, &["labor"])]);
        d.request_call(id("c1"), "t1", "labor", 0).unwrap();
        d.accept(1, &id("c1"), 10).unwrap();
        d.lawyer_offline(1, 1_000);
        let (current, _) = d.lawyer_online(1, skills(&["labor"]), 5_000);
        assert_eq!(current, Some(id("c1")));
        assert!(ended(&d.tick(60_000)).is_empty());
    }

    #[test]
    fn a_terminal_lost_mid_call_ends_it_as_dropped_unless_it_resumes() {
        let mut d = with_lawyers(&[(1, &["labor"])]);
        d.request_call(id("c1"), "t1", "labor", 0).unwrap();
        d.accept(1, &id("c1"), 10).unwrap();
        d.terminal_offline("t1", 1_000);
        let (resumed, _) = d.terminal_online("t1", true, 2_000);
        assert_eq!(resumed, Some(id("c1")));
        d.terminal_offline("t1", 3_000);
        let ev = d.tick(18_000);
        assert_eq!(
            ended(&ev),
            vec![(id("c1"), EndReason::TerminalLost, Outcome::Dropped)]
        );
    }

    #[test]
    fn a_terminal_that_reconnects_without_resuming_loses_its_old_call() {
        let mut d = with_lawyers(&[]);
        d.request_call(id("c1"), "t1", "labor", 0).unwrap();
        d.terminal_offline("t1", 10);
        let (resumed, ev) = d.terminal_online("t1", false, 20);
        assert_eq!(resumed, None);
        assert_eq!(
            ended(&ev),
            vec![(id("c1"), EndReason::TerminalLost, Outcome::AbandonedInQueue)]
        );
    }

    #[test]
    fn a_waiting_call_whose_terminal_is_away_is_not_offered() {
        let mut d = with_lawyers(&[]);
        d.request_call(id("c1"), "t1", "labor", 0).unwrap();
        d.terminal_offline("t1", 10);
        d.lawyer_online(1, skills(&["labor"]), 20);
        let ev = d.set_available(1, true, 20).unwrap();
        assert!(offers(&ev).is_empty());
        let (_, ev) = d.terminal_online("t1", true, 30);
        assert_eq!(offers(&ev), vec![(id("c1"), 1)]);
    }

    #[test]
    fn an_offer_to_a_lawyer_who_disconnects_goes_back_to_the_queue_at_once() {
        let mut d = with_lawyers(&[(1, &["labor"]), (2, &["labor"])]);
        d.request_call(id("c1"), "t1", "labor", 100).unwrap();
        let ev = d.lawyer_offline(1, 200);
        assert_eq!(offers(&ev), vec![(id("c1"), 2)]);
    }

    #[test]
    fn lawyer_states_are_announced_when_they_change() {
        let mut d = with_lawyers(&[]);
        let (_, ev) = d.lawyer_online(1, skills(&["labor"]), 0);
        assert!(ev.contains(&Event::LawyerState {
            lawyer: 1,
            state: LawyerState::Away
        }));
        let ev = d.set_available(1, true, 0).unwrap();
        assert!(ev.contains(&Event::LawyerState {
            lawyer: 1,
            state: LawyerState::Available
        }));
        let ev = d.request_call(id("c1"), "t1", "labor", 0).unwrap();
        assert!(ev.contains(&Event::LawyerState {
            lawyer: 1,
            state: LawyerState::Ringing
        }));
    }
}
