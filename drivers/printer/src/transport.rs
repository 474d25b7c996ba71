//! The serial transport: open the port, ask status, send a rendered receipt
//! with the printer's flow control.
//!
//! Thin on purpose: what the bytes mean is in [`crate::escpos`] and
//! [`crate::status`]; this module only moves them, with timeouts.
//!
//! # Pacing and flow control
//!
//! The printer's receive buffer is small and XOFF takes time to act: every
//! byte already queued in the kernel or the USB adapter still arrives after
//! the printer said stop. So the sender keeps a clock of when its last byte
//! will have left the wire (`bytes x 10 / baud`) and never runs more than a
//! small lead ahead of it (about 30 ms of data, at most 1/16 of the
//! printer's buffer, at least 16 bytes): the line is never idle, yet after an
//! XOFF at most the lead is still on its way. Between writes it reads
//! whatever input is pending without blocking: XOFF (13) pauses until XON
//! (11), other bytes are kept aside (status must not be asked while a
//! command is half sent, since image data can contain `10 04 n` by chance
//! and the printer would answer it). DTR/DSR: DTR is raised at open and DSR
//! checked before each write; a port that cannot report modem lines (a
//! pseudo-terminal, some adapters) gets one warning and no flow control.
//! Pausing longer than `write_timeout` is [`PrintError::FlowStalled`].
//!
//! Per write the overhead is a few system calls, so a receipt takes the
//! wire time plus scheduling noise.
//!
//! # Pseudo-terminals
//!
//! `serialport` opens a port with `TIOCEXCL` and an exclusive `flock`. The
//! simulator (and the tests) create the pair with `TTYPort::pair()`, whose
//! slave side is opened without either, so [`Printer::open`] on the slave's
//! path works while the simulator keeps its descriptors. A second
//! `Printer::open` of the same path fails (the `flock` holds even for
//! root, unlike `TIOCEXCL`), as with a real port; that error is not a
//! disconnect.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use serialport::{ClearBuffer, SerialPort, TTYPort};

use crate::escpos::RenderError;
use crate::profile::{FlowControl, Profile};
use crate::status::{self, PrinterStatus, Problem, StatusDecoder, StatusError, XOFF, XON};

/// How to reach the printer.
#[derive(Debug, Clone)]
pub struct PrinterConfig {
    /// Device path, e.g. `/dev/ttyUSB0`.
    pub port: String,
    pub baud: u32,
    pub profile: &'static Profile,
    /// Longest a send may be held up by flow control (XOFF or DSR low), or
    /// a write may block, before [`PrintError::FlowStalled`].
    pub write_timeout: Duration,
    /// Longest to wait for the four status replies (after the bytes still
    /// on the wire have left).
    pub status_timeout: Duration,
}

impl PrinterConfig {
    /// The profile's default baud rate, 10 s write timeout (a printer
    /// printing a long image may hold XOFF for seconds), 1 s status timeout
    /// (a printer answers within milliseconds; an unplugged adapter never).
    pub fn new(port: impl Into<String>, profile: &'static Profile) -> Self {
        PrinterConfig {
            port: port.into(),
            baud: profile.default_baud,
            profile,
            write_timeout: Duration::from_secs(10),
            status_timeout: Duration::from_secs(1),
        }
    }
}

/// What went wrong talking to the printer.
#[derive(Debug, thiserror::Error)]
pub enum PrintError {
    #[error("cannot open printer port {port}: {source}")]
    Open {
        port: String,
        source: serialport::Error,
    },
    #[error("printer disconnected: {0}")]
    Disconnected(io::Error),
    #[error("printer did not answer the status request")]
    NoStatusReply,
    /// The printer answered, but not with status replies (noise, wrong baud
    /// rate), twice.
    #[error("printer's status reply is garbled: {0}")]
    BadStatusReply(StatusError),
    #[error("printer not ready: {}", .0.description())]
    NotReady(Problem),
    #[error("printer flow control held sending for too long (XOFF never lifted / DSR never came)")]
    FlowStalled,
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("printer I/O error: {0}")]
    Io(io::Error),
}

