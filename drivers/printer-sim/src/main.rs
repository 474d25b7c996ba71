//! `kiosk-printer-sim`: run the simulated printer for a person.
//!
//! ```text
//! kiosk-printer-sim [--profile generic-80] [--link /tmp/kiosk-printer]
//!                   [--baud 9600] [--print-speed 0] [--out DIR] [--assets DIR]
//! ```
//!
//! Prints the pty path, then each receipt's transcript as it is cut (and
//! writes `receipt-NNN.png/.txt` under `--out`). Commands on standard input,
//! one per line: `paper ok|near|out`, `cover open|closed`, `unplug`,
//! `replug`, `stats`, `quit`.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kiosk_printer::profile::Profile;
use kiosk_printer_sim::{PaperRenderer, PaperState, SimPrinter, SimPrinterOptions};

fn usage() -> ! {
    eprintln!(
        "usage: kiosk-printer-sim [--profile generic-58|generic-80|epson-tm-t88] [--link PATH] \
         [--baud N] [--print-speed BYTES_PER_S] [--out DIR] [--assets DIR]"
    );
    std::process::exit(2)
}

fn main() {
    let mut profile = &Profile::GENERIC_80;
    let mut link = None;
    let mut baud = None;
    let mut print_speed = 0;
    let mut out = None;
    let mut assets = PathBuf::from("assets");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        match a.as_str() {
            "--profile" => profile = Profile::by_id(&value()).unwrap_or_else(|| usage()),
            "--link" => link = Some(PathBuf::from(value())),
            "--baud" => baud = Some(value().parse().unwrap_or_else(|_| usage())),
            "--print-speed" => print_speed = value().parse().unwrap_or_else(|_| usage()),
            "--out" => out = Some(PathBuf::from(value())),
            "--assets" => assets = PathBuf::from(value()),
            _ => usage(),
        }
    }
    let renderer = if out.is_some() {
        match PaperRenderer::from_assets_dir(&assets) {
            Ok(r) => Some(Arc::new(r)),
            Err(e) => {
                eprintln!("no font ({e}); receipts as text only");
                None
            }
        }
    } else {
        None
    };
    let options = SimPrinterOptions {
        link,
        baud: baud.unwrap_or(profile.default_baud),
        out_dir: out,
        renderer,
        print_speed,
        ..SimPrinterOptions::new(profile)
    };
    let sim = match SimPrinter::start(options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot start the printer: {e}");
            std::process::exit(1);
        }
    };
    let ctl = sim.control();
    println!("{} on {}", profile.name, sim.port_path().display());

    let watcher = ctl.clone();
    std::thread::spawn(move || {
        let mut seen = 0;
        loop {
            let receipts = watcher.wait_for_receipts(seen + 1, Duration::from_secs(3600));
            for r in &receipts[seen..] {
                println!("---- receipt {} ----", seen + 1);
                print!("{}", r.transcript);
                if let Some(p) = &r.png {
                    println!("({})", p.display());
                }
                seen += 1;
            }
        }
    });

    for line in std::io::stdin().lock().lines() {
        let Ok(line) = line else { break };
        match line.trim() {
            "paper ok" => ctl.set_paper(PaperState::Ok),
            "paper near" => ctl.set_paper(PaperState::NearEnd),
            "paper out" => ctl.set_paper(PaperState::Out),
            "cover open" => ctl.set_cover_open(true),
            "cover closed" => ctl.set_cover_open(false),
            "unplug" => ctl.unplug(),
            "replug" => {
                ctl.replug();
                println!("on {}", sim.port_path().display());
            }
            "stats" => println!(
                "received {} bytes, buffer max {} now {}, XOFF sent {}, lost {} bytes",
                ctl.bytes_received(),
                ctl.max_buffer_fill(),
                ctl.buffer_fill(),
                ctl.xoff_count(),
                ctl.overflow_bytes()
            ),
            "quit" | "exit" => break,
            "" => {}
            other => eprintln!("unknown command {other:?}"),
        }
    }
}
