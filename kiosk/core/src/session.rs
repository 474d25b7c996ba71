//! One resident's session: which screen is showing, how they got there, what
//! they are reading or searching for, and whether it is time to wipe it all.
//!
//! This is the terminal's behaviour with no UI attached. The Slint layer calls
//! these methods when a resident taps, renders [`Session::view`] and reacts
//! to the returned [`Effect`]s (sounds, clearing the keyboard). Tests drive
//! it directly.

use std::time::{Duration, Instant};

use crate::config::SessionConfig;
use crate::consultation::{Consultation, HubCommand};
use crate::identify::{Identification, Purpose, ReaderState};
use crate::idle::{IdlePhase, IdleTimer};

/// A screen of the terminal. Parameters identify what the screen shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Screen {
    Home,
    /// The grid of legal-information categories.
    Categories,
    /// The articles of one category (its slug).
    ArticleList {
        category: String,
    },
    /// One article (its id).
    Article {
        id: String,
    },
    /// Search with the on-screen keyboard.
    Search,
    /// About this terminal: software, licences, sources of the content.
    About,
    /// Who the resident is (card or typed), for a service.
    Identify,
    /// The receipt for an article: preview, then 打印.
    ArticleReceipt {
        id: String,
    },
    /// 视频咨询律师: what the consultation is about.
    ConsultTopic,
    /// The consultation itself: waiting, ringing, the call, its end.
    Consultation,
    /// The receipt of the lawyer's summary: preview, then 打印.
    ConsultationReceipt,
}

/// Something the UI layer must do beyond re-rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The first touch of a new session: greet the resident.
    SessionStarted,
    /// The session was wiped: clear every field and widget state too.
    SessionEnded,
}

/// Article text size steps around the default; A+ / A− move one step.
pub const TEXT_STEP_MIN: i32 = -1;
pub const TEXT_STEP_MAX: i32 = 3;

#[derive(Debug, Clone)]
pub struct Session {
    history: Vec<Screen>,
    elder_mode: bool,
    text_step: i32,
    search_query: String,
    idle: IdleTimer,
    identification: Option<Identification>,
    consultation: Option<Consultation>,
    /// Commands for the hub from a consultation that was left or wiped.
    hub_outbox: Vec<HubCommand>,
}

impl Session {
    pub fn new(config: &SessionConfig) -> Self {
        Self {
            history: vec![Screen::Home],
            elder_mode: false,
            text_step: 0,
            search_query: String::new(),
            identification: None,
            consultation: None,
            hub_outbox: Vec::new(),
            idle: IdleTimer::new(
                Duration::from_secs(config.idle_timeout_secs),
                Duration::from_secs(config.countdown_secs),
            ),
        }
    }

    pub fn screen(&self) -> &Screen {
        self.history.last().unwrap_or(&Screen::Home)
    }

    pub fn can_go_back(&self) -> bool {
        self.history.len() > 1
    }

    pub fn elder_mode(&self) -> bool {
        self.elder_mode
    }

    pub fn text_step(&self) -> i32 {
        self.text_step
    }

    pub fn search_query(&self) -> &str {
        &self.search_query
    }

    pub fn idle_phase(&self, now: Instant) -> IdlePhase {
        self.idle.phase(now)
    }

    /// Every touch anywhere on the screen goes through here first.
    pub fn touch(&mut self, now: Instant) -> Option<Effect> {
        self.idle.touch(now).then_some(Effect::SessionStarted)
    }

    /// Called about once a second; ends the session when the count-down ran out.
    /// A consultation in progress holds the timer (see [`Consultation::holds_idle`]).
    pub fn tick(&mut self, now: Instant) -> Option<Effect> {
        let held = self.consultation.as_ref().is_some_and(|c| c.holds_idle());
        self.idle.hold(held, now);
        if self.idle.phase(now) == IdlePhase::Expired {
            self.end();
            Some(Effect::SessionEnded)
        } else {
            None
        }
    }

    /// Holds the idle timer while something legitimately keeps the resident
    /// still (a call).
    pub fn hold_idle(&mut self, held: bool, now: Instant) {
        self.idle.hold(held, now);
    }