impl PrintError {
    /// The printer is gone (unplugged, powered off with a USB adapter, pty
    /// closed): reopen later.
    pub fn is_disconnect(&self) -> bool {
        match self {
            PrintError::Disconnected(_) => true,
            // serialport reports both "no such device" and "locked by
            // another process" as NoDevice; only a missing device node is an
            // unplug.
            PrintError::Open { port, source } => {
                matches!(
                    source.kind(),
                    serialport::ErrorKind::Io(io::ErrorKind::NotFound)
                ) || (source.kind() == serialport::ErrorKind::NoDevice
                    && !std::path::Path::new(port).exists())
            }
            _ => false,
        }
    }

    /// The printer's own problem, if that is what this is.
    pub fn problem(&self) -> Option<Problem> {
        match self {
            PrintError::NotReady(p) => Some(*p),
            _ => None,
        }
    }
}

/// Is this I/O error the device going away?
fn is_disconnect_error(e: &io::Error) -> bool {
    // EIO, ENXIO, ENODEV, EPIPE: what a vanished tty or a closed pty master
    // gives; serialport reports POLLHUP as BrokenPipe and POLLERR as "I/O
    // error" without an errno.
    matches!(e.raw_os_error(), Some(5 | 6 | 19 | 32))
        || matches!(
            e.kind(),
            io::ErrorKind::BrokenPipe | io::ErrorKind::NotConnected | io::ErrorKind::UnexpectedEof
        )
        || (e.kind() == io::ErrorKind::Other
            && e.raw_os_error().is_none()
            && e.to_string() == "I/O error")
}

fn io_error(e: io::Error) -> PrintError {
    if is_disconnect_error(&e) {
        PrintError::Disconnected(e)
    } else {
        PrintError::Io(e)
    }
}

fn serial_error(e: serialport::Error) -> PrintError {
    io_error(io::Error::from(e))
}

/// Poll interval while waiting (paused, or for a reply).
const POLL: Duration = Duration::from_millis(5);
/// Non-flow bytes kept from the printer while sending (for the log).
const MAX_KEPT_INPUT: usize = 256;

/// An open printer. See the module docs.
pub struct Printer {
    port: TTYPort,
    config: PrinterConfig,
    wire_bytes: u64,
    /// XOFF received and no XON since.
    paused: bool,
    /// When the last byte written will have left the wire.
    wire_clear_at: Instant,
    /// DSR can be read (DTR/DSR profiles); `false` after the one warning.
    dsr_usable: bool,
    /// Input that was neither XON nor XOFF, read while sending.
    kept_input: Vec<u8>,
}

impl std::fmt::Debug for Printer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer")
            .field("port", &self.config.port)
            .field("profile", &self.config.profile.id)
            .field("wire_bytes", &self.wire_bytes)
            .finish()
    }
}

impl Printer {
    /// Open the port 8N1 at `config.baud`, no kernel flow control (XON/XOFF
    /// is handled here so that stalls time out and input is seen); raise
    /// DTR for DTR/DSR printers.
    pub fn open(config: &PrinterConfig) -> Result<Printer, PrintError> {
        let port = serialport::new(&config.port, config.baud)
            .data_bits(serialport::DataBits::Eight)
            .parity(serialport::Parity::None)
            .stop_bits(serialport::StopBits::One)
            .flow_control(serialport::FlowControl::None)
            .timeout(POLL)
            .open_native()
            .map_err(|source| PrintError::Open {
                port: config.port.clone(),
                source,
            })?;
        let mut printer = Printer {
            port,
            config: config.clone(),
            wire_bytes: 0,
            paused: false,
            wire_clear_at: Instant::now(),
            dsr_usable: config.profile.flow == FlowControl::DtrDsr,
            kept_input: Vec::new(),
        };
        if printer.dsr_usable {
            let dtr = printer.port.write_data_terminal_ready(true);
            let dsr = printer.port.read_data_set_ready();
            if let Err(e) = dtr.and(dsr.map(|_| ())) {
                printer.dsr_unusable(&e);
            }
        }
        log::info!(
            "printer {} opened on {} at {} baud",
            config.profile.id,
            config.port,
            config.baud
        );
        Ok(printer)
    }

    fn dsr_unusable(&mut self, e: &dyn std::fmt::Display) {
        log::warn!(
            "printer port {} cannot report DSR ({e}); sending without DTR/DSR flow control",
            self.config.port
        );
        self.dsr_usable = false;
    }

