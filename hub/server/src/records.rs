//! What the hub stores: lawyer accounts, call records, left messages.
//!
//! Plain functions on a `rusqlite::Connection`; they run on the database
//! thread (see [`crate::db`]). Times in `records` are milliseconds since
//! the Unix epoch; `messages.created_at` is in seconds.

use hub_protocol::LeftMessage;
use rusqlite::{Connection, OptionalExtension, params};

/// A lawyer account as loaded for sign-in and dispatch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lawyer {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub skills: Vec<String>,
    pub password_hash: String,
    pub disabled: bool,
}

pub fn split_skills(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn lawyer_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Lawyer> {
    Ok(Lawyer {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        skills: split_skills(&r.get::<_, String>(3)?),
        password_hash: r.get(4)?,
        disabled: r.get(5)?,
    })
}

const LAWYER_COLUMNS: &str = "id, username, display_name, skills, password_hash, disabled";

pub fn add_lawyer(
    conn: &Connection,
    username: &str,
    display_name: &str,
    skills: &[String],
    password_hash: &str,
    now_secs: i64,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO lawyers (username, display_name, password_hash, skills, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![username, display_name, password_hash, skills.join(","), now_secs],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn lawyer_by_username(conn: &Connection, username: &str) -> rusqlite::Result<Option<Lawyer>> {
    conn.query_row(
        &format!("SELECT {LAWYER_COLUMNS} FROM lawyers WHERE username = ?1"),
        [username],
        lawyer_from_row,
    )
    .optional()
}

pub fn lawyer_by_id(conn: &Connection, id: i64) -> rusqlite::Result<Option<Lawyer>> {
    conn.query_row(
        &format!("SELECT {LAWYER_COLUMNS} FROM lawyers WHERE id = ?1"),
        [id],
        lawyer_from_row,
    )
    .optional()
}

pub fn list_lawyers(conn: &Connection) -> rusqlite::Result<Vec<Lawyer>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {LAWYER_COLUMNS} FROM lawyers ORDER BY username"
    ))?;
    stmt.query_map([], lawyer_from_row)?.collect()
}

pub fn set_lawyer_skills(conn: &Connection, id: i64, skills: &[String]) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE lawyers SET skills = ?2 WHERE id = ?1",
        params![id, skills.join(",")],
    )?;
    Ok(())
}

pub fn set_lawyer_disabled(
    conn: &Connection,
    username: &str,
    disabled: bool,
) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE lawyers SET disabled = ?2 WHERE username = ?1",
        params![username, disabled],
    )? == 1)
}

pub fn set_lawyer_password(
    conn: &Connection,
    username: &str,
    hash: &str,
) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE lawyers SET password_hash = ?2 WHERE username = ?1",
        params![username, hash],
    )? == 1)
}

// ----- call records ----------------------------------------------------

pub fn record_requested(
    conn: &Connection,
    call_id: &str,
    terminal_id: &str,
    office: &str,
    topic: &str,
    at_ms: u64,
) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO records (call_id, terminal_id, office, topic, requested_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![call_id, terminal_id, office, topic, at_ms as i64],
    )?;
    Ok(())
}

pub fn record_offered(conn: &Connection, call_id: &str, at_ms: u64) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE records SET offered_at = ?2 WHERE call_id = ?1 AND offered_at IS NULL",
        params![call_id, at_ms as i64],
    )?;
    Ok(())
}

pub fn record_answered(
    conn: &Connection,
    call_id: &str,
    lawyer_id: i64,
    at_ms: u64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE records SET answered_at = ?2, lawyer_id = ?3 WHERE call_id = ?1",
        params![call_id, at_ms as i64, lawyer_id],
    )?;
    Ok(())
}

pub fn record_ended(
    conn: &Connection,
    call_id: &str,
    outcome: &str,
    reason: &str,
    at_ms: u64,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE records SET ended_at = ?2, outcome = ?3, end_reason = ?4 WHERE call_id = ?1",
        params![call_id, at_ms as i64, outcome, reason],
    )?;
    Ok(())
}

