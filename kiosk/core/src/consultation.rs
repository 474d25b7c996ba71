//! A video consultation with a duty lawyer, as the resident goes through it.
//!
//! ```text
//!  choose topic ─► identify ─► connecting ─► waiting (place, estimate) ─► ringing ─► in call ─► ended
//!                                  │              │ 取消 / 留言               │           (summary, 打印)
//!                                  ▼              ▼                          ▼
//!                             unavailable     message form ─► message sent   ended: nobody answered,
//!                             (12348, retry)                                 lawyer hung up, line lost
//! ```
//!
//! This is the behaviour with no UI and no network attached: the
//! application passes in what the hub and the call report (already decoded
//! by `kiosk-hub-client`) and the resident's taps, renders [`Consultation`]
//! and sends the [`HubCommand`]s it queues. Every way out of an active call
//! (返回, 首页, idle reset, 挂断) queues the command that ends it at the hub,
//! so a lawyer is never left ringing for a resident who went away.
//!
//! Privacy: the consultation keeps the resident's name and the masked ID
//! number only (for the lawyer to see once the call is accepted), overwrites
//! the name when dropped, and records nothing of the call itself.

use std::time::{Duration, Instant};

use hub_protocol::{EndReason, Suggestion};
use zeroize::Zeroize;

pub use hub_protocol::TOPICS;

/// Longest message a resident can leave (characters).
pub const MAX_MESSAGE_CHARS: usize = 200;

/// What the hub must be told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubCommand {
    RequestCall {
        topic: String,
        resident_name: String,
        masked_id: Option<String>,
    },
    /// Stop waiting (queued or ringing).
    CancelCall,
    /// End the call in progress.
    HangUp,
    LeaveMessage {
        topic: String,
        name: String,
        callback_phone: String,
        text: String,
    },
}

/// The state of the media path during a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaPath {
    /// Accepted; the connection is being set up.
    Connecting,
    Up,
    /// Lost; the terminal is trying to restore it.
    Interrupted,
}

/// Signal bars, 0 (unknown) to 3 (good).
pub type Bars = u8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InCall {
    pub accepted_at: Instant,
    /// When the media first came up: the talk time counts from here.
    pub connected_at: Option<Instant>,
    pub media: MediaPath,
    pub muted: bool,
    pub bars: Bars,
    /// The lawyer's picture has arrived.
    pub remote_video: bool,
}

/// Why a call is over, in the words the resident needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// The resident tapped 挂断.
    ResidentHungUp,
    /// The lawyer hung up (normally: the consultation is done).
    LawyerHungUp,
    /// The lawyer's connection was lost and did not come back.
    LawyerLost,
    /// This terminal's connection was lost and did not come back.
    ConnectionLost,
    /// No lawyer answered in time (or none for the topic is on duty).
    NobodyAnswered,
    /// The call could not be set up on this terminal.
    Failed,
}

impl Ended {
    /// Whether leaving a message is the useful next step.
    pub fn offers_message(self) -> bool {
        matches!(self, Ended::NobodyAnswered)
    }
}

/// Why no call can be made now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unavailable {
    /// The hub cannot be reached (network, hub down).
    HubUnreachable,
    /// The hub refuses this terminal: its configuration needs a technician.
    TerminalRefused,
}

/// The message form's fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageField {
    Phone,
    Text,
}

/// What is wrong with the message form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageError {
    PhoneMissing,
    /// Not a mobile number (11 digits from 1) or a landline (7–12 digits).
    PhoneInvalid,
    TextTooLong,
    /// The hub could not be reached or did not take it; the draft is kept.
    NotSent,
}

#[derive(Clone, PartialEq, Eq)]
pub struct MessageDraft {
    pub phone: String,
    pub text: String,
    pub field: MessageField,
    pub error: Option<MessageError>,
    /// Sent; waiting for the hub to confirm.
    pub sending: bool,
}