    /// The configuration this printer was opened with.
    pub fn config(&self) -> &PrinterConfig {
        &self.config
    }

    /// Bytes written to the port since it was opened (receipts and status
    /// requests).
    pub fn wire_bytes(&self) -> u64 {
        self.wire_bytes
    }

    /// Ask the four real-time statuses. Stale input is flushed first (after
    /// noting any XON/XOFF in it); a garbled answer is asked once more.
    pub fn status(&mut self) -> Result<PrinterStatus, PrintError> {
        // Bytes still on the wire are processed before the requests.
        let on_wire = self.wire_clear_at.saturating_duration_since(Instant::now());
        let mut last_error = None;
        for _attempt in 0..2 {
            self.drain_input()?;
            self.port.clear(ClearBuffer::Input).map_err(serial_error)?;
            self.kept_input.clear();
            self.write_raw(&status::request_all())?;
            let deadline = Instant::now() + on_wire + self.config.status_timeout;
            let mut decoder = StatusDecoder::new();
            let mut buf = [0u8; 64];
            loop {
                let now = Instant::now();
                if now >= deadline {
                    return Err(
                        last_error.map_or(PrintError::NoStatusReply, PrintError::BadStatusReply)
                    );
                }
                let n = match self.port.read(&mut buf) {
                    Ok(0) => {
                        return Err(PrintError::Disconnected(io::Error::from(
                            io::ErrorKind::UnexpectedEof,
                        )));
                    }
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::TimedOut => continue,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(io_error(e)),
                };
                self.note_flow(&buf[..n]);
                match decoder.push(&buf[..n]) {
                    None => {}
                    Some(Ok(st)) => {
                        log::debug!("printer status {st:?}");
                        return Ok(st);
                    }
                    Some(Err(e)) => {
                        log::warn!("printer status reply garbled ({e}), asking again");
                        last_error = Some(e);
                        break;
                    }
                }
            }
        }
        Err(last_error.map_or(PrintError::NoStatusReply, PrintError::BadStatusReply))
    }

    /// Print rendered bytes: check status (a problem is
    /// [`PrintError::NotReady`] and nothing is sent), send with flow
    /// control, then check status again to catch paper running out during
    /// the receipt (then `NotReady` although part of it printed: reprint).
    pub fn print(&mut self, bytes: &[u8]) -> Result<(), PrintError> {
        let before = self.status()?;
        if let Some(p) = before.problem() {
            return Err(PrintError::NotReady(p));
        }
        if before.paper_near_end {
            log::warn!("printer paper near end");
        }
        let started = Instant::now();
        if let Err(e) = self.send(bytes) {
            if matches!(e, PrintError::FlowStalled) {
                // Often the printer stopped for a reason it can tell.
                if let Ok(Some(p)) = self.status().map(|s| s.problem()) {
                    return Err(PrintError::NotReady(p));
                }
            }
            return Err(e);
        }
        log::debug!(
            "printer: {} bytes queued in {:?} (wire floor {:?})",
            bytes.len(),
            started.elapsed(),
            self.wire_time(bytes.len())
        );
        let after = self.status()?;
        if let Some(p) = after.problem() {
            return Err(PrintError::NotReady(p));
        }
        if !self.kept_input.is_empty() {
            log::debug!(
                "printer sent {} unexpected bytes while printing",
                self.kept_input.len()
            );
        }
        Ok(())
    }

    fn wire_time(&self, bytes: usize) -> Duration {
        Duration::from_secs_f64(bytes as f64 * 10.0 / f64::from(self.config.baud.max(1)))
    }

    /// How far ahead of the wire the sender may run, in bytes.
    fn lead_bytes(&self) -> usize {
        let per_30ms = (self.config.baud as usize * 3) / 1000; // baud/10 bytes/s x 0.03 s
        per_30ms
            .min(self.config.profile.buffer_bytes as usize / 16)
            .max(16)
    }

