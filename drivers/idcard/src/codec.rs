//! The SAM serial protocol (GA/T 467) as pure code: commands to bytes, bytes
//! to frames, frames to typed replies.
//!
//! This module does no I/O and keeps no clock. It is written in the sans-IO
//! style of `quinn-proto` or `str0m`: every piece of protocol knowledge lives
//! here, where it can be unit-tested, property-tested and fuzzed without a
//! serial port, and the transport (`crate::transport`) is a thin loop that
//! moves bytes between the port and this code. The reader simulator
//! (`kiosk-idcard-sim`) uses the same functions for the reader's side, so the
//! two sides cannot drift apart.
//!
//! Nothing here panics on any input: lengths are checked, indices are taken
//! with `get`, arithmetic on untrusted numbers is checked.
//!
//! # Frame
//! `AA AA AA 96 69 | LEN_HI LEN_LO | body … | CHK`, where `LEN` counts the body
//! plus the checksum and `CHK` is the XOR of the two length bytes and the body.
//! A request body is `CMD PARA data…`; a reply body is `SW1 SW2 SW3 data…`.
//!
//! # Privacy
//! The text+photo replies carry personal data. [`interpret`] keeps only the
//! 256-byte text block: the photo (WLT) and the fingerprint are dropped, and
//! the raw reply buffer is zeroed before it is freed. [`TextBlock`]'s `Debug`
//! prints no bytes and the block is zeroed on drop.

use std::fmt;

/// The five bytes that start every frame, in both directions.
pub const PREAMBLE: [u8; 5] = [0xAA, 0xAA, 0xAA, 0x96, 0x69];

/// Largest length field the decoder accepts. The largest real reply (text,
/// photo and 1024 bytes of fingerprint) has a length of about 2,400; anything
/// above this is garbage that happened to follow a preamble.
pub const MAX_LENGTH: u16 = 4096;

/// Smallest length field the decoder accepts: a request (`CMD PARA CHK`) is 3,
/// a reply (`SW1 SW2 SW3 CHK`) is 4. Shorter frames could carry neither.
pub const MIN_LENGTH: u16 = 3;

/// Bytes before the body: preamble and length.
const HEADER_LEN: usize = 7;

/// Serial speeds the reader can be switched to with command `60 nn`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Baud {
    B115200,
    B57600,
    B38400,
    B19200,
    B9600,
}

impl Baud {
    /// Every speed, fastest first.
    pub const ALL: [Baud; 5] = [
        Baud::B115200,
        Baud::B57600,
        Baud::B38400,
        Baud::B19200,
        Baud::B9600,
    ];

    pub fn bits_per_second(self) -> u32 {
        match self {
            Baud::B115200 => 115_200,
            Baud::B57600 => 57_600,
            Baud::B38400 => 38_400,
            Baud::B19200 => 19_200,
            Baud::B9600 => 9_600,
        }
    }

    pub fn from_bps(bps: u32) -> Option<Baud> {
        Baud::ALL.into_iter().find(|b| b.bits_per_second() == bps)
    }

    /// The `PARA` byte of the set-baud command.
    pub fn code(self) -> u8 {
        match self {
            Baud::B115200 => 0x00,
            Baud::B57600 => 0x01,
            Baud::B38400 => 0x02,
            Baud::B19200 => 0x03,
            Baud::B9600 => 0x04,
        }
    }

    pub fn from_code(code: u8) -> Option<Baud> {
        Baud::ALL.into_iter().find(|b| b.code() == code)
    }
}

/// The commands the driver sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    /// `10 FF`: reset the SAM (secure access module).
    ResetSam,
    /// `11 FF`: SAM self-check; the health probe.
    SamStatus,
    /// `12 FF`: the SAM's 16-byte identity.
    SamId,
    /// `20 01`: is there a card in the field? (9F yes, 80 no)
    FindCard,
    /// `20 02`: select the found card; returns its 8-byte serial.
    SelectCard,
    /// `30 01`: text block and photo.
    ReadText,
    /// `30 10`: text block, photo and fingerprint.
    ReadTextWithFingerprint,
    /// `30 03`: the newest additional address (91 = none).
    ReadExtraAddress,
    /// `60 nn`: switch the reader's serial speed.
    SetBaud(Baud),
}

