//! The glue between the session core and the Slint window.
//!
//! Taps arrive as callbacks on the UI globals; each one updates the
//! [`Session`] (and the keyboard engine or the library), then the affected
//! globals are re-rendered from that state. Nothing here decides behaviour
//! that the session core could decide.

mod consultation;
pub use consultation::attach_consultation;
mod devices;
pub use devices::attach_devices;
mod identify;
mod receipt;

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use kiosk_core::{Config, Effect, IdlePhase, Screen, Session};
use kiosk_ime::{Edit, Engine, Key, Mode};
use slint::{ComponentHandle, ModelRc, SharedString, VecModel};

use crate::audio::{Audio, AudioStatus, Sound};
use crate::content::{ContentHandle, ContentState};
use crate::devices::Devices;
use crate::printing::service::PrinterHealth;
use crate::search::SearchWorker;
use crate::{
    App, AppState, IdleAdapter, KeyboardAdapter, LibraryAdapter, Page, SearchAdapter, StatusItem,
    StatusKind, Theme,
};
use kiosk_core::ReaderState;

/// Everything the terminal's UI thread knows about the current session.
pub struct Kiosk {
    app: slint::Weak<App>,
    session: Session,
    content: ContentHandle,
    keyboard: Option<Engine>,
    search_worker: Option<SearchWorker>,
    dictionary_requested: bool,
    /// This controller, for work that finishes later on the UI thread.
    this: std::rc::Weak<RefCell<Kiosk>>,
    committed: String,
    audio: Audio,
    office_name: String,
    last_audio_status: Option<AudioStatus>,
    /// The reader and printer threads; None in screenshots and UI tests
    /// that do not attach devices.
    devices: Option<Devices>,
    reader_state: ReaderState,
    printer_health: PrinterHealth,
    last_device_status: Option<(ReaderState, PrinterHealth, bool, bool)>,
    /// The receipt on screen, if any.
    receipt: Option<receipt::ReceiptView>,
    next_ticket: u64,
    unprinted_policy: kiosk_core::UnprintedPolicy,
    /// The keyboard's text (`committed`) belongs to a private field (the
    /// typed identity, the message form), not to search.
    keyboard_on_private_text: bool,
    /// The dispatch hub and the call; None when 视频咨询律师 is off (and in
    /// screenshots and UI tests that do not attach it).
    hub: Option<crate::consultation::HubLink>,
    hub_connected: bool,
    /// A hub link was attached once: the service is offered (and says so
    /// when the hub is gone).
    consultation_configured: bool,
    /// Numbers the sessions since start-up (the print queue keys on it).
    session_number: u64,
}

pub type SharedKiosk = Rc<RefCell<Kiosk>>;

