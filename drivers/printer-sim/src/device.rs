//! The printer on a pseudo-terminal: a device, not a mock.
//!
//! [`SimPrinter::start`] creates a pty pair and runs the printer's side on
//! the master in a thread of its own; the driver (or a person with a
//! terminal program) opens the slave path, or the stable symlink
//! [`SimPrinterOptions::link`], exactly like `/dev/ttyUSB0`.
//!
//! # The printer's pipeline
//!
//! ```text
//! host ──wire (baud/10 bytes/s)──► receive stage ──► buffer (buffer_bytes) ──print (print_speed)──► interpreter ──► paper
//!                                   │ DLE EOT n answered here                     stops when cover open / paper out
//!                                   └ XOFF/XON sent from the buffer fill
//! ```
//!
//! * Wire: bytes are taken from the pty at most `baud / 10` per second, so
//!   the host's writes take as long as on a real line (`baud` 0: unpaced).
//!   Bytes the host wrote that the wire has not carried yet wait in the
//!   kernel's pty queue, which stands for the host's own UART queue.
//! * Receive stage: real-time requests `DLE EOT n` are recognised in the
//!   raw byte stream and answered at once with the status byte from the
//!   reference table — also while printing is stopped, the buffer is full
//!   or the printer is offline — exactly as real printers do, including the
//!   documented trap that image data containing `10 04 n` is answered too.
//!   (A complete `DLE EOT n` that did not fit the buffer is not counted as
//!   lost: it did its job.)
//! * Buffer: `buffer_bytes` (default: the profile's). Flow control per the
//!   profile: XON/XOFF sends XOFF (13) when the fill reaches 3/4 and XON
//!   (11) when it is down to 1/4 (the 1/4 headroom is for bytes the host
//!   had already queued when the XOFF reached it). A host that keeps
//!   sending into a full buffer loses bytes: [`SimPrinterControl::overflowed`].
//!   DTR/DSR cannot be signalled on a pty (it has no modem lines): the sim
//!   then stops taking bytes off the wire while the buffer is full, which is
//!   what hardware flow control achieves (the host sees its writes block).
//!   No flow control: bytes past a full buffer are lost.
//! * Print: the buffer drains into the interpreter at `print_speed` bytes
//!   per second (0: as fast as they arrive). With the cover open or the
//!   paper out it does not drain at all: the printer keeps receiving and
//!   buffering until the buffer is full, then holds the host off (XOFF), as
//!   real printers do; when the condition clears printing continues.
//! * Receipts: each cut (`GS V`) ends a receipt: its transcript, and when a
//!   renderer is given its image; with `out_dir`, `receipt-NNN.txt` and
//!   `receipt-NNN.png` (NNN from 001 per printer). A profile without a
//!   cutter has a tear bar: when the printer has been idle for
//!   `tear_after` with printed paper out, the person tears it off (a
//!   receipt ending `[TEAR]`).
//! * Automatic status back (`GS a n`, n != 0): the 4-byte block is sent when
//!   enabled and on every change of paper or cover.
//!
//! # Pseudo-terminal findings
//!
//! * `serialport::TTYPort::pair()` opens the slave without `TIOCEXCL`, and
//!   the sim keeps that slave descriptor open for the printer's lifetime.
//!   Without it, whenever no host has the slave open, the master polls
//!   readable with `POLLHUP` and reads fail with `EIO` (a busy loop unless
//!   handled); bytes the host wrote just before closing are still readable
//!   either way. Holding it also keeps the slave's settings between opens.
//! * The driver opens the slave with `TIOCEXCL` and an exclusive `flock`.
//!   `TIOCEXCL` is a flag of the tty, and because the sim's descriptor keeps
//!   the tty alive, a host process that dies without closing the port would
//!   leave it set and make every later open by a non-root user fail with
//!   `EBUSY` (root is exempt). The sim therefore clears it (`TIOCNXCL`)
//!   every 200 ms. A second concurrent open still fails, on the `flock`,
//!   as with a real port.
//! * Kernel flow control: if the host enables `IXON` on the slave, the XOFF
//!   the sim writes is consumed by the slave's line discipline and stops
//!   the host's writes in the kernel (verified). The kiosk driver does
//!   XON/XOFF itself (it must see the bytes to time out), which the sim
//!   serves the same way.
//! * Unplug closes master and slave and removes the link: the host's reads
//!   and writes fail with `EIO`, opening the link fails with `ENOENT`.
//!   Replug makes a new pair and points the link at it atomically (a
//!   temporary symlink renamed over the link).