/// Only the shape: the phone number and the text are the resident's.
impl std::fmt::Debug for MessageDraft {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MessageDraft")
            .field("phone_digits", &self.phone.len())
            .field("text_chars", &self.text.chars().count())
            .field("field", &self.field)
            .field("error", &self.error)
            .field("sending", &self.sending)
            .finish()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stage {
    ChoosingTopic,
    /// The request went out; the hub has not answered yet.
    Connecting,
    Waiting {
        /// Place in the queue, from 1.
        position: u32,
        estimated_wait_secs: Option<u32>,
        suggestion: Option<Suggestion>,
    },
    Ringing,
    InCall(InCall),
    Ended {
        why: Ended,
        talk: Option<Duration>,
    },
    Unavailable(Unavailable),
    Message(MessageDraft),
    /// The hub stored the message under this reference.
    MessageSent {
        reference: i64,
    },
}

/// The lawyer's written summary of the consultation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub text: String,
    pub advice: String,
}

#[derive(Clone)]
pub struct Consultation {
    topic: Option<String>,
    stage: Stage,
    resident_name: String,
    masked_id: Option<String>,
    call_id: Option<String>,
    lawyer: String,
    summary: Option<Summary>,
    hub_connected: bool,
    outbox: Vec<HubCommand>,
}

impl std::fmt::Debug for Consultation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consultation")
            .field("topic", &self.topic)
            .field("stage", &self.stage)
            .field("call_id", &self.call_id)
            .field("hub_connected", &self.hub_connected)
            .finish_non_exhaustive()
    }
}

impl Drop for Consultation {
    fn drop(&mut self) {
        self.resident_name.zeroize();
        if let Stage::Message(draft) = &mut self.stage {
            draft.phone.zeroize();
            draft.text.zeroize();
        }
    }
}

impl Consultation {
    /// Starts at the topic list. `hub_connected`: whether the terminal is
    /// signed in to the hub right now.
    pub fn new(hub_connected: bool) -> Self {
        Consultation {
            topic: None,
            stage: Stage::ChoosingTopic,
            resident_name: String::new(),
            masked_id: None,
            call_id: None,
            lawyer: String::new(),
            summary: None,
            hub_connected,
            outbox: Vec::new(),
        }
    }

    pub fn stage(&self) -> &Stage {
        &self.stage
    }

    pub fn topic(&self) -> Option<&str> {
        self.topic.as_deref()
    }

    /// The lawyer's display name, once one is ringing or talking.
    pub fn lawyer(&self) -> &str {
        &self.lawyer
    }

    pub fn summary(&self) -> Option<&Summary> {
        self.summary.as_ref()
    }

    pub fn hub_connected(&self) -> bool {
        self.hub_connected
    }

    pub fn call_id(&self) -> Option<&str> {
        self.call_id.as_deref()
    }

    pub fn resident_name(&self) -> &str {
        &self.resident_name
    }

    /// Commands queued for the hub since the last call; send them in order.
    pub fn take_commands(&mut self) -> Vec<HubCommand> {
        std::mem::take(&mut self.outbox)
    }

    /// Whether the resident is in the middle of something with a lawyer, so
    /// however still they sit the idle reset must wait.
    pub fn holds_idle(&self) -> bool {
        matches!(
            self.stage,
            Stage::Connecting | Stage::Waiting { .. } | Stage::Ringing | Stage::InCall(_)
        )
    }

    /// Whether a call is queued, ringing or in progress at the hub.
    pub fn is_active(&self) -> bool {
        self.holds_idle()
    }

    /// Talk time so far (in a call) or in all (after it).
    pub fn talk_time(&self, now: Instant) -> Option<Duration> {
        match &self.stage {
            Stage::InCall(c) => c.connected_at.map(|t| now.duration_since(t)),
            Stage::Ended { talk, .. } => *talk,
            _ => None,
        }
    }

    // ---- the resident ----

    /// A topic tile was tapped; the identification step comes next.
    pub fn choose_topic(&mut self, topic: &str) {
        if self.stage == Stage::ChoosingTopic {
            self.topic = Some(topic.to_owned());
        }
    }

    /// The resident is identified: ask the hub for a lawyer.
    pub fn request(&mut self, name: &str, masked_id: Option<String>) {
        let Some(topic) = self.topic.clone() else {
            return;
        };
        if !matches!(
            self.stage,
            Stage::ChoosingTopic | Stage::Unavailable(_) | Stage::Ended { .. }
        ) {
            return;
        }
        self.resident_name.zeroize();
        self.resident_name = name.to_owned();
        self.masked_id = masked_id;
        self.send_request(topic);
    }