impl Kiosk {
    /// Creates the controller and connects every callback of `app`.
    pub fn install(
        app: &App,
        config: &Config,
        content: ContentHandle,
        audio: Audio,
    ) -> SharedKiosk {
        let kiosk = Rc::new(RefCell::new(Kiosk {
            app: app.as_weak(),
            session: Session::new(&config.session),
            content,
            keyboard: None,
            search_worker: None,
            dictionary_requested: false,
            this: std::rc::Weak::new(),
            committed: String::new(),
            audio,
            office_name: config.terminal.office_name.clone(),
            last_audio_status: None,
            devices: None,
            reader_state: ReaderState::NotInstalled,
            printer_health: PrinterHealth::NotInstalled,
            last_device_status: None,
            receipt: None,
            next_ticket: 1,
            unprinted_policy: config.printer.unprinted_when_session_ends,
            session_number: 1,
            keyboard_on_private_text: false,
            hub: None,
            hub_connected: false,
            consultation_configured: false,
        }));
        kiosk.borrow_mut().this = Rc::downgrade(&kiosk);
        connect_callbacks(app, &kiosk);
        {
            let mut k = kiosk.borrow_mut();
            k.render_all();
        }
        kiosk
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    pub fn content(&self) -> &ContentHandle {
        &self.content
    }

    /// Every tap passes here: it keeps the session alive and may start one.
    fn tap(&mut self, now: Instant) {
        if self.session.touch(now) == Some(Effect::SessionStarted) {
            self.session_number += 1;
            self.audio.play(Sound::SessionPrompt);
        } else {
            self.audio.play(Sound::Tap);
        }
        self.render_idle(now);
    }

    /// A touch that is not a button (scrolling): no click sound.
    pub fn activity(&mut self, now: Instant) {
        if self.session.touch(now) == Some(Effect::SessionStarted) {
            self.session_number += 1;
            self.audio.play(Sound::SessionPrompt);
        }
        self.render_idle(now);
    }

    pub fn open(&mut self, screen: Screen, now: Instant) {
        self.tap(now);
        if screen == Screen::Search {
            self.ensure_keyboard();
        }
        self.session.open(screen);
        self.render_screen();
    }

    pub fn back(&mut self, now: Instant) {
        self.tap(now);
        self.session.back();
        self.after_navigation();
        self.render_screen();
    }

    pub fn home(&mut self, now: Instant) {
        self.tap(now);
        self.session.home();
        self.clear_search();
        self.after_navigation();
        self.render_screen();
    }

    /// Leaving a screen may end what it was doing: the reader stops looking
    /// for cards, a receipt preview is dropped.
    fn after_navigation(&mut self) {
        self.sync_reader();
        if self.session.identification().is_none() {
            self.forget_typed_identity();
        }
        if !matches!(
            self.session.screen(),
            Screen::ArticleReceipt { .. } | Screen::ConsultationReceipt
        ) {
            self.receipt = None;
        }
        // Leaving a consultation ends its call at the hub.
        self.after_consult_change(Instant::now());
    }

    pub fn toggle_elder_mode(&mut self, now: Instant) {
        self.tap(now);
        let on = !self.session.elder_mode();
        self.session.set_elder_mode(on);
        self.render_theme();
    }

    pub fn change_text_size(&mut self, delta: i32, now: Instant) {
        self.tap(now);
        self.session.change_text_size(delta);
        self.render_theme();
    }

    /// A key of the on-screen keyboard, by the name the UI gives it.
    pub fn key(&mut self, name: &str, now: Instant) {
        self.tap(now);
        self.ensure_keyboard();
        let Some(engine) = self.keyboard.as_mut() else {
            return;
        };
        let key = match name {
            "space" => Some(Key::Space),
            "backspace" => Some(Key::Backspace),
            "enter" => Some(Key::Enter),
            "shift" => Some(Key::Shift),
            "prev-page" => Some(Key::PrevPage),
            "next-page" => Some(Key::NextPage),
            "mode-pinyin" | "mode-latin" | "mode-digits" => {
                let mode = match name {
                    "mode-pinyin" => Mode::Pinyin,
                    "mode-latin" => Mode::Latin,
                    _ => Mode::Digits,
                };
                // Switching commits any composition as typed letters.
                let edit = engine.set_mode(mode);
                apply_edit(&mut self.committed, edit);
                None
            }
            "clear" => {
                engine.reset();
                self.committed.clear();
                None
            }
            other => {
                let mut chars = other.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if c.is_ascii_digit() => Some(Key::Digit(c as u8 - b'0')),
                    (Some(c), None) => Some(Key::Letter(c)),
                    _ => None,
                }
            }
        };
        if let Some(key) = key {
            let edit = engine.press(key);
            if edit == Edit::Enter && self.typing_identity() {
                self.typed_enter();
                return;
            }
            if edit == Edit::Enter && self.typing_message() {
                self.message_enter();
                return;
            }
            apply_edit(&mut self.committed, edit);
        }
        self.after_typing();
    }

    /// A tap on the n-th candidate of the current page.
    pub fn candidate(&mut self, index: usize, now: Instant) {
        self.tap(now);
        if let Some(engine) = self.keyboard.as_mut() {
            let edit = engine.press(Key::Candidate(index));
            apply_edit(&mut self.committed, edit);
        }
        self.after_typing();
    }

    fn after_typing(&mut self) {
        if self.typing_identity() {
            self.typed_changed();
            return;
        }
        if self.typing_message() {
            self.message_typed();
            return;
        }
        let composing = self
            .keyboard
            .as_ref()
            .map(|e| e.composition().to_owned())
            .unwrap_or_default();
        let query = format!("{}{}", self.committed, composing);
        self.session.set_search_query(&query);
        self.render_keyboard();
        self.render_search();
    }

    fn clear_search(&mut self) {
        self.committed.clear();
        if let Some(engine) = self.keyboard.as_mut() {
            engine.reset();
            let _ = engine.set_mode(Mode::Pinyin);
        }
    }

    fn ensure_keyboard(&mut self) {
        if self.keyboard.is_some() {
            return;
        }
        self.keyboard = self.content.ime_dictionary().map(Engine::new);
        if self.keyboard.is_none() {
            self.load_dictionary();
        }
    }