    /// Send `bytes` with pacing and flow control (see the module docs).
    pub fn send(&mut self, bytes: &[u8]) -> Result<(), PrintError> {
        let lead = self.lead_bytes();
        let lead_time = self.wire_time(lead);
        let xon_xoff = self.config.profile.flow == FlowControl::XonXoff;
        let mut pos = 0;
        let mut held_since: Option<Instant> = None;
        while pos < bytes.len() {
            self.drain_input()?;
            let held = (xon_xoff && self.paused) || (self.dsr_usable && !self.dsr()?);
            if held {
                let since = *held_since.get_or_insert_with(Instant::now);
                if since.elapsed() > self.config.write_timeout {
                    log::warn!(
                        "printer flow control stalled after {pos} of {} bytes",
                        bytes.len()
                    );
                    return Err(PrintError::FlowStalled);
                }
                self.wait_input()?;
                continue;
            }
            held_since = None;
            let now = Instant::now();
            let queued = self.wire_clear_at.saturating_duration_since(now);
            if queued >= lead_time {
                std::thread::sleep(queued - lead_time / 2);
                continue;
            }
            let room = lead - (queued.as_secs_f64() * f64::from(self.config.baud) / 10.0) as usize;
            let n = room.clamp(1, bytes.len() - pos);
            self.write_paced(&bytes[pos..pos + n])?;
            pos += n;
        }
        Ok(())
    }

    fn dsr(&mut self) -> Result<bool, PrintError> {
        match self.port.read_data_set_ready() {
            Ok(v) => Ok(v),
            Err(e) => {
                let e = io::Error::from(e);
                if is_disconnect_error(&e) {
                    return Err(PrintError::Disconnected(e));
                }
                self.dsr_unusable(&e);
                Ok(true)
            }
        }
    }

    /// Write all of `chunk`, waiting on a full output buffer up to the write
    /// timeout, and advance the wire clock.
    fn write_paced(&mut self, chunk: &[u8]) -> Result<(), PrintError> {
        self.write_raw(chunk)?;
        let now = Instant::now();
        self.wire_clear_at = self.wire_clear_at.max(now) + self.wire_time(chunk.len());
        Ok(())
    }

    fn write_raw(&mut self, mut data: &[u8]) -> Result<(), PrintError> {
        let started = Instant::now();
        while !data.is_empty() {
            match self.port.write(data) {
                Ok(0) => return Err(PrintError::Disconnected(io::ErrorKind::WriteZero.into())),
                Ok(n) => {
                    self.wire_bytes += n as u64;
                    data = &data[n..];
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                            | io::ErrorKind::WouldBlock
                    ) =>
                {
                    if started.elapsed() > self.config.write_timeout {
                        return Err(PrintError::FlowStalled);
                    }
                }
                Err(e) => return Err(io_error(e)),
            }
        }
        Ok(())
    }

    /// Read whatever input is pending, without blocking.
    fn drain_input(&mut self) -> Result<(), PrintError> {
        let pending = self.port.bytes_to_read().map_err(serial_error)? as usize;
        if pending == 0 {
            return Ok(());
        }
        let mut buf = vec![0u8; pending.min(4096)];
        match self.port.read(&mut buf) {
            Ok(n) => {
                self.take_input(&buf[..n]);
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::TimedOut => Ok(()),
            Err(e) => Err(io_error(e)),
        }
    }

    /// Block up to [`POLL`] (the port's read timeout) for input; returns at
    /// once when a byte (XON) arrives.
    fn wait_input(&mut self) -> Result<(), PrintError> {
        let mut buf = [0u8; 64];
        match self.port.read(&mut buf) {
            Ok(0) => Err(PrintError::Disconnected(
                io::ErrorKind::UnexpectedEof.into(),
            )),
            Ok(n) => {
                self.take_input(&buf[..n]);
                Ok(())
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::TimedOut | io::ErrorKind::Interrupted
                ) =>
            {
                Ok(())
            }
            Err(e) => Err(io_error(e)),
        }
    }

    fn note_flow(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                XOFF => self.paused = true,
                XON => self.paused = false,
                _ => {}
            }
        }
    }

    fn take_input(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match b {
                XOFF => {
                    if !self.paused {
                        log::trace!("printer XOFF");
                    }
                    self.paused = true;
                }
                XON => self.paused = false,
                other if self.kept_input.len() < MAX_KEPT_INPUT => self.kept_input.push(other),
                _ => {}
            }
        }
    }
}
