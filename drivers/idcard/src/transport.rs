//! The thin I/O layer: a `serialport` port, one command at a time.
//!
//! [`Reader::exchange`] writes a request frame from [`crate::codec`], feeds
//! whatever comes back into a [`FrameDecoder`] until one good frame arrives or
//! the command's timeout passes, and hands the frame to
//! [`codec::interpret`]. There is no protocol logic
//! here beyond "which timeout" and "which reply means what to the caller".
//!
//! # Exclusive access and pseudo-terminals
//! `serialport` opens ports exclusively by default (`TIOCEXCL` plus an
//! exclusive `flock`), which is what a real reader on `/dev/ttyUSB0` wants: no
//! modem manager or second kiosk process may talk to it. On a
//! pseudo-terminal (the reader simulator, `/dev/pts/N` or a symlink to one)
//! this is harmful: `TIOCEXCL` stays set on the pty after our descriptor is
//! closed without `TIOCNXCL` (a crash, a kill), for as long as the simulator
//! holds the pair, and every later non-root `open` fails with `EBUSY`. So
//! [`Reader::open`] opens pseudo-terminals shared. Root (CAP_SYS_ADMIN)
//! ignores `TIOCEXCL` altogether, so tests running as root cannot see the
//! difference; it was checked by hand with an unprivileged user.
//!
//! # Privacy
//! Read replies carry the photo. The receive buffer, the decoder and the
//! frame are zeroed after each exchange; only the text block survives, and
//! [`Reader::read_text`] turns it into a [`Card`] at once.

