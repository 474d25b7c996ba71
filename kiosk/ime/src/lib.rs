//! The input engine behind the kiosk's on-screen keyboard.
//!
//! The terminal runs without a system input method, yet residents must type
//! Chinese (to search, to describe a dispute), Latin letters (names,
//! addresses) and digits (ID-card and phone numbers). This crate is the
//! part of the keyboard that decides what each tap means; it has no UI
//! dependency so it can be tested and benchmarked on its own, and the Slint
//! screen only draws what it reports.
//!
//! ```
//! use kiosk_ime::{Dictionary, Edit, Engine, Key};
//!
//! let mut engine = Engine::new(Dictionary::embedded());
//! for c in "lihun".chars() {
//!     assert_eq!(engine.press(Key::Letter(c)), Edit::None);
//! }
//! assert_eq!(engine.display_composition(), "li'hun");
//! assert_eq!(engine.candidates()[0].text, "离婚");
//! assert_eq!(engine.press(Key::Space), Edit::Insert("离婚".into()));
//! ```
//!
//! Start-up: building the dictionary takes about 70 ms in a release build
//! (decompressing and indexing ~320k words; ~1 s in a debug build) and
//! holds about 9 MiB, so create it on a background thread (`std::thread::spawn(Dictionary::embedded)`) while the
//! first screen renders; it is built once and shared via `Arc`.
//!
//! Modules: [`dict`] holds the word list and its index, `convert` turns
//! composing letters into ranked candidates, [`engine`] is the per-key state
//! machine.

mod convert;
pub mod dict;
pub mod engine;

pub use dict::{DictError, Dictionary};
pub use engine::{Candidate, DEFAULT_PAGE_SIZE, Edit, Engine, Key, MAX_COMPOSITION, Mode};
