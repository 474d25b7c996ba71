//! The print service: one thread that owns the printer's serial port and
//! the print queue, so the UI thread never waits on either.
//!
//! The UI sends [`PrintRequest`]s and gets [`PrintUpdate`]s back:
//! 1. `Prepare`: the service picks the receipt's reference number, builds
//!    the document (the caller's closure gets the reference), renders it to
//!    ESC/POS for the configured profile and renders those same bytes to an
//!    image of the paper for the on-screen preview.
//! 2. `Print`: the prepared bytes go into the SQLite queue first, then to
//!    the printer. A failure (paper out, cover open, unplugged) leaves the
//!    job queued; the service retries every few seconds and reports what is
//!    wrong, until the job prints or is cancelled.
//!
//! Between jobs it asks the printer for its status now and then, so the
//! header can say "打印机缺纸" before anyone taps 打印.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use kiosk_core::UnprintedPolicy;
use kiosk_printer::document::Receipt;
use kiosk_printer::profile::Profile;
use kiosk_printer::raster::TextRasterizer;
use kiosk_printer::status::{PrinterStatus, Problem};
use kiosk_printer::transport::{PrintError, Printer, PrinterConfig};
use kiosk_printer_sim::{PaperImage, PaperRenderer};

use super::queue::{NewJob, PrintQueue, reference};

/// Builds a receipt once its reference number is known.
pub type ReceiptBuilder = Box<dyn FnOnce(&str) -> Receipt + Send>;

/// A receipt the UI asked for, identified by a ticket the UI chooses.
pub type Ticket = u64;

pub enum PrintRequest {
    Prepare {
        ticket: Ticket,
        kind: &'static str,
        /// For staff and logs: never personal data.
        title: String,
        build: ReceiptBuilder,
    },
    Print {
        ticket: Ticket,
        session: u64,
    },
    Cancel {
        job: i64,
    },
    SessionEnded {
        session: u64,
    },
}

/// Why a receipt is not coming out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    PaperOut,
    CoverOpen,
    Offline,
    Disconnected,
    Cutter,
    Error,
}

impl Trouble {
    fn from_problem(problem: Problem) -> Trouble {
        match problem {
            Problem::PaperOut => Trouble::PaperOut,
            Problem::CoverOpen => Trouble::CoverOpen,
            Problem::Offline => Trouble::Offline,
            Problem::CutterError => Trouble::Cutter,
            Problem::Unrecoverable | Problem::Recoverable => Trouble::Error,
        }
    }

    fn from_error(e: &PrintError) -> Trouble {
        match e.problem() {
            Some(problem) => Trouble::from_problem(problem),
            None if e.is_disconnect() => Trouble::Disconnected,
            None => match e {
                PrintError::Open { .. } | PrintError::NoStatusReply => Trouble::Disconnected,
                _ => Trouble::Error,
            },
        }
    }

    /// Stable name stored in the queue and written to logs.
    pub fn key(self) -> &'static str {
        match self {
            Trouble::PaperOut => "paper-out",
            Trouble::CoverOpen => "cover-open",
            Trouble::Offline => "offline",
            Trouble::Disconnected => "disconnected",
            Trouble::Cutter => "cutter-error",
            Trouble::Error => "printer-error",
        }
    }
}

/// What the header shows about the printer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PrinterHealth {
    NotInstalled,
    Ready,
    PaperLow,
    Trouble(Trouble),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobProgress {
    Printing,
    Printed,
    Waiting(Trouble),
    Cancelled,
    /// The receipt could not be put in the queue (database trouble): it
    /// will not print later, and the screen must not say it will.
    NotSaved,
}

pub enum PrintUpdate {
    Prepared {
        ticket: Ticket,
        reference: String,
        preview: Option<PaperImage>,
    },
    /// The receipt could not be rendered (a bug or bad content): logged.
    PrepareFailed {
        ticket: Ticket,
    },
    Job {
        ticket: Option<Ticket>,
        job: i64,
        progress: JobProgress,
    },
    /// `Print` for a terminal without a printer.
    NoPrinter {
        ticket: Ticket,
    },
    Health(PrinterHealth),
}

