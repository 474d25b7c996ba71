//! The header clock, in the terminal's local time. The date words are
//! formatted in Slint (`@tr`), so this only splits the time into parts.

use chrono::{Datelike, Local, Timelike};

pub struct Clock {
    pub month: i32,
    pub day: i32,
    /// 0 = Monday .. 6 = Sunday.
    pub weekday: i32,
    /// "14:05"
    pub time: String,
}

impl Clock {
    pub fn now() -> Clock {
        let now = Local::now();
        Clock {
            month: now.month() as i32,
            day: now.day() as i32,
            weekday: now.weekday().num_days_from_monday() as i32,
            time: format!("{:02}:{:02}", now.hour(), now.minute()),
        }
    }
}
