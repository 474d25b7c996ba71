//! What the card reader and the printer report, applied to the session and
//! the header; and the session's end as the devices see it.

use std::time::Instant;

use kiosk_core::ReaderState;
use kiosk_idcard::poller::ReaderEvent;

use super::Kiosk;
use crate::devices::{DeviceEvent, Devices};
use crate::printing::service::{PrintRequest, PrinterHealth, Trouble};
use crate::{StatusItem, StatusKind};

impl Kiosk {
    /// Hands the running devices to the controller. Until the reader says
    /// otherwise it counts as connecting.
    pub fn attach_devices(&mut self, devices: Devices) {
        self.reader_state = if devices.reader.is_some() {
            ReaderState::Connecting
        } else {
            ReaderState::NotInstalled
        };
        if devices.printer.is_none() {
            self.printer_health = PrinterHealth::NotInstalled;
        }
        self.devices = Some(devices);
        self.sync_reader();
        self.render_header();
    }

    pub fn devices(&self) -> Option<&Devices> {
        self.devices.as_ref()
    }

    /// A device thread reported something (delivered on the UI thread).
    pub fn device_event(&mut self, event: DeviceEvent, now: Instant) {
        match event {
            DeviceEvent::Reader(event) => self.reader_event(event, now),
            DeviceEvent::Printer(update) => self.print_update(update),
        }
    }

    fn reader_event(&mut self, event: ReaderEvent, _now: Instant) {
        let today = chrono::Local::now().date_naive();
        let id = self.session.identification_mut();
        match event {
            ReaderEvent::Ready { .. } | ReaderEvent::ReaderBack => {
                self.reader_state = ReaderState::Ready;
                if let Some(id) = id {
                    id.reader_back();
                }
            }
            ReaderEvent::ReaderLost(_) => {
                self.reader_state = ReaderState::Lost;
                if let Some(id) = id {
                    id.reader_lost();
                }
            }
            ReaderEvent::CardPresent => {
                if let Some(id) = id {
                    id.card_detected();
                }
            }
            ReaderEvent::CardRead(card) => {
                if let Some(id) = id {
                    id.card_read(&card, today);
                }
            }
            ReaderEvent::CardUnreadable(_, error) => {
                // Data that fails its checks may be a forged card; a card
                // type without a known layout is only unreadable here.
                let invalid = error.is_some_and(|e| {
                    !matches!(e, kiosk_idcard::card::CardError::UnsupportedCardType(_))
                });
                if let Some(id) = id {
                    id.card_unreadable(invalid);
                }
            }
            ReaderEvent::CardRemoved => {}
        }
        self.sync_reader();
        self.render_identify();
        self.render_header();
    }

    /// The header's device entries: text and colour both say it.
    pub(super) fn device_status_items(&self) -> Vec<StatusItem> {
        let mut items = Vec::new();
        let reader = match self.reader_state {
            ReaderState::NotInstalled => None,
            ReaderState::Connecting => Some((StatusKind::ReaderConnecting, false)),
            ReaderState::Ready => Some((StatusKind::ReaderOk, true)),
            ReaderState::Lost => Some((StatusKind::ReaderLost, false)),
        };
        let printer = match self.printer_health {
            PrinterHealth::NotInstalled => None,
            PrinterHealth::Ready => Some((StatusKind::PrinterOk, true)),
            PrinterHealth::PaperLow => Some((StatusKind::PrinterPaperLow, true)),
            PrinterHealth::Trouble(t) => Some((
                match t {
                    Trouble::PaperOut => StatusKind::PrinterPaperOut,
                    Trouble::CoverOpen => StatusKind::PrinterCoverOpen,
                    Trouble::Offline => StatusKind::PrinterOffline,
                    Trouble::Disconnected => StatusKind::PrinterLost,
                    Trouble::Cutter | Trouble::Error => StatusKind::PrinterError,
                },
                false,
            )),
        };
        for (kind, ok) in [reader, printer].into_iter().flatten() {
            items.push(StatusItem { kind, ok });
        }
        items
    }

    /// The idle reset: the reader stops, the receipt view goes, and the
    /// print queue applies its policy to this session's unprinted receipts.
    pub(super) fn session_ended(&mut self) {
        self.receipt = None;
        self.keyboard_on_private_text = false;
        self.sync_reader();
        let session = self.session_number;
        if let Some(printer) = self.devices.as_ref().and_then(|d| d.printer.as_ref()) {
            printer.send(PrintRequest::SessionEnded { session });
        }
    }
}

/// Starts the configured devices and feeds their events to the controller
/// on the UI thread, as they come (an async task on Slint's event loop).
pub fn attach_devices(
    kiosk: &super::SharedKiosk,
    config: &kiosk_core::Config,
) -> Result<(), slint::EventLoopError> {
    let (tx, mut rx) = futures_channel::mpsc::unbounded::<DeviceEvent>();
    let deliver: crate::devices::Deliver = std::sync::Arc::new(move |event| {
        // A closed channel means the UI is gone; the event has no reader.
        let _ = tx.unbounded_send(event);
    });
    let devices = Devices::start(config, deliver);
    kiosk.borrow_mut().attach_devices(devices);
    let weak = std::rc::Rc::downgrade(kiosk);
    slint::spawn_local(async move {
        use futures_core::Stream;
        while let Some(event) =
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut rx).poll_next(cx)).await
        {
            let Some(k) = weak.upgrade() else { return };
            // Borrowed elsewhere only within a callback that has since returned.
            if let Ok(mut k) = k.try_borrow_mut() {
                k.device_event(event, Instant::now());
            }
        }
    })?;
    Ok(())
}

impl Kiosk {
    /// The reader answers (screenshots and benchmarks wait for this).
    pub fn reader_ready(&self) -> bool {
        self.reader_state == ReaderState::Ready
    }

    /// The printer answers and has no problem.
    pub fn printer_ready(&self) -> bool {
        matches!(
            self.printer_health,
            PrinterHealth::Ready | PrinterHealth::PaperLow
        )
    }
}
