//! The kiosk's one SQLite database.
//!
//! Everything the terminal keeps on disk (the imported legal content and its
//! search index today; records, the outbox and the print queue later) lives
//! in a single SQLite file, so one backup, one integrity check and one set of
//! migrations cover it all.
//!
//! [`open()`] makes a connection ready for use: it creates the directory if
//! needed, checks that the file really is a healthy SQLite database
//! (`PRAGMA quick_check`), switches to WAL (readers never block the writer,
//! which matters while the UI searches during a sync), turns on foreign keys
//! (off by default in SQLite), sets a busy timeout, and brings the schema up
//! to date with the [`MIGRATIONS`] list. Each failure mode that an operator
//! can act on has its own [`StorageError`] variant naming the path.

mod error;
mod migrations;
mod open;

pub use error::StorageError;
pub use migrations::{MIGRATIONS, Migration};
pub use open::{BUSY_TIMEOUT, open, open_in_memory};
