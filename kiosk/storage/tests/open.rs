//! How `open` behaves on healthy, new, damaged and unreachable databases.

use std::fs;
use std::io::{Seek, SeekFrom, Write};

use kiosk_storage::{BUSY_TIMEOUT, MIGRATIONS, StorageError, open, open_in_memory};
use rusqlite::Connection;

fn latest() -> i64 {
    MIGRATIONS.last().unwrap().version
}

fn user_version(conn: &Connection) -> i64 {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn new_path_creates_missing_directories_and_applies_every_migration() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("var/lib/kiosk/kiosk.db");
    let conn = open(&path).unwrap();
    assert!(path.exists());
    assert_eq!(user_version(&conn), latest());
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE name = 'content_article'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 1);
}

#[test]
fn connection_uses_wal_foreign_keys_and_a_busy_timeout() {
    let tmp = tempfile::tempdir().unwrap();
    let conn = open(tmp.path().join("kiosk.db")).unwrap();
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    let timeout: i64 = conn
        .query_row("PRAGMA busy_timeout", [], |r| r.get(0))
        .unwrap();
    assert_eq!(timeout, BUSY_TIMEOUT.as_millis() as i64);
}

#[test]
fn reopening_keeps_data_and_does_not_reapply_migrations() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("kiosk.db");
    {
        let conn = open(&path).unwrap();
        conn.execute(
            "INSERT INTO content_meta (key, value) VALUES ('probe', 'kept')",
            [],
        )
        .unwrap();
    }
    let conn = open(&path).unwrap();
    let value: String = conn
        .query_row(
            "SELECT value FROM content_meta WHERE key = 'probe'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(value, "kept");
    assert_eq!(user_version(&conn), latest());
}

#[test]
fn in_memory_database_has_the_full_schema_and_foreign_keys() {
    let conn = open_in_memory().unwrap();
    assert_eq!(user_version(&conn), latest());
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
}

#[test]
fn file_of_garbage_bytes_is_reported_as_corrupt_naming_the_path() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("kiosk.db");
    let garbage: Vec<u8> = (0..8192u32).map(|i| (i * 7919 % 251) as u8).collect();
    fs::write(&path, garbage).unwrap();
    let err = open(&path).unwrap_err();
    match &err {
        StorageError::Corrupt { path: p, .. } => assert_eq!(p, &path),
        other => panic!("expected Corrupt, got {other:?}"),
    }
    assert!(err.to_string().contains(&path.display().to_string()));
}

#[test]
fn database_with_damaged_pages_is_reported_as_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("kiosk.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA page_size = 4096;
             CREATE TABLE t (x TEXT);
             CREATE INDEX t_x ON t (x);",
        )
        .unwrap();
        let tx = conn.transaction().unwrap();
        for i in 0..2000 {
            tx.execute(
                "INSERT INTO t VALUES (?1)",
                [format!("row {i} {}", "padding".repeat(8))],
            )
            .unwrap();
        }
        tx.commit().unwrap();
    }
    // Scribble over the middle of the file, leaving the 100-byte header
    // intact so SQLite recognises the format but finds broken b-tree pages.
    let mut file = fs::OpenOptions::new().write(true).open(&path).unwrap();
    let len = file.metadata().unwrap().len();
    file.seek(SeekFrom::Start(len / 2 / 4096 * 4096)).unwrap();
    file.write_all(&[0xA5; 3 * 4096]).unwrap();
    drop(file);

    let err = open(&path).unwrap_err();
    match &err {
        StorageError::Corrupt { path: p, .. } => assert_eq!(p, &path),
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn directory_that_cannot_be_created_is_reported_as_not_writable() {
    // A regular file where a directory is needed fails even for root,
    // unlike permission bits.
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file.txt");
    fs::write(&file, "not a directory").unwrap();
    let path = file.join("kiosk.db");
    let err = open(&path).unwrap_err();
    match &err {
        StorageError::NotWritable { path: p, .. } => assert_eq!(p, &file),
        other => panic!("expected NotWritable, got {other:?}"),
    }
    assert!(err.to_string().contains("file.txt"));
}

#[test]
fn schema_newer_than_this_program_is_refused_and_left_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("kiosk.db");
    let future = latest() + 5;
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", future).unwrap();
    }
    let err = open(&path).unwrap_err();
    match err {
        StorageError::SchemaTooNew { found, known, .. } => {
            assert_eq!(found, future);
            assert_eq!(known, latest());
        }
        other => panic!("expected SchemaTooNew, got {other:?}"),
    }
    let conn = Connection::open(&path).unwrap();
    assert_eq!(user_version(&conn), future);
}

#[test]
fn two_connections_to_one_file_can_read_while_one_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("kiosk.db");
    let mut writer = open(&path).unwrap();
    let reader = open(&path).unwrap();
    let tx = writer.transaction().unwrap();
    tx.execute(
        "INSERT INTO content_meta (key, value) VALUES ('k', 'v')",
        [],
    )
    .unwrap();
    // WAL: the reader sees the last committed state instead of blocking.
    let n: i64 = reader
        .query_row("SELECT count(*) FROM content_meta", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 0);
    tx.commit().unwrap();
    let n: i64 = reader
        .query_row("SELECT count(*) FROM content_meta", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 1);
}