    /// Opens a screen on top of the current one. Opening the screen already
    /// showing is a no-op, so a double tap does not need two 返回.
    pub fn open(&mut self, screen: Screen) {
        if screen == Screen::Home {
            self.home();
        } else if self.screen() != &screen {
            self.history.push(screen);
        }
    }

    /// 返回: the previous screen (home stays home).
    pub fn back(&mut self) {
        if self.history.len() > 1 {
            self.history.pop();
        }
        self.forget_identity_unless_shown();
        self.leave_consultation_unless_shown();
    }

    /// 首页: straight home, keeping the session (elder mode stays on).
    pub fn home(&mut self) {
        self.history.truncate(1);
        self.search_query.clear();
        self.identification = None;
        self.leave_consultation_unless_shown();
    }

    /// Opens the identification step for a service.
    pub fn identify(&mut self, purpose: Purpose, reader: ReaderState) {
        self.identification = Some(Identification::new(purpose, reader));
        self.open(Screen::Identify);
    }

    pub fn identification(&self) -> Option<&Identification> {
        self.identification.as_ref()
    }

    pub fn identification_mut(&mut self) -> Option<&mut Identification> {
        self.identification.as_mut()
    }

    /// The identity lives only while the step (or, later, the service that
    /// took it) is on the way back to it.
    fn forget_identity_unless_shown(&mut self) {
        if !self.history.contains(&Screen::Identify) {
            self.identification = None;
        }
    }

    // ---- the video consultation ----

    /// 视频咨询律师: the topic list. `hub_connected`: whether the terminal is
    /// signed in to the hub now.
    pub fn start_consultation(&mut self, hub_connected: bool) {
        self.consultation = Some(Consultation::new(hub_connected));
        self.open(Screen::ConsultTopic);
    }

    /// A topic was chosen: who the resident is comes next.
    pub fn choose_consult_topic(&mut self, topic: &str, reader: ReaderState) {
        let Some(c) = self.consultation.as_mut() else {
            return;
        };
        c.choose_topic(topic);
        if c.topic().is_some() {
            self.identify(Purpose::Consultation, reader);
        }
    }

    /// The resident is identified: the call is requested and the
    /// identification step leaves the history (返回 from the call goes to
    /// the topics, and the identity lives on only as name + masked number).
    pub fn begin_consultation_call(&mut self) {
        let Some(identity) = self.identification.as_ref().and_then(|i| i.identity()) else {
            return;
        };
        let (name, masked) = (identity.name.clone(), identity.masked_number());
        let Some(c) = self.consultation.as_mut() else {
            return;
        };
        c.request(&name, Some(masked));
        self.identification = None;
        self.history.retain(|s| s != &Screen::Identify);
        self.open(Screen::Consultation);
    }

    pub fn consultation(&self) -> Option<&Consultation> {
        self.consultation.as_ref()
    }

    pub fn consultation_mut(&mut self) -> Option<&mut Consultation> {
        self.consultation.as_mut()
    }

    /// The hub connection changed (kept for the next consultation too).
    pub fn hub_connection(&mut self, connected: bool) {
        if let Some(c) = self.consultation.as_mut() {
            c.hub_connection(connected);
        }
    }

    /// Everything to tell the hub, in order: from the consultation on screen
    /// and from one that was just left.
    pub fn take_hub_commands(&mut self) -> Vec<HubCommand> {
        let mut out = std::mem::take(&mut self.hub_outbox);
        if let Some(c) = self.consultation.as_mut() {
            out.extend(c.take_commands());
        }
        out
    }

    /// Leaving the consultation's screens ends what is going on at the hub;
    /// back on the topic list a new consultation starts; further out it is
    /// forgotten.
    fn leave_consultation_unless_shown(&mut self) {
        let screen = self.screen().clone();
        let Some(c) = self.consultation.as_mut() else {
            return;
        };
        if !matches!(
            screen,
            Screen::Consultation | Screen::ConsultationReceipt | Screen::Identify
        ) {
            c.leave(Instant::now());
            self.hub_outbox.extend(c.take_commands());
        }
        if screen == Screen::ConsultTopic {
            *c = Consultation::new(c.hub_connected());
        } else if !self.history.contains(&Screen::ConsultTopic) {
            self.consultation = None;
        }
    }

