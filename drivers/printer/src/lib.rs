//! Thermal receipt-printer driver for the kiosk.
//!
//! Two layers, in the sans-IO style of every device driver here (see
//! `DESIGN.md`, "Devices"):
//!
//! * Pure protocol code, no I/O: a receipt model ([`document`]), its layout
//!   in the printer's columns ([`layout`], shared with the on-screen
//!   preview), GBK encoding ([`gbk`]), 1-bit images ([`raster`]), the ESC/POS
//!   renderer ([`escpos`]) for a printer model ([`profile`]) and the status
//!   codec ([`status`]). All protocol knowledge is here, tested byte for byte
//!   and fuzzed.
//! * A thin serial transport ([`transport`]): open the port, ask status,
//!   send bytes with the printer's flow control, time out, notice an unplug.
//!
//! ```no_run
//! use kiosk_printer::{document::Receipt, escpos, profile::Profile};
//! let receipt = Receipt::new().title("法律援助申请回执").key_value("编号", "FY-0001").cut();
//! let bytes = escpos::render(&receipt, &Profile::GENERIC_80, None).unwrap();
//! ```

pub mod document;
pub mod escpos;
pub mod gbk;
pub mod layout;
pub mod profile;
pub mod raster;
pub mod status;
pub mod transport;

pub use document::{Align, Block, Receipt, Size, Style};
pub use escpos::{RenderError, render};
pub use profile::Profile;
pub use status::{PrinterStatus, Problem};
pub use transport::{PrintError, Printer, PrinterConfig};
