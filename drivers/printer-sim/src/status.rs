//! The printer's status bytes, as in the reference table
//! (`shared/reference/escpos.md`, "Status").
//!
//! Sans-IO: [`SimStatus`] is the printer's condition; [`SimStatus::real_time`]
//! is the one-byte answer to `DLE EOT n`, [`SimStatus::automatic`] the four
//! bytes of automatic status back (`GS a`). Every real-time reply has the
//! fixed pattern `0xx1xx10` (bits 1 and 4 set, 0 and 7 clear), so
//! "all fine" is `0x12`; the automatic status' first byte is `0xx1xx00`.

/// The paper roll as the paper sensors see it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PaperState {
    #[default]
    Ok,
    /// The near-end sensor sees the roll running low; printing goes on.
    NearEnd,
    /// No paper: printing stops until paper is loaded.
    Out,
}

/// What the printer knows about itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimStatus {
    pub paper: PaperState,
    pub cover_open: bool,
}

/// Fixed bits of every `DLE EOT` reply.
pub const FIXED: u8 = 0x12;

impl SimStatus {
    /// True when the printer cannot print (cover open or paper out); the
    /// manuals call this "offline".
    pub fn offline(&self) -> bool {
        self.cover_open || self.paper == PaperState::Out
    }

    /// Answer to `DLE EOT n`; `None` for an `n` the printer does not answer.
    ///
    /// * n=1 printer: bit 3 offline.
    /// * n=2 offline cause: bit 2 cover open, bit 5 stopped by paper end.
    /// * n=3 error cause: no errors are simulated (`0x12`).
    /// * n=4 paper sensors: `0x1E` near end (bits 2+3), `0x72` paper out
    ///   (bits 5+6), the values the reference gives.
    pub fn real_time(&self, n: u8) -> Option<u8> {
        let mut b = FIXED;
        match n {
            1 => {
                if self.offline() {
                    b |= 0x08;
                }
            }
            2 => {
                if self.cover_open {
                    b |= 0x04;
                }
                if self.paper == PaperState::Out {
                    b |= 0x20;
                }
            }
            3 => {}
            4 => match self.paper {
                PaperState::Ok => {}
                PaperState::NearEnd => b |= 0x0C,
                PaperState::Out => b |= 0x60,
            },
            _ => return None,
        }
        Some(b)
    }

    /// Automatic status back (Epson layout): byte 1 `0xx1xx00` with bit 3
    /// offline and bit 5 cover open; byte 2 errors (none); byte 3 paper:
    /// bits 0+1 near end, bits 2+3 paper end; byte 4 `0x00`.
    pub fn automatic(&self) -> [u8; 4] {
        let mut b1 = 0x10;
        if self.offline() {
            b1 |= 0x08;
        }
        if self.cover_open {
            b1 |= 0x20;
        }
        let b3 = match self.paper {
            PaperState::Ok => 0x00,
            PaperState::NearEnd => 0x03,
            PaperState::Out => 0x0C,
        };
        [b1, 0x00, b3, 0x00]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_have_the_fixed_bits_and_the_reference_values() {
        let fine = SimStatus::default();
        for n in 1..=4 {
            assert_eq!(fine.real_time(n), Some(0x12));
        }
        let near = SimStatus {
            paper: PaperState::NearEnd,
            ..fine
        };
        assert_eq!(near.real_time(4), Some(0x1E));
        assert_eq!(near.real_time(1), Some(0x12));
        let out = SimStatus {
            paper: PaperState::Out,
            ..fine
        };
        assert_eq!(out.real_time(4), Some(0x72));
        assert_eq!(out.real_time(1), Some(0x1A));
        assert_eq!(out.real_time(2), Some(0x32));
        let cover = SimStatus {
            cover_open: true,
            ..fine
        };
        assert_eq!(cover.real_time(2), Some(0x16));
        for s in [fine, near, out, cover] {
            for n in 1..=4 {
                let b = s.real_time(n).unwrap();
                assert_eq!(b & 0x93, 0x12, "fixed bits of {b:02X}");
            }
            assert_eq!(s.automatic()[0] & 0x93, 0x10);
        }
        assert_eq!(fine.real_time(5), None);
    }
}