    /// 重试 after the hub was unreachable, or 再次呼叫 after nobody answered.
    pub fn retry(&mut self) {
        if !matches!(self.stage, Stage::Unavailable(_) | Stage::Ended { .. }) {
            return;
        }
        if let Some(topic) = self.topic.clone()
            && !self.resident_name.is_empty()
        {
            self.send_request(topic);
        }
    }

    fn send_request(&mut self, topic: String) {
        self.call_id = None;
        self.lawyer.clear();
        self.summary = None;
        if !self.hub_connected {
            self.stage = Stage::Unavailable(Unavailable::HubUnreachable);
            return;
        }
        self.stage = Stage::Connecting;
        self.outbox.push(HubCommand::RequestCall {
            topic,
            resident_name: self.resident_name.clone(),
            masked_id: self.masked_id.clone(),
        });
    }

    /// 挂断 in a call, 取消 while waiting or ringing.
    pub fn hang_up(&mut self, now: Instant) {
        match &self.stage {
            Stage::InCall(c) => {
                let talk = c.connected_at.map(|t| now.duration_since(t));
                self.outbox.push(HubCommand::HangUp);
                self.stage = Stage::Ended {
                    why: Ended::ResidentHungUp,
                    talk,
                };
            }
            Stage::Connecting | Stage::Waiting { .. } | Stage::Ringing => {
                self.outbox.push(HubCommand::CancelCall);
                self.call_id = None;
                self.stage = Stage::ChoosingTopic;
            }
            _ => {}
        }
    }

    /// The resident leaves the consultation (返回, 首页, idle reset): whatever
    /// is going on at the hub is ended.
    pub fn leave(&mut self, now: Instant) {
        self.hang_up(now);
    }

    /// 静音 / 取消静音; returns whether the microphone is now muted.
    pub fn toggle_mute(&mut self) -> bool {
        if let Stage::InCall(c) = &mut self.stage {
            c.muted = !c.muted;
            c.muted
        } else {
            false
        }
    }

    /// 留言: open the message form (the name comes from the identification).
    pub fn write_message(&mut self) {
        let allowed = match &self.stage {
            Stage::Waiting { .. } => true,
            Stage::Ended { why, .. } => why.offers_message(),
            _ => false,
        };
        if !allowed || self.resident_name.is_empty() {
            return;
        }
        // Writing instead of waiting: the call leaves the queue now, so no
        // lawyer is rung for it while (or after) the resident writes.
        if matches!(self.stage, Stage::Waiting { .. }) {
            self.outbox.push(HubCommand::CancelCall);
        }
        self.call_id = None;
        self.stage = Stage::Message(MessageDraft {
            phone: String::new(),
            text: String::new(),
            field: MessageField::Phone,
            error: None,
            sending: false,
        });
    }

    pub fn message(&self) -> Option<&MessageDraft> {
        match &self.stage {
            Stage::Message(d) => Some(d),
            _ => None,
        }
    }

    pub fn focus_message(&mut self, field: MessageField) {
        if let Stage::Message(d) = &mut self.stage {
            d.field = field;
        }
    }

    /// The keyboard changed the focused field to `text`.
    pub fn set_message_text(&mut self, text: &str) {
        if let Stage::Message(d) = &mut self.stage
            && !d.sending
        {
            let target = match d.field {
                MessageField::Phone => &mut d.phone,
                MessageField::Text => &mut d.text,
            };
            target.zeroize();
            *target = match d.field {
                MessageField::Phone => text
                    .chars()
                    .filter(|c| c.is_ascii_digit())
                    .take(20)
                    .collect(),
                MessageField::Text => text.chars().take(MAX_MESSAGE_CHARS + 1).collect(),
            };
            d.error = None;
        }
    }

    /// 提交留言: checks the form and queues it for the hub.
    pub fn submit_message(&mut self) -> Result<(), MessageError> {
        let Some(topic) = self.topic.clone() else {
            return Ok(());
        };
        let name = self.resident_name.clone();
        let connected = self.hub_connected;
        let Stage::Message(d) = &mut self.stage else {
            return Ok(());
        };
        if d.sending {
            return Ok(());
        }
        let check = check_phone(&d.phone).and_then(|()| {
            if d.text.chars().count() > MAX_MESSAGE_CHARS {
                Err(MessageError::TextTooLong)
            } else {
                Ok(())
            }
        });
        if let Err(e) = check {
            d.error = Some(e);
            d.field = if e == MessageError::TextTooLong {
                MessageField::Text
            } else {
                MessageField::Phone
            };
            return Err(e);
        }
        if !connected {
            d.error = Some(MessageError::NotSent);
            return Err(MessageError::NotSent);
        }
        d.error = None;
        d.sending = true;
        self.outbox.push(HubCommand::LeaveMessage {
            topic,
            name,
            callback_phone: d.phone.clone(),
            text: d.text.clone(),
        });
        Ok(())
    }

