//! `hub`: run the dispatch hub, or administer it.
//!
//! ```text
//! hub [--config hub/hub.toml] serve
//! hub [--config hub/hub.toml] admin add-lawyer --username U --display-name N --skills a,b [--password-file F]
//! ```
//! Logging: `RUST_LOG` (default `info`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use hub::config::Config;

#[derive(Parser)]
#[command(
    name = "hub",
    about = "Dispatch hub of the public legal-service terminals"
)]
struct Cli {
    /// Configuration file (default: $HUB_CONFIG, else hub/hub.toml if present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the service (the default).
    Serve,
    /// Manage lawyer accounts.
    #[command(subcommand)]
    Admin(Admin),
}

#[derive(Subcommand)]
enum Admin {
    /// Create a lawyer account; the password is read from stdin or --password-file.
    AddLawyer {
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        /// Comma-separated topic keys, e.g. labor,family.
        #[arg(long, default_value = "")]
        skills: String,
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Replace a lawyer's password (read from stdin or --password-file).
    SetPassword {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_file: Option<PathBuf>,
    },
    /// Refuse a lawyer's sign-ins from now on.
    DisableLawyer {
        #[arg(long)]
        username: String,
    },
    /// Undo disable-lawyer.
    EnableLawyer {
        #[arg(long)]
        username: String,
    },
    /// Print username, display name, skills and status of every lawyer.
    ListLawyers,
}

/// Fixes glibc's mmap threshold at 1 MiB (before any thread starts).
///
/// glibc raises the threshold dynamically to the size of the largest
/// mmapped block freed so far, so after the first Argon2 check (a 19 MiB
/// buffer per sign-in) later checks were served from the heap, and their
/// freed buffers stayed resident, fragmented between connection data:
/// `hub-load` measured 163 MiB after 20 sign-ins and 1,000 calls, of which
/// ~95 MiB was freed Argon2 memory (independent of the number of calls).
/// With a fixed threshold every block of 1 MiB or more is its own mapping
/// and goes back to the system when freed; WebSocket buffers (≤ 128 KiB)
/// stay below it.
fn fix_mmap_threshold() {
    // SAFETY: mallopt only changes allocator parameters; called first in
    // main, before other threads exist.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1024 * 1024);
    }
}

fn main() -> ExitCode {
    fix_mmap_threshold();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    let (path, required) = match cli
        .config
        .or_else(|| std::env::var_os("HUB_CONFIG").map(PathBuf::from))
    {
        Some(p) => (p, true),
        None => (PathBuf::from("hub/hub.toml"), false),
    };
    let config = match Config::load(&path, required, std::env::vars()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("hub: configuration: {e}");
            return ExitCode::from(2);
        }
    };
    let db = config.server.database.clone();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Admin(Admin::AddLawyer {
            username,
            display_name,
            skills,
            password_file,
        }) => hub::admin::read_password(password_file.as_deref())
            .and_then(|p| hub::admin::add_lawyer(&db, &username, &display_name, &skills, &p))
            .map(|id| println!("lawyer {username} added (id {id})")),
        Command::Admin(Admin::SetPassword {
            username,
            password_file,
        }) => hub::admin::read_password(password_file.as_deref())
            .and_then(|p| hub::admin::set_password(&db, &username, &p))
            .map(|()| println!("password of {username} replaced")),
        Command::Admin(Admin::DisableLawyer { username }) => {
            hub::admin::set_disabled(&db, &username, true).map(|()| println!("{username} disabled"))
        }
        Command::Admin(Admin::EnableLawyer { username }) => {
            hub::admin::set_disabled(&db, &username, false).map(|()| println!("{username} enabled"))
        }
        Command::Admin(Admin::ListLawyers) => hub::admin::list_lawyers(&db).map(|s| print!("{s}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hub: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let running = hub::server::start(config).await?;
        tokio::select! {
            r = running.task => match r {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(e) => Err(e.to_string()),
            },
            _ = tokio::signal::ctrl_c() => {
                log::info!("stopping");
                Ok(())
            }
        }
    })
}
