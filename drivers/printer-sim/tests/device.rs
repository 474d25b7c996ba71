//! The simulated printer on a pty, driven by the real driver
//! (`kiosk_printer::transport::Printer`) and by raw serial writes.
//!
//! Timeouts are generous (a loaded 2-core machine); the tests wait for
//! events (receipts, counters), never for fixed sleeps alone.

mod common;

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use kiosk_printer::document::Receipt;
use kiosk_printer::escpos;
use kiosk_printer::profile::Profile;
use kiosk_printer::status::Problem;
use kiosk_printer::transport::{Printer, PrinterConfig};
use kiosk_printer_sim::{PaperState, SimPrinter, SimPrinterControl, SimPrinterOptions};

const WAIT: Duration = Duration::from_secs(30);

fn config(sim: &SimPrinter, profile: &'static Profile, baud: u32) -> PrinterConfig {
    let mut c = PrinterConfig::new(sim.port_path().to_string_lossy(), profile);
    c.baud = baud;
    c.status_timeout = Duration::from_secs(5);
    c
}

fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn receipt() -> Receipt {
    Receipt::new()
        .title("法律援助回执")
        .key_value("编号", "FY-2026-0001")
        .text("请于三个工作日内到司法所领取结果。")
        .separator()
        .qr("https://example.invalid/r/FY-2026-0001")
        .cut()
}

#[test]
fn a_receipt_printed_by_the_driver_comes_out_as_transcript_and_png() {
    let out = common::scratch("receipt");
    let profile = &Profile::GENERIC_80;
    let sim = SimPrinter::start(SimPrinterOptions {
        out_dir: Some(out.clone()),
        renderer: Some(common::renderer()),
        baud: 115_200,
        ..SimPrinterOptions::new(profile)
    })
    .expect("sim");
    let ctl = sim.control();
    let mut printer = Printer::open(&config(&sim, profile, 115_200)).expect("open");
    let bytes = escpos::render(&receipt(), profile, None).expect("render");
    printer.print(&bytes).expect("print");
    let receipts = ctl.wait_for_receipts(1, WAIT);
    assert_eq!(receipts.len(), 1);
    let r = &receipts[0];
    assert!(
        r.transcript.starts_with("[C B 2x2] 法律援助回执\n"),
        "{}",
        r.transcript
    );
    assert!(
        r.transcript
            .contains("请于三个工作日内到司法所领取结果。\n"),
        "{}",
        r.transcript
    );
    assert!(
        r.transcript.ends_with("[CUT partial]\n"),
        "{}",
        r.transcript
    );
    let png = r.png.clone().expect("png written");
    assert_eq!(png, out.join("receipt-001.png"));
    assert_eq!(
        std::fs::read_to_string(out.join("receipt-001.txt")).expect("txt"),
        r.transcript
    );
    let img = r.image.clone().expect("image");
    assert_eq!(img.width, 576);
    assert_eq!(
        common::decode_qr(&img),
        vec!["https://example.invalid/r/FY-2026-0001".to_string()]
    );
    assert!(!ctl.overflowed());
    // Bytes: the receipt and three rounds of four status requests at most.
    assert!(ctl.bytes_received() >= bytes.len() as u64);
}

#[test]
fn status_answers_fine_near_end_paper_out_and_cover_open() {
    let profile = &Profile::GENERIC_80;
    let sim = SimPrinter::start(SimPrinterOptions::new(profile)).expect("sim");
    let ctl = sim.control();
    let mut printer = Printer::open(&config(&sim, profile, 9600)).expect("open");
    let st = printer.status().expect("status");
    assert!(
        st.online && !st.paper_near_end && st.problem().is_none(),
        "{st:?}"
    );

    ctl.set_paper(PaperState::NearEnd);
    let st = printer.status().expect("status");
    assert!(
        st.online && st.paper_near_end && st.problem().is_none(),
        "{st:?}"
    );

    ctl.set_paper(PaperState::Out);
    let st = printer.status().expect("status");
    assert!(st.paper_out && !st.online, "{st:?}");
    assert_eq!(st.problem(), Some(Problem::PaperOut));
    let err = printer.print(b"x\n").expect_err("no paper");
    assert_eq!(err.problem(), Some(Problem::PaperOut));

    ctl.set_paper(PaperState::Ok);
    ctl.set_cover_open(true);
    let st = printer.status().expect("status");
    assert_eq!(st.problem(), Some(Problem::CoverOpen), "{st:?}");

    ctl.set_cover_open(false);
    assert_eq!(printer.status().expect("status").problem(), None);
}

