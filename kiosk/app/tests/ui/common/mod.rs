//! Shared set-up for the UI tests: the real window, controller, library and
//! SQLite database, under Slint's testing backend (no display).
#![allow(dead_code)]

use std::path::PathBuf;

use i_slint_backend_testing::ElementHandle;
use kiosk::App;
use kiosk::audio::Audio;
use kiosk::content::{self, ContentHandle};
use kiosk::controller::{Kiosk, SharedKiosk};
use kiosk_core::Config;
use slint::ComponentHandle;

pub struct Terminal {
    pub app: App,
    pub kiosk: SharedKiosk,
    pub config: Config,
    /// Events from the attached devices, applied by [`Terminal::pump_until`].
    pub events: Option<std::sync::mpsc::Receiver<kiosk::devices::DeviceEvent>>,
    /// The simulated devices' remote control, when devices are attached.
    pub controls: kiosk::devices::sim_control::Controls,
    _dir: TempDir,
}

/// A fresh terminal with its library and keyboard dictionary loaded, on the
/// home screen.
pub fn terminal() -> Terminal {
    i_slint_backend_testing::init_no_event_loop();
    let t = terminal_on_current_backend();
    t.kiosk
        .borrow()
        .content()
        .set_dictionary(kiosk_ime::Dictionary::embedded());
    t
}

/// A terminal as `kiosk run` starts it (the dictionary loads when search is
/// first opened), for a test that initialised a testing backend with an
/// event loop itself.
pub fn terminal_on_current_backend() -> Terminal {
    terminal_with_config(|_| {})
}

/// A terminal whose configuration `adjust` changes first (devices are not
/// started: see [`Terminal::attach_devices`]).
pub fn terminal_with_config(adjust: impl FnOnce(&mut Config)) -> Terminal {
    let dir = TempDir::new();
    let mut config = Config::default();
    config.storage.database = dir.0.join("kiosk.db");
    config.printer.sim_output_dir = dir.0.join("printed");
    adjust(&mut config);
    let app = App::new().expect("window");
    let handle = ContentHandle::loading();
    handle.finish(content::load(&config));
    assert!(handle.library().is_some(), "library loads");
    let kiosk = Kiosk::install(&app, &config, handle, Audio::silent());
    app.show().expect("show");
    Terminal {
        app,
        kiosk,
        config,
        events: None,
        controls: Default::default(),
        _dir: dir,
    }
}

/// A terminal (testing backend, no event loop) with its configured devices
/// started, by default the simulated reader and printer on
/// pseudo-terminals, driven by the real drivers.
pub fn terminal_with_devices(adjust: impl FnOnce(&mut Config)) -> Terminal {
    i_slint_backend_testing::init_no_event_loop();
    let mut t = terminal_with_config(adjust);
    t.attach_devices();
    t
}

impl Terminal {
    /// Starts the configured devices; their events queue up until pumped.
    pub fn attach_devices(&mut self) {
        let (tx, rx) = std::sync::mpsc::channel();
        let tx = std::sync::Mutex::new(tx);
        let deliver: kiosk::devices::Deliver = std::sync::Arc::new(move |event| {
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(event);
            }
        });
        let devices = kiosk::devices::Devices::start(&self.config, deliver);
        if let Some(sims) = &devices.simulators {
            self.controls = sims.controls();
        }
        self.kiosk.borrow_mut().attach_devices(devices);
        self.events = Some(rx);
    }

    /// Applies device events as they arrive (as the event loop would) until
    /// `done` holds; panics after a generous time (a loaded CI machine).
    pub fn pump_until(&self, what: &str, done: impl Fn(&Terminal) -> bool) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let events = self.events.as_ref().expect("devices attached");
        while !done(self) {
            assert!(
                std::time::Instant::now() < deadline,
                "timed out waiting for {what}"
            );
            if let Ok(event) = events.recv_timeout(std::time::Duration::from_millis(50)) {
                self.kiosk
                    .borrow_mut()
                    .device_event(event, std::time::Instant::now());
            }
        }
    }

    /// The header's status line, as its words.
    pub fn status_kinds(&self) -> Vec<kiosk::StatusKind> {
        use slint::Model;
        self.app
            .global::<kiosk::AppState>()
            .get_status()
            .iter()
            .map(|s| s.kind)
            .collect()
    }

    /// Taps the button with this accessible label (as a screen reader or a
    /// finger would). Plain texts with the same words are not buttons.
    pub fn tap(&self, label: &str) {
        let button = self
            .find_all(label)
            .into_iter()
            .find(|e| e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button))
            .unwrap_or_else(|| panic!("no button labelled {label:?} on this screen"));
        button.invoke_accessible_default_action();
    }

    /// Taps the input field with this accessible label (to type into it).
    pub fn tap_field(&self, label: &str) {
        let field = self
            .find_all(label)
            .into_iter()
            .find(|e| {
                e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::TextInput)
            })
            .unwrap_or_else(|| panic!("no field labelled {label:?} on this screen"));
        field.invoke_accessible_default_action();
    }

    pub fn find(&self, label: &str) -> ElementHandle {
        self.find_all(label)
            .into_iter()
            .next()
            .unwrap_or_else(|| panic!("no element labelled {label:?} on this screen"))
    }

    pub fn find_all(&self, label: &str) -> Vec<ElementHandle> {
        ElementHandle::find_by_accessible_label(&self.app, label).collect()
    }

    pub fn page(&self) -> kiosk::Page {
        self.app.global::<kiosk::AppState>().get_page()
    }

    /// 法律知识 → the category → its first article; returns that article.
    pub fn open_first_article(&self, category: &str) -> kiosk::ArticleItem {
        use slint::Model;
        self.tap("法律知识");
        self.tap(category);
        let first = self
            .app
            .global::<kiosk::LibraryAdapter>()
            .get_articles()
            .row_data(0)
            .expect("the category has articles");
        self.tap(&first.title);
        first
    }

    pub fn type_keys(&self, keys: &str) {
        for c in keys.chars() {
            self.tap(&c.to_string());
        }
    }
}

/// A temporary folder removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("kiosk-ui-test-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