    // ---- the hub ----

    /// The terminal is signed in to the hub (true) or lost it (false).
    pub fn hub_connection(&mut self, connected: bool) {
        self.hub_connected = connected;
    }

    /// The hub could not be reached, or a request could not be sent.
    pub fn hub_unreachable(&mut self) {
        self.hub_connected = false;
        match &mut self.stage {
            Stage::Connecting | Stage::Waiting { .. } | Stage::Ringing => {
                // Withdrawn as soon as the hub hears from us again, so no
                // lawyer is rung for a resident told to call 12348 instead.
                self.outbox.push(HubCommand::CancelCall);
                self.call_id = None;
                self.stage = Stage::Unavailable(Unavailable::HubUnreachable);
            }
            Stage::Message(d) if d.sending => {
                d.sending = false;
                d.error = Some(MessageError::NotSent);
            }
            _ => {}
        }
    }

    /// The hub refused this terminal (wrong token, replaced).
    pub fn terminal_refused(&mut self) {
        self.hub_connected = false;
        if matches!(
            self.stage,
            Stage::Connecting | Stage::Waiting { .. } | Stage::Ringing
        ) {
            self.stage = Stage::Unavailable(Unavailable::TerminalRefused);
        }
    }

    fn is_this_call(&mut self, call_id: &str) -> bool {
        match &self.call_id {
            Some(id) => id == call_id,
            // The first answer to our request names the call.
            None if self.stage == Stage::Connecting => {
                self.call_id = Some(call_id.to_owned());
                true
            }
            None => false,
        }
    }

    pub fn queued(
        &mut self,
        call_id: &str,
        position: u32,
        estimated_wait_secs: Option<u32>,
        suggestion: Option<Suggestion>,
    ) {
        if !self.is_this_call(call_id) {
            return;
        }
        if matches!(
            self.stage,
            Stage::Connecting | Stage::Waiting { .. } | Stage::Ringing
        ) {
            self.lawyer.clear();
            self.stage = Stage::Waiting {
                position: position.max(1),
                estimated_wait_secs,
                suggestion,
            };
        }
    }

    pub fn ringing(&mut self, call_id: &str, lawyer: &str) {
        if !self.is_this_call(call_id) {
            return;
        }
        if matches!(self.stage, Stage::Connecting | Stage::Waiting { .. }) {
            self.lawyer = lawyer.to_owned();
            self.stage = Stage::Ringing;
        }
    }

    /// The lawyer answered; returns true when the media must be started.
    pub fn accepted(&mut self, call_id: &str, lawyer: &str, now: Instant) -> bool {
        if !self.is_this_call(call_id)
            || !matches!(
                self.stage,
                Stage::Connecting | Stage::Waiting { .. } | Stage::Ringing
            )
        {
            return false;
        }
        self.lawyer = lawyer.to_owned();
        self.stage = Stage::InCall(InCall {
            accepted_at: now,
            connected_at: None,
            media: MediaPath::Connecting,
            muted: false,
            bars: 0,
            remote_video: false,
        });
        true
    }

    /// The hub ended the call.
    pub fn hub_ended(&mut self, call_id: &str, reason: EndReason, now: Instant) {
        if self.call_id.as_deref() != Some(call_id) {
            return;
        }
        let talk = self.talk_time(now);
        let why = match (&self.stage, reason) {
            (Stage::InCall(_), EndReason::HungUpByLawyer) => Ended::LawyerHungUp,
            (Stage::InCall(_), EndReason::LawyerLost) => Ended::LawyerLost,
            (Stage::InCall(_), EndReason::TerminalLost) => Ended::ConnectionLost,
            (Stage::InCall(_), EndReason::HungUpByTerminal) => Ended::ResidentHungUp,
            (Stage::InCall(_), _) => Ended::Failed,
            (
                Stage::Connecting | Stage::Waiting { .. } | Stage::Ringing,
                EndReason::TerminalLost,
            ) => Ended::ConnectionLost,
            (Stage::Connecting | Stage::Waiting { .. } | Stage::Ringing, _) => {
                Ended::NobodyAnswered
            }
            // Already over here (we hung up, or left a message).
            _ => return,
        };
        self.stage = Stage::Ended { why, talk };
    }

