//! The ways opening the database can fail, each worded for the technician
//! who has to fix it.

use std::path::PathBuf;

/// Why the database could not be opened or brought up to date.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The database's directory cannot be created or written (a missing
    /// mount, a read-only file system, a file where a directory should be).
    #[error("cannot create or write the database directory {path}: {reason}")]
    NotWritable {
        /// The directory (or, when SQLite refused the file itself, the file).
        path: PathBuf,
        /// What the operating system or SQLite said.
        reason: String,
    },

    /// The file exists but is not a SQLite database, or its pages are damaged.
    #[error("{path} is not a SQLite database or is corrupt: {detail}")]
    Corrupt {
        /// The database file.
        path: PathBuf,
        /// SQLite's message or the first lines of `PRAGMA quick_check`.
        detail: String,
    },

    /// The file was written by a newer program (its schema version is higher
    /// than the last migration this build knows). Opening it anyway could
    /// misread or damage data, so the program refuses.
    #[error(
        "{path} has schema version {found}, newer than version {known} that this program knows; \
         install the newer program or move the database aside"
    )]
    SchemaTooNew {
        /// The database file.
        path: PathBuf,
        /// The version found in the file (`PRAGMA user_version`).
        found: i64,
        /// The highest version in [`crate::MIGRATIONS`].
        known: i64,
    },

    /// A migration's SQL failed; the transaction was rolled back, so the
    /// database is still at the previous version.
    #[error("migration {version} ({name}) failed on {path}: {source}")]
    Migration {
        /// The database file.
        path: PathBuf,
        /// The migration's version.
        version: i64,
        /// The migration's name.
        name: &'static str,
        /// SQLite's error.
        source: rusqlite::Error,
    },

    /// Any other SQLite failure while opening (out of memory, I/O error…).
    #[error("SQLite error on {path}: {source}")]
    Sqlite {
        /// The database file.
        path: PathBuf,
        /// SQLite's error.
        source: rusqlite::Error,
    },
}