impl Command {
    /// Every command, with every baud rate.
    pub const ALL: [Command; 13] = [
        Command::ResetSam,
        Command::SamStatus,
        Command::SamId,
        Command::FindCard,
        Command::SelectCard,
        Command::ReadText,
        Command::ReadTextWithFingerprint,
        Command::ReadExtraAddress,
        Command::SetBaud(Baud::B115200),
        Command::SetBaud(Baud::B57600),
        Command::SetBaud(Baud::B38400),
        Command::SetBaud(Baud::B19200),
        Command::SetBaud(Baud::B9600),
    ];

    /// The `CMD` and `PARA` bytes.
    pub fn cmd_para(self) -> (u8, u8) {
        match self {
            Command::ResetSam => (0x10, 0xFF),
            Command::SamStatus => (0x11, 0xFF),
            Command::SamId => (0x12, 0xFF),
            Command::FindCard => (0x20, 0x01),
            Command::SelectCard => (0x20, 0x02),
            Command::ReadText => (0x30, 0x01),
            Command::ReadTextWithFingerprint => (0x30, 0x10),
            Command::ReadExtraAddress => (0x30, 0x03),
            Command::SetBaud(b) => (0x60, b.code()),
        }
    }

    pub fn from_cmd_para(cmd: u8, para: u8) -> Option<Command> {
        match (cmd, para) {
            (0x60, code) => Baud::from_code(code).map(Command::SetBaud),
            _ => Command::ALL
                .into_iter()
                .find(|c| c.cmd_para() == (cmd, para)),
        }
    }

    /// The whole request frame, e.g. `AA AA AA 96 69 00 03 20 01 22` for
    /// [`Command::FindCard`].
    pub fn encode(self) -> Vec<u8> {
        let (cmd, para) = self.cmd_para();
        encode_frame(&[cmd, para])
    }

    /// A short English name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Command::ResetSam => "reset SAM",
            Command::SamStatus => "SAM status",
            Command::SamId => "read SAM id",
            Command::FindCard => "find card",
            Command::SelectCard => "select card",
            Command::ReadText => "read text",
            Command::ReadTextWithFingerprint => "read text with fingerprint",
            Command::ReadExtraAddress => "read extra address",
            Command::SetBaud(Baud::B115200) => "set baud 115200",
            Command::SetBaud(Baud::B57600) => "set baud 57600",
            Command::SetBaud(Baud::B38400) => "set baud 38400",
            Command::SetBaud(Baud::B19200) => "set baud 19200",
            Command::SetBaud(Baud::B9600) => "set baud 9600",
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn xor(bytes: &[u8]) -> u8 {
    bytes.iter().fold(0, |acc, b| acc ^ b)
}

/// A whole frame around `body`: preamble, big-endian length (`body.len() + 1`),
/// body, XOR checksum.
///
/// A body longer than `u16::MAX - 1` bytes cannot be framed; its length field
/// saturates at `u16::MAX`, which no decoder accepts (the function does not
/// panic). Bodies longer than `MAX_LENGTH - 1` or shorter than
/// `MIN_LENGTH - 1` are encoded faithfully but [`FrameDecoder`] rejects them.
pub fn encode_frame(body: &[u8]) -> Vec<u8> {
    let length = u16::try_from(body.len() + 1).unwrap_or(u16::MAX);
    let [hi, lo] = length.to_be_bytes();
    let mut out = Vec::with_capacity(HEADER_LEN + body.len() + 1);
    out.extend_from_slice(&PREAMBLE);
    out.push(hi);
    out.push(lo);
    out.extend_from_slice(body);
    out.push(hi ^ lo ^ xor(body));
    out
}

/// A reply frame as the reader sends it: body `00 00 sw3 data…`.
pub fn encode_reply(sw3: u8, data: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(3 + data.len());
    body.extend_from_slice(&[0x00, 0x00, sw3]);
    body.extend_from_slice(data);
    encode_frame(&body)
}

/// One checked frame: the bytes between the length field and the checksum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub body: Vec<u8>,
}