use std::collections::VecDeque;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kiosk_printer::profile::{FlowControl, Profile};
use serialport::{SerialPort, TTYPort};

use crate::interpreter::{Event, Interpreter, Paper};
use crate::paper::{PaperImage, PaperRenderer};
pub use crate::status::{PaperState, SimStatus};

const XON: u8 = 0x11;
const XOFF: u8 = 0x13;
/// Longest the worker sleeps when nothing is going on.
const IDLE_POLL: Duration = Duration::from_millis(200);
/// Time slice for paced reading and printing.
const TICK: Duration = Duration::from_millis(10);

/// How to build the simulated printer.
#[derive(Clone)]
pub struct SimPrinterOptions {
    /// The model to play.
    pub profile: &'static Profile,
    /// A stable symlink to the current pty (recreated on replug).
    pub link: Option<PathBuf>,
    /// Wire pacing: at most `baud / 10` bytes per second; 0 = unpaced. Set
    /// it to the driver's baud rate (a mismatch is, as on a real line, the
    /// host's error).
    pub baud: u32,
    /// Receive buffer; default `profile.buffer_bytes`.
    pub buffer_bytes: Option<usize>,
    /// Write `receipt-NNN.png` (with a renderer) and `receipt-NNN.txt` for
    /// each receipt.
    pub out_dir: Option<PathBuf>,
    /// Draws receipts; `None`: transcripts only.
    pub renderer: Option<Arc<PaperRenderer>>,
    /// Print speed: bytes per second taken from the buffer by the print
    /// mechanism; 0 = as fast as they arrive.
    pub print_speed: u32,
    /// Printers without a cutter: idle time after which the printed paper
    /// is torn off.
    pub tear_after: Duration,
}

impl SimPrinterOptions {
    /// Unpaced, profile buffer, no link, no files, no renderer, instant
    /// printing, tear-off after 800 ms idle.
    pub fn new(profile: &'static Profile) -> Self {
        SimPrinterOptions {
            profile,
            link: None,
            baud: 0,
            buffer_bytes: None,
            out_dir: None,
            renderer: None,
            print_speed: 0,
            tear_after: Duration::from_millis(800),
        }
    }
}

/// One receipt that came out of the printer.
#[derive(Clone, Debug)]
pub struct PrintedReceipt {
    /// See [`Paper::transcript`].
    pub transcript: String,
    /// The PNG written to `out_dir`, if any.
    pub png: Option<PathBuf>,
    /// The rendered paper, when a renderer was given.
    pub image: Option<Arc<PaperImage>>,
    /// What was printed, item by item.
    pub paper: Arc<Paper>,
    pub received_at: Instant,
}

struct Pty {
    master: TTYPort,
    slave: TTYPort,
    path: PathBuf,
}

#[derive(Default)]
struct Shared {
    status: SimStatus,
    plugged: bool,
    unplug_requested: bool,
    new_pty: Option<Pty>,
    pty_path: PathBuf,
    receipts: Vec<PrintedReceipt>,
    bytes_received: u64,
    max_fill: usize,
    fill: usize,
    overflow: u64,
    xoff_sent: u64,
    stop: bool,
}

struct Inner {
    shared: Mutex<Shared>,
    cond: Condvar,
    wake: OwnedFd,
    link: Option<PathBuf>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wake(&self) {
        let b = [1u8];
        // SAFETY: writing one byte from a valid buffer to an fd we own.
        unsafe { libc::write(self.wake.as_raw_fd(), b.as_ptr().cast(), 1) };
    }
}

/// The simulated printer; owns its thread. Dropping it stops the printer
/// and removes the link.
pub struct SimPrinter {
    inner: Arc<Inner>,
    thread: Option<JoinHandle<()>>,
}

/// Controls and observes a [`SimPrinter`] from any thread.
#[derive(Clone)]
pub struct SimPrinterControl {
    inner: Arc<Inner>,
}

fn new_pty(link: Option<&Path>) -> io::Result<Pty> {
    let (master, slave) = TTYPort::pair().map_err(io::Error::from)?;
    let path = PathBuf::from(slave.name().unwrap_or_default());
    let fd = master.as_raw_fd();
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
    if let Some(link) = link {
        point_link(link, &path)?;
    }
    log::debug!("printer sim: pty {}", path.display());
    Ok(Pty {
        master,
        slave,
        path,
    })
}

