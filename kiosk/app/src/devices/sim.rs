//! The simulated devices a terminal starts for itself when its
//! configuration says `port = "sim"` (the embedded default), and that
//! `kiosk sim` starts on their own for tests and demonstrations.
//!
//! Each simulator runs the device's side of its protocol on a
//! pseudo-terminal with a stable link (`<data>/sim/idcard`,
//! `<data>/sim/printer`), so the terminal opens it like any serial port
//! with the real driver. A control socket (`<data>/sim/control.sock`) takes
//! the commands of [`super::sim_control`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kiosk_core::{Config, DevicePort};
use kiosk_idcard_sim::{SimOptions, SimReader};
use kiosk_printer::profile::Profile;
use kiosk_printer_sim::{PaperRenderer, SimPrinter, SimPrinterOptions};

use super::sim_control::{ControlServer, Controls};

/// The simulators' folder: next to the database (`data/sim`).
pub fn sim_dir(config: &Config) -> PathBuf {
    config.storage.data_dir().join("sim")
}

pub fn control_socket(config: &Config) -> PathBuf {
    sim_dir(config).join("control.sock")
}

/// The printer profile the configuration names.
pub fn printer_profile(config: &Config) -> &'static Profile {
    Profile::by_id(config.printer.profile.id()).unwrap_or(&Profile::GENERIC_80)
}

/// Running simulators; dropping this stops them and removes their links.
pub struct Simulators {
    pub reader: Option<SimReader>,
    pub printer: Option<SimPrinter>,
    control: Option<ControlServer>,
}

/// Which simulators to start.
#[derive(Debug, Clone, Copy)]
pub struct Which {
    pub reader: bool,
    pub printer: bool,
}

impl Which {
    /// The devices the configuration wants simulated.
    pub fn from_config(config: &Config) -> Which {
        Which {
            reader: config.idcard.device() == DevicePort::Simulated,
            printer: config.printer.device() == DevicePort::Simulated,
        }
    }

    pub fn any(self) -> bool {
        self.reader || self.printer
    }
}

impl Simulators {
    /// Starts the chosen simulators. `renderer` draws printed receipts to
    /// PNG (None: text transcripts only, e.g. in tests that don't look).
    pub fn start(
        config: &Config,
        which: Which,
        renderer: Option<Arc<PaperRenderer>>,
    ) -> std::io::Result<Simulators> {
        let dir = sim_dir(config);
        std::fs::create_dir_all(&dir)?;
        let reader = if which.reader {
            Some(SimReader::start(SimOptions {
                link: Some(dir.join("idcard")),
                baud: config.idcard.baud,
            })?)
        } else {
            None
        };
        let printer = if which.printer {
            let profile = printer_profile(config);
            let baud = if config.printer.baud == 0 {
                profile.default_baud
            } else {
                config.printer.baud
            };
            Some(SimPrinter::start(SimPrinterOptions {
                link: Some(dir.join("printer")),
                baud,
                out_dir: Some(config.printer.sim_output_dir.clone()),
                renderer,
                ..SimPrinterOptions::new(profile)
            })?)
        } else {
            None
        };
        let controls = Controls {
            reader: reader.as_ref().map(|r| r.control()),
            printer: printer.as_ref().map(|p| p.control()),
        };
        let control = match ControlServer::start(&control_socket(config), controls) {
            Ok(server) => Some(server),
            Err(e) => {
                log::warn!("simulator control socket unavailable: {e}");
                None
            }
        };
        Ok(Simulators {
            reader,
            printer,
            control,
        })
    }

    pub fn controls(&self) -> Controls {
        Controls {
            reader: self.reader.as_ref().map(|r| r.control()),
            printer: self.printer.as_ref().map(|p| p.control()),
        }
    }

    pub fn reader_port(&self) -> Option<PathBuf> {
        self.reader.as_ref().map(|r| r.port_path())
    }

    pub fn printer_port(&self) -> Option<PathBuf> {
        self.printer.as_ref().map(|p| p.port_path())
    }

    pub fn control_path(&self) -> Option<&Path> {
        self.control.as_ref().map(|c| c.path())
    }
}
