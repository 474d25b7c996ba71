//! The simulator thread, its options and its remote control.
//!
//! One thread per simulated reader owns the pty and answers requests one at
//! a time, like the reader's microcontroller. Everything a [`SimControl`]
//! changes sits behind one mutex; the thread reads it when a request
//! arrives, so a change applies from the next request on. Plugging changes
//! need the thread (it owns the descriptors), so [`SimControl::unplug`] and
//! [`SimControl::replug`] wake it through a socket pair and wait until it
//! has acted: when they return, the old pty is gone or the new one is open.

use std::io::{self, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kiosk_idcard::codec::{Command, FrameDecoder, Sw3, parse_request};

use crate::device::{Field, Reader};
use crate::pty::{self, EXCLUSIVE_CLEAR_PERIOD, Pty};
use crate::samples::SampleCard;

/// How the simulator is set up.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// A stable symlink to the current pty (like a udev name such as
    /// `/dev/idcard`); it is re-pointed on replug and removed on drop. The
    /// directory must exist and be writable.
    pub link: Option<PathBuf>,
    /// Pace replies at this line speed (10 bits per byte). `0` turns pacing
    /// off (replies go out at once, and set-baud changes nothing). Default
    /// 115200, the reader's power-on speed.
    pub baud: u32,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            link: None,
            baud: 115_200,
        }
    }
}

/// Bytes arriving from the host with a gap longer than this start afresh,
/// like a reader's inter-byte timeout: half a request left over from a host
/// that gave up does not spoil the next one.
const INTER_BYTE_TIMEOUT: Duration = Duration::from_millis(200);

/// How long a reply waits for room in the host's input queue before the
/// rest is dropped (a real UART would overrun, not wait).
const WRITE_STALL_LIMIT: Duration = Duration::from_secs(2);

/// How long `unplug`/`replug` wait for the thread to act.
const PLUG_ACK_TIMEOUT: Duration = Duration::from_secs(10);

/// State shared between the thread and its controls.
struct State {
    card: Option<SampleCard>,
    /// Bumped on every place and remove: a select belongs to one placement.
    placement: u64,
    reply_delay: Duration,
    drop_next: usize,
    corrupt_next: bool,
    noise_next: Vec<u8>,
    failures: Vec<(Command, Sw3)>,
    want_plugged: bool,
    plugged: bool,
    /// The current (or last) `/dev/pts/N`.
    pts: PathBuf,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Signalled on every control change and every plug change applied.
    changed: Condvar,
    /// Write end of the wake-up socket pair.
    wake: UnixStream,
    link: Option<PathBuf>,
    requests: AtomicU64,
    sent: AtomicU64,
    received: AtomicU64,
    /// The last [`REQUEST_LOG`] requests, for measurements.
    log: Mutex<std::collections::VecDeque<ServedRequest>>,
}

/// How many recent requests [`SimControl::recent_requests`] keeps.
pub const REQUEST_LOG: usize = 64;

/// A request the simulated reader answered: when its frame was complete,
/// what it was, and the status it got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServedRequest {
    pub at: std::time::Instant,
    pub command: Option<Command>,
    pub sw3: u8,
}

impl Shared {
    /// The state; a poisoned lock is still used (nothing in it can be left
    /// half-updated by a panic of the code that holds it).
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wake(&self) {
        // A full socket already holds a wake-up; nothing else can fail here
        // that matters.
        let _ = (&self.wake).write(&[1]);
    }

    /// Whether the reply under way must stop (unplug or shutdown).
    fn interrupted(&self) -> bool {
        let st = self.lock();
        st.stop || !st.want_plugged
    }
}