    /// The media path came up (first time or after an interruption).
    pub fn media_connected(&mut self, now: Instant) {
        if let Stage::InCall(c) = &mut self.stage {
            c.media = MediaPath::Up;
            c.connected_at.get_or_insert(now);
        }
    }

    pub fn media_interrupted(&mut self) {
        if let Stage::InCall(c) = &mut self.stage
            && c.media == MediaPath::Up
        {
            c.media = MediaPath::Interrupted;
            c.bars = 0;
        }
    }

    pub fn remote_video_started(&mut self) {
        if let Stage::InCall(c) = &mut self.stage {
            c.remote_video = true;
        }
    }

    pub fn quality(&mut self, bars: Bars) {
        if let Stage::InCall(c) = &mut self.stage
            && c.media == MediaPath::Up
        {
            c.bars = bars.min(3);
        }
    }

    /// The terminal's side of the call ended it: the media path could not
    /// be restored (`lost`) or could not be set up.
    pub fn media_ended(&mut self, lost: bool, now: Instant) {
        if let Stage::InCall(c) = &self.stage {
            let talk = c.connected_at.map(|t| now.duration_since(t));
            self.stage = Stage::Ended {
                why: if lost {
                    Ended::ConnectionLost
                } else {
                    Ended::Failed
                },
                talk,
            };
        }
    }

    /// The lawyer's summary of this call (during or after it).
    pub fn summary_received(&mut self, call_id: &str, text: &str, advice: &str) {
        if self.call_id.as_deref() == Some(call_id)
            && matches!(self.stage, Stage::InCall(_) | Stage::Ended { .. })
        {
            self.summary = Some(Summary {
                text: mask_id_numbers(text),
                advice: mask_id_numbers(advice),
            });
        }
    }

    pub fn message_stored(&mut self, reference: i64) {
        if matches!(&self.stage, Stage::Message(d) if d.sending) {
            self.stage = Stage::MessageSent { reference };
        }
    }

    /// The hub rejected what was sent (e.g. the message text).
    pub fn hub_rejected(&mut self) {
        if let Stage::Message(d) = &mut self.stage
            && d.sending
        {
            d.sending = false;
            d.error = Some(MessageError::NotSent);
        } else if self.stage == Stage::Connecting {
            self.stage = Stage::Ended {
                why: Ended::Failed,
                talk: None,
            };
        }
    }
}

