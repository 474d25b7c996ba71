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
    // 视频咨询律师 against an embedded hub of its own (a scratch folder, a
    // free port), attached first so the home screen offers it.
    let hub_scratch =
        std::env::temp_dir().join(format!("kiosk-screenshot-hub-{}", std::process::id()));
    let hub_events = attach_scratch_hub(config, &kiosk, &hub_scratch)?;
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

    device_screens(config, &kiosk, &mut shoot)?;
    consultation_screens(&kiosk, &hub_events, &mut shoot)?;
    let _ = std::fs::remove_dir_all(&hub_scratch);

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

/// The identification step and the receipt screens, with the simulated
/// reader and printer (in a folder of their own, so a running terminal's
/// simulators are left alone) and a sample card.
fn device_screens(
    config: &Config,
    kiosk: &crate::controller::SharedKiosk,
    shoot: &mut impl FnMut(&str) -> Result<(), ScreenshotError>,
) -> Result<(), ScreenshotError> {
    use crate::devices::{DeviceEvent, Devices};
    use kiosk_idcard_sim::samples;

    let scratch = std::env::temp_dir().join(format!("kiosk-screenshot-{}", std::process::id()));
    let mut dev_config = config.clone();
    dev_config.idcard.port = "sim".into();
    dev_config.printer.port = "sim".into();
    dev_config.storage.database = scratch.join("kiosk.db");
    dev_config.printer.sim_output_dir = scratch.join("printed");
    let (tx, rx) = std::sync::mpsc::channel::<DeviceEvent>();
    let tx = std::sync::Mutex::new(tx);
    let devices = Devices::start(
        &dev_config,
        std::sync::Arc::new(move |event| {
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(event);
            }
        }),
    );
    let controls = devices
        .simulators
        .as_ref()
        .map(|s| s.controls())
        .unwrap_or_default();
    kiosk.borrow_mut().attach_devices(devices);
    // Device events as the event loop would apply them, until `done`.
    let pump = |what: &str, done: &dyn Fn(&Kiosk) -> bool| {
        pump_until(kiosk, &rx, Kiosk::device_event, what, done)
    };
    let identified = |k: &Kiosk| {
        k.session()
            .identification()
            .is_some_and(|i| !i.wants_card())
    };
    let place = |key: &str| {
        if let (Some(reader), Some(card)) = (&controls.reader, samples::by_key(key)) {
            reader.place_card(&card);
        }
    };
    let t0 = Instant::now();
    pump("the reader", &|k| k.reader_ready())?;
    kiosk.borrow_mut().open_identify(t0);
    shoot("14-identify-place-card")?;
    // A name with a rare character (Extension B) and a minority nation.
    place("resident-rare");
    pump("the card", &identified)?;
    shoot("15-identify-card-read")?;
    if let Some(reader) = &controls.reader {
        reader.remove_card();
    }
    kiosk.borrow_mut().identify_retry(t0);
    place("resident-expired");
    pump("the expired card", &identified)?;
    shoot("16-identify-card-expired")?;
    kiosk.borrow_mut().identify_type_instead(t0);
    {
        let mut k = kiosk.borrow_mut();
        for key in ["w", "a", "n", "g"] {
            k.key(key, t0);
        }
        k.candidate(0, t0);
        k.identify_focus(1, t0);
        for key in "1101051949".chars() {
            k.key(&key.to_string(), t0);
        }
    }
    shoot("17-identify-typing")?;
    kiosk.borrow_mut().home(t0);

    let first = {
        let k = kiosk.borrow();
        let content = k.content().library();
        content.and_then(|c| {
            let slug = c.library.categories().first()?.slug.clone();
            c.library
                .articles_in(&slug)
                .first()
                .map(|a| a.id().to_owned())
        })
    };
    if let Some(id) = first {
        kiosk.borrow_mut().open(Screen::Article { id }, t0);
        pump("the printer", &|k| k.printer_ready())?;
        kiosk.borrow_mut().print_article(t0);
        pump("the receipt preview", &|k| k.receipt_prepared())?;
        shoot("18-receipt-preview")?;
        if let Some(printer) = &controls.printer {
            printer.set_paper(kiosk_printer_sim::PaperState::Out);
        }
        kiosk.borrow_mut().receipt_print(t0);
        pump("the paper-out report", &|k| {
            k.receipt_waiting() && !k.printer_ready()
        })?;
        shoot("19-receipt-paper-out")?;
    }
    kiosk.borrow_mut().home(t0);
    drop(controls);
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(())
}