/// A running simulated reader. Dropping it stops the thread, closes the pty
/// and removes the link.
pub struct SimReader {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl SimReader {
    /// Opens a pty, points the link at it and starts answering. No card is
    /// on the reader.
    pub fn start(options: SimOptions) -> io::Result<SimReader> {
        let pty = Pty::open()?;
        if let Some(link) = &options.link {
            pty::point_link(link, pty.path())?;
        }
        let (wake_tx, wake_rx) = UnixStream::pair()?;
        wake_tx.set_nonblocking(true)?;
        wake_rx.set_nonblocking(true)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                card: None,
                placement: 0,
                reply_delay: Duration::ZERO,
                drop_next: 0,
                corrupt_next: false,
                noise_next: Vec::new(),
                failures: Vec::new(),
                want_plugged: true,
                plugged: true,
                pts: pty.path().to_path_buf(),
                stop: false,
            }),
            changed: Condvar::new(),
            wake: wake_tx,
            link: options.link.clone(),
            requests: AtomicU64::new(0),
            log: Mutex::new(std::collections::VecDeque::with_capacity(REQUEST_LOG)),
            sent: AtomicU64::new(0),
            received: AtomicU64::new(0),
        });
        let worker = Worker {
            shared: Arc::clone(&shared),
            wake: wake_rx,
            baud: options.baud,
            pacing: options.baud != 0,
            reader: Reader::new(),
            decoder: FrameDecoder::new(),
        };
        let thread = std::thread::Builder::new()
            .name("idcard-sim".into())
            .spawn(move || worker.run(Some(pty)))?;
        log::info!("idcard-sim: reader started");
        Ok(SimReader {
            shared,
            thread: Some(thread),
        })
    }

    /// The path the driver opens: the link if one was given, else the
    /// current `/dev/pts/N` (which changes on replug).
    pub fn port_path(&self) -> PathBuf {
        match &self.shared.link {
            Some(link) => link.clone(),
            None => self.shared.lock().pts.clone(),
        }
    }

    /// A handle to drive the simulator from any thread.
    pub fn control(&self) -> SimControl {
        SimControl {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl Drop for SimReader {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.changed.notify_all();
        self.shared.wake();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            log::error!("idcard-sim: simulator thread panicked");
        }
        if let Some(link) = &self.shared.link {
            pty::remove_link(link);
        }
    }
}

impl std::fmt::Debug for SimReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimReader")
            .field("port", &self.port_path())
            .finish_non_exhaustive()
    }
}

/// Remote control of a [`SimReader`]: cards, faults, plugging, counters.
/// Cheap to clone; usable from any thread. After the reader is dropped the
/// methods still work but change nothing that matters.
#[derive(Clone)]
pub struct SimControl {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for SimControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimControl")
            .field("card", &self.card_present())
            .field("plugged", &self.is_plugged())
            .finish_non_exhaustive()
    }
}

impl SimControl {
    fn update(&self, f: impl FnOnce(&mut State)) {
        f(&mut self.shared.lock());
        self.shared.changed.notify_all();
    }

    /// Puts `card` on the reader (replacing any card there). The driver must
    /// find and select it again.
    pub fn place_card(&self, card: &SampleCard) {
        log::debug!("idcard-sim: sample card {} placed", card.key);
        self.update(|st| {
            st.card = Some(card.clone());
            st.placement += 1;
        });
    }

    /// Takes the card away; find answers "no card" and any select is void.
    pub fn remove_card(&self) {
        log::debug!("idcard-sim: card removed");
        self.update(|st| {
            st.card = None;
            st.placement += 1;
        });
    }