/// The lawyer's free text may quote an ID number; it goes on screen and on
/// paper, so every run that looks like one (18 characters: 17 digits and a
/// digit or X; or an old 15-digit number) is masked by the one rule.
pub fn mask_id_numbers(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let digits = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        let x = chars
            .get(i + digits)
            .is_some_and(|c| *c == 'X' || *c == 'x');
        let looks_like_id = (digits == 17 && x) || (digits == 18 || digits == 15) && !x;
        let run = if digits == 17 && x { 18 } else { digits };
        let ends_clean = chars
            .get(i + run)
            .is_none_or(|c| !c.is_ascii_alphanumeric());
        if looks_like_id && ends_clean {
            let number: String = chars[i..i + run].iter().collect();
            out.push_str(&kiosk_idcard::card::mask_id_number(&number));
            i += run;
        } else if digits > 0 {
            out.extend(&chars[i..i + digits]);
            i += digits;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

/// A call-back number: a mobile number (11 digits starting with 1) or a
/// landline with or without its area code (7 to 12 digits).
pub fn check_phone(phone: &str) -> Result<(), MessageError> {
    if phone.is_empty() {
        return Err(MessageError::PhoneMissing);
    }
    let digits = phone.chars().all(|c| c.is_ascii_digit());
    let len = phone.len();
    let ok = digits
        && if phone.starts_with('1') {
            len == 11
        } else {
            (7..=12).contains(&len)
        };
    if ok {
        Ok(())
    } else {
        Err(MessageError::PhoneInvalid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    /// A consultation on `labor` with the request sent.
    fn requested() -> (Consultation, Instant) {
        let mut c = Consultation::new(true);
        c.choose_topic("labor");
        c.request("张三", Some("110***********1234".into()));
        (c, Instant::now())
    }

    fn in_call() -> (Consultation, Instant) {
        let (mut c, now) = requested();
        c.take_commands();
        c.queued("c1", 1, Some(60), None);
        c.ringing("c1", "李律师");
        assert!(c.accepted("c1", "李律师", now));
        c.media_connected(now + secs(1));
        (c, now)
    }

    #[test]
    fn a_request_carries_the_topic_the_name_and_only_the_masked_number() {
        let (mut c, _) = requested();
        assert_eq!(c.stage(), &Stage::Connecting);
        assert_eq!(
            c.take_commands(),
            vec![HubCommand::RequestCall {
                topic: "labor".into(),
                resident_name: "张三".into(),
                masked_id: Some("110***********1234".into()),
            }]
        );
        assert!(c.take_commands().is_empty());
    }

    #[test]
    fn without_the_hub_the_resident_is_told_at_once_instead_of_waiting() {
        let mut c = Consultation::new(false);
        c.choose_topic("family");
        c.request("张三", None);
        assert_eq!(c.stage(), &Stage::Unavailable(Unavailable::HubUnreachable));
        assert!(c.take_commands().is_empty());
        // The hub comes back: 重试 sends the request.
        c.hub_connection(true);
        c.retry();
        assert_eq!(c.stage(), &Stage::Connecting);
        assert_eq!(c.take_commands().len(), 1);
    }

    #[test]
    fn the_hub_dropping_while_connecting_says_unreachable() {
        let (mut c, _) = requested();
        c.hub_unreachable();
        assert_eq!(c.stage(), &Stage::Unavailable(Unavailable::HubUnreachable));
    }

    #[test]
    fn waiting_shows_the_place_in_the_queue_as_it_moves() {
        let (mut c, _) = requested();
        c.queued("c1", 3, Some(900), Some(Suggestion::LongWait));
        assert_eq!(
            c.stage(),
            &Stage::Waiting {
                position: 3,
                estimated_wait_secs: Some(900),
                suggestion: Some(Suggestion::LongWait)
            }
        );
        c.queued("c1", 1, Some(120), None);
        assert!(matches!(c.stage(), Stage::Waiting { position: 1, .. }));
        assert!(c.holds_idle());
    }

    #[test]
    fn news_of_another_call_is_ignored() {
        let (mut c, now) = requested();
        c.queued("c1", 2, None, None);
        c.ringing("c9", "王律师");
        assert!(!c.accepted("c9", "王律师", now));
        c.hub_ended("c9", EndReason::NoLawyer, now);
        assert!(matches!(c.stage(), Stage::Waiting { position: 2, .. }));
    }

    #[test]
    fn a_declined_offer_puts_the_call_back_in_the_queue() {
        let (mut c, _) = requested();
        c.ringing("c1", "李律师");
        assert_eq!(c.lawyer(), "李律师");
        c.queued("c1", 1, None, None);
        assert!(matches!(c.stage(), Stage::Waiting { .. }));
        assert_eq!(c.lawyer(), "");
    }

    #[test]
    fn an_accepted_call_counts_talk_time_from_when_the_media_came_up() {
        let (c, now) = in_call();
        assert_eq!(c.talk_time(now + secs(61)), Some(secs(60)));
        assert!(c.holds_idle());
    }

    #[test]
    fn hanging_up_tells_the_hub_and_keeps_the_talk_time() {
        let (mut c, now) = in_call();
        c.hang_up(now + secs(31));
        assert_eq!(c.take_commands(), vec![HubCommand::HangUp]);
        assert_eq!(
            c.stage(),
            &Stage::Ended {
                why: Ended::ResidentHungUp,
                talk: Some(secs(30))
            }
        );
        assert!(!c.holds_idle());
        // The hub's confirmation does not change what the resident sees.
        c.hub_ended("c1", EndReason::HungUpByTerminal, now + secs(32));
        assert!(matches!(
            c.stage(),
            Stage::Ended {
                why: Ended::ResidentHungUp,
                ..
            }
        ));
    }

    #[test]
    fn cancelling_while_waiting_withdraws_the_request() {
        let (mut c, now) = requested();
        c.take_commands();
        c.queued("c1", 2, None, None);
        c.leave(now);
        assert_eq!(c.take_commands(), vec![HubCommand::CancelCall]);
        assert!(!c.is_active());
    }

    #[test]
    fn the_lawyer_hanging_up_or_vanishing_is_said_as_such() {
        let (mut c, now) = in_call();
        c.hub_ended("c1", EndReason::HungUpByLawyer, now + secs(5));
        assert!(matches!(
            c.stage(),
            Stage::Ended {
                why: Ended::LawyerHungUp,
                ..
            }
        ));
        let (mut c, now) = in_call();
        c.hub_ended("c1", EndReason::LawyerLost, now + secs(5));
        assert!(matches!(
            c.stage(),
            Stage::Ended {
                why: Ended::LawyerLost,
                ..
            }
        ));
    }

    #[test]
    fn a_lost_media_path_ends_the_call_with_its_talk_time() {
        let (mut c, now) = in_call();
        c.media_interrupted();
        assert!(matches!(
            c.stage(),
            Stage::InCall(InCall {
                media: MediaPath::Interrupted,
                ..
            })
        ));
        c.media_ended(true, now + secs(11));
        assert_eq!(
            c.stage(),
            &Stage::Ended {
                why: Ended::ConnectionLost,
                talk: Some(secs(10))
            }
        );
    }

    #[test]
    fn nobody_answering_offers_a_message_and_the_message_goes_to_the_hub() {
        let (mut c, now) = requested();
        c.take_commands();
        c.queued("c1", 1, None, Some(Suggestion::NoLawyerOnDuty));
        c.hub_ended("c1", EndReason::NoLawyer, now);
        assert_eq!(
            c.stage(),
            &Stage::Ended {
                why: Ended::NobodyAnswered,
                talk: None
            }
        );
        c.write_message();
        c.set_message_text("138 0013 8000");
        c.focus_message(MessageField::Text);
        c.set_message_text("工资被拖欠三个月");
        assert_eq!(c.submit_message(), Ok(()));
        assert_eq!(
            c.take_commands(),
            vec![HubCommand::LeaveMessage {
                topic: "labor".into(),
                name: "张三".into(),
                callback_phone: "13800138000".into(),
                text: "工资被拖欠三个月".into(),
            }]
        );
        c.message_stored(42);
        assert_eq!(c.stage(), &Stage::MessageSent { reference: 42 });
    }

    #[test]
    fn a_wrong_phone_number_is_caught_before_sending() {
        let (mut c, _) = requested();
        c.take_commands();
        c.queued("c1", 4, Some(2000), Some(Suggestion::LongWait));
        c.write_message();
        assert_eq!(c.take_commands(), vec![HubCommand::CancelCall]);
        assert_eq!(c.submit_message(), Err(MessageError::PhoneMissing));
        c.set_message_text("1380013800");
        assert_eq!(c.submit_message(), Err(MessageError::PhoneInvalid));
        assert_eq!(c.message().unwrap().error, Some(MessageError::PhoneInvalid));
        c.set_message_text("04711234567");
        assert_eq!(c.submit_message(), Ok(()));
        assert_eq!(c.take_commands().len(), 1);
    }

    #[test]
    fn phone_numbers_accept_mobiles_and_landlines_only() {
        assert_eq!(check_phone("13800138000"), Ok(()));
        assert_eq!(check_phone("2345678"), Ok(()));
        assert_eq!(check_phone("1234567"), Err(MessageError::PhoneInvalid));
        assert_eq!(check_phone("047112345678"), Ok(()));
        assert_eq!(check_phone(""), Err(MessageError::PhoneMissing));
        assert_eq!(check_phone("138001380001"), Err(MessageError::PhoneInvalid));
        assert_eq!(check_phone("123456"), Err(MessageError::PhoneInvalid));
        assert_eq!(check_phone("0471-1234"), Err(MessageError::PhoneInvalid));
    }

    #[test]
    fn the_summary_of_this_call_is_kept_even_after_it_ended() {
        let (mut c, now) = in_call();
        c.hub_ended("c1", EndReason::HungUpByLawyer, now + secs(60));
        c.summary_received("c9", "别的", "别的");
        assert!(c.summary().is_none());
        c.summary_received("c1", "拖欠工资", "先申请劳动仲裁");
        assert_eq!(c.summary().unwrap().advice, "先申请劳动仲裁");
    }

    #[test]
    fn mute_is_only_possible_in_a_call() {
        let (mut c, _) = requested();
        assert!(!c.toggle_mute());
        let (mut c, _) = in_call();
        assert!(c.toggle_mute());
        assert!(!c.toggle_mute());
    }

    #[test]
    fn a_refused_terminal_needs_a_technician_not_a_retry_loop() {
        let (mut c, _) = requested();
        c.terminal_refused();
        assert_eq!(c.stage(), &Stage::Unavailable(Unavailable::TerminalRefused));
    }

    #[test]
    fn writing_a_message_instead_of_waiting_withdraws_the_call_at_once() {
        let (mut c, now) = requested();
        c.take_commands();
        c.queued("c1", 2, None, None);
        c.write_message();
        assert_eq!(c.take_commands(), vec![HubCommand::CancelCall]);
        // Leaving the form now owes the hub nothing more, and the old
        // call's news is not taken for a new one.
        c.leave(now);
        assert!(c.take_commands().is_empty());
        c.ringing("c1", "李律师");
        assert!(matches!(c.stage(), Stage::Message(_)));
    }

    #[test]
    fn a_message_that_could_not_be_sent_keeps_what_was_typed() {
        let (mut c, _) = requested();
        c.take_commands();
        c.queued("c1", 1, None, Some(Suggestion::NoLawyerOnDuty));
        c.write_message();
        c.take_commands();
        c.set_message_text("13800138000");
        c.hub_connection(false);
        assert_eq!(c.submit_message(), Err(MessageError::NotSent));
        assert_eq!(c.message().unwrap().phone, "13800138000");
        c.hub_connection(true);
        assert_eq!(c.submit_message(), Ok(()));
        c.hub_unreachable();
        let draft = c.message().unwrap();
        assert_eq!(
            (draft.sending, draft.error),
            (false, Some(MessageError::NotSent))
        );
        assert_eq!(draft.phone, "13800138000");
    }

    #[test]
    fn losing_the_hub_while_waiting_says_so_and_withdraws_the_call() {
        let (mut c, _) = requested();
        c.take_commands();
        c.queued("c1", 3, None, None);
        c.hub_unreachable();
        assert_eq!(c.stage(), &Stage::Unavailable(Unavailable::HubUnreachable));
        assert_eq!(c.take_commands(), vec![HubCommand::CancelCall]);
        assert!(!c.holds_idle());
    }

    #[test]
    fn a_call_lost_with_this_terminals_network_is_not_called_unanswered() {
        let (mut c, now) = requested();
        c.queued("c1", 1, None, None);
        c.hub_ended("c1", EndReason::TerminalLost, now);
        assert!(matches!(
            c.stage(),
            Stage::Ended {
                why: Ended::ConnectionLost,
                ..
            }
        ));
    }

    #[test]
    fn a_phone_number_with_too_many_digits_is_refused_not_cut() {
        let (mut c, _) = requested();
        c.queued("c1", 1, None, None);
        c.write_message();
        c.set_message_text("8613800138000");
        assert_eq!(c.submit_message(), Err(MessageError::PhoneInvalid));
    }

    #[test]
    fn id_numbers_in_the_lawyers_summary_are_masked() {
        assert_eq!(
            mask_id_numbers("身份证11010519491231002X，电话13800138000"),
            "身份证110***********002X，电话13800138000"
        );
        assert_eq!(
            mask_id_numbers("旧证号110105491231002。"),
            "旧证号110********1002。"
        );
        assert_eq!(mask_id_numbers("金额1000元"), "金额1000元");
        let (mut c, now) = in_call();
        c.summary_received("c1", "证件110105194912310021", "无");
        assert_eq!(c.summary().unwrap().text, "证件110***********0021");
        let _ = now;
    }

    #[test]
    fn the_message_draft_never_shows_in_debug_output() {
        let (mut c, _) = requested();
        c.queued("c1", 1, None, None);
        c.write_message();
        c.set_message_text("13800138000");
        let shown = format!("{:?}", c.stage());
        assert!(!shown.contains("13800138000"), "{shown}");
    }
}