    /// Loads the pinyin dictionary on a worker thread the first time the
    /// keyboard is needed (about 70 ms; 9 MB kept), so a terminal that is
    /// only read from never holds it. The keyboard appears when it arrives.
    fn load_dictionary(&mut self) {
        if self.dictionary_requested {
            return;
        }
        self.dictionary_requested = true;
        let (tx, rx) = futures_channel::oneshot::channel();
        let spawned = std::thread::Builder::new()
            .name("dictionary".into())
            .spawn(move || {
                let _ = tx.send(kiosk_ime::Dictionary::embedded());
                crate::memory::release_freed_memory();
            });
        if let Err(e) = spawned {
            log::error!("cannot start the dictionary loader: {e}");
            return;
        }
        let this = self.this.clone();
        let content = self.content.clone();
        let waiting = slint::spawn_local(async move {
            if let Ok(dictionary) = rx.await {
                content.set_dictionary(dictionary);
                if let Some(k) = this.upgrade()
                    && let Ok(mut k) = k.try_borrow_mut()
                {
                    k.ensure_keyboard();
                    k.render_keyboard();
                }
            }
        });
        if let Err(e) = waiting {
            log::error!("cannot wait for the dictionary: {e}");
        }
    }

    /// Called about once a second by a timer: clock, idle count-down, status.
    pub fn tick(&mut self, now: Instant) {
        if self.session.tick(now) == Some(Effect::SessionEnded) {
            self.clear_search();
            self.clear_views();
            self.session_ended();
            self.after_consult_change(now);
            log::info!("session ended after inactivity");
            self.render_all();
        }
        self.render_idle(now);
        self.render_header();
        match self.session.screen() {
            Screen::Identify => self.render_identify(),
            Screen::Consultation => self.render_consultation(now),
            _ => {}
        }
    }

    /// The resident tapped 继续使用 (or anywhere on the count-down).
    pub fn continue_session(&mut self, now: Instant) {
        self.tap(now);
    }

    /// The library finished loading (or failed) on its worker thread.
    pub fn content_changed(&mut self) {
        self.render_library_state();
        self.render_screen();
    }

    /// Empties every model that may hold what the last resident read.
    fn clear_views(&self) {
        self.with_app(crate::content::clear_views);
        self.with_app(identify::clear_view);
        self.with_app(receipt::clear_view);
        self.with_app(consultation::clear_view);
    }

    // ---- rendering: state -> Slint globals ----

    fn with_app(&self, f: impl FnOnce(&App)) {
        if let Some(app) = self.app.upgrade() {
            f(&app);
        }
    }

    pub fn render_all(&mut self) {
        self.render_header();
        self.render_theme();
        self.render_library_state();
        self.render_screen();
        self.render_idle(Instant::now());
    }

    /// Clock and status; the status model is replaced only when a status
    /// changed, so the twice-a-second tick does not re-lay out the header.
    fn render_header(&mut self) {
        let audio = self.audio.status();
        let clock = crate::clock::Clock::now();
        self.with_app(|app| {
            let state = app.global::<AppState>();
            state.set_month(clock.month);
            state.set_day(clock.day);
            state.set_weekday(clock.weekday);
            state.set_time(clock.time.into());
        });
        let devices = (
            self.reader_state,
            self.printer_health,
            self.consultation_configured,
            self.hub_connected,
        );
        if self.last_audio_status == Some(audio) && self.last_device_status == Some(devices) {
            return;
        }
        if audio == AudioStatus::NoDevice && self.last_audio_status != Some(audio) {
            log::info!("status: no audio device");
        }
        self.last_audio_status = Some(audio);
        self.last_device_status = Some(devices);
        let audio_kind = match audio {
            AudioStatus::NoDevice => StatusKind::AudioNone,
            AudioStatus::Disabled => StatusKind::AudioOff,
            AudioStatus::Ready | AudioStatus::Starting => StatusKind::AudioOk,
        };
        // The link to the justice bureau's hub, when this terminal has one.
        let network = match (self.consultation_configured, self.hub_connected) {
            (false, _) => StatusItem {
                kind: StatusKind::Standalone,
                ok: true,
            },
            (true, true) => StatusItem {
                kind: StatusKind::HubOk,
                ok: true,
            },
            (true, false) => StatusItem {
                kind: StatusKind::HubOffline,
                ok: false,
            },
        };
        let mut status = vec![
            network,
            StatusItem {
                kind: audio_kind,
                ok: audio_kind == StatusKind::AudioOk,
            },
        ];
        status.extend(self.device_status_items());
        let office = self.office_name.clone();
        self.with_app(|app| {
            let state = app.global::<AppState>();
            state.set_office_name(office.into());
            state.set_status(ModelRc::new(VecModel::from(status)));
        });
    }