    /// The key of the sample card on the reader.
    pub fn card_present(&self) -> Option<&'static str> {
        self.shared.lock().card.as_ref().map(|c| c.key)
    }

    /// Waits this long before every reply (on top of the wire time).
    pub fn set_reply_delay(&self, delay: Duration) {
        self.update(|st| st.reply_delay = delay);
    }

    /// Loses `n` bytes from the middle of the next reply (all of it when `n`
    /// is at least its length), as a UART overrun would: the host sees a
    /// frame shorter than its length field says.
    pub fn drop_bytes_of_next_reply(&self, n: usize) {
        self.update(|st| st.drop_next = n);
    }

    /// Sends the next reply with a wrong checksum byte.
    pub fn corrupt_next_reply(&self) {
        self.update(|st| st.corrupt_next = true);
    }

    /// Puts `bytes` on the line just before the next reply (they take wire
    /// time like any byte).
    pub fn noise_before_next_reply(&self, bytes: Vec<u8>) {
        self.update(|st| st.noise_next = bytes);
    }

    /// From now on answer `command` with status `sw3` and no data, until
    /// [`clear_failures`](Self::clear_failures). A later call for the same
    /// command replaces the status.
    pub fn fail_command(&self, command: Command, sw3: Sw3) {
        self.update(|st| {
            st.failures.retain(|(c, _)| *c != command);
            st.failures.push((command, sw3));
        });
    }

    /// Forgets every injected failure.
    pub fn clear_failures(&self) {
        self.update(|st| st.failures.clear());
    }

    /// Pulls the reader out: closes the pty (the driver's open port fails
    /// with `EIO`/hang-up, `/dev/pts/N` disappears) and removes the link.
    /// Returns when that has happened.
    pub fn unplug(&self) {
        log::info!("idcard-sim: unplugged");
        self.set_plugged(false);
    }

    /// Plugs the reader back in: a new pty, the link re-pointed at it
    /// atomically. Returns when the new pty can be opened. The card and the
    /// injected failures stay as they were; the select state does not.
    pub fn replug(&self) {
        log::info!("idcard-sim: replugged");
        self.set_plugged(true);
    }

    fn set_plugged(&self, plugged: bool) {
        let mut st = self.shared.lock();
        st.want_plugged = plugged;
        self.shared.changed.notify_all();
        self.shared.wake();
        let deadline = Instant::now() + PLUG_ACK_TIMEOUT;
        while !st.stop && st.plugged != st.want_plugged {
            let now = Instant::now();
            if now >= deadline {
                log::warn!("idcard-sim: the simulator thread did not act on a plug change");
                return;
            }
            st = self
                .shared
                .changed
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Whether a pty is there to open.
    pub fn is_plugged(&self) -> bool {
        self.shared.lock().plugged
    }

    /// Requests answered completely (every frame received gets one reply,
    /// including error replies).
    pub fn requests_served(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The most recent requests (up to [`REQUEST_LOG`]), oldest first: a
    /// benchmark finds when the host's find command met a card with it.
    pub fn recent_requests(&self) -> Vec<ServedRequest> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .copied()
            .collect()
    }

    /// Bytes written to the line, noise included.
    pub fn bytes_sent(&self) -> u64 {
        self.shared.sent.load(Ordering::SeqCst)
    }

    /// Bytes received from the host.
    pub fn bytes_received(&self) -> u64 {
        self.shared.received.load(Ordering::SeqCst)
    }
}

/// The thread's own state.
struct Worker {
    shared: Arc<Shared>,
    wake: UnixStream,
    /// Current line speed for pacing.
    baud: u32,
    pacing: bool,
    reader: Reader,
    decoder: FrameDecoder,
}

impl Worker {
    fn run(mut self, mut pty: Option<Pty>) {
        let mut buf = vec![0u8; 4096];
        let mut last_rx = Instant::now();
        loop {
            if !self.apply_plug_changes(&mut pty) {
                break;
            }
            self.drain_wake();
            let Some(p) = pty.as_ref() else {
                pty::wait_wake(&self.wake, Duration::from_secs(1));
                continue;
            };
            p.clear_exclusive();
            let ready = p.wait_readable(&self.wake, EXCLUSIVE_CLEAR_PERIOD);
            if ready.hang_up {
                // Nobody can hold the slave open but us, so this should not
                // happen; back off instead of spinning if it does.
                std::thread::sleep(Duration::from_millis(10));
                continue;
            }
            if !ready.data {
                if self.decoder.buffered() > 0 && last_rx.elapsed() > INTER_BYTE_TIMEOUT {
                    self.decoder.clear();
                }
                continue;
            }
            let mut got = 0;
            loop {
                match p.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        got += n;
                        self.decoder.push(&buf[..n]);
                    }
                    Err(e) => {
                        log::debug!("idcard-sim: read from the pty failed: {e}");
                        std::thread::sleep(Duration::from_millis(10));
                        break;
                    }
                }
            }
            buf.fill(0);
            if got == 0 {
                continue;
            }
            last_rx = Instant::now();
            self.shared.received.fetch_add(got as u64, Ordering::SeqCst);
            p.clear_exclusive();
            self.answer_frames(p);
        }
        drop(pty);
        if let Some(link) = &self.shared.link {
            pty::remove_link(link);
        }
        log::info!("idcard-sim: reader stopped");
    }

    /// Opens or closes the pty as asked. `false` when the thread must stop.
    fn apply_plug_changes(&mut self, pty: &mut Option<Pty>) -> bool {
        let mut st = self.shared.lock();
        if st.stop {
            return false;
        }
        if st.want_plugged == st.plugged {
            return true;
        }
        if st.want_plugged {
            match Pty::open() {
                Ok(p) => {
                    if let Some(link) = &self.shared.link
                        && let Err(e) = pty::point_link(link, p.path())
                    {
                        log::warn!("idcard-sim: could not point {}: {e}", link.display());
                    }
                    st.pts = p.path().to_path_buf();
                    *pty = Some(p);
                    st.plugged = true;
                }
                Err(e) => {
                    log::warn!("idcard-sim: replug failed, no new pty: {e}");
                    st.want_plugged = false;
                }
            }
        } else {
            *pty = None;
            if let Some(link) = &self.shared.link {
                pty::remove_link(link);
            }
            st.plugged = false;
        }
        // A new device powers up idle.
        self.reader = Reader::new();
        self.decoder.clear();
        self.shared.changed.notify_all();
        true
    }

    fn drain_wake(&self) {
        let mut sink = [0u8; 64];
        while matches!((&self.wake).read(&mut sink), Ok(n) if n > 0) {}
    }

    /// Answers every complete frame in the decoder, in order.
    fn answer_frames(&mut self, p: &Pty) {
        while let Some(item) = self.decoder.next_frame() {
            let outcome = {
                let st = self.shared.lock();
                let field = Field {
                    card: st.card.as_ref().map(|c| (c, st.placement)),
                    failures: &st.failures,
                };
                match &item {
                    Ok(frame) => match parse_request(frame) {
                        Some(request) => {
                            let at = std::time::Instant::now();
                            let out = self.reader.answer(&request, &field);
                            let mut log = self.shared.log.lock().unwrap_or_else(|e| e.into_inner());
                            if log.len() == REQUEST_LOG {
                                log.pop_front();
                            }
                            log.push_back(ServedRequest {
                                at,
                                command: request.command(),
                                sw3: out.reply.get(9).copied().unwrap_or(0),
                            });
                            drop(log);
                            log::debug!(
                                "idcard-sim: {:02X} {:02X} -> SW3 {:02X}",
                                request.cmd,
                                request.para,
                                out.reply.get(9).copied().unwrap_or(0)
                            );
                            out
                        }
                        None => self.reader.answer_short_frame(),
                    },
                    Err(e) => {
                        log::debug!("idcard-sim: bad frame from the host: {e}");
                        self.reader.answer_bad_frame(e)
                    }
                }
            };
            if !self.send(p, outcome.reply) {
                // Unplugged or stopping mid-reply: the rest is moot.
                self.decoder.clear();
                return;
            }
            self.shared.requests.fetch_add(1, Ordering::SeqCst);
            if let Some(baud) = outcome.new_baud
                && self.pacing
            {
                self.baud = baud.bits_per_second();
            }
        }
    }

    /// Sends one reply with the pending faults applied, paced to the line
    /// speed. `false` if it was cut short by an unplug, a stop or a write
    /// error.
    fn send(&self, p: &Pty, reply: Vec<u8>) -> bool {
        let (delay, noise, drop_n, corrupt) = {
            let mut st = self.shared.lock();
            (
                st.reply_delay,
                std::mem::take(&mut st.noise_next),
                std::mem::take(&mut st.drop_next),
                std::mem::take(&mut st.corrupt_next),
            )
        };
        let mut frame = reply;
        if corrupt && let Some(last) = frame.last_mut() {
            *last ^= 0xFF;
        }
        if drop_n > 0 {
            let n = drop_n.min(frame.len());
            let at = (frame.len() / 2).min(frame.len() - n);
            frame.drain(at..at + n);
        }
        let mut wire = noise;
        wire.extend_from_slice(&frame);
        if !delay.is_zero() && !self.pause(delay) {
            return false;
        }
        self.write_paced(p, &wire)
    }

    /// Waits `delay` unless an unplug or a stop comes first.
    fn pause(&self, delay: Duration) -> bool {
        let deadline = Instant::now() + delay;
        let mut st = self.shared.lock();
        loop {
            if st.stop || !st.want_plugged {
                return false;
            }
            let now = Instant::now();
            if now >= deadline {
                return true;
            }
            st = self
                .shared
                .changed
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Writes `wire` so that byte `k` (counting from 1) is not handed over
    /// before `k * 10 / baud` seconds after the start: chunks of about one
    /// millisecond of line time, each written at its own deadline computed
    /// from the start, so sleep overshoots do not add up.
    fn write_paced(&self, p: &Pty, wire: &[u8]) -> bool {
        if wire.is_empty() {
            return true;
        }
        let start = Instant::now();
        let chunk = if self.pacing {
            (self.baud as usize / 10 / 1000).max(1)
        } else {
            wire.len()
        };
        let mut done = 0usize;
        for piece in wire.chunks(chunk) {
            let end = done + piece.len();
            if self.pacing {
                let nanos = end as u128 * 10 * 1_000_000_000 / u128::from(self.baud);
                let due = start + Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX));
                let now = Instant::now();
                if due > now {
                    std::thread::sleep(due - now);
                }
                if self.shared.interrupted() {
                    return false;
                }
            }
            if !self.write_all(p, piece) {
                return false;
            }
            done = end;
        }
        true
    }

    /// Writes all of `bytes`, waiting for room in the host's queue; drops
    /// what does not fit within [`WRITE_STALL_LIMIT`].
    fn write_all(&self, p: &Pty, mut bytes: &[u8]) -> bool {
        let mut stalled_since: Option<Instant> = None;
        while !bytes.is_empty() {
            match p.write(bytes) {
                Ok(0) => {
                    let since = *stalled_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > WRITE_STALL_LIMIT {
                        log::debug!(
                            "idcard-sim: host not reading, {} reply bytes lost",
                            bytes.len()
                        );
                        return true;
                    }
                    if self.shared.interrupted() {
                        return false;
                    }
                    p.wait_writable(Duration::from_millis(20));
                }
                Ok(n) => {
                    stalled_since = None;
                    self.shared.sent.fetch_add(n as u64, Ordering::SeqCst);
                    bytes = &bytes[n..];
                }
                Err(e) => {
                    log::debug!("idcard-sim: write to the pty failed: {e}");
                    return false;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn handles_can_cross_threads() {
        assert_send_sync::<SimControl>();
        assert_send_sync::<SimReader>();
    }

    #[test]
    fn default_options_are_115200_without_link() {
        let o = SimOptions::default();
        assert_eq!(o.baud, 115_200);
        assert!(o.link.is_none());
    }
}
