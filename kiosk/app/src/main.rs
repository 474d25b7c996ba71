//! `kiosk`: the public legal-service terminal.
//!
//! With no sub-command it runs the terminal on the display. Technicians get
//! `idcard` and `printer` (test the devices), developers `sim` (the
//! simulated devices), `screenshot` (every screen to PNG, no display
//! needed) and `first-frame` (start-up measurement).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};
use kiosk_core::Config;

#[derive(Parser)]
#[command(
    name = "kiosk",
    version,
    about = "公共法律服务一体机 — public legal-service terminal"
)]
struct Cli {
    /// Configuration file (default: config/kiosk.toml if present, or $KIOSK_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the terminal on the display (the default).
    Run,
    /// Render every screen to PNG files without a display.
    Screenshot {
        #[arg(long, default_value = "screenshots")]
        out: PathBuf,
    },
    /// Measure start-up: time to the first rendered frame and memory.
    FirstFrame {
        /// Also save the first frame as PNG.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Test the ID-card reader.
    Idcard {
        #[command(subcommand)]
        command: IdcardCommand,
    },
    /// Test the receipt printer.
    Printer {
        #[command(subcommand)]
        command: PrinterCommand,
    },
    /// Without words: start the simulated reader and printer and take
    /// commands on stdin. With words: send them to the running simulators,
    /// e.g. `kiosk sim card place resident` (`kiosk sim help` lists them).
    Sim { words: Vec<String> },
}

#[derive(Subcommand)]
enum IdcardCommand {
    /// Whether the reader answers, and its SAM id.
    Status {
        #[arg(long)]
        port: String,
        #[arg(long, default_value_t = 115_200)]
        baud: u32,
    },
    /// Read the card on the reader (waits for one).
    Read {
        #[arg(long)]
        port: String,
        #[arg(long, default_value_t = 115_200)]
        baud: u32,
        /// Seconds to wait for a card.
        #[arg(long, default_value_t = 10)]
        wait: u64,
        /// Machine-readable output.
        #[arg(long)]
        json: bool,
        /// Show the whole ID number (masked by default).
        #[arg(long)]
        unmasked: bool,
    },
}

#[derive(Subcommand)]
enum PrinterCommand {
    /// Online, cover, paper and error state.
    Status {
        #[arg(long)]
        port: String,
        /// generic-58, generic-80 or epson-tm-t88 (default: the configured one).
        #[arg(long)]
        profile: Option<String>,
        /// Default: the profile's.
        #[arg(long)]
        baud: Option<u32>,
    },
    /// Print a test page with every style, a QR code and Chinese text.
    Test {
        #[arg(long)]
        port: String,
        #[arg(long)]
        profile: Option<String>,
        #[arg(long)]
        baud: Option<u32>,
    },
    /// List the receipts waiting in the print queue; cancel one or all.
    Queue {
        /// Cancel the waiting receipt with this id.
        #[arg(long)]
        cancel: Option<i64>,
        /// Cancel every waiting receipt.
        #[arg(long)]
        cancel_all: bool,
    },
}

fn profile_arg(
    config: &Config,
    id: Option<String>,
) -> Result<&'static kiosk_printer::profile::Profile, String> {
    match id {
        None => Ok(kiosk::devices::sim::printer_profile(config)),
        Some(id) => kiosk_printer::profile::Profile::by_id(&id).ok_or_else(|| {
            format!("unknown printer profile {id:?}; known: generic-58, generic-80, epson-tm-t88")
        }),
    }
}

fn load_config(cli_path: Option<PathBuf>) -> Result<Config, kiosk_core::ConfigError> {
    let (path, required) =
        match cli_path.or_else(|| std::env::var_os("KIOSK_CONFIG").map(PathBuf::from)) {
            Some(path) => (path, true),
            None => (PathBuf::from("config/kiosk.toml"), false),
        };
    Config::load(&path, required, std::env::vars())
}

fn main() -> ExitCode {
    let started = Instant::now();
    kiosk::memory::tune_allocator();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let config = match load_config(cli.config) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("kiosk: {e}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command.unwrap_or(Command::Run) {
        Command::Run => kiosk::run::run(config).map_err(|e| e.to_string()),
        Command::Screenshot { out } => kiosk::screenshot::screenshot(&config, &out)
            .map(|files| {
                for f in files {
                    println!("{}", f.display());
                }
            })
            .map_err(|e| e.to_string()),
        Command::FirstFrame { out } => kiosk::screenshot::first_frame(&config, started, out.as_deref())
            .map(|m| {
                println!(
                    "{{\"first_frame_ms\": {:.1}, \"rss_kib\": {}, \"library_ready_ms\": {:.1}, \"rss_after_library_kib\": {}}}",
                    m.first_frame.as_secs_f64() * 1000.0,
                    m.rss_kib.unwrap_or(0),
                    m.library_ready.as_secs_f64() * 1000.0,
                    m.rss_after_library_kib.unwrap_or(0)
                )
            })
            .map_err(|e| e.to_string()),
        Command::Idcard { command } => match command {
            IdcardCommand::Status { port, baud } => kiosk::technician::idcard_status(&port, baud),
            IdcardCommand::Read {
                port,
                baud,
                wait,
                json,
                unmasked,
            } => kiosk::technician::idcard_read(
                &port,
                baud,
                std::time::Duration::from_secs(wait),
                json,
                unmasked,
            ),
        }
        .map(|out| println!("{out}"))
        .map_err(|e| e.to_string()),
        Command::Printer { command } => match command {
            PrinterCommand::Queue { cancel, cancel_all } => {
                kiosk::technician::printer_queue(&config, cancel, cancel_all)
                    .map_err(|e| e.to_string())
            }
            PrinterCommand::Status {
                port,
                profile,
                baud,
            } => profile_arg(&config, profile).and_then(|profile| {
                kiosk::technician::printer_status(&port, profile, baud).map_err(|e| e.to_string())
            }),
            PrinterCommand::Test {
                port,
                profile,
                baud,
            } => profile_arg(&config, profile).and_then(|profile| {
                kiosk::technician::printer_test(
                    &port,
                    profile,
                    baud,
                    &kiosk::content::assets_dir(&config),
                )
                .map_err(|e| e.to_string())
            }),
        }
        .map(|out| println!("{out}")),
        Command::Sim { words } => if words.is_empty() {
            kiosk::technician::sim_run(&config)
        } else {
            kiosk::technician::sim_send(&config, &words)
        }
        .map(|out| println!("{out}"))
        .map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kiosk: {e}");
            ExitCode::FAILURE
        }
    }
}