/// Why a candidate frame was rejected. The decoder skips past its preamble and
/// keeps scanning, so a following good frame is still found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// `expected` is the XOR computed over the received bytes, `actual` the
    /// checksum byte that came with them.
    #[error("frame checksum mismatch: computed {expected:#04x}, received {actual:#04x}")]
    BadChecksum { expected: u8, actual: u8 },
    /// A length field outside `MIN_LENGTH..=MAX_LENGTH`.
    #[error("frame length field {0} is out of range")]
    LengthOutOfRange(u16),
}

/// Incremental frame decoder for a byte stream with any chunking.
///
/// * Bytes before a preamble are skipped (and counted in
///   [`skipped_bytes`](Self::skipped_bytes)).
/// * A length field out of range or a bad checksum yields one `Err`; the
///   decoder then skips that preamble only and rescans the bytes after it, so
///   a good frame hidden inside a damaged one's claimed extent is recovered.
/// * Memory is bounded: without a preamble at most 4 bytes are kept; with one
///   at most `7 + MAX_LENGTH` bytes are needed to decide.
#[derive(Debug, Default)]
pub struct FrameDecoder {
    buf: Vec<u8>,
    /// Start of the unconsumed bytes in `buf`.
    pos: usize,
    skipped: u64,
}

impl FrameDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends received bytes.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next frame or error, or `None` when more bytes are needed.
    pub fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        let pending = self.buf.get(self.pos..).unwrap_or(&[]);
        let Some(start) = find_preamble(pending) else {
            // Keep the longest tail that could be the start of a preamble.
            let keep = partial_preamble_suffix(pending);
            let drop = pending.len() - keep;
            self.skip(drop);
            return None;
        };
        self.skip(start);
        let pending = self.buf.get(self.pos..).unwrap_or(&[]);
        let (&hi, &lo) = (pending.get(5)?, pending.get(6)?);
        let length = u16::from_be_bytes([hi, lo]);
        if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
            self.skip(PREAMBLE.len());
            return Some(Err(FrameError::LengthOutOfRange(length)));
        }
        let total = HEADER_LEN + usize::from(length);
        let frame = pending.get(..total)?;
        let body = frame.get(HEADER_LEN..total - 1).unwrap_or(&[]);
        let actual = frame.get(total - 1).copied().unwrap_or(0);
        let expected = hi ^ lo ^ xor(body);
        if expected != actual {
            self.skip(PREAMBLE.len());
            return Some(Err(FrameError::BadChecksum { expected, actual }));
        }
        let body = body.to_vec();
        self.pos += total;
        if self.pos >= self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
        Some(Ok(Frame { body }))
    }

    /// Forgets every buffered byte (e.g. before a new command). The bytes are
    /// zeroed first: they may hold personal data.
    pub fn clear(&mut self) {
        // Zero the whole allocation, not only the live bytes: consumed
        // frames stay in the spare capacity.
        let capacity = self.buf.capacity();
        self.buf.resize(capacity, 0);
        wipe(&mut self.buf);
        self.buf.clear();
        self.pos = 0;
    }

    /// Bytes received but not yet returned or skipped.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Bytes dropped so far: garbage before preambles and the preambles of
    /// rejected frames.
    pub fn skipped_bytes(&self) -> u64 {
        self.skipped
    }

    fn skip(&mut self, n: usize) {
        self.pos = (self.pos + n).min(self.buf.len());
        self.skipped += n as u64;
        if self.pos == self.buf.len() {
            self.buf.clear();
            self.pos = 0;
        }
    }
}

