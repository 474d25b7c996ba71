//! The card reader as the terminal uses it: the driver's polling thread,
//! configured from `[idcard]`, switched on only while a service waits for a
//! card (privacy: cards are read only when needed).

use std::time::Duration;

use kiosk_core::IdCardConfig;
use kiosk_idcard::poller::{Poller, ReaderEvent};
use kiosk_idcard::transport::ReaderConfig;

pub struct ReaderLink {
    poller: Poller,
    reading: bool,
}

impl ReaderLink {
    pub fn start(
        port: String,
        config: &IdCardConfig,
        on_event: impl FnMut(ReaderEvent) + Send + 'static,
    ) -> ReaderLink {
        let mut reader = ReaderConfig::new(port);
        reader.baud = config.baud;
        reader.poll_interval = Duration::from_millis(config.poll_interval_ms);
        reader.command_timeout = Duration::from_millis(config.command_timeout_ms);
        ReaderLink {
            poller: Poller::spawn(reader, on_event),
            reading: false,
        }
    }

    /// Looks for cards (true) or only watches the reader's health (false).
    pub fn set_reading(&mut self, reading: bool) {
        if self.reading != reading {
            self.reading = reading;
            self.poller.set_reading(reading);
        }
    }
}
