//! The idle timer: when nobody touches the screen, warn, then end the session.
//!
//! A resident who walks away must not leave their reading (later: their name,
//! their ID data) on the screen for the next person. The timer runs only
//! while a session is active, shows a visible count-down before it fires,
//! and can be held (a video call is not "idle" however still the resident
//! sits).

use std::time::{Duration, Instant};

/// Where the timer stands at a given moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdlePhase {
    /// No session: nobody has touched the screen since the last reset.
    Inactive,
    /// Someone is using the terminal.
    Active,
    /// The count-down is showing; `remaining_secs` counts down to 1.
    Warning { remaining_secs: u64 },
    /// The count-down ran out: the session must end now.
    Expired,
}

#[derive(Debug, Clone)]
pub struct IdleTimer {
    timeout: Duration,
    countdown: Duration,
    last_touch: Option<Instant>,
    held: bool,
}

impl IdleTimer {
    pub fn new(timeout: Duration, countdown: Duration) -> Self {
        Self {
            timeout,
            countdown,
            last_touch: None,
            held: false,
        }
    }

    /// Records a touch; returns true when this touch started a session.
    pub fn touch(&mut self, now: Instant) -> bool {
        let started = self.last_touch.is_none();
        self.last_touch = Some(now);
        started
    }

    /// Holds the timer (e.g. during a call); releasing it counts as a touch
    /// so the count-down never appears right after a long hold.
    pub fn hold(&mut self, held: bool, now: Instant) {
        if self.held && !held && self.last_touch.is_some() {
            self.last_touch = Some(now);
        }
        self.held = held;
    }

    pub fn phase(&self, now: Instant) -> IdlePhase {
        let Some(last) = self.last_touch else {
            return IdlePhase::Inactive;
        };
        if self.held {
            return IdlePhase::Active;
        }
        let idle = now.saturating_duration_since(last);
        if idle < self.timeout {
            IdlePhase::Active
        } else if idle < self.timeout + self.countdown {
            let left = self.timeout + self.countdown - idle;
            // Round up so the display reads 10, 9, ... 1 and never 0.
            let remaining_secs = left.as_millis().div_ceil(1000) as u64;
            IdlePhase::Warning { remaining_secs }
        } else {
            IdlePhase::Expired
        }
    }

    /// Ends the session: the next touch starts a new one.
    pub fn reset(&mut self) {
        self.last_touch = None;
        self.held = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timer() -> (IdleTimer, Instant) {
        (
            IdleTimer::new(Duration::from_secs(90), Duration::from_secs(10)),
            Instant::now(),
        )
    }

    #[test]
    fn nothing_counts_down_before_the_first_touch() {
        let (t, start) = timer();
        assert_eq!(
            t.phase(start + Duration::from_secs(1000)),
            IdlePhase::Inactive
        );
    }

    #[test]
    fn the_first_touch_starts_a_session_and_later_touches_do_not() {
        let (mut t, start) = timer();
        assert!(t.touch(start));
        assert!(!t.touch(start + Duration::from_secs(5)));
    }

    #[test]
    fn the_warning_counts_down_from_the_configured_length_then_expires() {
        let (mut t, start) = timer();
        t.touch(start);
        assert_eq!(t.phase(start + Duration::from_secs(89)), IdlePhase::Active);
        assert_eq!(
            t.phase(start + Duration::from_secs(90)),
            IdlePhase::Warning { remaining_secs: 10 }
        );
        assert_eq!(
            t.phase(start + Duration::from_millis(99_500)),
            IdlePhase::Warning { remaining_secs: 1 }
        );
        assert_eq!(
            t.phase(start + Duration::from_secs(100)),
            IdlePhase::Expired
        );
    }

    #[test]
    fn a_touch_during_the_warning_continues_the_session() {
        let (mut t, start) = timer();
        t.touch(start);
        t.touch(start + Duration::from_secs(95));
        assert_eq!(t.phase(start + Duration::from_secs(150)), IdlePhase::Active);
    }

    #[test]
    fn a_held_timer_never_warns_and_restarts_when_released() {
        let (mut t, start) = timer();
        t.touch(start);
        t.hold(true, start);
        assert_eq!(
            t.phase(start + Duration::from_secs(3600)),
            IdlePhase::Active
        );
        t.hold(false, start + Duration::from_secs(3600));
        assert_eq!(
            t.phase(start + Duration::from_secs(3650)),
            IdlePhase::Active
        );
        assert_eq!(
            t.phase(start + Duration::from_secs(3700)),
            IdlePhase::Expired
        );
    }

    #[test]
    fn reset_ends_the_session() {
        let (mut t, start) = timer();
        t.touch(start);
        t.reset();
        assert_eq!(
            t.phase(start + Duration::from_secs(200)),
            IdlePhase::Inactive
        );
        assert!(t.touch(start + Duration::from_secs(201)));
    }
}