/// Position of the first complete preamble.
fn find_preamble(bytes: &[u8]) -> Option<usize> {
    // Scan for the rarer tail byte 0x96 and check around it: garbage of 0xAA
    // bytes stays linear.
    let mut from = 3;
    while from + 1 < bytes.len() {
        let i = from + bytes.get(from..)?.iter().position(|&b| b == 0x96)?;
        if i >= 3 && bytes.get(i - 3..i + 2) == Some(&PREAMBLE[..]) {
            return Some(i - 3);
        }
        from = i + 1;
    }
    None
}

/// Length of the longest suffix of `bytes` that is a proper prefix of the
/// preamble.
fn partial_preamble_suffix(bytes: &[u8]) -> usize {
    (1..PREAMBLE.len())
        .rev()
        .find(|&n| bytes.len() >= n && bytes[bytes.len() - n..] == PREAMBLE[..n])
        .unwrap_or(0)
}

/// A request as the reader sees it (the simulator's side).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub cmd: u8,
    pub para: u8,
    pub data: Vec<u8>,
}

impl Request {
    /// The known command, if `cmd`/`para` name one.
    pub fn command(&self) -> Option<Command> {
        Command::from_cmd_para(self.cmd, self.para)
    }
}

/// Splits a request body into `CMD PARA data`. `None` if the body is shorter
/// than 2 bytes.
pub fn parse_request(frame: &Frame) -> Option<Request> {
    match frame.body.as_slice() {
        [cmd, para, data @ ..] => Some(Request {
            cmd: *cmd,
            para: *para,
            data: data.to_vec(),
        }),
        _ => None,
    }
}

/// The reader's status byte (SW3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sw3 {
    /// 90
    Ok,
    /// 9F
    CardFound,
    /// 10
    HostChecksumError,
    /// 11
    LengthError,
    /// 21
    BadCommand,
    /// 23
    NotPermitted,
    /// 24
    UnrecognizedError,
    /// 31
    CardAuthenticationFailed,
    /// 32
    SamAuthenticationFailed,
    /// 33
    VerificationError,
    /// 40
    UnknownCardType,
    /// 41
    ReadFailed,
    /// 47
    ChallengeFailed,
    /// 60
    SamSelfTestFailed,
    /// 66
    SamNotAuthorized,
    /// 80
    NoCard,
    /// 81
    SelectFailed,
    /// 91
    ItemAbsent,
    /// Any other byte.
    Unknown(u8),
}

impl Sw3 {
    /// Every named status, in the order of the reference.
    pub const ALL_KNOWN: [Sw3; 18] = [
        Sw3::Ok,
        Sw3::CardFound,
        Sw3::HostChecksumError,
        Sw3::LengthError,
        Sw3::BadCommand,
        Sw3::NotPermitted,
        Sw3::UnrecognizedError,
        Sw3::CardAuthenticationFailed,
        Sw3::SamAuthenticationFailed,
        Sw3::VerificationError,
        Sw3::UnknownCardType,
        Sw3::ReadFailed,
        Sw3::ChallengeFailed,
        Sw3::SamSelfTestFailed,
        Sw3::SamNotAuthorized,
        Sw3::NoCard,
        Sw3::SelectFailed,
        Sw3::ItemAbsent,
    ];

    pub fn from_byte(b: u8) -> Sw3 {
        Sw3::ALL_KNOWN
            .into_iter()
            .find(|s| s.to_byte() == b)
            .unwrap_or(Sw3::Unknown(b))
    }

    pub fn to_byte(self) -> u8 {
        match self {
            Sw3::Ok => 0x90,
            Sw3::CardFound => 0x9F,
            Sw3::HostChecksumError => 0x10,
            Sw3::LengthError => 0x11,
            Sw3::BadCommand => 0x21,
            Sw3::NotPermitted => 0x23,
            Sw3::UnrecognizedError => 0x24,
            Sw3::CardAuthenticationFailed => 0x31,
            Sw3::SamAuthenticationFailed => 0x32,
            Sw3::VerificationError => 0x33,
            Sw3::UnknownCardType => 0x40,
            Sw3::ReadFailed => 0x41,
            Sw3::ChallengeFailed => 0x47,
            Sw3::SamSelfTestFailed => 0x60,
            Sw3::SamNotAuthorized => 0x66,
            Sw3::NoCard => 0x80,
            Sw3::SelectFailed => 0x81,
            Sw3::ItemAbsent => 0x91,
            Sw3::Unknown(b) => b,
        }
    }

