//! Card placed → card shown: the simulated reader on a pseudo-terminal at
//! 115200 baud (replies paced to the wire), the real driver and poller, the
//! controller, and a frame of the identification screen drawn by the
//! software renderer — against the wire time of the frames exchanged.
//!
//! Run with `cargo bench -p kiosk --bench card_to_screen`. For each of 30
//! placements it records:
//! - placed → shown: from `place_card` to the drawn frame showing the name;
//! - poll wait: from `place_card` to the reader receiving the find command
//!   that met the card (0 .. the poll interval: a setting, not overhead);
//! - find → shown, and its software overhead: find → shown minus the wire
//!   time of the replies to find, select and read (15 + 19 + 1295 bytes at
//!   10 bits per byte). On a real line the three 10-byte requests add
//!   another 2.6 ms of wire time, which the pseudo-terminal does not charge.
//!
//! The target: software overhead under 10 ms above the wire time.

use std::sync::mpsc;
use std::time::{Duration, Instant};

use kiosk::audio::Audio;
use kiosk::content::ContentHandle;
use kiosk::controller::Kiosk;
use kiosk::devices::{DeviceEvent, Devices};
use kiosk::headless::HeadlessWindow;
use kiosk::{App, IdentifyAdapter, IdentifyStep};
use kiosk_core::Config;
use kiosk_idcard::codec::Command;
use kiosk_idcard_sim::samples;
use slint::ComponentHandle;

const PLACEMENTS: usize = 30;
const REPLY_BYTES: u64 = 15 + 19 + 1295;

fn main() {
    let baud = 115_200u32;
    let poll_ms = std::env::var("POLL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200u64);
    let scratch = std::env::temp_dir().join(format!("kiosk-bench-card-{}", std::process::id()));
    let mut config = Config::default();
    config.storage.database = scratch.join("kiosk.db");
    config.printer.port = "none".into();
    config.idcard.baud = baud;
    config.idcard.poll_interval_ms = poll_ms;

    let window = HeadlessWindow::install().expect("headless platform");
    let app = App::new().expect("window");
    window.set_size(1080, 1920);
    app.show().expect("show");
    let kiosk = Kiosk::install(&app, &config, ContentHandle::loading(), Audio::silent());

    let (tx, rx) = mpsc::channel::<DeviceEvent>();
    let tx = std::sync::Mutex::new(tx);
    let devices = Devices::start(
        &config,
        std::sync::Arc::new(move |event| {
            if let Ok(tx) = tx.lock() {
                let _ = tx.send(event);
            }
        }),
    );
    let reader = devices
        .simulators
        .as_ref()
        .and_then(|s| s.controls().reader)
        .expect("simulated reader");
    kiosk.borrow_mut().attach_devices(devices);
    let pump_until = |done: &dyn Fn() -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done() {
            assert!(Instant::now() < deadline, "timed out");
            if let Ok(event) = rx.recv_timeout(Duration::from_millis(20)) {
                kiosk.borrow_mut().device_event(event, Instant::now());
            }
        }
    };
    pump_until(&|| kiosk.borrow().reader_ready());
    let step = || app.global::<IdentifyAdapter>().get_step();
    let card = samples::by_key("resident").expect("sample");
    kiosk.borrow_mut().open_identify(Instant::now());
    window.render();

    let wire = Duration::from_secs_f64(REPLY_BYTES as f64 * 10.0 / baud as f64);
    let mut total = Vec::new();
    let mut poll_wait = Vec::new();
    let mut overhead = Vec::new();
    let mut jitter = 0x2545_f491_u64;
    for _ in 0..PLACEMENTS {
        // Land at a different point of the poll cycle each time.
        jitter ^= jitter << 13;
        jitter ^= jitter >> 7;
        jitter ^= jitter << 17;
        std::thread::sleep(Duration::from_millis(jitter % poll_ms.max(1)));
        let placed = Instant::now();
        reader.place_card(&card);
        pump_until(&|| step() == IdentifyStep::Identified);
        window.render();
        let shown = Instant::now();
        let find = reader
            .recent_requests()
            .into_iter()
            .find(|r| r.at >= placed && r.command == Some(Command::FindCard) && r.sw3 == 0x9F)
            .map(|r| r.at)
            .expect("the find that met the card");
        total.push(shown - placed);
        poll_wait.push(find.saturating_duration_since(placed));
        overhead.push((shown - find).saturating_sub(wire));
        reader.remove_card();
        kiosk.borrow_mut().identify_retry(Instant::now());
        window.render();
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let stats = |v: &mut Vec<Duration>| {
        v.sort();
        (
            ms(v[v.len() / 2]),
            ms(v[v.len() * 9 / 10]),
            ms(v[v.len() - 1]),
        )
    };
    let (t50, t90, tmax) = stats(&mut total);
    let (w50, w90, wmax) = stats(&mut poll_wait);
    let (o50, o90, omax) = stats(&mut overhead);
    println!(
        "card placed → shown, simulated reader at {baud} baud, poll interval {poll_ms} ms, {PLACEMENTS} placements"
    );
    println!();
    println!("| measure | median ms | p90 ms | max ms |");
    println!("|---|---:|---:|---:|");
    println!("| placed → shown (frame drawn) | {t50:.1} | {t90:.1} | {tmax:.1} |");
    println!("| poll wait (placed → find that met the card) | {w50:.1} | {w90:.1} | {wmax:.1} |");
    println!(
        "| software overhead (find → shown − wire {:.1} ms) | {o50:.1} | {o90:.1} | {omax:.1} |",
        ms(wire)
    );
    drop(kiosk);
    let _ = std::fs::remove_dir_all(&scratch);
}