/// Make `link` point at `target` atomically (temporary link + rename).
fn point_link(link: &Path, target: &Path) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let name = link.file_name().unwrap_or_default().to_string_lossy();
    let tmp = link.with_file_name(format!(".{name}.tmp-{}-{n}", std::process::id()));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp)?;
    std::fs::rename(&tmp, link).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

impl SimPrinter {
    /// Create the pty (and link) and start the printer.
    pub fn start(options: SimPrinterOptions) -> io::Result<SimPrinter> {
        let pty = new_pty(options.link.as_deref())?;
        let mut fds = [0 as RawFd; 2];
        // SAFETY: pipe2 fills two descriptors we then own.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: fresh descriptors from pipe2.
        let (wake_r, wake_w) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let shared = Shared {
            plugged: true,
            pty_path: pty.path.clone(),
            ..Shared::default()
        };
        let inner = Arc::new(Inner {
            shared: Mutex::new(shared),
            cond: Condvar::new(),
            wake: wake_w,
            link: options.link.clone(),
        });
        let capacity = options
            .buffer_bytes
            .unwrap_or(options.profile.buffer_bytes as usize)
            .max(1);
        let worker = Worker {
            inner: inner.clone(),
            interp: Interpreter::new(options.profile),
            opts: options,
            wake_r,
            pty: Some(pty),
            buffer: VecDeque::with_capacity(capacity),
            capacity,
            rt: RtScanner::default(),
            xoff: false,
            asb: 0,
            last_status: SimStatus::default(),
            wire_tokens: 0.0,
            wire_idle: true,
            print_tokens: 0.0,
            last_tick: Instant::now(),
            last_activity: Instant::now(),
            last_nxcl: Instant::now(),
            receipt_no: 0,
        };
        let thread = std::thread::Builder::new()
            .name("printer-sim".into())
            .spawn(move || worker.run())?;
        Ok(SimPrinter {
            inner,
            thread: Some(thread),
        })
    }

    /// The path the host opens: the link if one was asked for, else the
    /// current pty slave.
    pub fn port_path(&self) -> PathBuf {
        self.control().port_path()
    }

    pub fn control(&self) -> SimPrinterControl {
        SimPrinterControl {
            inner: self.inner.clone(),
        }
    }
}

impl Drop for SimPrinter {
    fn drop(&mut self) {
        self.inner.lock().stop = true;
        self.inner.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if let Some(link) = &self.inner.link {
            let _ = std::fs::remove_file(link);
        }
    }
}

impl SimPrinterControl {
    /// See [`SimPrinter::port_path`].
    pub fn port_path(&self) -> PathBuf {
        match &self.inner.link {
            Some(l) => l.clone(),
            None => self.pty_path(),
        }
    }

    /// The current (or last) pty slave path.
    pub fn pty_path(&self) -> PathBuf {
        self.inner.lock().pty_path.clone()
    }

    fn update(&self, f: impl FnOnce(&mut SimStatus)) {
        f(&mut self.inner.lock().status);
        self.inner.wake();
    }

    pub fn set_paper(&self, state: PaperState) {
        self.update(|s| s.paper = state);
    }

    pub fn set_cover_open(&self, open: bool) {
        self.update(|s| s.cover_open = open);
    }

    pub fn status(&self) -> SimStatus {
        self.inner.lock().status
    }