    fn render_theme(&self) {
        let elder = self.session.elder_mode();
        let step = self.session.text_step();
        self.with_app(|app| {
            let theme = app.global::<Theme>();
            theme.set_elder(elder);
            theme.set_text_step(step);
        });
    }

    fn render_library_state(&self) {
        let (ready, failed) = match self.content.state() {
            ContentState::Loading => (false, false),
            ContentState::Ready(_) => (true, false),
            ContentState::Failed(_) => (false, true),
        };
        let content = self.content.library();
        let categories = content.as_ref().map(|c| crate::content::category_items(c));
        let counts = content.as_ref().map(|c| {
            (
                c.library.articles().len() as i32,
                c.statutes.laws().count() as i32,
            )
        });
        self.with_app(|app| {
            let state = app.global::<AppState>();
            state.set_library_ready(ready);
            state.set_library_failed(failed);
            if let Some((articles, laws)) = counts {
                state.set_article_count(articles);
                state.set_law_count(laws);
            }
            if let Some(items) = categories {
                app.global::<LibraryAdapter>()
                    .set_categories(ModelRc::new(VecModel::from(items)));
            }
        });
    }

    fn render_screen(&mut self) {
        let screen = self.session.screen().clone();
        let can_go_back = self.session.can_go_back();
        let library = self.content.library();
        self.with_app(|app| {
            let state = app.global::<AppState>();
            state.set_can_go_back(can_go_back);
            let adapter = app.global::<LibraryAdapter>();
            let page = match &screen {
                Screen::Home => Page::Home,
                Screen::Categories => Page::Categories,
                Screen::ArticleList { category } => {
                    if let Some(lib) = &library {
                        crate::content::show_article_list(&adapter, lib, category);
                    }
                    Page::ArticleList
                }
                Screen::Article { id } => {
                    if let Some(lib) = &library {
                        crate::content::show_article(&adapter, lib, id);
                    }
                    Page::Article
                }
                Screen::Search => Page::Search,
                Screen::About => Page::About,
                Screen::Identify => Page::Identify,
                Screen::ArticleReceipt { .. } | Screen::ConsultationReceipt => Page::Receipt,
                Screen::ConsultTopic => Page::ConsultTopics,
                Screen::Consultation => Page::Consultation,
            };
            state.set_page(page);
        });
        // Always, not only on the search screen: leaving search must not
        // leave the last query's results behind in the UI's memory.
        self.render_keyboard();
        self.render_search();
        self.render_theme();
        self.render_identify();
        self.render_receipt();
        self.render_consultation(Instant::now());
    }

    fn render_keyboard(&self) {
        let Some(engine) = self.keyboard.as_ref() else {
            return;
        };
        let mode = match engine.mode() {
            Mode::Pinyin => 0,
            Mode::Latin => 1,
            Mode::Digits => 2,
        };
        let candidates: Vec<SharedString> = engine
            .candidates()
            .iter()
            .map(|c| SharedString::from(c.text.as_str()))
            .collect();
        let (prev, next, shift) = (
            engine.has_prev_page(),
            engine.has_next_page(),
            engine.is_shifted(),
        );
        let composing = engine.display_composition().to_owned();
        let committed = self.committed.clone();
        self.with_app(|app| {
            let kb = app.global::<KeyboardAdapter>();
            kb.set_mode(mode);
            kb.set_shift(shift);
            kb.set_candidates(ModelRc::new(VecModel::from(candidates)));
            kb.set_has_prev_page(prev);
            kb.set_has_next_page(next);
            kb.set_composing(composing.clone().into());
            let search = app.global::<SearchAdapter>();
            search.set_committed(committed.into());
            search.set_composing(composing.into());
        });
    }

    /// Shows results for the session's query: at once for an empty query,
    /// otherwise when the search worker answers (or inline without one).
    fn render_search(&self) {
        let query = self.session.search_query();
        if let Some(worker) = &self.search_worker {
            // Sent even when empty, so an answer still on its way for an
            // older query is followed by this one.
            worker.submit(query);
            if !query.trim().is_empty() {
                return;
            }
        }
        let outcome = match self.content.library() {
            Some(content) => crate::search::run(&content.library, &content.db, query),
            None => crate::search::SearchOutcome::default(),
        };
        self.with_app(|app| crate::search::show(&app.global::<SearchAdapter>(), &outcome));
    }

    /// Moves searching to a worker thread (the running terminal; screenshots
    /// and tests search inline, deterministically).
    pub fn search_in_background(&mut self) {
        let Some(content) = self.content.library() else {
            return;
        };
        match SearchWorker::spawn(
            content.library.clone(),
            content.db_path.clone(),
            self.app.clone(),
        ) {
            Ok(worker) => self.search_worker = Some(worker),
            Err(e) => log::error!("cannot start the search thread, searching inline: {e}"),
        }
    }