    /// English description for logs and the technician's output.
    pub fn description(self) -> &'static str {
        match self {
            Sw3::Ok => "ok",
            Sw3::CardFound => "card found",
            Sw3::HostChecksumError => "checksum error in the host's frame",
            Sw3::LengthError => "length error in the host's frame",
            Sw3::BadCommand => "bad command or parameter",
            Sw3::NotPermitted => "command not permitted",
            Sw3::UnrecognizedError => "unrecognized error",
            Sw3::CardAuthenticationFailed => "card failed to authenticate the SAM",
            Sw3::SamAuthenticationFailed => "SAM failed to authenticate the card",
            Sw3::VerificationError => "verification error",
            Sw3::UnknownCardType => "unknown card type",
            Sw3::ReadFailed => "card read failed",
            Sw3::ChallengeFailed => "get-challenge failed",
            Sw3::SamSelfTestFailed => "SAM self-test failed",
            Sw3::SamNotAuthorized => "SAM not authorized",
            Sw3::NoCard => "no card",
            Sw3::SelectFailed => "card select failed",
            Sw3::ItemAbsent => "item absent on the card",
            Sw3::Unknown(_) => "unknown status",
        }
    }
}

impl fmt::Display for Sw3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:02X})", self.description(), self.to_byte())
    }
}

/// A reply split into its status words and data, not yet interpreted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReply {
    pub sw1: u8,
    pub sw2: u8,
    pub sw3: Sw3,
    pub data: Vec<u8>,
}

/// Splits a reply body into `SW1 SW2 SW3 data`.
pub fn parse_reply(frame: &Frame) -> Result<RawReply, ReplyError> {
    match frame.body.as_slice() {
        [sw1, sw2, sw3, data @ ..] => Ok(RawReply {
            sw1: *sw1,
            sw2: *sw2,
            sw3: Sw3::from_byte(*sw3),
            data: data.to_vec(),
        }),
        _ => Err(ReplyError::TooShort),
    }
}

/// Typed replies. The photo and the fingerprint are dropped here: no variant
/// carries them.
// The text block is 256 bytes inline; boxing it would change the public API
// for a value that lives for one read.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Reset, status and set-baud succeeded.
    Done,
    SamId(SamId),
    CardFound,
    CardSelected {
        serial: [u8; 8],
    },
    CardText(TextBlock),
    /// The newest extra address, `None` when the card has none (SW3 91).
    ExtraAddress(Option<String>),
}

/// The 256-byte text block of a card (UTF-16LE fields; see `crate::card`).
///
/// Personal data: its `Debug` prints no bytes, and the bytes are zeroed when
/// it is dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct TextBlock(pub [u8; 256]);

impl fmt::Debug for TextBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TextBlock(<256 bytes redacted>)")
    }
}

impl Drop for TextBlock {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

/// The SAM's 16-byte identity.
///
/// `Display` gives the dotted decimal form vendor tools print,
/// `AA.BB-CCCCCCCC-DDDDDDDDDD-EEEEEEEEEE`: `AA` and `BB` are the little-endian
/// 16-bit values of bytes 0–1 and 2–3 (two digits at least), then the three
/// little-endian 32-bit values of bytes 4–7 (unpadded; usually a date),
/// 8–11 and 12–15 (zero-padded to 10 digits). Tools disagree on the padding of
/// the last two fields; [`SamId::hex`] gives the raw bytes unambiguously.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SamId(pub [u8; 16]);

impl SamId {
    /// The 16 bytes as 32 upper-case hex digits.
    pub fn hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02X}")).collect()
    }
}

impl fmt::Display for SamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        let u16le = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32le = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        write!(
            f,
            "{:02}.{:02}-{}-{:010}-{:010}",
            u16le(0),
            u16le(2),
            u32le(4),
            u32le(8),
            u32le(12)
        )
    }
}