    /// Pull the cable: close the pty and remove the link. Returns once done.
    /// The printer keeps its buffer and goes on printing what it has.
    pub fn unplug(&self) {
        let mut s = self.inner.lock();
        if !s.plugged {
            return;
        }
        s.unplug_requested = true;
        self.inner.wake();
        let deadline = Instant::now() + Duration::from_secs(10);
        while s.plugged && !s.stop && Instant::now() < deadline {
            s = self
                .inner
                .cond
                .wait_timeout(s, Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Plug back in: a new pty, the link re-pointed. Returns once the link
    /// exists (a failure to make the pty is logged; the printer stays
    /// unplugged).
    pub fn replug(&self) {
        let mut s = self.inner.lock();
        if s.plugged || s.new_pty.is_some() {
            return;
        }
        match new_pty(self.inner.link.as_deref()) {
            Ok(pty) => {
                s.pty_path = pty.path.clone();
                s.new_pty = Some(pty);
                s.plugged = true;
                self.inner.wake();
            }
            Err(e) => log::error!("printer sim: replug failed: {e}"),
        }
    }

    pub fn is_plugged(&self) -> bool {
        self.inner.lock().plugged
    }

    /// All receipts so far, oldest first.
    pub fn receipts(&self) -> Vec<PrintedReceipt> {
        self.inner.lock().receipts.clone()
    }

    /// Wait until at least `count` receipts came out (or `timeout`); all
    /// receipts so far.
    pub fn wait_for_receipts(&self, count: usize, timeout: Duration) -> Vec<PrintedReceipt> {
        let deadline = Instant::now() + timeout;
        let mut s = self.inner.lock();
        while s.receipts.len() < count {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            s = self
                .inner
                .cond
                .wait_timeout(s, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        s.receipts.clone()
    }

    /// Bytes taken off the wire (including lost ones and status requests).
    pub fn bytes_received(&self) -> u64 {
        self.inner.lock().bytes_received
    }

    /// Highest buffer fill seen.
    pub fn max_buffer_fill(&self) -> usize {
        self.inner.lock().max_fill
    }

    /// Current buffer fill.
    pub fn buffer_fill(&self) -> usize {
        self.inner.lock().fill
    }

    /// Bytes lost because the host kept sending into a full buffer.
    pub fn overflow_bytes(&self) -> u64 {
        self.inner.lock().overflow
    }

    /// Whether any byte was lost (the host ignored flow control).
    pub fn overflowed(&self) -> bool {
        self.overflow_bytes() > 0
    }

    /// How many times XOFF was sent.
    pub fn xoff_count(&self) -> u64 {
        self.inner.lock().xoff_sent
    }
}

/// Finds `DLE EOT n` in the raw byte stream.
#[derive(Default)]
struct RtScanner {
    /// 0: nothing, 1: saw DLE, 2: saw DLE EOT.
    state: u8,
    /// Bytes of the current partial sequence that did not fit the buffer.
    dropped: u8,
}

impl RtScanner {
    /// Returns `Some(n)` when `b` completes `DLE EOT n`, with the count of
    /// the sequence's bytes that were dropped.
    fn push(&mut self, b: u8, dropped: bool) -> Option<(u8, u8)> {
        let d = u8::from(dropped);
        match (self.state, b) {
            (2, n) => {
                let lost = self.dropped + d;
                self.state = 0;
                self.dropped = 0;
                if b == 0x10 {
                    self.state = 1;
                    self.dropped = d;
                }
                Some((n, lost))
            }
            (1, 0x04) => {
                self.state = 2;
                self.dropped += d;
                None
            }
            (_, 0x10) => {
                self.state = 1;
                self.dropped = d;
                None
            }
            _ => {
                self.state = 0;
                self.dropped = 0;
                None
            }
        }
    }
}

struct Worker {
    inner: Arc<Inner>,
    opts: SimPrinterOptions,
    wake_r: OwnedFd,
    pty: Option<Pty>,
    interp: Interpreter,
    buffer: VecDeque<u8>,
    capacity: usize,
    rt: RtScanner,
    xoff: bool,
    asb: u8,
    last_status: SimStatus,
    wire_tokens: f64,
    /// The last read found nothing on the line: the next bytes start a
    /// fresh transmission and bank no time from the idle gap.
    wire_idle: bool,
    print_tokens: f64,
    last_tick: Instant,
    last_activity: Instant,
    last_nxcl: Instant,
    receipt_no: u32,
}

impl Worker {
    fn run(mut self) {
        loop {
            let mut stats = Stats::default();
            // 1. Requests and status from the control side.
            let status = {
                let mut s = self.inner.lock();
                if s.stop {
                    break;
                }
                if s.unplug_requested {
                    s.unplug_requested = false;
                    self.pty = None;
                    if let Some(link) = &self.inner.link {
                        let _ = std::fs::remove_file(link);
                    }
                    s.plugged = false;
                    self.inner.cond.notify_all();
                    log::debug!("printer sim: unplugged");
                }
                if let Some(pty) = s.new_pty.take() {
                    self.pty = Some(pty);
                    self.rt = RtScanner::default();
                    self.xoff = false;
                    log::debug!("printer sim: plugged in");
                }
                s.status
            };
            if status != self.last_status {
                self.last_status = status;
                self.last_activity = Instant::now();
                if self.asb != 0 {
                    self.send(&status.automatic());
                }
            }

            // 2. Budgets.
            let now = Instant::now();
            let dt = now.duration_since(self.last_tick).as_secs_f64();
            self.last_tick = now;
            let wire_rate = f64::from(self.opts.baud) / 10.0;
            let print_rate = f64::from(self.opts.print_speed);
            let burst = |rate: f64| (rate * 0.05).max(1.0);
            if self.opts.baud > 0 {
                self.wire_tokens = if self.wire_idle {
                    // A UART delivers the first byte of a transmission one
                    // byte-time after it starts, not a burst of banked time.
                    self.wire_tokens.clamp(0.0, 1.0).max(1.0)
                } else {
                    (self.wire_tokens + dt * wire_rate).min(burst(wire_rate))
                };
            }
            if self.opts.print_speed > 0 {
                self.print_tokens = (self.print_tokens + dt * print_rate).min(burst(print_rate));
            }

            // 3. Wire -> receive stage -> buffer.
            let hold_for_dsr =
                self.opts.profile.flow == FlowControl::DtrDsr && self.buffer.len() >= self.capacity;
            let wire_budget = if self.opts.baud == 0 {
                4096
            } else {
                (self.wire_tokens as usize).min(4096)
            };
            let can_read = self.pty.is_some() && !hold_for_dsr && wire_budget > 0;
            if can_read {
                let n = self.receive(wire_budget, status, &mut stats);
                if self.opts.baud > 0 {
                    self.wire_tokens -= n as f64;
                    self.wire_idle = n == 0;
                }
            }

            // 4. Buffer -> print mechanism.
            let printing = !status.offline();
            if printing && !self.buffer.is_empty() {
                let n = if self.opts.print_speed == 0 {
                    self.buffer.len()
                } else {
                    (self.print_tokens as usize).min(self.buffer.len())
                };
                if n > 0 {
                    if self.opts.print_speed > 0 {
                        self.print_tokens -= n as f64;
                    }
                    let chunk: Vec<u8> = self.buffer.drain(..n).collect();
                    let events = self.interp.feed(&chunk);
                    self.last_activity = Instant::now();
                    for e in events {
                        self.event(e);
                    }
                }
            }

            // 5. Flow control.
            if self.opts.profile.flow == FlowControl::XonXoff && self.pty.is_some() {
                let high = (self.capacity * 3 / 4).max(1);
                let low = self.capacity / 4;
                if !self.xoff && self.buffer.len() >= high {
                    self.send(&[XOFF]);
                    self.xoff = true;
                    stats.xoff += 1;
                } else if self.xoff && self.buffer.len() <= low {
                    self.send(&[XON]);
                    self.xoff = false;
                }
            }

            // 6. Tear-off at the tear bar.
            let mut tear_wait = None;
            if !self.opts.profile.cutter
                && printing
                && self.buffer.is_empty()
                && self.interp.has_pending_output()
            {
                let idle = self.last_activity.elapsed();
                if idle >= self.opts.tear_after {
                    if let Some(paper) = self.interp.tear_off() {
                        self.receipt(paper);
                    }
                } else {
                    tear_wait = Some(self.opts.tear_after - idle);
                }
            }

            // 7. Housekeeping: keep the tty openable (see module docs).
            if self.last_nxcl.elapsed() >= IDLE_POLL {
                self.last_nxcl = Instant::now();
                if let Some(pty) = &self.pty {
                    // SAFETY: ioctl without argument on a descriptor we own.
                    unsafe { libc::ioctl(pty.slave.as_raw_fd(), libc::TIOCNXCL) };
                }
            }

            // 8. Sleep until something can happen.
            let mut timeout = IDLE_POLL;
            if let Some(t) = tear_wait {
                timeout = timeout.min(t + Duration::from_millis(1));
            }
            if printing && !self.buffer.is_empty() {
                timeout = timeout.min(TICK);
            }
            let mut watch_master = self.pty.is_some()
                && !(self.opts.profile.flow == FlowControl::DtrDsr
                    && self.buffer.len() >= self.capacity);
            if watch_master && self.opts.baud > 0 && self.wire_tokens < (wire_rate * 0.01).max(1.0)
            {
                // Not enough wire time yet for a batch: wait for it.
                watch_master = false;
                timeout = timeout.min(TICK);
            }
            {
                let mut s = self.inner.lock();
                s.bytes_received += stats.received;
                s.overflow += stats.overflow;
                s.xoff_sent += stats.xoff;
                s.fill = self.buffer.len();
                s.max_fill = s.max_fill.max(stats.max_fill);
            }
            self.wait(watch_master, timeout);
        }
    }

    /// Read up to `budget` bytes off the wire; returns how many.
    fn receive(&mut self, budget: usize, status: SimStatus, stats: &mut Stats) -> usize {
        let Some(pty) = &self.pty else {
            return 0;
        };
        let mut buf = vec![0u8; budget];
        // SAFETY: reading into a buffer of `budget` bytes.
        let n = unsafe { libc::read(pty.master.as_raw_fd(), buf.as_mut_ptr().cast(), budget) };
        if n <= 0 {
            return 0;
        }
        let n = n as usize;
        self.last_activity = Instant::now();
        stats.received += n as u64;
        let mut replies = Vec::new();
        for &b in &buf[..n] {
            let fits = self.buffer.len() < self.capacity;
            if fits {
                self.buffer.push_back(b);
                stats.max_fill = stats.max_fill.max(self.buffer.len());
            } else {
                stats.overflow += 1;
            }
            if let Some((req, lost)) = self.rt.push(b, !fits) {
                stats.overflow -= u64::from(lost).min(stats.overflow);
                if let Some(reply) = status.real_time(req) {
                    replies.push(reply);
                }
            }
        }
        if !replies.is_empty() {
            self.send(&replies);
        }
        n
    }

    fn send(&self, bytes: &[u8]) {
        if let Some(pty) = &self.pty {
            // SAFETY: writing from a valid buffer to a descriptor we own.
            let r =
                unsafe { libc::write(pty.master.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
            if r < bytes.len() as isize {
                log::debug!("printer sim: host is not reading; reply dropped");
            }
        }
    }

    fn event(&mut self, e: Event) {
        match e {
            // Answered in the receive stage.
            Event::StatusRequest(_) | Event::Initialized => {}
            Event::AutoStatus(n) => {
                self.asb = n;
                if n != 0 {
                    self.send(&self.last_status.automatic());
                }
            }
            Event::Cut(paper) => self.receipt(paper),
        }
    }

    fn receipt(&mut self, paper: Paper) {
        self.receipt_no += 1;
        let transcript = paper.transcript();
        let image = self
            .opts
            .renderer
            .as_ref()
            .map(|r| Arc::new(r.render(&paper, self.opts.profile)));
        let mut png = None;
        if let Some(dir) = &self.opts.out_dir {
            let stem = format!("receipt-{:03}", self.receipt_no);
            let write = || -> io::Result<Option<PathBuf>> {
                std::fs::create_dir_all(dir)?;
                std::fs::write(dir.join(format!("{stem}.txt")), &transcript)?;
                match &image {
                    Some(img) => {
                        let path = dir.join(format!("{stem}.png"));
                        img.save_png(&path)?;
                        Ok(Some(path))
                    }
                    None => Ok(None),
                }
            };
            match write() {
                Ok(p) => png = p,
                Err(e) => log::warn!("printer sim: cannot write {stem}: {e}"),
            }
        }
        log::debug!("printer sim: receipt {} done", self.receipt_no);
        let receipt = PrintedReceipt {
            transcript,
            png,
            image,
            paper: Arc::new(paper),
            received_at: Instant::now(),
        };
        let mut s = self.inner.lock();
        s.receipts.push(receipt);
        self.inner.cond.notify_all();
    }

    /// Sleep up to `timeout`, waking early on a control request or (when
    /// `watch_master`) input from the host.
    fn wait(&self, watch_master: bool, timeout: Duration) {
        let mut fds = [
            libc::pollfd {
                fd: self.wake_r.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: -1,
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        if watch_master && let Some(pty) = &self.pty {
            fds[1].fd = pty.master.as_raw_fd();
        }
        let ms = timeout.as_millis().clamp(1, 1000) as libc::c_int;
        // SAFETY: polling two valid pollfd entries (fd -1 is ignored).
        let r = unsafe { libc::poll(fds.as_mut_ptr(), 2, ms) };
        if r > 0 && fds[1].revents & (libc::POLLHUP | libc::POLLERR) != 0 {
            // Cannot happen while we hold the slave; never spin on it.
            std::thread::sleep(TICK);
        }
        if fds[0].revents & libc::POLLIN != 0 {
            let mut sink = [0u8; 64];
            // SAFETY: draining the non-blocking wake pipe we own.
            while unsafe { libc::read(self.wake_r.as_raw_fd(), sink.as_mut_ptr().cast(), 64) } > 0 {
            }
        }
    }
}

#[derive(Default)]
struct Stats {
    received: u64,
    overflow: u64,
    xoff: u64,
    max_fill: usize,
}
