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
    let dir = TempDir::new();
    let mut config = Config::default();
    config.storage.database = dir.0.join("kiosk.db");
    let app = App::new().expect("window");
    let handle = ContentHandle::loading();
    handle.finish(content::load(&config));
    assert!(handle.library().is_some(), "library loads");
    let kiosk = Kiosk::install(&app, &config, handle, Audio::silent());
    app.show().expect("show");
    Terminal {
        app,
        kiosk,
        _dir: dir,
    }
}

impl Terminal {
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