/// Applies events from a device or the hub link as the event loop would,
/// until `done` holds (at most 20 s).
fn pump_until<E>(
    kiosk: &crate::controller::SharedKiosk,
    events: &std::sync::mpsc::Receiver<E>,
    apply: impl Fn(&mut Kiosk, E, Instant),
    what: &str,
    done: &dyn Fn(&Kiosk) -> bool,
) -> Result<(), ScreenshotError> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done(&kiosk.borrow()) {
        if Instant::now() > deadline {
            return Err(ScreenshotError::Platform(format!(
                "timed out waiting for {what}"
            )));
        }
        if let Ok(event) = events.recv_timeout(Duration::from_millis(50)) {
            apply(&mut kiosk.borrow_mut(), event, Instant::now());
        }
    }
    Ok(())
}

/// Starts an embedded hub in `scratch` and attaches the terminal to it;
/// returns the link's events for [`consultation_screens`] to apply.
fn attach_scratch_hub(
    config: &Config,
    kiosk: &crate::controller::SharedKiosk,
    scratch: &Path,
) -> Result<std::sync::mpsc::Receiver<crate::consultation::ConsultEvent>, ScreenshotError> {
    use crate::consultation::{ConsultEvent, HubLink};
    let mut hub_config = config.clone();
    hub_config.storage.database = scratch.join("kiosk.db");
    hub_config.consultation.hub = "embedded".into();
    hub_config.consultation.embedded_listen = "127.0.0.1:0".into();
    let (tx, rx) = std::sync::mpsc::channel::<ConsultEvent>();
    let tx = std::sync::Mutex::new(tx);
    let link = HubLink::start(
        &hub_config,
        std::sync::Arc::new(move |event| {
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(event);
            }
        }),
    )
    .map_err(ScreenshotError::Platform)?;
    if let Some(link) = link {
        kiosk.borrow_mut().attach_hub(link);
    }
    Ok(rx)
}

/// 视频咨询律师 up to the queue and the message left, with nobody on duty;
/// then a terminal whose hub cannot be reached.
fn consultation_screens(
    kiosk: &crate::controller::SharedKiosk,
    rx: &std::sync::mpsc::Receiver<crate::consultation::ConsultEvent>,
    shoot: &mut impl FnMut(&str) -> Result<(), ScreenshotError>,
) -> Result<(), ScreenshotError> {
    use kiosk_core::consultation::Stage;

    let pump = |what: &str, done: &dyn Fn(&Kiosk) -> bool| {
        pump_until(kiosk, rx, Kiosk::consult_event, what, done)
    };
    let stage = |k: &Kiosk| k.session().consultation().map(|c| c.stage().clone());
    let t0 = Instant::now();
    pump("the embedded hub", &|k| k.hub_connected())?;
    kiosk.borrow_mut().open_consultation(t0);
    shoot("20-consult-topics")?;
    {
        let mut k = kiosk.borrow_mut();
        k.consult_topic("labor", t0);
        k.identify_type_instead(t0);
        for key in ["l", "i"] {
            k.key(key, t0);
        }
        k.candidate(0, t0);
        for key in ["m", "i", "n", "g"] {
            k.key(key, t0);
        }
        k.candidate(0, t0);
        k.identify_focus(1, t0);
        for key in "11010519491231002X".chars() {
            k.key(&key.to_string(), t0);
        }
        k.identify_submit(t0);
        k.identify_finish(t0);
    }
    pump("the queue", &|k| {
        matches!(stage(k), Some(Stage::Waiting { .. }))
    })?;
    shoot("21-consult-waiting-nobody-on-duty")?;
    {
        let mut k = kiosk.borrow_mut();
        k.consult_write_message(t0);
        for key in "13800138000".chars() {
            k.key(&key.to_string(), t0);
        }
        k.consult_focus_message(1, t0);
        for key in ["t", "u", "o", "q", "i", "a", "n"] {
            k.key(key, t0);
        }
        k.candidate(0, t0);
    }
    shoot("22-consult-message")?;
    kiosk.borrow_mut().consult_submit_message(t0);
    pump("the message stored", &|k| {
        matches!(stage(k), Some(Stage::MessageSent { .. }))
    })?;
    shoot("23-consult-message-sent")?;
    kiosk.borrow_mut().home(t0);
    kiosk.borrow_mut().detach_hub();

    // A hub that cannot be reached.
    kiosk.borrow_mut().open_consultation(t0);
    {
        let mut k = kiosk.borrow_mut();
        k.consult_topic("family", t0);
        k.identify_type_instead(t0);
        for key in ["z", "h", "a", "n", "g"] {
            k.key(key, t0);
        }
        k.candidate(0, t0);
        k.identify_focus(1, t0);
        for key in "11010519491231002X".chars() {
            k.key(&key.to_string(), t0);
        }
        k.identify_submit(t0);
        k.identify_finish(t0);
    }
    shoot("24-consult-hub-unreachable")?;
    kiosk.borrow_mut().home(t0);
    Ok(())
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