/// Stores the summary if `lawyer_id` answered the call; returns the
/// call's terminal then.
pub fn record_summary(
    conn: &Connection,
    call_id: &str,
    lawyer_id: i64,
    text: &str,
    advice: &str,
) -> rusqlite::Result<Option<String>> {
    let changed = conn.execute(
        "UPDATE records SET summary_text = ?3, summary_advice = ?4 WHERE call_id = ?1 AND lawyer_id = ?2",
        params![call_id, lawyer_id, text, advice],
    )?;
    if changed == 0 {
        return Ok(None);
    }
    conn.query_row(
        "SELECT terminal_id FROM records WHERE call_id = ?1",
        [call_id],
        |r| r.get(0),
    )
    .optional()
}

/// One stored call record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Record {
    pub call_id: String,
    pub terminal_id: String,
    pub office: String,
    pub topic: String,
    pub lawyer_id: Option<i64>,
    pub requested_at: i64,
    pub offered_at: Option<i64>,
    pub answered_at: Option<i64>,
    pub ended_at: Option<i64>,
    pub outcome: Option<String>,
    pub end_reason: Option<String>,
    pub summary_text: Option<String>,
}

pub fn record(conn: &Connection, call_id: &str) -> rusqlite::Result<Option<Record>> {
    conn.query_row(
        "SELECT call_id, terminal_id, office, topic, lawyer_id, requested_at, offered_at, answered_at, ended_at, outcome, end_reason, summary_text FROM records WHERE call_id = ?1",
        [call_id],
        |r| {
            Ok(Record {
                call_id: r.get(0)?,
                terminal_id: r.get(1)?,
                office: r.get(2)?,
                topic: r.get(3)?,
                lawyer_id: r.get(4)?,
                requested_at: r.get(5)?,
                offered_at: r.get(6)?,
                answered_at: r.get(7)?,
                ended_at: r.get(8)?,
                outcome: r.get(9)?,
                end_reason: r.get(10)?,
                summary_text: r.get(11)?,
            })
        },
    )
    .optional()
}

/// Calls left open by a crash or kill of the hub are closed at start-up.
pub fn close_dangling_records(conn: &Connection, at_ms: u64) -> rusqlite::Result<usize> {
    conn.execute(
        "UPDATE records SET ended_at = ?1, outcome = CASE WHEN answered_at IS NULL THEN 'abandoned_in_queue' ELSE 'dropped' END, end_reason = 'hub_restart' WHERE ended_at IS NULL",
        [at_ms as i64],
    )
}

// ----- messages --------------------------------------------------------

#[allow(clippy::too_many_arguments)]
pub fn store_message(
    conn: &Connection,
    terminal_id: &str,
    office: &str,
    topic: &str,
    name: &str,
    callback_phone: &str,
    text: &str,
    now_secs: i64,
) -> rusqlite::Result<i64> {
    conn.execute(
        "INSERT INTO messages (terminal_id, office, topic, name, callback_phone, text, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![terminal_id, office, topic, name, callback_phone, text, now_secs],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Unhandled messages, newest first (at most `limit`).
pub fn open_messages(conn: &Connection, limit: u32) -> rusqlite::Result<Vec<LeftMessage>> {
    let mut stmt = conn.prepare(
        "SELECT id, topic, name, callback_phone, text, office, terminal_id, created_at, handled FROM messages WHERE handled = 0 ORDER BY id DESC LIMIT ?1",
    )?;
    stmt.query_map([limit], |r| {
        Ok(LeftMessage {
            id: r.get(0)?,
            topic: r.get(1)?,
            name: r.get(2)?,
            callback_phone: r.get(3)?,
            text: r.get(4)?,
            office: r.get(5)?,
            terminal_id: r.get(6)?,
            created_at: r.get(7)?,
            handled: r.get(8)?,
        })
    })?
    .collect()
}

/// Marks a message handled; false if there is no such unhandled message.
pub fn mark_handled(
    conn: &Connection,
    id: i64,
    lawyer_id: i64,
    now_secs: i64,
) -> rusqlite::Result<bool> {
    Ok(conn.execute(
        "UPDATE messages SET handled = 1, handled_by = ?2, handled_at = ?3 WHERE id = ?1 AND handled = 0",
        params![id, lawyer_id, now_secs],
    )? == 1)
}
