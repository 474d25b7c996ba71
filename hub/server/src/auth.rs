//! Who may talk to the hub.
//!
//! * **Terminals** present a per-terminal token from `[terminals.<id>]` in
//!   their `hello`; it is compared in constant time.
//! * **Lawyers** sign in with username and password (`POST /api/login`).
//!   Passwords are stored as Argon2id PHC strings. A successful sign-in
//!   creates a random session id held in memory ([`Sessions`]) and sent as
//!   an `HttpOnly; SameSite=Strict` cookie; the lawyer WebSocket and the
//!   statistics endpoint require it. Sessions do not survive a restart of
//!   the hub (lawyers sign in again); several hub instances would keep them
//!   in the shared database instead.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use subtle::ConstantTimeEq;

/// Name of the lawyer session cookie.
pub const COOKIE_NAME: &str = "hub_session";

/// Constant-time equality of two secrets (the length may leak, not the
/// content).
pub fn secrets_equal(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// `n` random bytes as lowercase hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    if getrandom::fill(&mut bytes).is_err() {
        // The OS random source does not fail on Linux after boot; refuse to
        // hand out a predictable secret if it ever does.
        panic!("the operating system's random source failed");
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Argon2id hash of a password, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored PHC string. CPU-heavy: call it off
/// the async workers.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(hash) => Argon2::default()
            .verify_password(password.as_bytes(), &hash)
            .is_ok(),
        Err(_) => false,
    }
}

/// Verifies passwords one at a time on a dedicated thread.
///
/// Argon2 takes 19 MiB per verification; run on arbitrary blocking threads,
/// concurrent sign-ins left that memory in several malloc arenas (measured:
/// 20 sign-ins grew the hub by 380 MB). One thread keeps it to one buffer
/// and also bounds the CPU a flood of sign-ins can take.
#[derive(Clone)]
pub struct PasswordChecker {
    jobs: std::sync::mpsc::Sender<(String, String, tokio::sync::oneshot::Sender<bool>)>,
}

impl PasswordChecker {
    pub fn start() -> std::io::Result<Self> {
        let (jobs, rx) =
            std::sync::mpsc::channel::<(String, String, tokio::sync::oneshot::Sender<bool>)>();
        std::thread::Builder::new()
            .name("hub-passwords".into())
            .spawn(move || {
                for (password, phc, reply) in rx {
                    let _ = reply.send(verify_password(&password, &phc));
                }
            })?;
        Ok(PasswordChecker { jobs })
    }

    /// `false` also when the checker is gone.
    pub async fn verify(&self, password: String, phc: String) -> bool {
        let (tx, rx) = tokio::sync::oneshot::channel();
        if self.jobs.send((password, phc, tx)).is_err() {
            return false;
        }
        rx.await.unwrap_or(false)
    }
}

/// The value of cookie `name` in a `Cookie:` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then_some(v)
    })
}

/// The signed-in lawyer behind a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionInfo {
    pub lawyer_id: i64,
}

/// Lawyer sessions in memory, keyed by their random id.
pub struct Sessions {
    lifetime: Duration,
    map: Mutex<HashMap<String, (SessionInfo, Instant)>>,
}

impl Sessions {
    pub fn new(lifetime: Duration) -> Self {
        Sessions {
            lifetime,
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a session and returns its id.
    pub fn create(&self, info: SessionInfo) -> String {
        let id = random_hex(32);
        let now = Instant::now();
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, (_, expires)| *expires > now);
        map.insert(id.clone(), (info, now + self.lifetime));
        id
    }

    pub fn get(&self, id: &str) -> Option<SessionInfo> {
        let map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        let (info, expires) = map.get(id)?;
        (*expires > Instant::now()).then_some(*info)
    }

    pub fn remove(&self, id: &str) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    /// Ends every session of a lawyer (e.g. after the account is disabled).
    pub fn remove_lawyer(&self, lawyer_id: i64) {
        self.map
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|_, (info, _)| info.lawyer_id != lawyer_id);
    }
}

/// The `Set-Cookie` value for a new session.
pub fn session_cookie(id: &str, secure: bool, max_age_secs: u64) -> String {
    format!(
        "{COOKIE_NAME}={id}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_when_equal() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("correct hors", &phc));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn cookie_is_found_among_others() {
        assert_eq!(
            cookie_value("a=1; hub_session=abc; b=2", COOKIE_NAME),
            Some("abc")
        );
        assert_eq!(cookie_value("a=1", COOKIE_NAME), None);
    }

    #[test]
    fn sessions_expire_and_can_be_removed() {
        let s = Sessions::new(Duration::from_secs(60));
        let id = s.create(SessionInfo { lawyer_id: 3 });
        assert_eq!(s.get(&id), Some(SessionInfo { lawyer_id: 3 }));
        s.remove(&id);
        assert_eq!(s.get(&id), None);
        let gone = Sessions::new(Duration::ZERO);
        let id = gone.create(SessionInfo { lawyer_id: 3 });
        assert_eq!(gone.get(&id), None);
    }

    #[test]
    fn secrets_compare() {
        assert!(secrets_equal("abc", "abc"));
        assert!(!secrets_equal("abc", "abd"));
        assert!(!secrets_equal("abc", "abcd"));
    }
}