#[test]
fn paper_running_out_mid_print_is_reported_by_the_driver() {
    let profile = &Profile::GENERIC_80;
    let sim = SimPrinter::start(SimPrinterOptions {
        baud: 115_200,
        print_speed: 2_000,
        renderer: None,
        ..SimPrinterOptions::new(profile)
    })
    .expect("sim");
    let ctl = sim.control();
    let mut cfg = config(&sim, profile, 115_200);
    cfg.write_timeout = Duration::from_secs(2);
    let mut printer = Printer::open(&cfg).expect("open");
    let mut r = Receipt::new().title("长回执");
    for i in 0..400 {
        r = r.text(&format!("第{i}行：法律援助申请材料清单"));
    }
    let bytes = escpos::render(&r.cut(), profile, None).expect("render");
    assert!(bytes.len() > 8_000);
    let ctl2: SimPrinterControl = ctl.clone();
    let pull = std::thread::spawn(move || {
        wait_until("first bytes", || ctl2.bytes_received() > 1_000);
        ctl2.set_paper(PaperState::Out);
    });
    let err = printer.print(&bytes).expect_err("paper ran out");
    pull.join().unwrap();
    assert_eq!(err.problem(), Some(Problem::PaperOut), "{err}");
    assert!(ctl.receipts().is_empty(), "nothing was cut yet");
    // Paper loaded: the printer finishes what it buffered.
    ctl.set_paper(PaperState::Ok);
    assert!(
        !ctl.overflowed(),
        "the driver held off while the buffer was full"
    );
}

#[test]
fn xon_xoff_a_receipt_larger_than_the_buffer_arrives_complete() {
    let profile = &Profile::GENERIC_58; // 1 KB buffer, XON/XOFF
    let sim = SimPrinter::start(SimPrinterOptions {
        baud: 115_200,
        print_speed: 3_000, // slower than the wire (11 520 B/s)
        tear_after: Duration::from_millis(500),
        ..SimPrinterOptions::new(profile)
    })
    .expect("sim");
    let ctl = sim.control();
    let mut cfg = config(&sim, profile, 115_200);
    cfg.write_timeout = Duration::from_secs(20);
    let mut printer = Printer::open(&cfg).expect("open");
    let mut r = Receipt::new().title("流控测试");
    for i in 0..300 {
        r = r.text(&format!("第{i:03}行 ABCDEFG"));
    }
    let bytes = escpos::render(&r.cut(), profile, None).expect("render");
    assert!(bytes.len() > 3 * 1024, "{} bytes", bytes.len());
    printer.print(&bytes).expect("print");
    let receipts = ctl.wait_for_receipts(1, WAIT);
    assert_eq!(receipts.len(), 1);
    let lines: Vec<String> = receipts[0].paper.text_lines();
    for i in 0..300 {
        let want = format!("第{i:03}行 ABCDEFG");
        assert!(lines.contains(&want), "missing {want}");
    }
    assert!(ctl.xoff_count() > 0, "the buffer filled and XOFF was sent");
    assert!(ctl.max_buffer_fill() <= 1024);
    assert!(!ctl.overflowed(), "{} bytes lost", ctl.overflow_bytes());
    assert!(receipts[0].transcript.ends_with("[TEAR]\n"));
}

#[test]
fn a_host_ignoring_xoff_loses_bytes_and_is_caught() {
    let profile = &Profile::GENERIC_58;
    let sim = SimPrinter::start(SimPrinterOptions {
        baud: 0,
        print_speed: 1_000,
        ..SimPrinterOptions::new(profile)
    })
    .expect("sim");
    let ctl = sim.control();
    let mut port = serialport::new(sim.port_path().to_string_lossy(), 115_200)
        .timeout(Duration::from_millis(100))
        .open_native()
        .expect("open");
    let data = vec![b'x'; 4096];
    port.write_all(&data).expect("write");
    wait_until("all bytes received", || ctl.bytes_received() >= 4096);
    assert!(ctl.overflowed());
    let mut buf = [0u8; 16];
    let n = port.read(&mut buf).expect("XOFF");
    assert_eq!(buf[0], 0x13, "{:?}", &buf[..n]);
}

#[test]
fn status_is_answered_while_the_buffer_is_full_and_printing_stopped() {
    let profile = &Profile::GENERIC_80;
    let sim = SimPrinter::start(SimPrinterOptions {
        buffer_bytes: Some(64),
        ..SimPrinterOptions::new(profile)
    })
    .expect("sim");
    let ctl = sim.control();
    ctl.set_cover_open(true);
    let mut port = serialport::new(sim.port_path().to_string_lossy(), 9600)
        .timeout(Duration::from_millis(200))
        .open_native()
        .expect("open");
    port.write_all(&[b'y'; 64]).expect("fill");
    wait_until("buffer full", || ctl.buffer_fill() == 64);
    port.write_all(&[0x10, 0x04, 0x02]).expect("status request");
    let mut got = Vec::new();
    let deadline = Instant::now() + WAIT;
    while !got.contains(&0x16) && Instant::now() < deadline {
        let mut buf = [0u8; 8];
        if let Ok(n) = port.read(&mut buf) {
            got.extend_from_slice(&buf[..n]);
        }
    }
    // XOFF for the full buffer, then 0x16: cover open.
    assert_eq!(got, vec![0x13, 0x16]);
    assert!(!ctl.overflowed(), "a status request is not lost data");
}

