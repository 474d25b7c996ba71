//! The field technician's device commands: `kiosk idcard status|read`,
//! `kiosk printer status|test`, and `kiosk sim` (start the simulated
//! devices, or send one of them a command).
//!
//! They talk to the port given on the command line with the same drivers
//! the terminal uses, and print plain lines a person can read over a
//! shoulder (or `--json` for scripts). ID numbers are masked unless
//! `--unmasked` is given; names are printed only by `read`, which the
//! technician runs with the card holder present.

use std::io::BufRead;
use std::time::{Duration, Instant};

use kiosk_core::Config;
use kiosk_idcard::card::{Card, Expiry};
use kiosk_idcard::transport::{Reader, ReaderConfig, TransportError};
use kiosk_printer::profile::Profile;
use kiosk_printer::transport::{Printer, PrinterConfig};

use crate::devices::sim::{Simulators, Which, control_socket, printer_profile};
use crate::devices::sim_control;
use crate::printing::receipts;

/// A failed command: the message for the technician, and the exit code.
#[derive(Debug)]
pub struct Failed(pub String);

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn reader_config(port: &str, baud: u32) -> ReaderConfig {
    let mut config = ReaderConfig::new(port);
    config.baud = baud;
    config
}

fn explain(e: &TransportError) -> String {
    if e.is_disconnect() {
        format!("{e} (is the reader plugged in and the port right?)")
    } else {
        e.to_string()
    }
}

/// `kiosk idcard status`: is the reader there, and its SAM id.
pub fn idcard_status(port: &str, baud: u32) -> Result<String, Failed> {
    let mut reader = Reader::open(&reader_config(port, baud)).map_err(|e| Failed(explain(&e)))?;
    reader
        .sam_status()
        .map_err(|e| Failed(format!("reader at {port} does not answer: {}", explain(&e))))?;
    let sam = reader
        .sam_id()
        .map_err(|e| Failed(format!("SAM id unreadable: {}", explain(&e))))?;
    Ok(format!(
        "reader at {port} ({baud} baud): ready, SAM id {sam}"
    ))
}

/// `kiosk idcard read`: waits up to `wait` for a card and prints it.
pub fn idcard_read(
    port: &str,
    baud: u32,
    wait: Duration,
    json: bool,
    unmasked: bool,
) -> Result<String, Failed> {
    let mut reader = Reader::open(&reader_config(port, baud)).map_err(|e| Failed(explain(&e)))?;
    let deadline = Instant::now() + wait;
    let card = loop {
        match reader.read_card() {
            Ok(Some(card)) => break card,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
            Ok(None) => {
                return Err(Failed(format!(
                    "no card on the reader after {} s",
                    wait.as_secs()
                )));
            }
            Err(e) => return Err(Failed(format!("card not read: {}", explain(&e)))),
        }
    };
    Ok(describe_card(&card, json, unmasked))
}

fn describe_card(card: &Card, json: bool, unmasked: bool) -> String {
    let number = if unmasked {
        card.number.as_str().to_owned()
    } else {
        card.number.masked()
    };
    let valid_to = match card.valid_to {
        Expiry::On(date) => date.to_string(),
        Expiry::LongTerm => "long-term".to_owned(),
    };
    let today = chrono::Local::now().date_naive();
    if json {
        return serde_json::json!({
            "type": card.kind.label_zh(),
            "name": card.name,
            "english_name": card.english_name,
            "gender": card.gender.label_zh(),
            "nation": card.nation,
            "nationality": card.nationality,
            "birth": card.birth.to_string(),
            "address": card.address,
            "number": number,
            "number_masked": !unmasked,
            "authority": card.authority,
            "valid_from": card.valid_from.to_string(),
            "valid_to": valid_to,
            "expired": card.is_expired(today),
            "pass_number": card.pass_number,
            "issue_count": card.issue_count,
        })
        .to_string();
    }
    let mut lines = vec![
        format!("type:       {}", card.kind.label_zh()),
        format!("name:       {}", card.name),
    ];
    if let Some(english) = &card.english_name {
        lines.push(format!("english:    {english}"));
    }
    lines.push(format!("gender:     {}", card.gender.label_zh()));
    if let Some(nation) = card.nation {
        lines.push(format!("nation:     {nation}"));
    }
    if let Some(nationality) = &card.nationality {
        lines.push(format!("nationality: {nationality}"));
    }
    lines.push(format!("birth:      {}", card.birth));
    if let Some(address) = &card.address {
        lines.push(format!("address:    {address}"));
    }
    lines.push(format!(
        "number:     {number}{}",
        if unmasked {
            ""
        } else {
            " (masked; --unmasked shows it)"
        }
    ));
    lines.push(format!("authority:  {}", card.authority));
    lines.push(format!(
        "valid:      {} to {valid_to}{}",
        card.valid_from,
        if card.is_expired(today) {
            " (EXPIRED)"
        } else {
            ""
        }
    ));
    if let Some(pass) = &card.pass_number {
        lines.push(format!("pass:       {pass}"));
    }
    lines.join("\n")
}

fn printer_config(port: &str, profile: &'static Profile, baud: Option<u32>) -> PrinterConfig {
    let mut config = PrinterConfig::new(port, profile);
    config.baud = baud.unwrap_or(profile.default_baud);
    config
}

