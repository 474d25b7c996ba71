//! The terminal application: the Slint window, its controller over the
//! session core, sounds, and headless rendering for screenshots.
//!
//! Map: `controller` connects UI callbacks to [`kiosk_core::Session`];
//! `content` loads the legal library and fills the library models;
//! `search` runs queries on a worker thread;
//! `audio` plays prompts on its own thread; `devices` runs the card reader,
//! the simulators and their control; `printing` holds receipts, the print
//! queue and the print service; `headless` renders without a display;
//! `run` and `screenshot` are the two ways to show the UI; `technician`
//! holds the device commands of the CLI.

slint::include_modules!();

pub mod audio;
pub mod clock;
pub mod consultation;
pub mod content;
pub mod controller;
pub mod devices;
pub mod headless;
pub mod memory;
pub mod printing;
pub mod run;
pub mod screenshot;
pub mod search;
pub mod technician;