#[test]
fn automatic_status_back_reports_changes() {
    let profile = &Profile::GENERIC_80;
    let sim = SimPrinter::start(SimPrinterOptions::new(profile)).expect("sim");
    let ctl = sim.control();
    let mut port = serialport::new(sim.port_path().to_string_lossy(), 9600)
        .timeout(Duration::from_millis(200))
        .open_native()
        .expect("open");
    port.write_all(&[0x1d, 0x61, 0xff]).expect("GS a");
    let mut read4 = || {
        let mut b = [0u8; 4];
        port.read_exact(&mut b).expect("4 bytes");
        b
    };
    assert_eq!(read4(), [0x10, 0, 0, 0]);
    ctl.set_paper(PaperState::Out);
    assert_eq!(read4(), [0x18, 0, 0x0C, 0]);
}

#[test]
fn unplug_is_a_disconnect_and_after_replug_printing_works_again() {
    let dir = common::scratch("link");
    let link = dir.join("printer");
    let profile = &Profile::GENERIC_80;
    let sim = SimPrinter::start(SimPrinterOptions {
        link: Some(link.clone()),
        ..SimPrinterOptions::new(profile)
    })
    .expect("sim");
    let ctl = sim.control();
    assert_eq!(sim.port_path(), link);
    let cfg = config(&sim, profile, 9600);
    let mut printer = Printer::open(&cfg).expect("open");
    printer.status().expect("status");

    ctl.unplug();
    assert!(!ctl.is_plugged());
    assert!(!link.exists());
    let err = printer.status().expect_err("unplugged");
    assert!(err.is_disconnect(), "{err:?}");
    drop(printer);
    let err = Printer::open(&cfg).expect_err("no device");
    assert!(err.is_disconnect(), "{err:?}");

    ctl.replug();
    assert!(ctl.is_plugged());
    assert_eq!(std::fs::read_link(&link).expect("link"), ctl.pty_path());
    let mut printer = Printer::open(&cfg).expect("reopen");
    let bytes =
        escpos::render(&Receipt::new().text("重新连接").cut(), profile, None).expect("render");
    printer.print(&bytes).expect("print");
    let receipts = ctl.wait_for_receipts(1, WAIT);
    assert_eq!(receipts.len(), 1);
    assert!(
        receipts[0].transcript.starts_with("重新连接\n"),
        "{}",
        receipts[0].transcript
    );
    drop(printer);
    drop(sim);
    assert!(!link.exists(), "the link goes with the printer");
}

#[test]
fn the_driver_can_reopen_the_port_and_a_second_open_is_refused() {
    let profile = &Profile::GENERIC_80;
    let sim = SimPrinter::start(SimPrinterOptions::new(profile)).expect("sim");
    let cfg = config(&sim, profile, 9600);
    let mut first = Printer::open(&cfg).expect("open");
    assert!(Printer::open(&cfg).is_err(), "port is exclusive (flock)");
    first.status().expect("status");
    drop(first);
    let mut again = Printer::open(&cfg).expect("reopen");
    again.status().expect("status");
}

#[test]
fn the_epson_profile_prints_its_qr_as_an_image_over_dtr_dsr() {
    let profile = &Profile::EPSON_TM_T88;
    let sim = SimPrinter::start(SimPrinterOptions {
        renderer: Some(common::renderer()),
        baud: 115_200,
        ..SimPrinterOptions::new(profile)
    })
    .expect("sim");
    let ctl = sim.control();
    let mut printer = Printer::open(&config(&sim, profile, 115_200)).expect("open");
    let bytes = escpos::render(&receipt(), profile, None).expect("render");
    printer.print(&bytes).expect("print");
    let receipts = ctl.wait_for_receipts(1, WAIT);
    assert_eq!(receipts.len(), 1);
    assert!(
        receipts[0].transcript.contains("[raster "),
        "{}",
        receipts[0].transcript
    );
    let img = receipts[0].image.clone().expect("image");
    assert_eq!(img.width, 512);
    assert_eq!(
        common::decode_qr(&img),
        vec!["https://example.invalid/r/FY-2026-0001".to_string()]
    );
    assert!(!ctl.overflowed());
}

#[test]
fn printing_errors_are_not_fatal_to_the_sim() {
    // A receipt after a burst of garbage and an unknown command still prints.
    let profile = &Profile::GENERIC_80;
    let sim = SimPrinter::start(SimPrinterOptions::new(profile)).expect("sim");
    let ctl = sim.control();
    let mut port = serialport::new(sim.port_path().to_string_lossy(), 9600)
        .timeout(Duration::from_millis(200))
        .open_native()
        .expect("open");
    let mut bytes: Vec<u8> = (0..=255u8).rev().collect();
    bytes.extend(b"\x1b@\x1b~after\n\x1dV\x00");
    port.write_all(&bytes).expect("write");
    let receipts = ctl.wait_for_receipts(1, WAIT);
    assert!(
        receipts
            .last()
            .is_some_and(|r| r.transcript.ends_with("[unknown 1B 7E]\nafter\n[CUT]\n")),
        "{:?}",
        receipts.iter().map(|r| &r.transcript).collect::<Vec<_>>()
    );
}
