//! The transport against a printer played inline on a pseudo-terminal.
//!
//! `TTYPort::pair()` gives a master (the printer's side, driven by a thread
//! here) and a slave opened without `TIOCEXCL`/`flock`, so `Printer::open`
//! can open the slave's path itself, as the kiosk opens a real port. The
//! pair's own slave descriptor is closed once the driver has the port, so
//! closing the master is an unplug.

use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kiosk_printer::profile::Profile;
use kiosk_printer::status::{Problem, XOFF, XON};
use kiosk_printer::transport::{PrintError, Printer, PrinterConfig};
use serialport::{SerialPort, TTYPort};

/// What the fake printer saw.
#[derive(Debug, Default)]
struct Seen {
    /// Print data (everything but status requests).
    data: Vec<u8>,
    /// (when, how many data bytes) per read.
    reads: Vec<(Instant, usize)>,
    /// Status requests answered.
    requests: usize,
    xoff_at: Option<Instant>,
    xon_at: Option<Instant>,
}

/// How the fake printer behaves.
struct Script {
    /// Reply to request `n` in answer round `round` (0-based, 4 requests a
    /// round); `None` = stay silent.
    reply: Box<dyn FnMut(u8, usize) -> Option<u8> + Send>,
    /// Send XOFF once this many data bytes have arrived, XON after `hold`.
    xoff_after: Option<usize>,
    hold: Duration,
    /// Bytes written to the host right away (stale input).
    stale: Vec<u8>,
}

impl Script {
    fn healthy() -> Script {
        Script {
            reply: Box::new(|_, _| Some(0x12)),
            xoff_after: None,
            hold: Duration::ZERO,
            stale: Vec::new(),
        }
    }
}

struct Fake {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<Seen>,
}

impl Fake {
    fn finish(self) -> Seen {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.join().expect("fake printer thread")
    }
}

/// A pty with the driver opened on its slave and the fake printer on its
/// master.
fn setup(profile: &'static Profile, baud: u32, script: Script) -> (Printer, Fake) {
    setup_with(profile, baud, script, |_| {})
}

fn setup_with(
    profile: &'static Profile,
    baud: u32,
    script: Script,
    adjust: impl FnOnce(&mut PrinterConfig),
) -> (Printer, Fake) {
    let (mut master, slave) = TTYPort::pair().expect("pty pair");
    let path = slave.name().expect("slave path");
    let mut config = PrinterConfig::new(path, profile);
    config.baud = baud;
    config.status_timeout = Duration::from_millis(500);
    config.write_timeout = Duration::from_secs(5);
    adjust(&mut config);
    let printer = Printer::open(&config).expect("open slave");
    drop(slave);
    master.set_timeout(Duration::from_millis(5)).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let thread = {
        let stop = stop.clone();
        std::thread::spawn(move || run_fake(master, script, stop))
    };
    (printer, Fake { stop, thread })
}

fn run_fake(mut master: TTYPort, mut script: Script, stop: Arc<AtomicBool>) -> Seen {
    let mut seen = Seen::default();
    if !script.stale.is_empty() {
        master.write_all(&script.stale).unwrap();
    }
    let mut pending: Vec<u8> = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        if let (Some(at), None) = (seen.xoff_at, seen.xon_at)
            && at.elapsed() >= script.hold
        {
            master.write_all(&[XON]).unwrap();
            seen.xon_at = Some(Instant::now());
        }
        let n = match master.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {
                if stop.load(Ordering::SeqCst) {
                    return seen;
                }
                continue;
            }
            Err(_) => return seen,
        };
        let now = Instant::now();
        pending.extend_from_slice(&buf[..n]);
        let mut data = 0;
        let mut i = 0;
        while i < pending.len() {
            if pending[i] == 0x10 {
                if pending.len() - i < 3 {
                    break;
                }
                assert_eq!(pending[i + 1], 0x04, "DLE EOT");
                let n = pending[i + 2];
                let round = seen.requests / 4;
                seen.requests += 1;
                if let Some(r) = (script.reply)(n, round) {
                    master.write_all(&[r]).unwrap();
                }
                i += 3;
            } else {
                seen.data.push(pending[i]);
                data += 1;
                i += 1;
            }
        }
        pending.drain(..i);
        seen.reads.push((now, data));
        if let Some(limit) = script.xoff_after
            && seen.xoff_at.is_none()
            && seen.data.len() >= limit
        {
            master.write_all(&[XOFF]).unwrap();
            seen.xoff_at = Some(Instant::now());
        }
    }
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| b'A' + (i % 26) as u8).collect()
}

