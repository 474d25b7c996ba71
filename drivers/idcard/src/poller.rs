//! A thread that turns polling into events.
//!
//! The reader has no interrupt line: the host asks "find card" again and
//! again. [`Poller`] does that on its own thread and reports what changed as
//! [`ReaderEvent`]s, so the kiosk never blocks on the serial port.
//!
//! * **Privacy**: cards are looked for only while a service asks
//!   ([`Poller::set_reading`]`(true)`). Otherwise the thread only checks the
//!   reader's health (SAM status every few seconds), so the header can say
//!   "reader disconnected" without anyone's card being touched.
//! * **One read per placement**: a card left on the reader is read once. It
//!   counts as gone after two consecutive "no card" answers (then
//!   `CardRemoved`); a different card serial also ends the placement.
//! * **Failures**: a read that fails with a card present is reported once per
//!   placement (`CardUnreadable`); transient failures are retried quietly on
//!   the next polls, a rejected text block is not. A timeout is retried once;
//!   a second one, or an I/O error meaning the port is gone, closes the port
//!   (`ReaderLost`, once) and reopens it every second until the reader answers
//!   again (`ReaderBack`).
//! * **Prompt**: the thread sleeps in `recv_timeout` on its control channel,
//!   so `set_reading` and `stop` take effect at once, not at the next tick.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::card::{Card, CardError};
use crate::transport::{Reader, ReaderConfig, TransportError};

/// Time between SAM health checks while no service is reading.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(3);
/// Time between attempts to reopen a lost reader.
pub const RECONNECT_INTERVAL: Duration = Duration::from_secs(1);
/// Consecutive "no card" answers after which a read card counts as removed.
pub const REMOVED_AFTER: u32 = 2;

/// What the poller reports. No variant's text carries personal data.
#[derive(Debug, Clone, PartialEq)]
pub enum ReaderEvent {
    /// The first successful connection, with the SAM id (dotted form, see
    /// [`SamId`](crate::codec::SamId)). Comes after `ReaderBack` when the
    /// reader was missing at start.
    Ready { sam_id: String },
    /// A card was found and selected and its text is being read (once per
    /// placement, before `CardRead` or `CardUnreadable`): a screen can say
    /// 正在读取 during the ~120 ms the read takes on the wire.
    CardPresent,
    /// A card was read (once per placement).
    CardRead(Card),
    /// A card is present but could not be read: an English reason, and the
    /// card-data error if that was the cause. Once per placement.
    CardUnreadable(String, Option<CardError>),
    /// The card that was reported (read or unreadable) has left the reader.
    CardRemoved,
    /// The reader is gone or does not answer (reason in English). Once until
    /// it is back.
    ReaderLost(String),
    /// The reader answers again after `ReaderLost`.
    ReaderBack,
}

enum Control {
    Reading(bool),
    Stop,
}

/// The polling thread's handle. Dropping it stops the thread.
pub struct Poller {
    control: Sender<Control>,
    thread: Option<JoinHandle<()>>,
}

impl Poller {
    /// Starts the thread. It opens the port at once and reports `Ready` or
    /// `ReaderLost`; card reading starts with [`set_reading`](Self::set_reading).
    pub fn spawn(
        config: ReaderConfig,
        on_event: impl FnMut(ReaderEvent) + Send + 'static,
    ) -> Poller {
        let (control, rx) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("idcard-poller".into())
            .spawn(move || Worker::new(config, rx, on_event).run());
        let thread = match thread {
            Ok(handle) => Some(handle),
            Err(e) => {
                log::error!("cannot start the ID-card poller thread: {e}");
                None
            }
        };
        Poller { control, thread }
    }

    /// `true` while a service needs a card: poll for cards every
    /// `poll_interval`. `false`: forget any present card and only check the
    /// reader's health.
    pub fn set_reading(&self, reading: bool) {
        let _ = self.control.send(Control::Reading(reading));
    }

