//! The print queue, persisted in SQLite (`print_jobs`, migration 2).
//!
//! A receipt is queued before anything is sent to the printer, with the
//! ESC/POS bytes already rendered, so a failure at any point (paper out,
//! cover open, printer unplugged, the terminal restarting) loses nothing:
//! the job stays `queued` until it is printed or cancelled. What happens to
//! a job whose resident has left is the configured [`UnprintedPolicy`].
//! Once printed or cancelled, a job keeps its record (reference, kind,
//! times) but not its content: the bytes are erased.

use std::path::Path;

use kiosk_core::UnprintedPolicy;
use rusqlite::{Connection, OptionalExtension, params};

/// One receipt waiting to be printed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub id: i64,
    pub reference: String,
    pub title: String,
    pub session: u64,
    pub escpos: Vec<u8>,
    pub attempts: u32,
}

/// A waiting job as the technician sees it (no content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingJob {
    pub id: i64,
    pub reference: String,
    pub kind: String,
    pub title: String,
    pub attempts: u32,
    pub last_problem: Option<String>,
    pub created_at: String,
}

/// What a job became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Printed,
    Cancelled,
}

/// The number a receipt prints instead of any personal number: the date
/// and a daily sequence, e.g. `20261127-0007`.
pub fn reference(today: &str, sequence: u32) -> String {
    format!("{}-{sequence:04}", today.replace('-', ""))
}

impl JobState {
    fn from_sql(s: &str) -> JobState {
        match s {
            "printed" => JobState::Printed,
            "cancelled" => JobState::Cancelled,
            _ => JobState::Queued,
        }
    }
}

/// A receipt to add to the queue.
pub struct NewJob<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub session: u64,
    pub escpos: &'a [u8],
    pub profile: &'a str,
}

pub struct PrintQueue {
    conn: Connection,
    /// Identifies this start-up of the terminal; jobs with another value
    /// were left over from an earlier run.
    boot: String,
}

impl PrintQueue {
    /// Opens the queue on the terminal's database (migrating it if needed).
    pub fn open(database: &Path, boot: &str) -> Result<PrintQueue, kiosk_storage::StorageError> {
        Ok(PrintQueue {
            conn: kiosk_storage::open(database)?,
            boot: boot.to_owned(),
        })
    }

    pub fn in_memory(boot: &str) -> Result<PrintQueue, kiosk_storage::StorageError> {
        Ok(PrintQueue {
            conn: kiosk_storage::open_in_memory()?,
            boot: boot.to_owned(),
        })
    }

    /// The highest reference sequence used on `today` (YYYY-MM-DD), 0 if none.
    pub fn last_sequence(&self, today: &str) -> rusqlite::Result<u32> {
        let prefix = today.replace('-', "");
        let max: Option<i64> = self.conn.query_row(
            "SELECT max(CAST(substr(reference, 10) AS INTEGER)) FROM print_jobs
             WHERE reference LIKE ?1 || '-%'",
            [&prefix],
            |row| row.get(0),
        )?;
        Ok(max.unwrap_or(0).clamp(0, u32::MAX as i64) as u32)
    }

    /// Queues a rendered receipt under its reference; returns the job id.
    pub fn enqueue(&mut self, job: &NewJob<'_>, reference: &str) -> rusqlite::Result<i64> {
        self.conn.execute(
            "INSERT INTO print_jobs (reference, kind, title, session, boot, escpos, profile, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, datetime('now'))",
            params![
                reference,
                job.kind,
                job.title,
                job.session as i64,
                self.boot,
                job.escpos,
                job.profile
            ],
        )?;
        Ok(self.conn.last_insert_rowid())
    }

    /// The oldest job still waiting, if any.
    pub fn next(&self) -> rusqlite::Result<Option<Job>> {
        self.conn
            .query_row(
                "SELECT id, reference, title, session, escpos, attempts FROM print_jobs
                 WHERE state = 'queued' ORDER BY id LIMIT 1",
                [],
                |row| {
                    Ok(Job {
                        id: row.get(0)?,
                        reference: row.get(1)?,
                        title: row.get(2)?,
                        session: row.get::<_, i64>(3)? as u64,
                        escpos: row.get(4)?,
                        attempts: row.get::<_, i64>(5)? as u32,
                    })
                },
            )
            .optional()
    }

