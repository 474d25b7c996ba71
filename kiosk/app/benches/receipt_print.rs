//! Receipt printing: bytes on the wire and time to print the article
//! receipt, against the serial floor (bytes x 10 / baud).
//!
//! The receipt is the one a resident prints from an article page, built by
//! the terminal's own code (`ArticleReceipt::gather` + `build`, under Slint's
//! testing backend for the translated words): article
//! `marriage-betrothal-gifts` (彩礼能要回来吗, the first article of 婚姻家庭),
//! office 公共法律服务工作站, printed at 2026-11-27 10:00, reference
//! 20261127-0001.
//!
//! For each baud rate a simulated printer (`kiosk-printer-sim`, generic-80,
//! reading the pty at most baud/10 bytes per second, printing instantly) is
//! driven by the real driver (`kiosk_printer::transport::Printer`):
//!
//! * send: `Printer::send(bytes)` until it returns (all bytes written; the
//!   driver runs up to ~30 ms of data ahead of its wire clock, so this can
//!   end before the last byte has left);
//! * received: from the same start until the printer has taken every byte
//!   off the wire (`bytes_received`);
//! * print: the whole `Printer::print`: status check, send, status check
//!   after (which waits for the bytes still on the wire and the reply).
//!
//! The sim's wire pacing is a token bucket that holds up to 50 ms of bytes
//! after an idle moment, so it takes the bytes the driver still has queued
//! when `send` returns (its lead, see `lead_time`) at once: "received" and
//! "print" come out below the floor, which a real UART never does. The
//! table therefore also gives "line clear", send + lead: an upper bound for
//! when the last bit would leave a real line (the driver never leaves more
//! queued). `BENCH_QUICK=1`: 3 runs per rate (a smoke test).
//!
//! With `RECEIPT_JSON=path` it also writes the receipt's document model as
//! JSON (read by `escpos_python.py`, which produces the same receipt with
//! python-escpos) and its generic-80 bytes beside it (`*.kiosk.bin`).
//!
//! `cargo bench -p kiosk --bench receipt_print`

use std::time::{Duration, Instant};

use kiosk::content;
use kiosk::printing::receipts::ArticleReceipt;
use kiosk_core::Config;
use kiosk_printer::document::Receipt;
use kiosk_printer::escpos;
use kiosk_printer::profile::Profile;
use kiosk_printer::raster::TextRasterizer;
use kiosk_printer::transport::{Printer, PrinterConfig};
use kiosk_printer_sim::{SimPrinter, SimPrinterOptions};

const ARTICLE: &str = "marriage-betrothal-gifts";
const OFFICE: &str = "公共法律服务工作站";
const PRINTED_AT: &str = "2026-11-27 10:00";
const REFERENCE: &str = "20261127-0001";

/// (baud, runs)
const RATES: [(u32, usize); 2] = [(9600, 5), (115_200, 20)];

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let (receipt, assets) = article_receipt();

    let render = |profile: &Profile| {
        let rasterizer = escpos::needs_rasterizer(&receipt, profile).then(|| {
            TextRasterizer::from_assets_dir(&assets).expect("the kiosk's font in assets/fonts")
        });
        escpos::render(&receipt, profile, rasterizer.as_ref()).expect("the receipt renders")
    };
    let bytes = render(&Profile::GENERIC_80);
    let bytes_t88 = render(&Profile::EPSON_TM_T88);

    if let Some(path) = std::env::var_os("RECEIPT_JSON") {
        let json = serde_json::json!({
            "article": ARTICLE,
            "profile": Profile::GENERIC_80.id,
            "columns": Profile::GENERIC_80.ascii_columns,
            "kiosk_bytes": bytes.len(),
            "receipt": receipt,
        });
        std::fs::write(&path, serde_json::to_string_pretty(&json).expect("json"))
            .expect("write RECEIPT_JSON");
        // And the bytes themselves, beside it (receipt.json -> receipt.kiosk.bin).
        let bin = std::path::Path::new(&path).with_extension("kiosk.bin");
        std::fs::write(&bin, &bytes).expect("write the receipt's bytes");
    }

    println!(
        "article receipt `{ARTICLE}`: {} blocks; {} bytes on generic-80 (GBK text, native QR), {} bytes on epson-tm-t88 (QR as image)",
        receipt.blocks.len(),
        bytes.len(),
        bytes_t88.len()
    );
    println!();
    println!(
        "| baud | bytes | floor ms | send ms (median / max) | received by printer ms (median / max) | line clear ≤ ms (median) | whole print ms (median / max) | line clear / whole print vs floor | runs | bytes lost |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (baud, runs) in RATES {
        let runs = if quick { runs.min(3) } else { runs };
        let m = measure(&bytes, baud, runs);
        let floor = bytes.len() as f64 * 10.0 / f64::from(baud);
        let pct = |t: f64| (t - floor) / floor * 100.0;
        let clear = median(&m.send) + lead_time(baud, &Profile::GENERIC_80);
        println!(
            "| {baud} | {} | {:.1} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} | {:.1} / {:.1} | {:+.1} % / {:+.1} % | {runs} | {} |",
            bytes.len(),
            floor * 1e3,
            median(&m.send) * 1e3,
            max(&m.send) * 1e3,
            median(&m.received) * 1e3,
            max(&m.received) * 1e3,
            clear * 1e3,
            median(&m.print) * 1e3,
            max(&m.print) * 1e3,
            pct(clear),
            pct(median(&m.print)),
            if m.overflowed { "YES" } else { "none" },
        );
    }
    println!();
    println!(
        "floor = bytes x 10 / baud. send: Printer::send until it returns; received: until the simulated printer has taken every byte off the wire; line clear: send + the driver's lead (the most it leaves queued when send returns: ~30 ms of data, at most 1/16 of the buffer), an upper bound for when the last bit leaves a real UART; whole print: Printer::print (status, send, status)."
    );
}

