//! Usage figures for the justice offices' reports: `GET /api/stats`
//! (lawyer session required), optionally `?days=N` (default 30, at most
//! 366) counted back from now, in UTC days.
//!
//! ```json
//! {"since_ms": 1700000000000, "days": 30,
//!  "total": {"calls": 12, "completed": 9, "abandoned_in_queue": 1, "dropped": 1,
//!            "message_left": 1, "no_answer": 0, "open": 0,
//!            "average_wait_secs": 41.5, "average_talk_secs": 380.2},
//!  "per_day":      [{"key": "2026-11-02", ...same counters...}],
//!  "per_topic":    [{"key": "labor", ...}],
//!  "per_terminal": [{"key": "t-001", "office": "城关司法所", ...}],
//!  "messages_left": 3, "messages_open": 1}
//! ```
//!
//! Wait is from request to answer (answered calls); talk is from answer to
//! end (completed or dropped calls).

use rusqlite::Connection;
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Counts {
    pub calls: i64,
    pub completed: i64,
    pub abandoned_in_queue: i64,
    pub dropped: i64,
    pub message_left: i64,
    pub no_answer: i64,
    /// Not ended yet.
    pub open: i64,
    pub average_wait_secs: Option<f64>,
    pub average_talk_secs: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub office: Option<String>,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub since_ms: i64,
    pub days: u32,
    pub total: Counts,
    pub per_day: Vec<Group>,
    pub per_topic: Vec<Group>,
    pub per_terminal: Vec<Group>,
    pub messages_left: i64,
    pub messages_open: i64,
}

const COUNTS: &str = "COUNT(*),
    SUM(outcome = 'completed'), SUM(outcome = 'abandoned_in_queue'), SUM(outcome = 'dropped'),
    SUM(outcome = 'message_left'), SUM(outcome = 'no_answer'), SUM(ended_at IS NULL),
    AVG(CASE WHEN answered_at IS NOT NULL THEN (answered_at - requested_at) / 1000.0 END),
    AVG(CASE WHEN answered_at IS NOT NULL AND ended_at IS NOT NULL THEN (ended_at - answered_at) / 1000.0 END)";

fn counts(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Counts> {
    let n =
        |i: usize| -> rusqlite::Result<i64> { Ok(r.get::<_, Option<i64>>(at + i)?.unwrap_or(0)) };
    Ok(Counts {
        calls: n(0)?,
        completed: n(1)?,
        abandoned_in_queue: n(2)?,
        dropped: n(3)?,
        message_left: n(4)?,
        no_answer: n(5)?,
        open: n(6)?,
        average_wait_secs: r.get(at + 7)?,
        average_talk_secs: r.get(at + 8)?,
    })
}

fn grouped(
    conn: &Connection,
    key: &str,
    extra: Option<&str>,
    since_ms: i64,
) -> rusqlite::Result<Vec<Group>> {
    let extra_col = extra.map(|e| format!(", MAX({e})")).unwrap_or_default();
    let sql = format!(
        "SELECT {key} AS k{extra_col}, {COUNTS} FROM records WHERE requested_at >= ?1 GROUP BY k ORDER BY k"
    );
    let mut stmt = conn.prepare(&sql)?;
    let offset = if extra.is_some() { 2 } else { 1 };
    stmt.query_map([since_ms], |r| {
        Ok(Group {
            key: r.get(0)?,
            office: if extra.is_some() { r.get(1)? } else { None },
            counts: counts(r, offset)?,
        })
    })?
    .collect()
}

/// The figures for the last `days` days before `now_ms`.
pub fn stats(conn: &Connection, now_ms: u64, days: u32) -> rusqlite::Result<Stats> {
    let days = days.clamp(1, 366);
    let since_ms = now_ms as i64 - i64::from(days) * 86_400_000;
    let total = conn.query_row(
        &format!("SELECT {COUNTS} FROM records WHERE requested_at >= ?1"),
        [since_ms],
        |r| counts(r, 0),
    )?;
    let per_day = grouped(
        conn,
        "date(requested_at / 1000, 'unixepoch')",
        None,
        since_ms,
    )?;
    let per_topic = grouped(conn, "topic", None, since_ms)?;
    let per_terminal = grouped(conn, "terminal_id", Some("office"), since_ms)?;
    let since_secs = since_ms / 1000;
    let messages_left = conn.query_row(
        "SELECT COUNT(*) FROM messages WHERE created_at >= ?1",
        [since_secs],
        |r| r.get(0),
    )?;
    let messages_open =
        conn.query_row("SELECT COUNT(*) FROM messages WHERE handled = 0", [], |r| {
            r.get(0)
        })?;
    Ok(Stats {
        since_ms,
        days,
        total,
        per_day,
        per_topic,
        per_terminal,
        messages_left,
        messages_open,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records;

    #[test]
    fn counts_per_day_topic_and_terminal_with_averages() {
        let dir = tempfile::tempdir().unwrap();
        let conn = crate::db::open_connection(&dir.path().join("s.db")).unwrap();
        let day = 1_700_000_000_000u64;
        records::record_requested(&conn, "a", "t1", "Office A", "labor", day).unwrap();
        let lawyer = records::add_lawyer(&conn, "l1", "L", &[], "x", 0).unwrap();
        records::record_answered(&conn, "a", lawyer, day + 10_000).unwrap();
        records::record_ended(&conn, "a", "completed", "hung_up_by_lawyer", day + 310_000).unwrap();
        records::record_requested(&conn, "b", "t2", "Office B", "family", day).unwrap();
        records::record_ended(
            &conn,
            "b",
            "abandoned_in_queue",
            "hung_up_by_terminal",
            day + 5_000,
        )
        .unwrap();
        let s = stats(&conn, day + 1000, 30).unwrap();
        assert_eq!(s.total.calls, 2);
        assert_eq!(s.total.abandoned_in_queue, 1);
        assert_eq!(s.per_topic.len(), 2);
        assert_eq!(s.per_terminal[0].office.as_deref(), Some("Office A"));
        assert_eq!(s.per_day.len(), 1);
        assert_eq!(s.total.average_wait_secs, Some(10.0));
        assert_eq!(s.total.average_talk_secs, Some(300.0));
    }
}