/// `kiosk printer status`.
pub fn printer_status(
    port: &str,
    profile: &'static Profile,
    baud: Option<u32>,
) -> Result<String, Failed> {
    let config = printer_config(port, profile, baud);
    let mut printer = Printer::open(&config).map_err(|e| Failed(e.to_string()))?;
    let status = printer
        .status()
        .map_err(|e| Failed(format!("printer at {port} does not answer: {e}")))?;
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    Ok(format!(
        "printer at {port} ({}, {} baud): {}\n  online: {}\n  cover open: {}\n  paper near end: {}\n  paper out: {}\n  cutter error: {}\n  unrecoverable error: {}",
        profile.id,
        config.baud,
        match status.problem() {
            Some(problem) => format!("NOT READY: {}", problem.description()),
            None => "ready".to_owned(),
        },
        yes_no(status.online),
        yes_no(status.cover_open),
        yes_no(status.paper_near_end),
        yes_no(status.paper_out),
        yes_no(status.cutter_error),
        yes_no(status.unrecoverable_error),
    ))
}

/// `kiosk printer test`: prints the test page.
pub fn printer_test(
    port: &str,
    profile: &'static Profile,
    baud: Option<u32>,
    assets: &std::path::Path,
) -> Result<String, Failed> {
    let config = printer_config(port, profile, baud);
    let now = chrono::Local::now();
    let reference = format!("TEST-{}", now.format("%H%M%S"));
    let page = receipts::test_page(
        profile.id,
        &now.format("%Y-%m-%d %H:%M").to_string(),
        &reference,
    );
    let rasterizer = kiosk_printer::raster::TextRasterizer::from_assets_dir(assets)
        .map_err(|e| Failed(format!("receipt font unavailable: {e}")))?;
    let bytes = kiosk_printer::escpos::render(&page, profile, Some(&rasterizer))
        .map_err(|e| Failed(format!("test page cannot be rendered: {e}")))?;
    let mut printer = Printer::open(&config).map_err(|e| Failed(e.to_string()))?;
    let started = Instant::now();
    printer
        .print(&bytes)
        .map_err(|e| Failed(format!("test page not printed: {e}")))?;
    let floor = bytes.len() as f64 * 10.0 / config.baud as f64;
    Ok(format!(
        "test page printed on {port} ({}): {} bytes in {:.2} s (wire floor {:.2} s at {} baud)",
        profile.id,
        bytes.len(),
        started.elapsed().as_secs_f64(),
        floor,
        config.baud
    ))
}

/// `kiosk printer queue [--cancel ID | --cancel-all]`: the receipts waiting
/// in the terminal's print queue, and a way to drop one that can never
/// print. Works on the configured database while the terminal runs (SQLite
/// WAL; the print service skips a cancelled job).
pub fn printer_queue(
    config: &Config,
    cancel: Option<i64>,
    cancel_all: bool,
) -> Result<String, Failed> {
    let queue = crate::printing::queue::PrintQueue::open(&config.storage.database, "technician")
        .map_err(|e| Failed(format!("print queue unavailable: {e}")))?;
    let sql = |e: rusqlite::Error| Failed(format!("print queue: {e}"));
    let mut lines = Vec::new();
    if let Some(id) = cancel {
        if !queue.cancel(id).map_err(sql)? {
            return Err(Failed(format!("no waiting receipt with id {id}")));
        }
        lines.push(format!("cancelled receipt {id}"));
    }
    if cancel_all {
        for job in queue.waiting().map_err(sql)? {
            queue.cancel(job.id).map_err(sql)?;
            lines.push(format!("cancelled receipt {} ({})", job.id, job.reference));
        }
    }
    let waiting = queue.waiting().map_err(sql)?;
    if waiting.is_empty() {
        lines.push("no receipts waiting".to_owned());
    }
    for job in waiting {
        lines.push(format!(
            "{:>5}  {}  {:<8} {:<32} attempts {:>3}  {}  queued {}",
            job.id,
            job.reference,
            job.kind,
            job.title,
            job.attempts,
            job.last_problem.as_deref().unwrap_or("-"),
            job.created_at
        ));
    }
    Ok(lines.join("\n"))
}

/// `kiosk sim` with no command: starts both simulated devices, prints
/// where they are, and takes control commands on stdin until it closes.
pub fn sim_run(config: &Config) -> Result<String, Failed> {
    let assets = crate::content::assets_dir(config);
    let renderer = kiosk_printer::raster::TextRasterizer::from_assets_dir(&assets)
        .ok()
        .map(|r| {
            std::sync::Arc::new(kiosk_printer_sim::PaperRenderer::new(std::sync::Arc::new(
                r,
            )))
        });
    let sims = Simulators::start(
        config,
        Which {
            reader: true,
            printer: true,
        },
        renderer,
    )
    .map_err(|e| Failed(format!("cannot start the simulated devices: {e}")))?;
    let profile = printer_profile(config);
    println!(
        "simulated ID-card reader: {}",
        sims.reader_port().unwrap_or_default().display()
    );
    println!(
        "simulated receipt printer: {} ({}; receipts in {})",
        sims.printer_port().unwrap_or_default().display(),
        profile.id,
        config.printer.sim_output_dir.display()
    );
    if let Some(path) = sims.control_path() {
        println!("control socket: {} (kiosk sim <command>)", path.display());
    }
    println!("type `help` for commands; Ctrl-D stops the devices");
    let controls = sims.controls();
    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        println!("{}", controls.handle_line(&line));
    }
    drop(sims);
    Ok("simulated devices stopped".to_owned())
}

/// `kiosk sim <command…>`: sends one command to the running simulators.
pub fn sim_send(config: &Config, words: &[String]) -> Result<String, Failed> {
    let line = words.join(" ");
    // Check it here too, so a typo is explained even with nothing running.
    sim_control::parse(&line).map_err(Failed)?;
    let path = control_socket(config);
    sim_control::send(&path, &line).map_err(|e| {
        Failed(format!(
            "no simulated devices answer at {} ({e}); start them with `kiosk sim` or `kiosk`",
            path.display()
        ))
    })
}
