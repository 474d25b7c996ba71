//! Driver of the second-generation ID-card reader (二代身份证阅读器) on a
//! serial port, speaking the SAM protocol of GA/T 467.
//!
//! Layers, in the sans-IO style (as `quinn-proto` or `str0m`): all protocol
//! knowledge is pure code that never touches a port or a clock, and a thin
//! I/O layer moves bytes.
//!
//! * [`codec`]: commands to bytes, an incremental frame decoder that resyncs
//!   after noise, replies to typed values. Pure, fuzzed, never panics. The
//!   reader simulator (`kiosk-idcard-sim`) uses it for the reader's side.
//! * [`card`]: the 256-byte text block to a typed [`card::Card`]; ID-number
//!   validation and the one masking rule.
//! * [`transport`]: the `serialport` port: open, write a command, read one
//!   frame within a timeout.
//! * [`poller`]: a thread that polls the reader and emits events (card read,
//!   card removed, reader lost/back), reading cards only while a service asks.
//!
//! Privacy (DESIGN.md, "Privacy rules"): the photo and fingerprint are dropped
//! in the codec and their bytes zeroed; `Debug` of cards and text blocks
//! prints no personal data; logs and error messages carry none.

pub mod card;
pub mod codec;
pub mod poller;
pub mod transport;
