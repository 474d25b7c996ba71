//! The terminal's screens, driven through Slint's testing backend (no
//! display) with the real controller, library, SQLite and simulated devices.
//!
//! One test binary for all of them: each UI test binary links the whole
//! terminal (~200 MB in a debug build), so a dozen of them cost gigabytes of
//! disk and minutes of linking. cargo-nextest still runs every test in its own
//! process, which the testing backend (one platform per process) needs.

mod common;

mod consultation;
mod devices_event_loop;
mod elder_mode;
mod font_rendering;
mod identify;
mod idle_reset;
mod library_failure;
mod navigation;
mod receipt;
mod search_keyboard;
mod search_worker;
mod theme_contrast;