/// A reply that is not the success the command expects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    /// The reader answered with a non-success status (e.g. `NoCard` for find).
    #[error("{command}: reader status {status}")]
    Status { command: Command, status: Sw3 },
    /// Success status, but the data does not have the expected shape.
    #[error("{command}: malformed reply: {reason}")]
    Malformed {
        command: Command,
        reason: &'static str,
    },
    /// Fewer than the three status bytes.
    #[error("reply shorter than its three status bytes")]
    TooShort,
}

/// Zeroes a buffer that held personal data. `black_box` keeps the compiler
/// from removing the stores to memory that is about to be freed.
pub(crate) fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

/// Turns a raw reply into the typed reply for `command`.
///
/// Success is SW3 9F for find card, 90 for everything else; for the extra
/// address 91 (item absent) is success too and gives `ExtraAddress(None)`.
/// Every other status is `ReplyError::Status`. The raw data is zeroed before
/// it is freed (it may hold the photo and fingerprint).
pub fn interpret(command: Command, reply: RawReply) -> Result<Reply, ReplyError> {
    let RawReply { sw3, mut data, .. } = reply;
    let result = interpret_data(command, sw3, &data);
    wipe(&mut data);
    result
}

fn interpret_data(command: Command, sw3: Sw3, data: &[u8]) -> Result<Reply, ReplyError> {
    let malformed = |reason| ReplyError::Malformed { command, reason };
    let success = match command {
        Command::FindCard => Sw3::CardFound,
        _ => Sw3::Ok,
    };
    if command == Command::ReadExtraAddress && sw3 == Sw3::ItemAbsent {
        return Ok(Reply::ExtraAddress(None));
    }
    if sw3 != success {
        return Err(ReplyError::Status {
            command,
            status: sw3,
        });
    }
    match command {
        Command::ResetSam | Command::SamStatus | Command::SetBaud(_) => Ok(Reply::Done),
        Command::FindCard => Ok(Reply::CardFound),
        Command::SamId => data
            .get(..16)
            .and_then(|s| <[u8; 16]>::try_from(s).ok())
            .map(|id| Reply::SamId(SamId(id)))
            .ok_or(malformed("SAM id shorter than 16 bytes")),
        Command::SelectCard => data
            .get(..8)
            .and_then(|s| <[u8; 8]>::try_from(s).ok())
            .map(|serial| Reply::CardSelected { serial })
            .ok_or(malformed("card serial shorter than 8 bytes")),
        Command::ReadText | Command::ReadTextWithFingerprint => {
            let with_fp = command == Command::ReadTextWithFingerprint;
            let be = |i: usize| {
                data.get(i..i + 2)
                    .map(|s| usize::from(u16::from_be_bytes([s[0], s[1]])))
            };
            let header = if with_fp { 6 } else { 4 };
            let (Some(text_len), Some(photo_len)) = (be(0), be(2)) else {
                return Err(malformed("read reply shorter than its length fields"));
            };
            let fp_len = if with_fp {
                be(4).ok_or(malformed("read reply shorter than its length fields"))?
            } else {
                0
            };
            if text_len != 256 {
                return Err(malformed("text length is not 256"));
            }
            if data.len() < header + text_len + photo_len + fp_len {
                return Err(malformed("read reply shorter than its declared lengths"));
            }
            let block = data
                .get(header..header + 256)
                .and_then(|s| <[u8; 256]>::try_from(s).ok())
                .ok_or(malformed("read reply shorter than its declared lengths"))?;
            Ok(Reply::CardText(TextBlock(block)))
        }
        Command::ReadExtraAddress => {
            let text = crate::card::decode_utf16le(data)
                .ok_or(malformed("extra address is not valid UTF-16"))?;
            let text = crate::card::trim_padding(&text);
            if text.chars().any(char::is_control) {
                return Err(malformed("extra address contains control characters"));
            }
            Ok(Reply::ExtraAddress(
                (!text.is_empty()).then(|| text.to_string()),
            ))
        }
    }
}