    fn render_idle(&self, now: Instant) {
        let (warning, remaining) = match self.session.idle_phase(now) {
            IdlePhase::Warning { remaining_secs } => (true, remaining_secs as i32),
            _ => (false, 0),
        };
        self.with_app(|app| {
            let idle = app.global::<IdleAdapter>();
            idle.set_warning(warning);
            idle.set_remaining(remaining);
        });
    }
}

fn apply_edit(field: &mut String, edit: Edit) {
    match edit {
        // Search runs on every key, so 确定 has nothing left to submit.
        Edit::None | Edit::Enter => {}
        Edit::Insert(text) => field.push_str(&text),
        Edit::DeleteBackward => {
            field.pop();
        }
    }
}

/// Wraps a controller method as a UI callback. A callback that arrives
/// while the controller is busy (re-entrancy from a property change) is
/// dropped rather than panicking on the RefCell.
fn handler<A>(
    kiosk: &SharedKiosk,
    f: impl Fn(&mut Kiosk, A, Instant) + 'static,
) -> impl Fn(A) + 'static {
    let weak = Rc::downgrade(kiosk);
    move |arg| {
        if let Some(k) = weak.upgrade()
            && let Ok(mut k) = k.try_borrow_mut()
        {
            f(&mut k, arg, Instant::now());
        }
    }
}

/// Connects the UI's callbacks to the controller.
fn connect_callbacks(app: &App, kiosk: &SharedKiosk) {
    let state = app.global::<AppState>();
    let h = handler(kiosk, |k, (), now| k.back(now));
    state.on_go_back(move || h(()));
    let h = handler(kiosk, |k, (), now| k.home(now));
    state.on_go_home(move || h(()));
    let h = handler(kiosk, |k, (), now| k.open(Screen::Categories, now));
    state.on_open_categories(move || h(()));
    let h = handler(kiosk, |k, (), now| k.open(Screen::Search, now));
    state.on_open_search(move || h(()));
    let h = handler(kiosk, |k, (), now| k.open(Screen::About, now));
    state.on_open_about(move || h(()));
    let h = handler(kiosk, |k, (), now| k.open_identify(now));
    state.on_open_identify(move || h(()));
    let h = handler(kiosk, |k, (), now| k.toggle_elder_mode(now));
    state.on_toggle_elder_mode(move || h(()));
    let h = handler(kiosk, |k, (), now| k.activity(now));
    state.on_activity(move || h(()));

    let library = app.global::<LibraryAdapter>();
    let h = handler(kiosk, |k, slug: SharedString, now| {
        k.open(
            Screen::ArticleList {
                category: slug.to_string(),
            },
            now,
        )
    });
    library.on_open_category(h);
    let h = handler(kiosk, |k, id: SharedString, now| {
        k.open(Screen::Article { id: id.to_string() }, now)
    });
    library.on_open_article(h);
    let h = handler(kiosk, |k, (), now| k.change_text_size(1, now));
    library.on_text_larger(move || h(()));
    let h = handler(kiosk, |k, (), now| k.change_text_size(-1, now));
    library.on_text_smaller(move || h(()));
    let h = handler(kiosk, |k, (), now| k.print_article(now));
    library.on_print_article(move || h(()));

    identify::connect(app, kiosk);
    consultation::connect(app, kiosk);
    receipt::connect(app, kiosk);

    let keyboard = app.global::<KeyboardAdapter>();
    let h = handler(kiosk, |k, name: SharedString, now| k.key(&name, now));
    keyboard.on_key(h);
    let h = handler(kiosk, |k, index: i32, now| {
        k.candidate(index.max(0) as usize, now)
    });
    keyboard.on_candidate(h);

    let idle = app.global::<IdleAdapter>();
    let h = handler(kiosk, |k, (), now| k.continue_session(now));
    idle.on_continue_session(move || h(()));
}

/// Drives the clock and the idle count-down once a second.
pub fn start_ticking(kiosk: &SharedKiosk) -> slint::Timer {
    let timer = slint::Timer::default();
    let weak = Rc::downgrade(kiosk);
    timer.start(
        slint::TimerMode::Repeated,
        Duration::from_millis(500),
        move || {
            if let Some(k) = weak.upgrade()
                && let Ok(mut k) = k.try_borrow_mut()
            {
                k.tick(Instant::now());
            }
        },
    );
    timer
}
