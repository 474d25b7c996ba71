//! [`KioskTerminal`]: the real terminal application — its Slint window under
//! the testing backend (no display), controller, session core, library,
//! SQLite, and its link to the hub with `kiosk-call` media — operated by
//! tapping the buttons a resident sees, by their accessible labels.
//!
//! The terminal's threads (hub client, call session, picture forwarding)
//! report through a channel; [`KioskTerminal::pump_until`] applies their
//! events on the test's thread as the terminal's event loop would, so a
//! test interleaves terminal steps with the lawyer's steps in Chromium
//! without a second UI thread. Media flows on its own threads meanwhile.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use i_slint_backend_testing::{AccessibleRole, ElementHandle};
use kiosk::consultation::{ConsultEvent, HubLink};
use kiosk::content::{self, ContentHandle};
use kiosk::controller::{Kiosk, SharedKiosk};
use kiosk::{App, AppState, ConsultAdapter, ConsultStage, Page};
use kiosk_core::Config;
use slint::ComponentHandle;

use crate::{Hub, Result, fail};

pub struct KioskTerminal {
    pub app: App,
    pub kiosk: SharedKiosk,
    pub config: Config,
    events: mpsc::Receiver<ConsultEvent>,
    _dir: tempfile::TempDir,
}

impl KioskTerminal {
    /// The terminal `terminal_id` of `hub`, without card reader (residents
    /// type their name) or printer, on the home screen and connecting.
    /// Call once per process (the testing backend is per process).
    pub fn start(hub: &Hub, terminal_id: &str) -> Result<KioskTerminal> {
        let url = hub.ws_url("/ws/terminal");
        let token = Hub::token(terminal_id);
        Self::start_with(|c| {
            c.consultation.hub = url;
            c.consultation.terminal_id = terminal_id.to_owned();
            c.consultation.token = token;
        })
    }

