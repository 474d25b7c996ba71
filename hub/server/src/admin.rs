//! `hub admin ...`: lawyer accounts, run by the bureau's administrator on
//! the hub's machine (it opens the database directly; safe while the hub
//! runs, thanks to WAL).
//!
//! ```text
//! hub admin add-lawyer --username wang --display-name "王律师" --skills labor,family < password.txt
//! hub admin add-lawyer --username li --display-name "李律师" --skills land --password-file /run/secrets/li
//! hub admin set-password --username wang --password-file new.txt
//! hub admin disable-lawyer --username wang      (enable-lawyer to undo)
//! hub admin list-lawyers
//! ```
//!
//! Passwords are read from the first line of standard input or of
//! `--password-file`, never from the command line (it would show in `ps`
//! and shell history), and must have at least 8 characters.

use std::io::BufRead;
use std::path::Path;

use crate::auth;
use crate::db::open_connection;
use crate::records;

pub fn read_password(file: Option<&Path>) -> Result<String, String> {
    let mut line = String::new();
    match file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            line = text.lines().next().unwrap_or("").to_owned();
        }
        None => {
            std::io::stdin()
                .lock()
                .read_line(&mut line)
                .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
        }
    }
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.chars().count() < 8 {
        return Err("the password must have at least 8 characters".into());
    }
    Ok(password)
}

pub fn add_lawyer(
    database: &Path,
    username: &str,
    display_name: &str,
    skills: &str,
    password: &str,
) -> Result<i64, String> {
    if username.is_empty()
        || username.len() > 64
        || !username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err("the username must be 1-64 characters of a-z, 0-9, '.', '_', '-'".into());
    }
    if display_name.trim().is_empty() || display_name.chars().count() > 64 {
        return Err("the display name must be 1-64 characters".into());
    }
    let skills = records::split_skills(skills);
    let hash = auth::hash_password(password)?;
    let conn = open_connection(database).map_err(|e| e.to_string())?;
    let now = (crate::db::now_ms() / 1000) as i64;
    records::add_lawyer(&conn, username, display_name, &skills, &hash, now).map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            format!("a lawyer named {username} exists already")
        }
        e => e.to_string(),
    })
}

pub fn set_password(database: &Path, username: &str, password: &str) -> Result<(), String> {
    let hash = auth::hash_password(password)?;
    let conn = open_connection(database).map_err(|e| e.to_string())?;
    match records::set_lawyer_password(&conn, username, &hash) {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("no lawyer named {username}")),
        Err(e) => Err(e.to_string()),
    }
}

pub fn set_disabled(database: &Path, username: &str, disabled: bool) -> Result<(), String> {
    let conn = open_connection(database).map_err(|e| e.to_string())?;
    match records::set_lawyer_disabled(&conn, username, disabled) {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("no lawyer named {username}")),
        Err(e) => Err(e.to_string()),
    }
}

pub fn list_lawyers(database: &Path) -> Result<String, String> {
    let conn = open_connection(database).map_err(|e| e.to_string())?;
    let lawyers = records::list_lawyers(&conn).map_err(|e| e.to_string())?;
    let mut out = String::new();
    for l in lawyers {
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\n",
            l.username,
            l.display_name,
            l.skills.join(","),
            if l.disabled { "disabled" } else { "enabled" }
        ));
    }
    Ok(out)
}
