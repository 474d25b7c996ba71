//! A simulated second-generation ID-card reader (二代身份证阅读器) on a
//! pseudo-terminal.
//!
//! The simulator is a device, not a mock (DESIGN.md, "Devices"): it runs the
//! reader's side of the SAM serial protocol (GA/T 467, see
//! `reference/idcard-sam.md`) behind a pty, so the real driver
//! (`kiosk-idcard`) opens a real tty path with its real `serialport` code, in
//! development, in tests, in demos (`kiosk sim`) and as the kiosk's embedded
//! default reader when no hardware is configured. Framing comes from the
//! driver's own codec (`kiosk_idcard::codec`), so the two sides cannot drift
//! apart; the reader's behaviour (find → select → read, status words) lives
//! in the private `device` module, the pty plumbing in `pty`.
//!
//! ```no_run
//! use kiosk_idcard_sim::{SimOptions, SimReader, samples};
//! let sim = SimReader::start(SimOptions::default())?;
//! let control = sim.control();
//! control.place_card(&samples::by_key("resident").unwrap());
//! println!("reader on {}", sim.port_path().display());
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! What a test or a technician can do through [`SimControl`]:
//! place and remove sample cards ([`samples`], all fictitious people), slow
//! the replies down, lose bytes of a reply, corrupt its checksum, put noise
//! on the line before it, make any command answer any status word, and pull
//! the reader out and put it back ([`SimControl::unplug`] /
//! [`SimControl::replug`]: the pty disappears and a new one appears behind
//! the same stable link, as a USB adapter gets a new `ttyUSBn` behind its
//! udev name).
//!
//! Timing: replies are paced to the configured line speed (10 bits per
//! byte, 8N1), measured from the start of each reply, so a 1295-byte read
//! takes at least 112.4 ms at 115200 baud, as on a real line. The lead
//! measures the driver's overhead against this wire time.
//!
//! The simulator thread never panics on what the host sends (every byte
//! sequence goes through the driver's fuzzed decoder), never spins (it
//! sleeps in `poll`, waking at most every 50 ms while idle), and logs only
//! command names and status words, never card data.

mod device;
mod pty;
pub mod samples;
mod sim;

pub use device::SAM_ID;
pub use samples::SampleCard;
pub use sim::{REQUEST_LOG, ServedRequest, SimControl, SimOptions, SimReader};