    /// Stops the thread and waits for it (at most one command's timeout).
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for Poller {
    fn drop(&mut self) {
        let _ = self.control.send(Control::Stop);
        if let Some(handle) = self.thread.take() {
            // An event handler that drops the poller runs on the poller's own
            // thread: joining would wait forever.
            if handle.thread().id() != thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}

/// One card placement: from the first "found" to the removal.
#[derive(Debug, Default)]
struct Placement {
    serial: Option<[u8; 8]>,
    /// Read, or rejected for good: do not read again.
    done: bool,
    /// An event (read or unreadable) went out for it.
    reported: bool,
    /// `CardPresent` went out for it.
    announced: bool,
    no_card_answers: u32,
}

/// Outcome of a step that may lose the reader.
type Step = Result<(), TransportError>;

struct Worker<F> {
    config: ReaderConfig,
    control: Receiver<Control>,
    emit: F,
    reader: Option<Reader>,
    reading: bool,
    ready_sent: bool,
    lost_sent: bool,
    placement: Option<Placement>,
    next_tick: Instant,
}

impl<F: FnMut(ReaderEvent)> Worker<F> {
    fn new(config: ReaderConfig, control: Receiver<Control>, emit: F) -> Self {
        Worker {
            config,
            control,
            emit,
            reader: None,
            reading: false,
            ready_sent: false,
            lost_sent: false,
            placement: None,
            next_tick: Instant::now(),
        }
    }

    fn run(mut self) {
        loop {
            let wait = self.next_tick.saturating_duration_since(Instant::now());
            match self.control.recv_timeout(wait) {
                Ok(Control::Stop) | Err(RecvTimeoutError::Disconnected) => break,
                Ok(Control::Reading(reading)) => {
                    if reading != self.reading {
                        self.reading = reading;
                        self.placement = None;
                        if reading {
                            self.next_tick = Instant::now();
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => self.tick(),
            }
        }
        log::debug!("ID-card poller stopped");
    }

    fn tick(&mut self) {
        if self.reader.is_none() {
            self.connect();
            return;
        }
        let result = if self.reading {
            self.next_tick = Instant::now() + self.config.poll_interval;
            self.poll_card()
        } else {
            self.next_tick = Instant::now() + HEALTH_INTERVAL;
            self.with_reader(|r| retry_once(r, Reader::sam_status))
        };
        if let Err(e) = result {
            self.lose(&e);
        }
    }

    fn connect(&mut self) {
        self.next_tick = Instant::now() + RECONNECT_INTERVAL;
        let probe = Reader::open(&self.config).and_then(|mut reader| {
            let sam_id = if self.ready_sent {
                retry_once(&mut reader, Reader::sam_status)?;
                None
            } else {
                Some(retry_once(&mut reader, Reader::sam_id)?.to_string())
            };
            Ok((reader, sam_id))
        });
        match probe {
            Ok((reader, sam_id)) => {
                log::info!("ID-card reader connected on {}", self.config.port);
                self.reader = Some(reader);
                self.placement = None;
                if self.lost_sent {
                    self.lost_sent = false;
                    (self.emit)(ReaderEvent::ReaderBack);
                }
                if let Some(sam_id) = sam_id {
                    self.ready_sent = true;
                    (self.emit)(ReaderEvent::Ready { sam_id });
                }
                // The probe was a health check: poll now only if reading.
                self.next_tick = if self.reading {
                    Instant::now()
                } else {
                    Instant::now() + HEALTH_INTERVAL
                };
            }
            Err(e) => self.lose(&e),
        }
    }

    /// Closes the port and reports the loss once.
    fn lose(&mut self, error: &TransportError) {
        self.reader = None;
        self.placement = None;
        self.next_tick = Instant::now() + RECONNECT_INTERVAL;
        if !self.lost_sent {
            self.lost_sent = true;
            log::warn!("ID-card reader lost: {error}");
            (self.emit)(ReaderEvent::ReaderLost(lost_reason(error)));
        }
    }

    fn with_reader<T>(
        &mut self,
        f: impl FnOnce(&mut Reader) -> Result<T, TransportError>,
    ) -> Result<T, TransportError> {
        match self.reader.as_mut() {
            Some(reader) => f(reader),
            None => Err(TransportError::Io(std::io::Error::new(
                std::io::ErrorKind::NotConnected,
                "reader not open",
            ))),
        }
    }

    fn poll_card(&mut self) -> Step {
        let found = match self.with_reader(|r| retry_once(r, Reader::find_card)) {
            Ok(found) => found,
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => {
                log::debug!("ID-card find failed: {e}");
                return Ok(());
            }
        };
        if !found {
            if let Some(p) = self.placement.as_mut() {
                p.no_card_answers += 1;
                if p.no_card_answers >= REMOVED_AFTER {
                    let reported = p.reported;
                    self.placement = None;
                    if reported {
                        (self.emit)(ReaderEvent::CardRemoved);
                    }
                }
            }
            return Ok(());
        }
        if let Some(p) = self.placement.as_mut() {
            p.no_card_answers = 0;
        }
        let serial = match self.with_reader(|r| retry_once(r, Reader::select_card)) {
            Ok(serial) => serial,
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => {
                let p = self.placement.get_or_insert_with(Placement::default);
                if !p.reported {
                    p.reported = true;
                    (self.emit)(ReaderEvent::CardUnreadable(
                        format!("card could not be selected: {e}"),
                        None,
                    ));
                }
                return Ok(());
            }
        };
        match self.placement.as_mut() {
            Some(p) if p.serial == Some(serial) && p.done => return Ok(()),
            Some(p) if p.serial == Some(serial) => {}
            Some(p) if p.serial.is_none() => p.serial = Some(serial),
            Some(p) => {
                // Another card took its place without a gap.
                let reported = p.reported;
                self.placement = None;
                if reported {
                    (self.emit)(ReaderEvent::CardRemoved);
                }
            }
            None => {}
        }
        let p = self.placement.get_or_insert_with(|| Placement {
            serial: Some(serial),
            ..Placement::default()
        });
        if !p.announced {
            p.announced = true;
            (self.emit)(ReaderEvent::CardPresent);
        }
        let read = match self.reader.as_mut() {
            Some(r) => retry_once(r, Reader::read_text),
            None => return Ok(()),
        };
        match read {
            Ok(card) => {
                p.done = true;
                p.reported = true;
                (self.emit)(ReaderEvent::CardRead(card));
            }
            Err(e) if is_fatal(&e) => return Err(e),
            Err(e) => {
                let card_error = match &e {
                    TransportError::Card(ce) => {
                        // The data will not change: do not read it again.
                        p.done = true;
                        Some(ce.clone())
                    }
                    _ => None,
                };
                if !p.reported {
                    p.reported = true;
                    log::info!("ID card unreadable: {e}");
                    (self.emit)(ReaderEvent::CardUnreadable(
                        format!("card could not be read: {e}"),
                        card_error,
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Runs `f`, and once more if it timed out or got a damaged frame.
fn retry_once<T>(
    reader: &mut Reader,
    f: impl Fn(&mut Reader) -> Result<T, TransportError>,
) -> Result<T, TransportError> {
    match f(reader) {
        Err(TransportError::Timeout { .. } | TransportError::Frame(_)) => f(reader),
        other => other,
    }
}

/// Errors after which the port is closed and reopened: the port is gone, or
/// the reader stayed silent through a retry.
fn is_fatal(e: &TransportError) -> bool {
    e.is_disconnect() || matches!(e, TransportError::Timeout { .. })
}

fn lost_reason(e: &TransportError) -> String {
    match e {
        TransportError::Timeout { .. } => "reader does not answer".into(),
        other => other.to_string(),
    }
}