    pub fn set_elder_mode(&mut self, on: bool) {
        self.elder_mode = on;
    }

    /// A+ (`+1`) or A− (`-1`); returns whether the size changed.
    pub fn change_text_size(&mut self, delta: i32) -> bool {
        let step = (self.text_step + delta).clamp(TEXT_STEP_MIN, TEXT_STEP_MAX);
        let changed = step != self.text_step;
        self.text_step = step;
        changed
    }

    pub fn set_search_query(&mut self, query: &str) {
        self.search_query.clear();
        self.search_query.push_str(query);
    }

    /// Ends the session: everything a resident did or chose is forgotten.
    pub fn end(&mut self) {
        self.history.truncate(1);
        self.history[0] = Screen::Home;
        self.elder_mode = false;
        self.text_step = 0;
        // Overwrite before clearing: the query may hold a name later.
        self.search_query = String::new();
        self.identification = None;
        self.leave_consultation_unless_shown();
        self.idle.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> (Session, Instant) {
        (Session::new(&SessionConfig::default()), Instant::now())
    }

    fn secs(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn a_session_starts_on_the_home_screen_with_no_way_back() {
        let (s, _) = session();
        assert_eq!(s.screen(), &Screen::Home);
        assert!(!s.can_go_back());
    }

    #[test]
    fn back_returns_along_the_path_the_resident_took() {
        let (mut s, _) = session();
        s.open(Screen::Categories);
        s.open(Screen::ArticleList {
            category: "inheritance".into(),
        });
        s.open(Screen::Article {
            id: "inheritance-order".into(),
        });
        s.back();
        assert_eq!(
            s.screen(),
            &Screen::ArticleList {
                category: "inheritance".into()
            }
        );
        s.back();
        s.back();
        s.back();
        assert_eq!(s.screen(), &Screen::Home);
    }

    #[test]
    fn home_jumps_straight_home_and_keeps_elder_mode() {
        let (mut s, _) = session();
        s.set_elder_mode(true);
        s.open(Screen::Search);
        s.set_search_query("离婚");
        s.open(Screen::Article { id: "a".into() });
        s.home();
        assert_eq!(s.screen(), &Screen::Home);
        assert!(!s.can_go_back());
        assert!(s.elder_mode());
        assert_eq!(s.search_query(), "");
    }

    #[test]
    fn opening_the_screen_already_shown_does_not_stack_it_twice() {
        let (mut s, _) = session();
        s.open(Screen::Categories);
        s.open(Screen::Categories);
        s.back();
        assert_eq!(s.screen(), &Screen::Home);
    }

    #[test]
    fn text_size_moves_in_steps_within_bounds() {
        let (mut s, _) = session();
        for _ in 0..10 {
            s.change_text_size(1);
        }
        assert_eq!(s.text_step(), TEXT_STEP_MAX);
        assert!(!s.change_text_size(1));
        for _ in 0..10 {
            s.change_text_size(-1);
        }
        assert_eq!(s.text_step(), TEXT_STEP_MIN);
    }

    #[test]
    fn the_first_touch_starts_a_session() {
        let (mut s, now) = session();
        assert_eq!(s.touch(now), Some(Effect::SessionStarted));
        assert_eq!(s.touch(now + secs(1)), None);
    }

    #[test]
    fn idle_expiry_wipes_everything_and_returns_home() {
        let (mut s, now) = session();
        s.touch(now);
        s.set_elder_mode(true);
        s.change_text_size(2);
        s.open(Screen::Search);
        s.set_search_query("工资");
        s.open(Screen::Article {
            id: "labour-wages".into(),
        });
        assert_eq!(s.tick(now + secs(95)), None);
        assert_eq!(
            s.idle_phase(now + secs(95)),
            IdlePhase::Warning { remaining_secs: 5 }
        );
        assert_eq!(s.tick(now + secs(100)), Some(Effect::SessionEnded));
        assert_eq!(s.screen(), &Screen::Home);
        assert!(!s.can_go_back());
        assert!(!s.elder_mode());
        assert_eq!(s.text_step(), 0);
        assert_eq!(s.search_query(), "");
        assert_eq!(s.idle_phase(now + secs(500)), IdlePhase::Inactive);
    }

    #[test]
    fn continuing_during_the_count_down_keeps_the_session() {
        let (mut s, now) = session();
        s.touch(now);
        s.open(Screen::Categories);
        s.touch(now + secs(97));
        assert_eq!(s.tick(now + secs(120)), None);
        assert_eq!(s.screen(), &Screen::Categories);
    }

    #[test]
    fn a_held_session_does_not_expire() {
        let (mut s, now) = session();
        s.touch(now);
        s.hold_idle(true, now);
        assert_eq!(s.tick(now + secs(10_000)), None);
    }

    #[test]
    fn the_identity_is_forgotten_on_leaving_the_step_going_home_or_idle_reset() {
        let (mut s, now) = session();
        s.touch(now);
        s.identify(Purpose::Verify, ReaderState::Ready);
        assert_eq!(s.screen(), &Screen::Identify);
        assert!(s.identification().is_some());
        s.back();
        assert!(s.identification().is_none());

        s.identify(Purpose::Verify, ReaderState::Ready);
        s.home();
        assert!(s.identification().is_none());

        s.identify(Purpose::Verify, ReaderState::Ready);
        assert_eq!(s.tick(now + secs(100)), Some(Effect::SessionEnded));
        assert!(s.identification().is_none());
    }

    fn identify_by_typing(s: &mut Session) {
        let id = s.identification_mut().unwrap();
        id.type_instead();
        id.set_typed("张三");
        id.focus(crate::identify::TypedField::Number);
        id.set_typed("11010519491231002X");
        id.submit_typed().unwrap();
    }

    /// Home → 视频咨询律师 → topic → typed identity → the call is requested.
    fn consulting(s: &mut Session) {
        s.start_consultation(true);
        s.choose_consult_topic("labor", ReaderState::NotInstalled);
        assert_eq!(s.screen(), &Screen::Identify);
        identify_by_typing(s);
        s.begin_consultation_call();
    }

    #[test]
    fn a_consultation_goes_topic_then_identity_then_call_and_keeps_only_the_masked_number() {
        let (mut s, _) = session();
        consulting(&mut s);
        assert_eq!(s.screen(), &Screen::Consultation);
        assert!(s.identification().is_none());
        match s.take_hub_commands().as_slice() {
            [
                HubCommand::RequestCall {
                    topic,
                    resident_name,
                    masked_id,
                },
            ] => {
                assert_eq!(topic, "labor");
                assert_eq!(resident_name, "张三");
                assert_eq!(masked_id.as_deref(), Some("110***********002X"));
            }
            other => panic!("expected one request, got {other:?}"),
        }
        // 返回 from the call goes to the topics, not back to the identity.
        s.back();
        assert_eq!(s.screen(), &Screen::ConsultTopic);
    }

    #[test]
    fn leaving_a_waiting_call_by_back_home_or_idle_reset_cancels_it_at_the_hub() {
        for leave in ["back", "home", "end"] {
            let (mut s, _) = session();
            consulting(&mut s);
            s.take_hub_commands();
            s.consultation_mut().unwrap().queued("c1", 2, None, None);
            match leave {
                "back" => s.back(),
                "home" => s.home(),
                _ => s.end(),
            }
            assert_eq!(
                s.take_hub_commands(),
                vec![HubCommand::CancelCall],
                "{leave}"
            );
            assert!(!s.consultation().is_some_and(|c| c.is_active()), "{leave}");
        }
    }

    #[test]
    fn the_idle_reset_waits_during_a_call_and_comes_back_after_it() {
        let (mut s, now) = session();
        s.touch(now);
        consulting(&mut s);
        let c = s.consultation_mut().unwrap();
        c.accepted("c1", "李律师", now);
        c.media_connected(now);
        assert_eq!(s.tick(now + secs(1)), None);
        assert_eq!(s.tick(now + secs(3600)), None);
        assert_eq!(s.screen(), &Screen::Consultation);
        s.consultation_mut().unwrap().hub_ended(
            "c1",
            hub_protocol::EndReason::HungUpByLawyer,
            now + secs(3600),
        );
        assert_eq!(s.tick(now + secs(3601)), None);
        assert_eq!(s.tick(now + secs(3701)), Some(Effect::SessionEnded));
        assert!(s.consultation().is_none());
    }
}
