//! Storage: one SQLite database (WAL) owned by a dedicated thread.
//!
//! Async code never touches the connection. [`Db::call`] sends a closure
//! to the database thread and awaits its result; [`Db::spawn`] sends one
//! and does not wait (records written as calls progress). The thread runs
//! closures in the order they were sent, so a record's insert always
//! precedes its updates.
//!
//! Tables: `lawyers` (accounts), `records` (one row per call), `messages`
//! (left by residents). Schema versions are tracked with
//! `PRAGMA user_version`.

use std::path::Path;
use std::sync::mpsc;

use rusqlite::Connection;
use tokio::sync::oneshot;

type Job = Box<dyn FnOnce(&mut Connection) + Send>;

/// A handle to the database thread; cheap to clone.
#[derive(Clone)]
pub struct Db {
    jobs: mpsc::Sender<Job>,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database thread has stopped")]
    Gone,
}

const SCHEMA: &[&str] = &[
    // version 1
    "CREATE TABLE lawyers (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        skills TEXT NOT NULL DEFAULT '',
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE records (
        call_id TEXT PRIMARY KEY,
        terminal_id TEXT NOT NULL,
        office TEXT NOT NULL,
        topic TEXT NOT NULL,
        lawyer_id INTEGER REFERENCES lawyers(id),
        requested_at INTEGER NOT NULL,
        offered_at INTEGER,
        answered_at INTEGER,
        ended_at INTEGER,
        outcome TEXT,
        end_reason TEXT,
        summary_text TEXT,
        summary_advice TEXT
    );
    CREATE INDEX records_requested ON records(requested_at);
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY,
        terminal_id TEXT NOT NULL,
        office TEXT NOT NULL,
        topic TEXT NOT NULL,
        name TEXT NOT NULL,
        callback_phone TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        handled INTEGER NOT NULL DEFAULT 0,
        handled_by INTEGER REFERENCES lawyers(id),
        handled_at INTEGER
    );",
];

/// Opens (creating and migrating) the database at `path`.
pub fn open_connection(path: &Path) -> Result<Connection, DbError> {
    let mut conn = Connection::open(path)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, step) in SCHEMA.iter().enumerate().skip(version.max(0) as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(step)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(conn)
}

impl Db {
    /// Opens the database and starts its thread.
    pub fn open(path: &Path) -> Result<Db, DbError> {
        let mut conn = open_connection(path)?;
        let (jobs, rx) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("hub-db".into())
            .spawn(move || {
                for job in rx {
                    job(&mut conn);
                }
            })
            .map_err(|_| DbError::Gone)?;
        Ok(Db { jobs })
    }

    /// Runs `f` on the database thread and returns its result.
    pub async fn call<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<R, rusqlite::Error> + Send + 'static,
    ) -> Result<R, DbError> {
        let (tx, rx) = oneshot::channel();
        self.jobs
            .send(Box::new(move |conn| {
                let _ = tx.send(f(conn));
            }))
            .map_err(|_| DbError::Gone)?;
        Ok(rx.await.map_err(|_| DbError::Gone)??)
    }

    /// Runs `f` on the database thread without waiting; failures are logged.
    pub fn spawn(
        &self,
        what: &'static str,
        f: impl FnOnce(&mut Connection) -> Result<(), rusqlite::Error> + Send + 'static,
    ) {
        let sent = self.jobs.send(Box::new(move |conn| {
            if let Err(e) = f(conn) {
                log::error!("database write ({what}) failed: {e}");
            }
        }));
        if sent.is_err() {
            log::error!("database write ({what}) lost: the database thread has stopped");
        }
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
