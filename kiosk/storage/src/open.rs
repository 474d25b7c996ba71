//! Opening a connection: directory, health check, pragmas, migrations.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode};

use crate::StorageError;
use crate::migrations::migrate;

/// How long a statement waits for another connection's lock before failing
/// with "database is locked". Writes on the kiosk are small; a sync of the
/// content may hold the lock for about a second, so a few seconds of patience
/// turns contention into a short delay rather than an error.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens (creating if needed) the database at `path` and migrates it to the
/// latest schema.
///
/// The parent directory is created when missing. The file is checked with
/// `PRAGMA quick_check` before anything is written, so a damaged file is
/// reported as [`StorageError::Corrupt`] instead of failing later in some
/// unrelated query. Checking costs a read of the whole file, which is small on
/// a kiosk and happens once per start.
pub fn open(path: impl AsRef<Path>) -> Result<Connection, StorageError> {
    let path = path.as_ref();
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir).map_err(|e| StorageError::NotWritable {
        path: dir.clone(),
        reason: e.to_string(),
    })?;
    if !dir.is_dir() {
        return Err(StorageError::NotWritable {
            path: dir,
            reason: "not a directory".into(),
        });
    }
    let conn = Connection::open(path).map_err(|e| classify(path, &dir, e))?;
    prepare(conn, path, &dir)
}

/// Opens a private in-memory database with the same pragmas and schema as
/// [`open`]; for tests and for running without a writable disk.
pub fn open_in_memory() -> Result<Connection, StorageError> {
    let path = Path::new(":memory:");
    let conn = Connection::open_in_memory().map_err(|e| classify(path, path, e))?;
    prepare(conn, path, path)
}

fn prepare(mut conn: Connection, path: &Path, dir: &Path) -> Result<Connection, StorageError> {
    let err = |e| classify(path, dir, e);
    conn.busy_timeout(BUSY_TIMEOUT).map_err(err)?;
    check_health(&conn, path).map_err(|e| match e {
        Health::Sqlite(e) => classify(path, dir, e),
        Health::Damaged(detail) => StorageError::Corrupt {
            path: path.to_path_buf(),
            detail,
        },
    })?;
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
        .map_err(err)?;
    if !mode.eq_ignore_ascii_case("wal") && path != Path::new(":memory:") {
        log::warn!(
            "{} stays in journal mode {mode}: WAL not available",
            path.display()
        );
    }
    conn.pragma_update(None, "foreign_keys", true)
        .map_err(err)?;
    // Deleted rows (a receipt's bytes once printed) are overwritten, not
    // left in free pages of the file.
    conn.pragma_update(None, "secure_delete", true)
        .map_err(err)?;
    migrate(&mut conn, path)?;
    Ok(conn)
}

enum Health {
    Sqlite(rusqlite::Error),
    Damaged(String),
}

/// Runs `PRAGMA quick_check`; anything but a single "ok" row means damage.
fn check_health(conn: &Connection, path: &Path) -> Result<(), Health> {
    let mut stmt = conn
        .prepare("PRAGMA quick_check(20)")
        .map_err(Health::Sqlite)?;
    let lines = stmt
        .query_map([], |row| row.get::<_, String>(0))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(Health::Sqlite)?;
    if lines.len() == 1 && lines[0] == "ok" {
        return Ok(());
    }
    log::error!("{} failed quick_check: {lines:?}", path.display());
    Err(Health::Damaged(lines.join("; ")))
}

/// Sorts a SQLite failure into the error an operator can act on.
fn classify(path: &Path, dir: &Path, error: rusqlite::Error) -> StorageError {
    match error.sqlite_error_code() {
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt) => StorageError::Corrupt {
            path: path.to_path_buf(),
            detail: error.to_string(),
        },
        Some(ErrorCode::CannotOpen | ErrorCode::ReadOnly | ErrorCode::PermissionDenied) => {
            StorageError::NotWritable {
                path: dir.to_path_buf(),
                reason: error.to_string(),
            }
        }
        _ => StorageError::Sqlite {
            path: path.to_path_buf(),
            source: error,
        },
    }
}
