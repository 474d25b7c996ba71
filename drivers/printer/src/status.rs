//! Real-time status (`DLE EOT n`): requests, reply decoding, and an
//! incremental decoder for the byte stream that comes back.
//!
//! Sans-IO: the transport sends the four [`request`]s (printer, offline
//! cause, error cause, paper sensor, in that order) and pushes whatever it
//! reads into a [`StatusDecoder`], which hands back a [`PrinterStatus`] once
//! all four replies are in. No I/O, no clocks: the decoder is fuzzed with
//! arbitrary bytes in arbitrary chunks and never panics.
//!
//! Every reply byte has the fixed pattern `0xx1xx10`. That check is what
//! keeps other bytes from being misread as status: XON (`11`) and XOFF
//! (`13`) end in `1`; an automatic status block (`GS a`) starts with
//! `0xx1xx00` and its three following bytes have bit 4 clear. The decoder
//! skips all of those; any other byte means the stream is not what we asked
//! for (noise, wrong baud rate, stale data) and ends the round with an error
//! so the caller can flush and ask again.

/// Which real-time status to ask for (`DLE EOT n`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    Printer = 1,
    Offline = 2,
    Error = 3,
    Paper = 4,
}

impl StatusKind {
    /// The four kinds in the order the decoder expects their replies.
    pub const ALL: [StatusKind; 4] = [
        StatusKind::Printer,
        StatusKind::Offline,
        StatusKind::Error,
        StatusKind::Paper,
    ];
}

/// `10 04 n`.
pub fn request(kind: StatusKind) -> [u8; 3] {
    [0x10, 0x04, kind as u8]
}

/// The 12 bytes asking for all four statuses, in decoder order.
pub fn request_all() -> [u8; 12] {
    let mut out = [0u8; 12];
    for (i, kind) in StatusKind::ALL.into_iter().enumerate() {
        out[i * 3..i * 3 + 3].copy_from_slice(&request(kind));
    }
    out
}

/// XON: the printer can take data again.
pub const XON: u8 = 0x11;
/// XOFF: the printer's buffer is nearly full.
pub const XOFF: u8 = 0x13;

/// Has the fixed bits of a real-time status reply (`0xx1xx10`).
pub fn is_status_byte(b: u8) -> bool {
    b & 0b1001_0011 == 0b0001_0010
}

/// First byte of an automatic status block (`0xx1xx00`).
pub fn is_auto_status_first(b: u8) -> bool {
    b & 0b1001_0011 == 0b0001_0000
}

/// A byte that is not a valid reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StatusError {
    /// The fixed bits `0xx1xx10` do not match.
    #[error("byte {0:#04x} is not a status reply")]
    NotAStatusByte(u8),
}

/// `n = 1`: printer status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrinterFlags {
    /// Drawer kick-out connector pin 3 is high.
    pub drawer_pin3: bool,
    pub offline: bool,
    pub waiting_for_recovery: bool,
    pub feed_button: bool,
}

/// `n = 2`: why the printer is offline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OfflineFlags {
    pub cover_open: bool,
    pub paper_fed_by_button: bool,
    pub stopped_paper_end: bool,
    pub error: bool,
}

/// `n = 3`: error causes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ErrorFlags {
    pub recoverable: bool,
    pub cutter: bool,
    pub unrecoverable: bool,
    pub auto_recoverable: bool,
}

/// `n = 4`: paper roll sensors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PaperFlags {
    /// Either near-end bit (2 or 3): printers set one or both.
    pub near_end: bool,
    /// Either paper-end bit (5 or 6).
    pub paper_out: bool,
}

/// One decoded reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusReply {
    Printer(PrinterFlags),
    Offline(OfflineFlags),
    Error(ErrorFlags),
    Paper(PaperFlags),
}

const fn bit(b: u8, n: u8) -> bool {
    b & (1 << n) != 0
}

/// Decode the reply `byte` to a `kind` request; an error if the fixed bits
/// are wrong.
pub fn decode(kind: StatusKind, byte: u8) -> Result<StatusReply, StatusError> {
    if !is_status_byte(byte) {
        return Err(StatusError::NotAStatusByte(byte));
    }
    let b = byte;
    Ok(match kind {
        StatusKind::Printer => StatusReply::Printer(PrinterFlags {
            drawer_pin3: bit(b, 2),
            offline: bit(b, 3),
            waiting_for_recovery: bit(b, 5),
            feed_button: bit(b, 6),
        }),
        StatusKind::Offline => StatusReply::Offline(OfflineFlags {
            cover_open: bit(b, 2),
            paper_fed_by_button: bit(b, 3),
            stopped_paper_end: bit(b, 5),
            error: bit(b, 6),
        }),
        StatusKind::Error => StatusReply::Error(ErrorFlags {
            recoverable: bit(b, 2),
            cutter: bit(b, 3),
            unrecoverable: bit(b, 5),
            auto_recoverable: bit(b, 6),
        }),
        StatusKind::Paper => StatusReply::Paper(PaperFlags {
            near_end: b & 0x0C != 0,
            paper_out: b & 0x60 != 0,
        }),
    })
}

