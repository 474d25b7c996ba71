//! Whole-system test harness: the real dispatch hub, Debian's Chromium
//! running the real lawyer console, and terminals.
//!
//! Building blocks, each reusable by later tests (e.g. with the real
//! terminal app of `kiosk/app` in place of [`TestTerminal`]):
//!
//! * [`Hub`]: the hub in-process on `127.0.0.1:0` with a temporary
//!   database, lawyer accounts created as `hub admin add-lawyer` does, and
//!   terminal tokens configured; serves `hub/console/` at `/`.
//! * [`Chromium`]: a headless Chromium with a fresh profile, fake camera
//!   and microphone and the WebRTC flags that work on loopback; opens
//!   [`Page`]s driven over the DevTools protocol ([`cdp`]: a small client
//!   on tokio-tungstenite).
//! * [`LawyerPage`]: the lawyer's console in a page, operated through its
//!   DOM the way a lawyer does it (type, click), plus `getStats()`.
//! * [`TestTerminal`]: a terminal played by `kiosk-call` (webrtc-rs
//!   offerer, VP8 + Opus, synthetic camera and tone) and `hub-protocol`
//!   over tokio-tungstenite: for the hub's and the console's behaviour.
//! * [`KioskTerminal`]: the real terminal application, headless, operated
//!   by its buttons: for what a resident sees.
//!
//! Everything listens on 127.0.0.1. Waits are on conditions with generous
//! deadlines ([`WAIT`], [`MEDIA_WAIT`]): the CI machines have two loaded
//! cores. Chromium missing is an error naming `scripts/setup-system.sh`.

pub mod cdp;
pub mod chromium;
pub mod hub;
pub mod kiosk_terminal;
pub mod lawyer;
pub mod terminal;

pub use chromium::{Chromium, Page};
pub use hub::{Hub, HubOptions, LawyerAccount};
pub use kiosk_terminal::KioskTerminal;
pub use lawyer::{LawyerPage, MediaStats, OfferShown};
pub use terminal::TestTerminal;

use std::future::Future;
use std::time::{Duration, Instant};

/// Deadline for signaling-level steps (a message, a page change).
pub const WAIT: Duration = Duration::from_secs(30);
/// Deadline for media to connect and flow.
pub const MEDIA_WAIT: Duration = Duration::from_secs(60);
/// Interval of condition polls.
pub const POLL: Duration = Duration::from_millis(100);

/// A harness failure, with a message meant for the person reading the
/// test output (its `Debug` is its text).
pub struct Error(pub String);

impl std::fmt::Debug for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Error {}

impl From<String> for Error {
    fn from(s: String) -> Self {
        Error(s)
    }
}

impl From<&str> for Error {
    fn from(s: &str) -> Self {
        Error(s.to_owned())
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Builds an [`Error`] from a format string.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => { $crate::Error(format!($($arg)*)) };
}

/// Polls `check` every [`POLL`] until it yields `Some`, or fails after
/// `timeout` with `what` and the last value seen by `check`.
pub async fn eventually<T, F, Fut>(what: &str, timeout: Duration, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = std::result::Result<Option<T>, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let last = match check().await {
            Ok(Some(v)) => return Ok(v),
            Ok(None) => String::from("condition not met"),
            Err(e) => e,
        };
        if Instant::now() >= deadline {
            return Err(fail!(
                "timed out after {timeout:?} waiting for {what} ({last})"
            ));
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Awaits `fut` for at most `timeout`.
pub async fn within<T>(what: &str, timeout: Duration, fut: impl Future<Output = T>) -> Result<T> {
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| fail!("timed out after {timeout:?} waiting for {what}"))
}
