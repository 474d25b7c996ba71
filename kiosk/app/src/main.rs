//! `kiosk`: the public legal-service terminal.
//!
//! With no sub-command it runs the terminal on the display. Technicians and
//! developers get `screenshot` (every screen to PNG, no display needed) and
//! `first-frame` (start-up measurement).

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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kiosk: {e}");
            ExitCode::FAILURE
        }
    }
}