/// The printer's state from the four replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PrinterStatus {
    pub online: bool,
    pub cover_open: bool,
    pub paper_near_end: bool,
    pub paper_out: bool,
    pub cutter_error: bool,
    pub unrecoverable_error: bool,
    /// A recoverable or auto-recoverable error (e.g. head overheated).
    pub recoverable_error: bool,
    pub waiting_for_recovery: bool,
}

/// Why the printer cannot print now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Offline,
    CoverOpen,
    PaperOut,
    CutterError,
    Unrecoverable,
    Recoverable,
}

impl Problem {
    /// English, for logs.
    pub fn description(self) -> &'static str {
        match self {
            Problem::Offline => "printer is offline",
            Problem::CoverOpen => "printer cover is open",
            Problem::PaperOut => "printer is out of paper",
            Problem::CutterError => "autocutter error",
            Problem::Unrecoverable => "unrecoverable printer error",
            Problem::Recoverable => "recoverable printer error",
        }
    }

    /// Stable id for the UI and the database.
    pub fn key(self) -> &'static str {
        match self {
            Problem::Offline => "offline",
            Problem::CoverOpen => "cover-open",
            Problem::PaperOut => "paper-out",
            Problem::CutterError => "cutter-error",
            Problem::Unrecoverable => "unrecoverable-error",
            Problem::Recoverable => "recoverable-error",
        }
    }

    /// The problem with this [`key`](Self::key).
    pub fn from_key(key: &str) -> Option<Problem> {
        [
            Problem::Offline,
            Problem::CoverOpen,
            Problem::PaperOut,
            Problem::CutterError,
            Problem::Unrecoverable,
            Problem::Recoverable,
        ]
        .into_iter()
        .find(|p| p.key() == key)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.description())
    }
}

impl PrinterStatus {
    /// Assemble from the four replies (printer, offline, error, paper).
    pub fn from_replies(
        p: PrinterFlags,
        o: OfflineFlags,
        e: ErrorFlags,
        paper: PaperFlags,
    ) -> Self {
        PrinterStatus {
            online: !p.offline,
            cover_open: o.cover_open,
            paper_near_end: paper.near_end,
            paper_out: paper.paper_out || o.stopped_paper_end,
            cutter_error: e.cutter,
            unrecoverable_error: e.unrecoverable,
            recoverable_error: e.recoverable || e.auto_recoverable,
            waiting_for_recovery: p.waiting_for_recovery,
        }
    }

    /// The most specific reason the printer cannot print, if any. A cause
    /// (cover, paper, cutter, error) wins over the plain "offline" it leads
    /// to. Paper near its end alone is a warning, not a problem.
    pub fn problem(&self) -> Option<Problem> {
        if self.cover_open {
            Some(Problem::CoverOpen)
        } else if self.paper_out {
            Some(Problem::PaperOut)
        } else if self.cutter_error {
            Some(Problem::CutterError)
        } else if self.unrecoverable_error {
            Some(Problem::Unrecoverable)
        } else if self.recoverable_error {
            Some(Problem::Recoverable)
        } else if !self.online || self.waiting_for_recovery {
            Some(Problem::Offline)
        } else {
            None
        }
    }
}

/// Incremental decoder of the replies to [`request_all`]. See the module
/// docs. After a result (status or error) it starts a new round; the rest of
/// the pushed slice is dropped, since it answers nothing that was asked.
#[derive(Debug, Default)]
pub struct StatusDecoder {
    replies: [u8; 4],
    count: usize,
    auto_status_left: u8,
}

impl StatusDecoder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Start over (e.g. before sending the requests again).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// Feed bytes as they arrive. `Some` once all four replies are in, or on
    /// a byte that is no reply.
    pub fn push(&mut self, bytes: &[u8]) -> Option<Result<PrinterStatus, StatusError>> {
        for &b in bytes {
            if self.auto_status_left > 0 {
                self.auto_status_left -= 1;
                continue;
            }
            if b == XON || b == XOFF {
                continue;
            }
            if is_auto_status_first(b) {
                self.auto_status_left = 3;
                continue;
            }
            if !is_status_byte(b) {
                self.reset();
                return Some(Err(StatusError::NotAStatusByte(b)));
            }
            self.replies[self.count] = b;
            self.count += 1;
            if self.count == 4 {
                let r = self.replies;
                self.reset();
                return Some(Ok(assemble(r)));
            }
        }
        None
    }
}