#[test]
fn print_sends_everything_between_two_status_checks() {
    let (mut printer, fake) = setup(&Profile::GENERIC_80, 115_200, Script::healthy());
    let data = payload(3000);
    printer.print(&data).expect("print");
    let seen = fake.finish();
    assert_eq!(seen.data, data);
    assert_eq!(seen.requests, 8);
    assert_eq!(printer.wire_bytes(), 3000 + 24);
}

#[test]
fn xoff_pauses_sending_until_xon() {
    let hold = Duration::from_millis(600);
    let script = Script {
        xoff_after: Some(2000),
        hold,
        ..Script::healthy()
    };
    let (mut printer, fake) = setup(&Profile::GENERIC_80, 115_200, script);
    let data = payload(8000);
    let started = Instant::now();
    printer.print(&data).expect("print");
    let elapsed = started.elapsed();
    let seen = fake.finish();
    assert_eq!(seen.data, data);
    let (xoff, xon) = (seen.xoff_at.unwrap(), seen.xon_at.unwrap());
    // After a grace period for the XOFF to be read, nothing arrives until
    // XON; before it, at most the sender's small lead.
    let grace = Duration::from_millis(200);
    let during: usize = seen
        .reads
        .iter()
        .filter(|(t, _)| *t > xoff + grace && *t < xon)
        .map(|(_, n)| n)
        .sum();
    assert_eq!(during, 0, "bytes sent while XOFF held");
    let in_grace: usize = seen
        .reads
        .iter()
        .filter(|(t, _)| *t > xoff && *t <= xoff + grace)
        .map(|(_, n)| n)
        .sum();
    assert!(in_grace <= 600, "{in_grace} bytes after XOFF");
    assert!(seen.reads.iter().any(|(t, n)| *t > xon && *n > 0));
    assert!(elapsed >= hold, "{elapsed:?}");
}

#[test]
fn xoff_never_lifted_is_flow_stalled() {
    let script = Script {
        xoff_after: Some(1),
        hold: Duration::from_secs(3600),
        ..Script::healthy()
    };
    let (mut printer, fake) = setup_with(&Profile::GENERIC_58, 115_200, script, |c| {
        c.write_timeout = Duration::from_millis(300)
    });
    let err = printer.print(&payload(20_000)).unwrap_err();
    // The printer itself reports nothing wrong, so the stall is the error.
    assert!(matches!(err, PrintError::FlowStalled), "{err:?}");
    let seen = fake.finish();
    assert!(seen.data.len() < 20_000);
}

#[test]
fn status_flushes_stale_input() {
    // Stale "paper out" replies (from an earlier, abandoned request) sit in
    // the input; unflushed they would be taken for the four replies.
    let script = Script {
        reply: Box::new(|n, _| Some(if n == 4 { 0x1E } else { 0x12 })),
        stale: vec![0x72, 0x72, 0x72, 0x72],
        ..Script::healthy()
    };
    let (mut printer, fake) = setup(&Profile::GENERIC_80, 9600, script);
    std::thread::sleep(Duration::from_millis(150));
    let st = printer.status().expect("status");
    assert!(st.online && st.paper_near_end && !st.paper_out, "{st:?}");
    assert_eq!(st.problem(), None);
    fake.finish();
}

