//! A simulated thermal receipt printer.
//!
//! A device, not a mock: [`device::SimPrinter`] runs the printer's side of
//! the serial line on a pseudo-terminal, so the real driver
//! (`kiosk-printer`) and its real serial code talk to it. The printer
//! interprets the ESC/POS subset of `shared/reference/escpos.md`
//! ([`interpreter`], sans-IO), answers status ([`status`]), honours flow
//! control with a small buffer and a configurable line speed, can run out of
//! paper, open its cover or be unplugged, and draws every receipt ([`paper`])
//! to an image and a text transcript, so tests and people see exactly what
//! would come out. [`paper::render_bytes`] gives the same drawing without a
//! device, for the kiosk's on-screen receipt preview.
//!
//! The `kiosk-printer-sim` binary runs one for a person (demos, field
//! tests): it prints the port path and each receipt's transcript, and takes
//! `paper out`, `cover open`, `unplug`, ... on standard input.

pub mod device;
pub mod interpreter;
pub mod paper;
pub mod status;

pub use device::{PrintedReceipt, SimPrinter, SimPrinterControl, SimPrinterOptions};
pub use interpreter::{Event, Interpreter, Paper, PaperItem};
pub use paper::{PaperImage, PaperRenderer, render_bytes};
pub use status::{PaperState, SimStatus};