/// How far ahead of the wire the driver runs, as its module docs describe
/// it (`transport::Printer::send`): about 30 ms of data, at most 1/16 of the
/// printer's buffer, at least 16 bytes.
fn lead_time(baud: u32, profile: &Profile) -> f64 {
    let lead = (baud as usize * 3 / 1000)
        .min(profile.buffer_bytes as usize / 16)
        .max(16);
    lead as f64 * 10.0 / f64::from(baud)
}

/// The article receipt as the terminal builds it, and the assets folder.
fn article_receipt() -> (Receipt, std::path::PathBuf) {
    i_slint_backend_testing::init_no_event_loop();
    let dir = std::env::temp_dir().join(format!("kiosk-receipt-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let mut config = Config::default();
    config.storage.database = dir.join("kiosk.db");
    let app = kiosk::App::new().expect("window");
    let loaded = content::load(&config).expect("the library loads");
    let gathered = ArticleReceipt::gather(&app, &loaded, ARTICLE, OFFICE, PRINTED_AT)
        .expect("the article exists");
    let receipt = gathered.build(REFERENCE);
    let assets = content::assets_dir(&config);
    drop(loaded);
    let _ = std::fs::remove_dir_all(&dir);
    (receipt, assets)
}

struct Measured {
    send: Vec<f64>,
    received: Vec<f64>,
    print: Vec<f64>,
    overflowed: bool,
}

fn measure(bytes: &[u8], baud: u32, runs: usize) -> Measured {
    let profile = &Profile::GENERIC_80;
    let sim = SimPrinter::start(SimPrinterOptions {
        baud,
        print_speed: 0,
        ..SimPrinterOptions::new(profile)
    })
    .expect("simulated printer");
    let control = sim.control();
    let mut config = PrinterConfig::new(sim.port_path().to_string_lossy(), profile);
    config.baud = baud;
    let mut printer = Printer::open(&config).expect("open the simulated printer");

    let timeout = Duration::from_secs_f64(bytes.len() as f64 * 10.0 / f64::from(baud) * 3.0 + 5.0);
    let mut printed = 0;
    let wait_printed = |printed: &mut usize| {
        *printed += 1;
        let got = control.wait_for_receipts(*printed, timeout).len();
        assert_eq!(got, *printed, "the receipt came out of the printer");
        // Let the line go quiet (and the sim's wire budget refill) between runs.
        std::thread::sleep(Duration::from_millis(100));
    };

    // Warm-up: one whole print.
    printer.print(bytes).expect("print");
    wait_printed(&mut printed);

    let mut m = Measured {
        send: Vec::new(),
        received: Vec::new(),
        print: Vec::new(),
        overflowed: false,
    };
    for _ in 0..runs {
        let base = control.bytes_received();
        let target = base + bytes.len() as u64;
        let start = Instant::now();
        printer.send(bytes).expect("send");
        m.send.push(start.elapsed().as_secs_f64());
        while control.bytes_received() < target {
            assert!(start.elapsed() < timeout, "the printer took every byte");
            std::thread::sleep(Duration::from_micros(200));
        }
        m.received.push(start.elapsed().as_secs_f64());
        wait_printed(&mut printed);

        let start = Instant::now();
        printer.print(bytes).expect("print");
        m.print.push(start.elapsed().as_secs_f64());
        wait_printed(&mut printed);
    }
    m.overflowed = control.overflowed();
    m
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2]
    } else {
        (s[n / 2 - 1] + s[n / 2]) / 2.0
    }
}

fn max(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::MIN, f64::max)
}