#[test]
fn not_ready_sends_no_print_data() {
    let script = Script {
        reply: Box::new(|n, _| {
            Some(match n {
                1 => 0x1A, // offline
                2 => 0x32, // stopped: paper end
                3 => 0x12,
                _ => 0x72, // paper out
            })
        }),
        ..Script::healthy()
    };
    let (mut printer, fake) = setup(&Profile::GENERIC_58, 9600, script);
    let err = printer.print(b"receipt").unwrap_err();
    assert_eq!(err.problem(), Some(Problem::PaperOut));
    assert!(!err.is_disconnect());
    let seen = fake.finish();
    assert!(seen.data.is_empty());
    assert_eq!(seen.requests, 4);
}

#[test]
fn paper_out_during_the_receipt_is_reported_after() {
    let script = Script {
        reply: Box::new(|n, round| Some(if round > 0 && n == 4 { 0x72 } else { 0x12 })),
        ..Script::healthy()
    };
    let (mut printer, fake) = setup(&Profile::GENERIC_80, 115_200, script);
    let err = printer.print(&payload(500)).unwrap_err();
    assert!(
        matches!(err, PrintError::NotReady(Problem::PaperOut)),
        "{err:?}"
    );
    assert_eq!(fake.finish().data.len(), 500);
}

#[test]
fn silent_printer_is_no_status_reply() {
    let script = Script {
        reply: Box::new(|_, _| None),
        ..Script::healthy()
    };
    let (mut printer, fake) = setup(&Profile::GENERIC_80, 9600, script);
    let started = Instant::now();
    let err = printer.status().unwrap_err();
    assert!(matches!(err, PrintError::NoStatusReply), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    fake.finish();
}

#[test]
fn garbled_reply_is_asked_again() {
    let script = Script {
        reply: Box::new(|n, round| Some(if round == 0 && n == 2 { 0xFF } else { 0x12 })),
        ..Script::healthy()
    };
    let (mut printer, fake) = setup(&Profile::GENERIC_80, 9600, script);
    let st = printer.status().expect("second round answers");
    assert_eq!(st.problem(), None);
    fake.finish();
}

#[test]
fn unplug_is_a_disconnect() {
    let (mut printer, fake) = setup(&Profile::GENERIC_80, 9600, Script::healthy());
    printer.status().expect("status while plugged in");
    drop(fake.finish()); // the thread returns and closes the master
    let err = printer.status().unwrap_err();
    assert!(err.is_disconnect(), "{err:?}");
    let err = printer.print(b"x").unwrap_err();
    assert!(err.is_disconnect(), "{err:?}");
}

#[test]
fn missing_port_is_a_disconnect() {
    let config = PrinterConfig::new("/dev/nonexistent-printer", &Profile::GENERIC_80);
    let err = Printer::open(&config).unwrap_err();
    assert!(err.is_disconnect(), "{err:?}");
}

#[test]
fn dtr_dsr_on_a_pty_falls_back_to_no_flow_control() {
    let (mut printer, fake) = setup(&Profile::EPSON_TM_T88, 115_200, Script::healthy());
    let data = payload(2000);
    printer.print(&data).expect("print");
    assert_eq!(fake.finish().data, data);
}

#[test]
fn sending_is_paced_at_the_wire_rate() {
    // The fake reads at once, so only the sender's pacing sets the time:
    // close to bytes x 10 / baud, never much faster (which would overrun a
    // real printer's buffer) nor much slower.
    let (mut printer, fake) = setup(&Profile::GENERIC_80, 115_200, Script::healthy());
    let data = payload(11_520); // 1.0 s on the wire
    let started = Instant::now();
    printer.send(&data).expect("send");
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(950), "{elapsed:?}");
    assert!(elapsed <= Duration::from_millis(1600), "{elapsed:?}");
    assert_eq!(fake.finish().data, data);
}

#[test]
fn second_open_of_the_same_port_is_refused() {
    let (_master, slave) = serialport::TTYPort::pair().unwrap();
    let config = PrinterConfig::new(slave.name().unwrap(), &Profile::GENERIC_80);
    let first = Printer::open(&config).expect("first open");
    let second = Printer::open(&config);
    assert!(second.is_err(), "exclusive lock");
    let err = second.unwrap_err();
    assert!(!err.is_disconnect(), "{err:?}");
    drop(first);
    Printer::open(&config).expect("reopen after close");
}
