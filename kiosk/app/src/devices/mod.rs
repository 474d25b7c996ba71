//! The terminal's devices: the ID-card reader and the receipt printer, each
//! on its own thread, their events delivered to the UI thread.
//!
//! Map: `reader` polls the card reader (only while a service asks for a
//! card); `crate::printing` owns the printer; `sim` starts the simulated
//! devices when the configuration says `port = "sim"`; `sim_control` is the
//! developer's remote control for them.

pub mod reader;
pub mod sim;
pub mod sim_control;

use std::sync::Arc;
use std::time::Duration;

use kiosk_core::{Config, DevicePort};
use kiosk_idcard::poller::ReaderEvent;

use crate::printing::service::{PrintService, PrintServiceConfig, PrintUpdate};
use reader::ReaderLink;
use sim::{Simulators, Which};

/// Something a device thread reports to the UI thread.
pub enum DeviceEvent {
    Reader(ReaderEvent),
    Printer(PrintUpdate),
}

/// Delivers device events; called on device threads.
pub type Deliver = Arc<dyn Fn(DeviceEvent) + Send + Sync>;

/// The running devices; dropping this stops their threads and simulators.
pub struct Devices {
    pub reader: Option<ReaderLink>,
    pub printer: Option<PrintService>,
    pub simulators: Option<Simulators>,
}

impl Devices {
    /// Starts the configured devices (and their simulators). Failures are
    /// logged and leave that device absent; the terminal keeps working.
    pub fn start(config: &Config, deliver: Deliver) -> Devices {
        let assets = crate::content::assets_dir(config);
        let which = Which::from_config(config);
        let simulators = if which.any() {
            let renderer = which.printer.then(|| sim_renderer(&assets)).flatten();
            match Simulators::start(config, which, renderer) {
                Ok(sims) => {
                    log::info!(
                        "simulated devices: reader {:?}, printer {:?}, control {:?}",
                        sims.reader_port(),
                        sims.printer_port(),
                        sims.control_path()
                    );
                    Some(sims)
                }
                Err(e) => {
                    log::error!("cannot start the simulated devices: {e}");
                    None
                }
            }
        } else {
            None
        };
        let reader_port = match config.idcard.device() {
            DevicePort::Absent => None,
            DevicePort::Serial(path) => Some(path.to_owned()),
            DevicePort::Simulated => simulators
                .as_ref()
                .and_then(|s| s.reader_port())
                .map(|p| p.to_string_lossy().into_owned()),
        };
        let reader = reader_port.map(|port| {
            let deliver = deliver.clone();
            ReaderLink::start(port, &config.idcard, move |event| {
                deliver(DeviceEvent::Reader(event))
            })
        });
        let printer_port = match config.printer.device() {
            DevicePort::Absent => None,
            DevicePort::Serial(path) => Some(path.to_owned()),
            DevicePort::Simulated => simulators
                .as_ref()
                .and_then(|s| s.printer_port())
                .map(|p| p.to_string_lossy().into_owned()),
        };
        let profile = sim::printer_profile(config);
        let service = PrintService::start(
            PrintServiceConfig {
                port: printer_port,
                baud: if config.printer.baud == 0 {
                    profile.default_baud
                } else {
                    config.printer.baud
                },
                profile,
                database: config.storage.database.clone(),
                assets_dir: assets,
                policy: config.printer.unprinted_when_session_ends,
                retry_every: Duration::from_secs(3),
            },
            move |update| deliver(DeviceEvent::Printer(update)),
        );
        let printer = match service {
            Ok(service) => Some(service),
            Err(e) => {
                log::error!("cannot start the print service: {e}");
                None
            }
        };
        Devices {
            reader,
            printer,
            simulators,
        }
    }
}

/// The simulated printer's paper renderer (the receipt font, 13 MB, is
/// read from the assets on first use).
fn sim_renderer(assets: &std::path::Path) -> Option<Arc<kiosk_printer_sim::PaperRenderer>> {
    match kiosk_printer::raster::TextRasterizer::from_assets_dir(assets) {
        Ok(r) => Some(Arc::new(kiosk_printer_sim::PaperRenderer::new(Arc::new(r)))),
        Err(e) => {
            log::warn!("simulated printer draws no PNG (font unavailable: {e})");
            None
        }
    }
}