    pub fn mark_printed(&self, id: i64) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE print_jobs SET state = 'printed', attempts = attempts + 1, escpos = x'',
             last_problem = NULL, finished_at = datetime('now') WHERE id = ?1",
            [id],
        )?;
        Ok(())
    }

    /// Records a failed attempt; the job stays queued.
    pub fn mark_failed(&self, id: i64, problem: &str) -> rusqlite::Result<()> {
        self.conn.execute(
            "UPDATE print_jobs SET attempts = attempts + 1, last_problem = ?2 WHERE id = ?1",
            params![id, problem],
        )?;
        Ok(())
    }

    pub fn cancel(&self, id: i64) -> rusqlite::Result<bool> {
        let changed = self.conn.execute(
            "UPDATE print_jobs SET state = 'cancelled', escpos = x'', finished_at = datetime('now')
             WHERE id = ?1 AND state = 'queued'",
            [id],
        )?;
        Ok(changed > 0)
    }

    /// A resident's session ended: applies the policy to its unprinted jobs.
    /// Returns how many were cancelled.
    /// A lawyer's advice to one resident (`consultation`) is never printed
    /// for whoever comes next, whatever the policy says for articles.
    pub fn session_ended(&self, session: u64, policy: UnprintedPolicy) -> rusqlite::Result<usize> {
        let kinds = if policy == UnprintedPolicy::PrintLater {
            "AND kind = 'consultation'"
        } else {
            ""
        };
        self.conn.execute(
            &format!(
                "UPDATE print_jobs SET state = 'cancelled', escpos = x'', finished_at = datetime('now')
                 WHERE state = 'queued' AND session = ?1 AND boot = ?2 {kinds}"
            ),
            params![session as i64, self.boot],
        )
    }

    /// At start-up: jobs queued by an earlier run have no resident any more.
    pub fn recover_after_restart(&self, policy: UnprintedPolicy) -> rusqlite::Result<usize> {
        match policy {
            UnprintedPolicy::PrintLater => self.conn.query_row(
                "SELECT count(*) FROM print_jobs WHERE state = 'queued' AND boot != ?1",
                [&self.boot],
                |row| row.get::<_, i64>(0).map(|n| n as usize),
            ),
            UnprintedPolicy::Cancel => self.conn.execute(
                "UPDATE print_jobs SET state = 'cancelled', escpos = x'', finished_at = datetime('now')
                 WHERE state = 'queued' AND boot != ?1",
                [&self.boot],
            ),
        }
    }

    pub fn state(&self, id: i64) -> rusqlite::Result<Option<JobState>> {
        self.conn
            .query_row("SELECT state FROM print_jobs WHERE id = ?1", [id], |row| {
                row.get::<_, String>(0)
            })
            .optional()
            .map(|s| s.map(|s| JobState::from_sql(&s)))
    }

    /// Every job still waiting, oldest first (for the technician).
    pub fn waiting(&self) -> rusqlite::Result<Vec<WaitingJob>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, reference, kind, title, attempts, last_problem, created_at
             FROM print_jobs WHERE state = 'queued' ORDER BY id",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(WaitingJob {
                id: row.get(0)?,
                reference: row.get(1)?,
                kind: row.get(2)?,
                title: row.get(3)?,
                attempts: row.get::<_, i64>(4)? as u32,
                last_problem: row.get(5)?,
                created_at: row.get(6)?,
            })
        })?;
        rows.collect()
    }

    pub fn queued_count(&self) -> rusqlite::Result<usize> {
        self.conn.query_row(
            "SELECT count(*) FROM print_jobs WHERE state = 'queued'",
            [],
            |row| row.get::<_, i64>(0).map(|n| n as usize),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(session: u64) -> NewJob<'static> {
        NewJob {
            kind: "article",
            title: "article receipt",
            session,
            escpos: b"\x1b@hello",
            profile: "generic-80",
        }
    }

    fn add(q: &mut PrintQueue, session: u64, day: &str) -> (i64, String) {
        let reference = reference(day, q.last_sequence(day).unwrap() + 1);
        (q.enqueue(&job(session), &reference).unwrap(), reference)
    }

    #[test]
    fn references_are_numbered_per_day_from_what_the_queue_holds() {
        let mut q = PrintQueue::in_memory("boot-1").unwrap();
        assert_eq!(add(&mut q, 1, "2026-11-27").1, "20261127-0001");
        assert_eq!(add(&mut q, 1, "2026-11-27").1, "20261127-0002");
        assert_eq!(add(&mut q, 2, "2026-11-28").1, "20261128-0001");
        // A reprint is a second job under the same reference.
        q.enqueue(&job(3), "20261127-0002").unwrap();
        assert_eq!(q.last_sequence("2026-11-27").unwrap(), 2);
        assert_eq!(q.last_sequence("2026-11-29").unwrap(), 0);
    }

    #[test]
    fn a_failed_job_stays_queued_and_is_next_again() {
        let mut q = PrintQueue::in_memory("boot-1").unwrap();
        let (id, _) = add(&mut q, 1, "2026-11-27");
        q.mark_failed(id, "paper-out").unwrap();
        let next = q.next().unwrap().unwrap();
        assert_eq!((next.id, next.attempts), (id, 1));
        assert_eq!(next.escpos, b"\x1b@hello");
        q.mark_printed(id).unwrap();
        assert_eq!(q.next().unwrap(), None);
        assert_eq!(q.state(id).unwrap(), Some(JobState::Printed));
        let kept: Vec<u8> = q
            .conn
            .query_row("SELECT escpos FROM print_jobs WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        assert!(kept.is_empty(), "a printed receipt's content is erased");
    }

    #[test]
    fn jobs_print_in_the_order_they_were_queued() {
        let mut q = PrintQueue::in_memory("boot-1").unwrap();
        let (first, _) = add(&mut q, 1, "2026-11-27");
        add(&mut q, 2, "2026-11-27");
        assert_eq!(q.next().unwrap().unwrap().id, first);
    }

    #[test]
    fn leaving_cancels_only_that_sessions_jobs_when_so_configured() {
        let mut q = PrintQueue::in_memory("boot-1").unwrap();
        let (mine, _) = add(&mut q, 1, "2026-11-27");
        let (other, _) = add(&mut q, 2, "2026-11-27");
        assert_eq!(q.session_ended(1, UnprintedPolicy::PrintLater).unwrap(), 0);
        assert_eq!(q.state(mine).unwrap(), Some(JobState::Queued));
        assert_eq!(q.session_ended(1, UnprintedPolicy::Cancel).unwrap(), 1);
        assert_eq!(q.state(mine).unwrap(), Some(JobState::Cancelled));
        assert_eq!(q.state(other).unwrap(), Some(JobState::Queued));
    }

    #[test]
    fn a_lawyers_advice_never_prints_after_its_resident_left() {
        let mut q = PrintQueue::in_memory("boot-1").unwrap();
        let (article, _) = add(&mut q, 1, "2026-11-27");
        let advice = q
            .enqueue(
                &NewJob {
                    kind: "consultation",
                    ..job(1)
                },
                "20261127-0002",
            )
            .unwrap();
        assert_eq!(q.session_ended(1, UnprintedPolicy::PrintLater).unwrap(), 1);
        assert_eq!(q.state(advice).unwrap(), Some(JobState::Cancelled));
        assert_eq!(q.state(article).unwrap(), Some(JobState::Queued));
    }

    #[test]
    fn a_queued_job_survives_a_restart_and_the_policy_decides_its_fate() {
        let dir = std::env::temp_dir().join(format!("kiosk-queue-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let db = dir.join("kiosk.db");
        let id = {
            let mut q = PrintQueue::open(&db, "boot-1").unwrap();
            add(&mut q, 1, "2026-11-27").0
        };
        let q = PrintQueue::open(&db, "boot-2").unwrap();
        assert_eq!(
            q.recover_after_restart(UnprintedPolicy::PrintLater)
                .unwrap(),
            1
        );
        assert_eq!(q.next().unwrap().map(|j| j.id), Some(id));
        assert_eq!(q.recover_after_restart(UnprintedPolicy::Cancel).unwrap(), 1);
        assert_eq!(q.next().unwrap(), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