/// How the service is set up.
pub struct PrintServiceConfig {
    /// None: this terminal has no printer (previews still work).
    pub port: Option<String>,
    pub baud: u32,
    pub profile: &'static Profile,
    pub database: PathBuf,
    pub assets_dir: PathBuf,
    pub policy: UnprintedPolicy,
    /// How often a waiting job is retried and the printer's health checked.
    pub retry_every: Duration,
}

/// The UI's handle on the service thread; the thread ends when this drops.
pub struct PrintService {
    tx: Option<Sender<PrintRequest>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PrintService {
    pub fn start(
        config: PrintServiceConfig,
        on_update: impl Fn(PrintUpdate) + Send + 'static,
    ) -> std::io::Result<PrintService> {
        let (tx, rx) = channel();
        let thread = std::thread::Builder::new()
            .name("printer".into())
            .spawn(move || Worker::new(config, Box::new(on_update)).run(rx))?;
        Ok(PrintService {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn send(&self, request: PrintRequest) {
        if self.tx.as_ref().is_none_or(|tx| tx.send(request).is_err()) {
            log::error!("the print service has stopped");
        }
    }
}

impl Drop for PrintService {
    // Closing the channel ends the thread after the receipt in hand, so it
    // never writes to a port (or a simulator) that is going away.
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Prepared {
    reference: String,
    kind: &'static str,
    title: String,
    escpos: Vec<u8>,
}

struct Worker {
    config: PrintServiceConfig,
    on_update: Box<dyn Fn(PrintUpdate) + Send>,
    queue: Option<PrintQueue>,
    printer: Option<Printer>,
    prepared: HashMap<Ticket, Prepared>,
    tickets: HashMap<i64, Ticket>,
    sequence: Option<(String, u32)>,
    rasterizer: Option<Arc<TextRasterizer>>,
    renderer: Option<PaperRenderer>,
    health: Option<PrinterHealth>,
}

impl Worker {
    fn new(config: PrintServiceConfig, on_update: Box<dyn Fn(PrintUpdate) + Send>) -> Worker {
        let boot = format!(
            "{}-{}",
            chrono::Local::now().format("%Y%m%dT%H%M%S%.3f"),
            std::process::id()
        );
        let queue = match PrintQueue::open(&config.database, &boot) {
            Ok(queue) => {
                match queue.recover_after_restart(config.policy) {
                    Ok(0) => {}
                    Ok(n) if config.policy == UnprintedPolicy::Cancel => {
                        log::info!("print queue: cancelled {n} receipts left from before a restart")
                    }
                    Ok(n) => {
                        log::info!("print queue: {n} receipts from before a restart will print")
                    }
                    Err(e) => log::error!("print queue: cannot recover after restart: {e}"),
                }
                Some(queue)
            }
            Err(e) => {
                log::error!("print queue unavailable, receipts cannot be printed: {e}");
                None
            }
        };
        Worker {
            config,
            on_update,
            queue,
            printer: None,
            prepared: HashMap::new(),
            tickets: HashMap::new(),
            sequence: None,
            rasterizer: None,
            renderer: None,
            health: None,
        }
    }

    fn run(mut self, rx: Receiver<PrintRequest>) {
        if self.config.port.is_none() {
            self.report_health(PrinterHealth::NotInstalled);
        } else {
            self.check_health();
        }
        let mut next_check = Instant::now() + self.config.retry_every;
        loop {
            let wait = next_check.saturating_duration_since(Instant::now());
            match rx.recv_timeout(wait) {
                Ok(request) => self.handle(request),
                Err(RecvTimeoutError::Timeout) => {
                    next_check = Instant::now() + self.config.retry_every;
                    if self.config.port.is_some() && !self.print_queued() {
                        self.check_health();
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
    }

    fn handle(&mut self, request: PrintRequest) {
        match request {
            PrintRequest::Prepare {
                ticket,
                kind,
                title,
                build,
            } => self.prepare(ticket, kind, title, build),
            PrintRequest::Print { ticket, session } => {
                if self.config.port.is_none() {
                    (self.on_update)(PrintUpdate::NoPrinter { ticket });
                    return;
                }
                self.enqueue(ticket, session);
                self.print_queued();
            }
            PrintRequest::Cancel { job } => {
                if let Some(queue) = &self.queue
                    && matches!(queue.cancel(job), Ok(true))
                {
                    self.job_update(job, JobProgress::Cancelled);
                }
            }
            PrintRequest::SessionEnded { session } => {
                self.prepared.clear();
                if let Some(queue) = &self.queue {
                    match queue.session_ended(session, self.config.policy) {
                        Ok(0) => {}
                        Ok(n) => log::info!(
                            "print queue: {n} unprinted receipts cancelled at session end"
                        ),
                        Err(e) => log::error!("print queue: {e}"),
                    }
                }
                self.tickets.clear();
            }
        }
    }

    fn next_reference(&mut self) -> String {
        let today = chrono::Local::now().format("%Y-%m-%d").to_string();
        let last = match &self.sequence {
            Some((day, n)) if *day == today => *n,
            _ => self
                .queue
                .as_ref()
                .and_then(|q| q.last_sequence(&today).ok())
                .unwrap_or(0),
        };
        self.sequence = Some((today.clone(), last + 1));
        reference(&today, last + 1)
    }

    fn rasterizer(&mut self) -> Option<Arc<TextRasterizer>> {
        if self.rasterizer.is_none() {
            match TextRasterizer::from_assets_dir(&self.config.assets_dir) {
                Ok(r) => self.rasterizer = Some(Arc::new(r)),
                Err(e) => log::error!("receipt font unavailable: {e}"),
            }
        }
        self.rasterizer.clone()
    }

    fn prepare(
        &mut self,
        ticket: Ticket,
        kind: &'static str,
        title: String,
        build: ReceiptBuilder,
    ) {
        let reference = self.next_reference();
        let receipt = build(&reference);
        let rasterizer = self.rasterizer();
        let escpos = match kiosk_printer::escpos::render(
            &receipt,
            self.config.profile,
            rasterizer.as_deref(),
        ) {
            Ok(bytes) => bytes,
            Err(e) => {
                log::error!("receipt {kind} cannot be rendered: {e}");
                (self.on_update)(PrintUpdate::PrepareFailed { ticket });
                return;
            }
        };
        if self.renderer.is_none()
            && let Some(r) = rasterizer
        {
            self.renderer = Some(PaperRenderer::new(r));
        }
        let preview = self.renderer.as_ref().and_then(|renderer| {
            kiosk_printer_sim::render_bytes(&escpos, self.config.profile, renderer)
                .into_iter()
                .next()
        });
        self.prepared.insert(
            ticket,
            Prepared {
                reference: reference.clone(),
                kind,
                title,
                escpos,
            },
        );
        (self.on_update)(PrintUpdate::Prepared {
            ticket,
            reference,
            preview,
        });
    }

    fn enqueue(&mut self, ticket: Ticket, session: u64) {
        let (Some(prepared), Some(queue)) = (self.prepared.get(&ticket), self.queue.as_mut())
        else {
            log::error!("print: nothing prepared for this receipt, or no queue");
            (self.on_update)(PrintUpdate::Job {
                ticket: Some(ticket),
                job: 0,
                progress: JobProgress::NotSaved,
            });
            return;
        };
        let job = NewJob {
            kind: prepared.kind,
            title: &prepared.title,
            session,
            escpos: &prepared.escpos,
            profile: self.config.profile.id,
        };
        match queue.enqueue(&job, &prepared.reference) {
            Ok(id) => {
                self.tickets.insert(id, ticket);
            }
            Err(e) => {
                log::error!("print queue: cannot queue a receipt: {e}");
                (self.on_update)(PrintUpdate::Job {
                    ticket: Some(ticket),
                    job: 0,
                    progress: JobProgress::NotSaved,
                });
            }
        }
    }

    fn job_update(&self, job: i64, progress: JobProgress) {
        (self.on_update)(PrintUpdate::Job {
            ticket: self.tickets.get(&job).copied(),
            job,
            progress,
        });
    }

    fn open_printer(&mut self) -> Result<&mut Printer, PrintError> {
        if self.printer.is_none() {
            let port = self.config.port.clone().unwrap_or_default();
            let mut config = PrinterConfig::new(port, self.config.profile);
            config.baud = self.config.baud;
            self.printer = Some(Printer::open(&config)?);
        }
        self.printer.as_mut().ok_or(PrintError::NoStatusReply)
    }

    /// Prints every queued job in order; returns whether any was waiting.
    fn print_queued(&mut self) -> bool {
        let mut any = false;
        loop {
            let next = match self.queue.as_ref().map(|q| q.next()) {
                Some(Ok(Some(job))) => job,
                Some(Err(e)) => {
                    log::error!("print queue: {e}");
                    return any;
                }
                _ => return any,
            };
            any = true;
            self.job_update(next.id, JobProgress::Printing);
            let result = self
                .open_printer()
                .and_then(|printer| print_once(printer, &next.escpos));
            match result {
                Ok(()) => {
                    if let Some(queue) = &self.queue
                        && let Err(e) = queue.mark_printed(next.id)
                    {
                        log::error!("print queue: {e}");
                    }
                    log::info!("printed receipt {}", next.reference);
                    self.job_update(next.id, JobProgress::Printed);
                    self.check_health();
                }
                Err(e) => {
                    let trouble = Trouble::from_error(&e);
                    if trouble == Trouble::Disconnected {
                        self.printer = None;
                    }
                    if next.attempts == 0 {
                        log::warn!("receipt {} not printed: {e}", next.reference);
                    }
                    if let Some(queue) = &self.queue
                        && let Err(e) = queue.mark_failed(next.id, trouble.key())
                    {
                        log::error!("print queue: {e}");
                    }
                    // Every receipt behind this one waits too: say so on
                    // its screen, not 正在打印.
                    let waiting: Vec<i64> = self.tickets.keys().copied().collect();
                    for id in waiting {
                        if self.queue.as_ref().and_then(|q| q.state(id).ok().flatten())
                            == Some(super::queue::JobState::Queued)
                        {
                            self.job_update(id, JobProgress::Waiting(trouble));
                        }
                    }
                    self.report_health(PrinterHealth::Trouble(trouble));
                    return true;
                }
            }
        }
    }

    fn check_health(&mut self) {
        let health = match self.open_printer().and_then(|p| p.status()) {
            Ok(status) => health_of(&status),
            Err(e) => {
                let trouble = Trouble::from_error(&e);
                if trouble == Trouble::Disconnected {
                    self.printer = None;
                }
                PrinterHealth::Trouble(trouble)
            }
        };
        self.report_health(health);
    }

    fn report_health(&mut self, health: PrinterHealth) {
        if self.health != Some(health) {
            log::info!("printer: {health:?}");
            self.health = Some(health);
            (self.on_update)(PrintUpdate::Health(health));
        }
    }
}

/// One attempt at a receipt: status first (a printer that is not ready
/// gets nothing), then the bytes, then status again to catch paper running
/// out mid-receipt (then the whole receipt is printed again). A printer that
/// took every byte but does not answer the second status counts as having
/// printed it: printing it twice would be worse than a missed check.
fn print_once(printer: &mut Printer, bytes: &[u8]) -> Result<(), PrintError> {
    if let Some(problem) = printer.status()?.problem() {
        return Err(PrintError::NotReady(problem));
    }
    printer.send(bytes)?;
    match printer.status() {
        Ok(status) => match status.problem() {
            Some(problem) => Err(PrintError::NotReady(problem)),
            None => Ok(()),
        },
        Err(e) if !e.is_disconnect() => {
            log::warn!(
                "receipt sent but the printer's status after it is unreadable ({e}); counted as printed"
            );
            Ok(())
        }
        Err(e) => Err(e),
    }
}

fn health_of(status: &PrinterStatus) -> PrinterHealth {
    match status.problem() {
        Some(problem) => PrinterHealth::Trouble(Trouble::from_problem(problem)),
        None if status.paper_near_end => PrinterHealth::PaperLow,
        None => PrinterHealth::Ready,
    }
}
