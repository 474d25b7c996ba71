//! Printer profiles: what differs between the receipt printers the kiosk
//! supports, as data.
//!
//! ESC/POS is a family, not a standard: paper width, columns, whether `GS ( k`
//! QR codes exist, whether there is a cutter, the link settings and the size
//! of the receive buffer all depend on the model. Everything model-specific
//! that the renderer and the transport need is in a [`Profile`], so adding a
//! printer is adding a constant here (and the simulator can play any of
//! them).
//!
//! Values and why (see `shared/reference/escpos.md`):
//!
//! | | generic-58 | generic-80 | epson-tm-t88 |
//! |---|---|---|---|
//! | paper | 58 mm, 384 dots, 203 dpi | 80 mm, 576 dots, 203 dpi | 80 mm, 512 dots, 180 dpi |
//! | columns (font A 12x24) | 32 | 48 | 42 |
//! | QR | native, <= 512 bytes | native, <= 1024 bytes | none: sent as an image (TM-T88III) |
//! | cutter | no (tear bar) | yes | yes |
//! | baud | 9600 | 9600 | 9600 |
//! | flow control | XON/XOFF | XON/XOFF | DTR/DSR |
//! | receive buffer | 1 KB | 4 KB | 4 KB |
//! | `FS &` (Chinese mode) | yes | yes | yes |
//!
//! * Baud: 9600 for all three because it is the factory default of every
//!   one of them (the reference: "9600 is the common factory default"). A
//!   kiosk printer is configured once by a technician with DIP switches or a
//!   self-test menu; a driver default that matches the out-of-box printer
//!   works on day one, and `PrinterConfig::baud` overrides it for a unit set
//!   faster (115200 makes image receipts ~12x faster on the wire).
//! * QR capacity: Chinese 58/80 mm units document "about 1 KB"; the 58 mm
//!   limit is halved because a larger symbol only fits 384 dots with
//!   modules of 1-2 dots, which phones do not scan reliably. Receipts carry
//!   a URL or a case number (well under 200 bytes).
//! * Buffers: the 58 mm class ships with small receive buffers; 1 KB is a
//!   conservative figure for it, 4 KB for the others (Epson TM-T88: 4 KB).
//!   The transport never keeps more than a small fraction of it in flight.
//! * Chinese mode: on at power-up on most Chinese printers, but a previous
//!   job may have sent `FS .`; two bytes per receipt make it certain. The
//!   TM-T88 profile is the Simplified Chinese model (GB18030 resident font);
//!   a Western TM-T88 cannot print GBK at all.

/// How the printer tells the host to pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlowControl {
    /// Nothing: the host must not outrun the printer (only safe with a large
    /// buffer or short jobs).
    None,
    /// The printer sends XOFF (0x13) when its buffer is nearly full and XON
    /// (0x11) when it can take more.
    XonXoff,
    /// The printer drops DSR (host side) when busy; the host raises DTR.
    DtrDsr,
}

/// How a QR code is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrSupport {
    /// `GS ( k` model 2, up to `max_bytes` of data.
    Native { max_bytes: u16 },
    /// No QR command: the host rasterises the symbol and sends `GS v 0`.
    Image,
}

/// One printer model. See the module docs for the values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Stable id used in configuration: `generic-58`, `generic-80`,
    /// `epson-tm-t88`.
    pub id: &'static str,
    /// Human-readable name for logs and the technician screen.
    pub name: &'static str,
    /// Printable width in dots.
    pub paper_dots: u16,
    /// Dots per inch (both directions).
    pub dpi: u16,
    /// Characters per line in font A (12x24) at normal size.
    pub ascii_columns: u8,
    pub qr: QrSupport,
    /// Has an autocutter (`GS V`); otherwise the paper is torn off.
    pub cutter: bool,
    pub default_baud: u32,
    pub flow: FlowControl,
    /// Receive buffer size in bytes.
    pub buffer_bytes: u32,
    /// Send `FS &` (Chinese character mode on) after `ESC @`.
    pub chinese_mode: bool,
}

impl Profile {
    /// Chinese 58 mm printer (Xprinter/HPRT class).
    pub const GENERIC_58: Profile = Profile {
        id: "generic-58",
        name: "Generic 58 mm (Chinese ESC/POS)",
        paper_dots: 384,
        dpi: 203,
        ascii_columns: 32,
        qr: QrSupport::Native { max_bytes: 512 },
        cutter: false,
        default_baud: 9600,
        flow: FlowControl::XonXoff,
        buffer_bytes: 1024,
        chinese_mode: true,
    };

    /// Chinese 80 mm printer with autocutter.
    pub const GENERIC_80: Profile = Profile {
        id: "generic-80",
        name: "Generic 80 mm (Chinese ESC/POS)",
        paper_dots: 576,
        dpi: 203,
        ascii_columns: 48,
        qr: QrSupport::Native { max_bytes: 1024 },
        cutter: true,
        default_baud: 9600,
        flow: FlowControl::XonXoff,
        buffer_bytes: 4096,
        chinese_mode: true,
    };

    /// Epson TM-T88 (III and later), Simplified Chinese model. The TM-T88III
    /// has no `GS ( k`, so QR codes go as images for the whole family.
    pub const EPSON_TM_T88: Profile = Profile {
        id: "epson-tm-t88",
        name: "Epson TM-T88 (Simplified Chinese)",
        paper_dots: 512,
        dpi: 180,
        ascii_columns: 42,
        qr: QrSupport::Image,
        cutter: true,
        default_baud: 9600,
        flow: FlowControl::DtrDsr,
        buffer_bytes: 4096,
        chinese_mode: true,
    };

    /// All known profiles, in the order shown to a technician.
    pub fn all() -> [&'static Profile; 3] {
        [&Self::GENERIC_58, &Self::GENERIC_80, &Self::EPSON_TM_T88]
    }

    /// The profile with this id.
    pub fn by_id(id: &str) -> Option<&'static Profile> {
        Self::all().into_iter().find(|p| p.id == id)
    }

    /// Characters per line for CJK (24x24) characters: half the ASCII columns.
    pub fn cjk_columns(&self) -> u8 {
        self.ascii_columns / 2
    }

    /// Width of one ASCII column in dots (12 for font A).
    pub fn column_dots(&self) -> u32 {
        u32::from(self.paper_dots) / u32::from(self.ascii_columns.max(1))
    }

    /// Height of a character cell in dots at normal size (24 for font A).
    pub const fn cell_dots(&self) -> u32 {
        24
    }

    /// Default line pitch (`ESC 2`, about 1/6 inch) in dots: the paper a
    /// normal text line takes. A raster line is padded to this with `ESC J`
    /// so it takes the same room as the text line it replaces.
    pub const fn line_pitch_dots(&self) -> u32 {
        30
    }

    /// Lines to feed after the last line so it clears the tear bar on a
    /// printer without a cutter (print head to tear bar is ~12 mm on 58 mm
    /// units; 4 lines of 3.75 mm).
    pub const fn tear_feed_lines(&self) -> u8 {
        4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_are_found_by_id_and_consistent() {
        for p in Profile::all() {
            assert_eq!(Profile::by_id(p.id), Some(p));
            assert_eq!(p.column_dots(), 12);
            assert_eq!(p.cjk_columns() * 2, p.ascii_columns);
        }
        assert_eq!(Profile::by_id("nope"), None);
        assert_eq!(Profile::GENERIC_58.cjk_columns(), 16);
        assert_eq!(Profile::GENERIC_80.cjk_columns(), 24);
        assert_eq!(Profile::EPSON_TM_T88.cjk_columns(), 21);
    }
}