use std::io::{self, Read, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use serialport::{ClearBuffer, DataBits, FlowControl, Parity, SerialPort, StopBits};

use crate::card::{Card, CardError, parse_text_block};
use crate::codec::{
    self, Baud, Command, FrameDecoder, FrameError, Reply, ReplyError, SamId, Sw3, parse_reply,
};

/// Where the reader is and how patient to be with it.
#[derive(Debug, Clone)]
pub struct ReaderConfig {
    /// Device path, e.g. `/dev/ttyUSB0`, or the simulator's pty.
    pub port: String,
    /// Bits per second; readers start at 115200.
    pub baud: u32,
    /// Time for a reply to any command except the reads. Default 500 ms.
    pub command_timeout: Duration,
    /// Time for a reply to `30 01` / `30 10` (1295+ bytes: 112 ms on the wire
    /// at 115200, plus the card's own time). Default 2 s.
    pub read_timeout: Duration,
    /// Poller: time between find-card polls. Default 250 ms.
    pub poll_interval: Duration,
}

impl ReaderConfig {
    /// 115200 baud and the default timeouts.
    pub fn new(port: impl Into<String>) -> Self {
        ReaderConfig {
            port: port.into(),
            baud: 115_200,
            command_timeout: Duration::from_millis(500),
            read_timeout: Duration::from_secs(2),
            poll_interval: Duration::from_millis(250),
        }
    }
}

/// Everything that can go wrong talking to the reader. Messages carry no
/// personal data.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("cannot open reader port {port}: {source}")]
    Open {
        port: String,
        source: serialport::Error,
    },
    #[error("reader port I/O error: {0}")]
    Io(#[from] io::Error),
    #[error("no reply to {command} in time")]
    Timeout { command: Command },
    #[error("damaged frame from the reader: {0}")]
    Frame(#[from] FrameError),
    #[error(transparent)]
    Reply(#[from] ReplyError),
    #[error("card data rejected: {0}")]
    Card(#[from] CardError),
}

impl TransportError {
    /// True when the port itself is gone or unusable (unplugged, `EIO`,
    /// `ENXIO`, hang-up, open failure): close it and reopen. False for
    /// protocol problems (timeouts, damaged frames, error statuses, bad card
    /// data), which a retry on the same port may cure.
    pub fn is_disconnect(&self) -> bool {
        match self {
            TransportError::Open { .. } => true,
            TransportError::Io(e) => !matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock | io::ErrorKind::Interrupted
            ),
            _ => false,
        }
    }
}

/// An open reader.
pub struct Reader {
    port: Box<dyn SerialPort>,
    decoder: FrameDecoder,
    config: ReaderConfig,
    written: u64,
    read: u64,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("port", &self.config.port)
            .field("baud", &self.config.baud)
            .finish_non_exhaustive()
    }
}

/// True when `path` is (or links to) a pseudo-terminal slave.
fn is_pseudo_terminal(path: &str) -> bool {
    Path::new(path)
        .canonicalize()
        .map(|p| p.starts_with("/dev/pts"))
        .unwrap_or(false)
}

impl Reader {
    /// Opens the port 8N1 without flow control and drops stale input.
    /// Real ports are opened exclusively, pseudo-terminals shared (see the
    /// module docs).
    pub fn open(config: &ReaderConfig) -> Result<Reader, TransportError> {
        let open_error = |source| TransportError::Open {
            port: config.port.clone(),
            source,
        };
        let exclusive = !is_pseudo_terminal(&config.port);
        let port = serialport::new(config.port.as_str(), config.baud)
            .data_bits(DataBits::Eight)
            .parity(Parity::None)
            .stop_bits(StopBits::One)
            .flow_control(FlowControl::None)
            .timeout(config.command_timeout)
            .exclusive(exclusive)
            .open()
            .map_err(open_error)?;
        port.clear(ClearBuffer::Input).map_err(open_error)?;
        log::debug!(
            "ID-card reader port {} open at {} baud{}",
            config.port,
            config.baud,
            if exclusive { "" } else { " (pty, shared)" }
        );
        Ok(Reader {
            port,
            decoder: FrameDecoder::new(),
            config: config.clone(),
            written: 0,
            read: 0,
        })
    }

    /// The configuration in force (its baud follows [`set_baud`](Self::set_baud)).
    pub fn config(&self) -> &ReaderConfig {
        &self.config
    }

    /// Sends `command` and waits for its reply: input left over from earlier
    /// commands is dropped first, garbage and damaged frames are skipped,
    /// the first good frame is interpreted. On timeout the error is
    /// `Frame(..)` if a damaged frame was seen, else `Timeout`.
    pub fn exchange(&mut self, command: Command) -> Result<Reply, TransportError> {
        let mut buf = [0u8; 2048];
        let result = self.exchange_with(command, &mut buf);
        codec::wipe(&mut buf);
        self.decoder.clear();
        result
    }

    fn exchange_with(&mut self, command: Command, buf: &mut [u8]) -> Result<Reply, TransportError> {
        let timeout = match command {
            Command::ReadText | Command::ReadTextWithFingerprint => self.config.read_timeout,
            _ => self.config.command_timeout,
        };
        self.port
            .clear(ClearBuffer::Input)
            .map_err(io::Error::from)?;
        self.decoder.clear();
        let request = command.encode();
        self.port
            .set_timeout(self.config.command_timeout)
            .map_err(io::Error::from)?;
        self.port.write_all(&request)?;
        self.port.flush()?;
        self.written += request.len() as u64;
        let deadline = Instant::now() + timeout;
        let mut damaged = None;
        loop {
            while let Some(item) = self.decoder.next_frame() {
                match item {
                    Ok(mut frame) => {
                        let raw = parse_reply(&frame);
                        codec::wipe(&mut frame.body);
                        return Ok(codec::interpret(command, raw?)?);
                    }
                    Err(e) => {
                        log::debug!("{command}: skipped a damaged frame: {e}");
                        damaged = Some(e);
                    }
                }
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(match damaged {
                    Some(e) => TransportError::Frame(e),
                    None => TransportError::Timeout { command },
                });
            }
            self.port
                .set_timeout(deadline - now)
                .map_err(io::Error::from)?;
            match self.port.read(buf) {
                Ok(0) => {
                    return Err(
                        io::Error::new(io::ErrorKind::UnexpectedEof, "reader port closed").into(),
                    );
                }
                Ok(n) => {
                    self.read += n as u64;
                    self.decoder.push(buf.get(..n).unwrap_or(&[]));
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::TimedOut
                            | io::ErrorKind::WouldBlock
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    fn unexpected(command: Command) -> TransportError {
        TransportError::Reply(ReplyError::Malformed {
            command,
            reason: "reply of another kind",
        })
    }

    fn expect_done(&mut self, command: Command) -> Result<(), TransportError> {
        match self.exchange(command)? {
            Reply::Done => Ok(()),
            _ => Err(Self::unexpected(command)),
        }
    }

    /// SAM self-check (`11 FF`): the health probe.
    pub fn sam_status(&mut self) -> Result<(), TransportError> {
        self.expect_done(Command::SamStatus)
    }

    /// Resets the SAM (`10 FF`).
    pub fn reset_sam(&mut self) -> Result<(), TransportError> {
        self.expect_done(Command::ResetSam)
    }

    pub fn sam_id(&mut self) -> Result<SamId, TransportError> {
        match self.exchange(Command::SamId)? {
            Reply::SamId(id) => Ok(id),
            _ => Err(Self::unexpected(Command::SamId)),
        }
    }

    /// `Ok(false)` when the field is empty (SW3 80: normal while polling).
    pub fn find_card(&mut self) -> Result<bool, TransportError> {
        match self.exchange(Command::FindCard) {
            Ok(Reply::CardFound) => Ok(true),
            Ok(_) => Err(Self::unexpected(Command::FindCard)),
            Err(TransportError::Reply(ReplyError::Status {
                status: Sw3::NoCard,
                ..
            })) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Selects the found card; returns its 8-byte serial.
    pub fn select_card(&mut self) -> Result<[u8; 8], TransportError> {
        match self.exchange(Command::SelectCard)? {
            Reply::CardSelected { serial } => Ok(serial),
            _ => Err(Self::unexpected(Command::SelectCard)),
        }
    }

    /// Reads the text block (`30 01`; the photo is dropped) and parses it.
    pub fn read_text(&mut self) -> Result<Card, TransportError> {
        match self.exchange(Command::ReadText)? {
            Reply::CardText(block) => Ok(parse_text_block(&block)?),
            _ => Err(Self::unexpected(Command::ReadText)),
        }
    }

    /// Find, select, read. `None` when there is no card.
    pub fn read_card(&mut self) -> Result<Option<Card>, TransportError> {
        if !self.find_card()? {
            return Ok(None);
        }
        self.select_card()?;
        self.read_text().map(Some)
    }

    /// The newest extra address (`30 03`); `None` when the card has none.
    /// Call after find and select, like a read.
    pub fn read_extra_address(&mut self) -> Result<Option<String>, TransportError> {
        match self.exchange(Command::ReadExtraAddress)? {
            Reply::ExtraAddress(address) => Ok(address),
            _ => Err(Self::unexpected(Command::ReadExtraAddress)),
        }
    }

    /// Switches the reader's speed (`60 nn`), then the port's. The reader
    /// answers at the old speed.
    pub fn set_baud(&mut self, baud: Baud) -> Result<(), TransportError> {
        self.expect_done(Command::SetBaud(baud))?;
        self.port
            .set_baud_rate(baud.bits_per_second())
            .map_err(io::Error::from)?;
        self.config.baud = baud.bits_per_second();
        Ok(())
    }

    /// Bytes written to and read from the port so far.
    pub fn wire_bytes(&self) -> (u64, u64) {
        (self.written, self.read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pseudo_terminals_are_recognised_and_real_ports_are_not() {
        let (_master, slave) = serialport::TTYPort::pair().expect("pty pair");
        let name = slave.name().expect("slave name");
        assert!(is_pseudo_terminal(&name), "{name}");
        assert!(!is_pseudo_terminal("/dev/null"));
        assert!(!is_pseudo_terminal("/dev/ttyUSB-that-does-not-exist"));
    }

    #[test]
    fn only_port_failures_count_as_disconnects() {
        let io = |kind| TransportError::Io(io::Error::new(kind, "x"));
        assert!(io(io::ErrorKind::BrokenPipe).is_disconnect());
        assert!(io(io::ErrorKind::Other).is_disconnect());
        assert!(TransportError::Io(io::Error::from_raw_os_error(5)).is_disconnect());
        assert!(!io(io::ErrorKind::TimedOut).is_disconnect());
        assert!(
            !TransportError::Timeout {
                command: Command::FindCard
            }
            .is_disconnect()
        );
        assert!(!TransportError::Frame(FrameError::LengthOutOfRange(0)).is_disconnect());
        assert!(!TransportError::Card(CardError::BadGender).is_disconnect());
    }
}