    /// A terminal whose configuration `adjust` sets (the hub at least).
    pub fn start_with(adjust: impl FnOnce(&mut Config)) -> Result<KioskTerminal> {
        i_slint_backend_testing::init_no_event_loop();
        let dir = tempfile::tempdir().map_err(|e| fail!("temporary directory: {e}"))?;
        let mut config = Config::default();
        config.storage.database = dir.path().join("kiosk.db");
        config.idcard.port = "none".into();
        config.printer.port = "none".into();
        config.consultation.restart_after_secs = 2;
        config.consultation.give_up_after_secs = 10;
        adjust(&mut config);
        let app = App::new().map_err(|e| fail!("window: {e}"))?;
        let handle = ContentHandle::loading();
        handle.finish(content::load(&config));
        if handle.library().is_none() {
            return Err(fail!("the terminal's library did not load"));
        }
        handle.set_dictionary(kiosk_ime::Dictionary::embedded());
        let kiosk = Kiosk::install(&app, &config, handle, kiosk::audio::Audio::silent());
        app.show().map_err(|e| fail!("show: {e}"))?;
        let (tx, events) = mpsc::channel();
        let tx = std::sync::Mutex::new(tx);
        let deliver: kiosk::consultation::DeliverConsult = std::sync::Arc::new(move |event| {
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(event);
            }
        });
        let mut link = HubLink::start(&config, deliver)
            .map_err(|e| fail!("hub link: {e}"))?
            .ok_or_else(|| fail!("the configuration switched the consultation off"))?;
        link.use_loopback_media();
        kiosk.borrow_mut().attach_hub(link);
        Ok(KioskTerminal {
            app,
            kiosk,
            config,
            events,
            _dir: dir,
        })
    }

    /// Applies the terminal's events as they come until `done` holds.
    pub fn pump_until(
        &self,
        what: &str,
        timeout: Duration,
        done: impl Fn(&KioskTerminal) -> bool,
    ) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut last_tick = Instant::now();
        while !done(self) {
            if Instant::now() > deadline {
                return Err(fail!(
                    "terminal: timed out after {timeout:?} waiting for {what} (page {:?}, stage {:?})",
                    self.page(),
                    self.stage()
                ));
            }
            if let Ok(event) = self.events.recv_timeout(Duration::from_millis(20)) {
                self.kiosk.borrow_mut().consult_event(event, Instant::now());
            }
            // The once-a-second tick of the running terminal (timer, idle).
            if last_tick.elapsed() > Duration::from_millis(500) {
                self.kiosk.borrow_mut().tick(Instant::now());
                last_tick = Instant::now();
            }
        }
        Ok(())
    }

    /// Waits until the terminal is signed in to its hub (a resident who taps
    /// before that is told the hub cannot be reached).
    pub fn wait_signed_in(&self) -> Result<()> {
        self.pump_until("signed in to the hub", crate::WAIT, |t| {
            t.kiosk.borrow().hub_connected()
        })
    }

    /// Pumps for `d` whatever happens.
    pub fn pump_for(&self, d: Duration) {
        let _ = self.pump_until("time to pass", d, |_| false);
    }

    /// Taps the button with this accessible label.
    pub fn tap(&self, label: &str) -> Result<()> {
        let button = ElementHandle::find_by_accessible_label(&self.app, label)
            .find(|e| e.accessible_role() == Some(AccessibleRole::Button))
            .ok_or_else(|| {
                fail!(
                    "terminal: no button {label:?} on page {:?} (stage {:?})",
                    self.page(),
                    self.stage()
                )
            })?;
        button.invoke_accessible_default_action();
        Ok(())
    }

    /// Taps the input field with this accessible label.
    pub fn tap_field(&self, label: &str) -> Result<()> {
        let field = ElementHandle::find_by_accessible_label(&self.app, label)
            .find(|e| e.accessible_role() == Some(AccessibleRole::TextInput))
            .ok_or_else(|| fail!("terminal: no field {label:?} on page {:?}", self.page()))?;
        field.invoke_accessible_default_action();
        Ok(())
    }

    /// Taps keys of the on-screen keyboard, one per character.
    pub fn type_keys(&self, keys: &str) -> Result<()> {
        for c in keys.chars() {
            self.tap(&c.to_string())?;
        }
        Ok(())
    }

    /// Picks the first candidate of the pinyin bar.
    pub fn first_candidate(&self) {
        self.kiosk.borrow_mut().candidate(0, Instant::now());
    }

    pub fn page(&self) -> Page {
        self.app.global::<AppState>().get_page()
    }

    pub fn stage(&self) -> ConsultStage {
        self.app.global::<ConsultAdapter>().get_stage()
    }

    pub fn consult(&self) -> ConsultAdapter<'_> {
        self.app.global::<ConsultAdapter>()
    }

    /// 视频咨询律师 → the topic → typed name and number → 继续: the call is
    /// requested. `pinyin` is typed and its first candidate taken for each
    /// syllable group (e.g. `["zhang", "san"]`).
    pub fn ask_for_a_lawyer(&self, topic_label: &str, pinyin: &[&str], number: &str) -> Result<()> {
        self.tap("视频咨询律师")?;
        self.tap(topic_label)?;
        if self.page() != Page::Identify {
            return Err(fail!("terminal: the topic did not lead to identification"));
        }
        for syllables in pinyin {
            self.type_keys(syllables)?;
            self.first_candidate();
        }
        self.tap_field("身份证号码")?;
        self.type_keys(number)?;
        self.tap("确认")?;
        self.tap("继续，呼叫律师")
    }

    /// Remote pictures the screen showed and audio samples received.
    pub fn media_counts(&self) -> (u64, u64) {
        self.kiosk
            .borrow()
            .hub_link()
            .map_or((0, 0), |l| l.media_counts())
    }

    /// Frames the terminal's decoder produced (its own count).
    pub fn frames_decoded(&self) -> u64 {
        self.kiosk
            .borrow()
            .hub_link()
            .and_then(|l| l.call_stats())
            .map_or(0, |s| s.frames_decoded)
    }
}
