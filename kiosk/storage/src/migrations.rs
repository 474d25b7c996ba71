//! Versioned schema migrations.
//!
//! The schema version is SQLite's own `PRAGMA user_version`, so no extra
//! bookkeeping table can disagree with it. Migrations are a plain ordered
//! list: a new feature appends one entry with the next version and never
//! edits a released one, because terminals in the field have already applied
//! it. Each migration runs in its own `BEGIN IMMEDIATE` transaction together
//! with the version bump, so a power cut leaves the database at either the old
//! or the new version, never in between, and two processes opening the same
//! file at once cannot both apply it.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use crate::StorageError;

/// One step of the schema's history.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The `user_version` the database has after this step; the list's
    /// versions are 1, 2, 3… in order.
    pub version: i64,
    /// A short name for logs and errors.
    pub name: &'static str,
    /// The SQL, run as one batch.
    pub sql: &'static str,
}

/// Every migration, oldest first. Append only.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "content",
        sql: include_str!("migrations/0001_content.sql"),
    },
    Migration {
        version: 2,
        name: "print queue",
        sql: include_str!("migrations/0002_print_queue.sql"),
    },
];

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |row| row.get(0))
}

/// Applies every migration newer than the database's version, in order.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<(), StorageError> {
    apply(conn, path, MIGRATIONS)
}

fn apply(conn: &mut Connection, path: &Path, migrations: &[Migration]) -> Result<(), StorageError> {
    let sqlite = |source| StorageError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let found = user_version(conn).map_err(sqlite)?;
    let known = migrations.last().map_or(0, |m| m.version);
    if found > known {
        return Err(StorageError::SchemaTooNew {
            path: path.to_path_buf(),
            found,
            known,
        });
    }
    for migration in migrations.iter().filter(|m| m.version > found) {
        let failed = |source| StorageError::Migration {
            path: path.to_path_buf(),
            version: migration.version,
            name: migration.name,
            source,
        };
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(failed)?;
        // Another process may have migrated between our first read and
        // taking the write lock.
        if user_version(&tx).map_err(failed)? >= migration.version {
            continue;
        }
        tx.execute_batch(migration.sql).map_err(failed)?;
        tx.pragma_update(None, "user_version", migration.version)
            .map_err(failed)?;
        tx.commit().map_err(failed)?;
        log::info!(
            "database migrated to version {} ({})",
            migration.version,
            migration.name
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn latest_version() -> i64 {
        MIGRATIONS.last().map_or(0, |m| m.version)
    }

    #[test]
    fn migration_versions_are_consecutive_from_one() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version, index as i64 + 1, "{}", migration.name);
        }
    }

    #[test]
    fn every_migration_applies_to_an_empty_database() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, Path::new(":memory:")).unwrap();
        assert_eq!(user_version(&conn).unwrap(), latest_version());
    }

    #[test]
    fn failing_migration_rolls_back_and_keeps_the_previous_version() {
        let steps = [
            Migration {
                version: 1,
                name: "good",
                sql: "CREATE TABLE a (x INTEGER);",
            },
            Migration {
                version: 2,
                name: "bad",
                sql: "CREATE TABLE b (x INTEGER); INSERT INTO nowhere VALUES (1);",
            },
        ];
        let mut conn = Connection::open_in_memory().unwrap();
        let err = apply(&mut conn, Path::new(":memory:"), &steps).unwrap_err();
        assert!(
            matches!(
                err,
                StorageError::Migration {
                    version: 2,
                    name: "bad",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(user_version(&conn).unwrap(), 1);
        let b_exists: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_schema WHERE name = 'b'",
                [],
                |row| row.get(0),
            )
            .unwrap();
        assert_eq!(b_exists, 0, "table b must have been rolled back");
    }

    #[test]
    fn migrating_twice_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn, Path::new(":memory:")).unwrap();
        migrate(&mut conn, Path::new(":memory:")).unwrap();
        assert_eq!(user_version(&conn).unwrap(), latest_version());
    }
}