fn assemble(r: [u8; 4]) -> PrinterStatus {
    let mut p = PrinterFlags::default();
    let mut o = OfflineFlags::default();
    let mut e = ErrorFlags::default();
    let mut paper = PaperFlags::default();
    for (kind, byte) in StatusKind::ALL.into_iter().zip(r) {
        match decode(kind, byte) {
            Ok(StatusReply::Printer(f)) => p = f,
            Ok(StatusReply::Offline(f)) => o = f,
            Ok(StatusReply::Error(f)) => e = f,
            Ok(StatusReply::Paper(f)) => paper = f,
            Err(_) => {} // checked before they were stored
        }
    }
    PrinterStatus::from_replies(p, o, e, paper)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_dle_eot_n() {
        assert_eq!(request(StatusKind::Printer), [0x10, 0x04, 0x01]);
        assert_eq!(request(StatusKind::Paper), [0x10, 0x04, 0x04]);
        assert_eq!(request_all()[9..], [0x10, 0x04, 0x04]);
    }

    #[test]
    fn reference_examples_decode() {
        // 12: all fine.
        assert_eq!(
            decode(StatusKind::Printer, 0x12),
            Ok(StatusReply::Printer(PrinterFlags::default()))
        );
        // n=4 1E: near end.
        assert_eq!(
            decode(StatusKind::Paper, 0x1E),
            Ok(StatusReply::Paper(PaperFlags {
                near_end: true,
                paper_out: false
            }))
        );
        // n=4 72: paper out.
        assert_eq!(
            decode(StatusKind::Paper, 0x72),
            Ok(StatusReply::Paper(PaperFlags {
                near_end: false,
                paper_out: true
            }))
        );
        assert_eq!(
            decode(StatusKind::Printer, 0x1A),
            Ok(StatusReply::Printer(PrinterFlags {
                offline: true,
                ..Default::default()
            }))
        );
    }

    #[test]
    fn fixed_bits_are_checked() {
        for b in [0x00, 0x13, 0x11, 0x10, 0x92, 0x02, 0x13, 0xFF, 0x14] {
            assert_eq!(
                decode(StatusKind::Paper, b),
                Err(StatusError::NotAStatusByte(b)),
                "{b:#x}"
            );
        }
        assert!(
            (0..=255u8)
                .filter(|&b| is_status_byte(b))
                .all(|b| b & 0x93 == 0x12)
        );
        assert_eq!((0..=255u8).filter(|&b| is_status_byte(b)).count(), 16);
    }

    #[test]
    fn decoder_assembles_four_replies_across_chunks() {
        let mut d = StatusDecoder::new();
        assert_eq!(d.push(&[0x12]), None);
        assert_eq!(d.push(&[0x12, 0x12]), None);
        let st = d.push(&[0x1E]).unwrap().unwrap();
        assert!(st.online && st.paper_near_end && !st.paper_out);
        assert_eq!(st.problem(), None);
        // Paper out: the printer is offline too; the cause wins.
        let st = d.push(&[0x1A, 0x32, 0x12, 0x72]).unwrap().unwrap();
        assert!(st.paper_out && !st.online);
        assert_eq!(st.problem(), Some(Problem::PaperOut));
    }

    #[test]
    fn decoder_ignores_xon_xoff_and_auto_status() {
        let mut d = StatusDecoder::new();
        // XOFF, reply, auto-status block (first byte 0x10 pattern 0xx1xx00,
        // then three bytes), XON, three replies.
        let bytes = [0x13, 0x12, 0x10, 0x0F, 0x00, 0x0C, 0x11, 0x16, 0x12, 0x12];
        let st = d.push(&bytes).unwrap().unwrap();
        assert!(st.cover_open);
        assert_eq!(st.problem(), Some(Problem::CoverOpen));
    }

    #[test]
    fn decoder_reports_garbage_and_starts_over() {
        let mut d = StatusDecoder::new();
        assert_eq!(
            d.push(&[0x12, 0xFF]),
            Some(Err(StatusError::NotAStatusByte(0xFF)))
        );
        assert_eq!(d.push(&[0x12, 0x12, 0x12]), None);
        assert!(d.push(&[0x12]).unwrap().is_ok());
    }

    #[test]
    fn problems_have_stable_keys() {
        for p in [
            Problem::Offline,
            Problem::CoverOpen,
            Problem::PaperOut,
            Problem::CutterError,
            Problem::Unrecoverable,
            Problem::Recoverable,
        ] {
            assert_eq!(Problem::from_key(p.key()), Some(p));
            assert!(!p.description().is_empty());
        }
        assert_eq!(Problem::PaperOut.key(), "paper-out");
        let st = PrinterStatus {
            online: true,
            paper_near_end: true,
            ..Default::default()
        };
        assert_eq!(st.problem(), None);
        assert_eq!(PrinterStatus::default().problem(), Some(Problem::Offline));
    }
}
