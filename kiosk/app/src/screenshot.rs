//! `kiosk screenshot --out DIR`: every screen rendered to PNG without a
//! display, through the same software renderer and controller the terminal
//! runs; and `kiosk first-frame`, the start-up measurement.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kiosk_core::{Config, Screen};
use slint::ComponentHandle;

use crate::App;
use crate::audio::Audio;
use crate::content::{self, ContentHandle};
use crate::controller::Kiosk;
use crate::headless::HeadlessWindow;

#[derive(Debug, thiserror::Error)]
pub enum ScreenshotError {
    #[error("headless rendering is unavailable: {0}")]
    Platform(String),
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Content(#[from] content::LoadError),
}

/// The terminal's window on the headless platform, sized for the configured
/// orientation.
fn headless_app(config: &Config) -> Result<(HeadlessWindow, App), ScreenshotError> {
    let platform = |e: slint::PlatformError| ScreenshotError::Platform(e.to_string());
    let window = HeadlessWindow::install().map_err(platform)?;
    let app = App::new().map_err(platform)?;
    let (w, h) = config.terminal.orientation.size();
    window.set_size(w, h);
    app.set_landscape(w > h);
    app.show().map_err(platform)?;
    Ok((window, app))
}

/// Renders the screens a resident goes through and returns the files written.
pub fn screenshot(config: &Config, out: &Path) -> Result<Vec<PathBuf>, ScreenshotError> {
    std::fs::create_dir_all(out).map_err(|source| ScreenshotError::Write {
        path: out.to_owned(),
        source,
    })?;
    let (window, app) = headless_app(config)?;

    let handle = ContentHandle::loading();
    handle.finish(content::load(config));
    handle.set_dictionary(kiosk_ime::Dictionary::embedded());
    if let content::ContentState::Failed(e) = handle.state() {
        return Err(ScreenshotError::Platform(format!(
            "library failed to load: {e}"
        )));
    }
    let kiosk = Kiosk::install(&app, config, handle.clone(), Audio::silent());
    let library = handle.library().expect("checked above");
    let first_category = library.library.categories()[0].slug.clone();
    let first_article = library
        .library
        .articles_in(&first_category)
        .first()
        .map(|a| a.id().to_owned())
        .unwrap_or_default();

    let mut written = Vec::new();
    let mut shoot = |name: &str| -> Result<(), ScreenshotError> {
        let path = out.join(format!("{name}.png"));
        window
            .render()
            .save_png(&path)
            .map_err(|source| ScreenshotError::Write {
                path: path.clone(),
                source,
            })?;
        written.push(path);
        Ok(())
    };

    let t0 = Instant::now();
    let mut k = kiosk.borrow_mut();
    shoot("01-home")?;
    k.open(Screen::Categories, t0);
    shoot("02-categories")?;
    k.open(
        Screen::ArticleList {
            category: first_category,
        },
        t0,
    );
    shoot("03-article-list")?;
    k.open(Screen::Article { id: first_article }, t0);
    shoot("04-article")?;
    k.home(t0);
    k.open(Screen::Search, t0);
    for key in ["l", "i", "h", "u", "n"] {
        k.key(key, t0);
    }
    shoot("05-search-typing-pinyin")?;
    k.candidate(0, t0);
    shoot("06-search-results")?;
    k.key("clear", t0);
    for key in ["q", "q", "q", "q"] {
        k.key(key, t0);
    }
    k.key("enter", t0);
    shoot("07-search-no-results")?;
    k.key("clear", t0);
    k.key("mode-digits", t0);
    shoot("08-keyboard-digits")?;
    k.home(t0);
    k.open(Screen::About, t0);
    shoot("08b-about")?;
    k.home(t0);
    k.toggle_elder_mode(t0);
    shoot("09-elder-mode-home")?;
    k.open(Screen::Categories, t0);
    shoot("10-elder-mode-categories")?;
    let idle = Duration::from_secs(config.session.idle_timeout_secs);
    k.tick(t0 + idle);
    shoot("11-idle-countdown")?;
    k.tick(t0 + idle + Duration::from_secs(config.session.countdown_secs));
    shoot("12-after-idle-reset")?;
    drop(k);

    // The other orientation, so both layouts are always checked.
    let (w, h) = config.terminal.orientation.size();
    let (w2, h2) = (h, w);
    window.set_size(w2, h2);
    app.set_landscape(w2 > h2);
    shoot(if w2 > h2 {
        "13-home-landscape"
    } else {
        "13-home-portrait"
    })?;
    Ok(written)
}

/// Start-up cost: time from `started` to the first rendered home screen,
/// and resident memory then and once the library is loaded (as in `kiosk
/// run`, the keyboard's dictionary waits until search is first opened).
pub struct FirstFrame {
    pub first_frame: Duration,
    pub rss_kib: Option<u64>,
    pub library_ready: Duration,
    pub rss_after_library_kib: Option<u64>,
}

pub fn first_frame(
    config: &Config,
    started: Instant,
    out: Option<&Path>,
) -> Result<FirstFrame, ScreenshotError> {
    let (window, app) = headless_app(config)?;
    let handle = ContentHandle::loading();
    // Same order as `kiosk run`: the library loads on a worker thread while
    // the home screen is drawn.
    let worker_config = config.clone();
    let loader = std::thread::spawn(move || content::load(&worker_config));
    let kiosk = Kiosk::install(&app, config, handle.clone(), Audio::silent());
    let frame = window.render();
    let first_frame = started.elapsed();
    let rss_kib = resident_kib();
    if let Some(out) = out {
        frame
            .save_png(out)
            .map_err(|source| ScreenshotError::Write {
                path: out.to_owned(),
                source,
            })?;
    }
    let loaded = loader
        .join()
        .map_err(|_| ScreenshotError::Platform("content loader panicked".into()))?;
    handle.finish(loaded);
    kiosk.borrow_mut().content_changed();
    window.render();
    let library_ready = started.elapsed();
    crate::memory::release_freed_memory();
    Ok(FirstFrame {
        first_frame,
        rss_kib,
        library_ready,
        rss_after_library_kib: resident_kib(),
    })
}

/// VmRSS of this process from /proc (Linux), in KiB.
pub fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
