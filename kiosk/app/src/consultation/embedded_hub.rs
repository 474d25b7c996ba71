//! A dispatch hub inside the terminal, for development and demonstrations
//! (`[consultation] hub = "embedded"`, the default): the same `hub` crate the
//! justice bureau runs, on its own thread and tokio runtime, with its
//! database under the terminal's data folder.
//!
//! At start it registers this terminal with a fresh random token (kept in
//! memory only) and, the first time, creates one lawyer account,
//! `lawyer`, who handles every topic. The password is random and written to
//! `<data>/hub/lawyer-password.txt` (readable by the owner only), never
//! logged: whoever can read the terminal's files may answer its calls.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The lawyer account the embedded hub creates.
pub const LAWYER_USERNAME: &str = "lawyer";

/// The running embedded hub; dropping it stops the hub.
pub struct EmbeddedHub {
    pub addr: SocketAddr,
    /// Where the lawyer's password is.
    pub password_file: PathBuf,
    /// The terminal's token at this hub.
    pub token: String,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EmbeddedHub {
    /// Starts the hub on `listen` with its files in `dir`; returns once it
    /// listens (or failed to).
    pub fn start(
        listen: &str,
        dir: &Path,
        terminal_id: &str,
        office: &str,
    ) -> Result<EmbeddedHub, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let token = random_hex(16)?;
        let mut config = hub::config::Config::default();
        config.server.listen = listen.to_owned();
        config.server.database = dir.join("hub.db");
        config.server.console_dir = console_dir();
        config.terminals.insert(
            terminal_id.to_owned(),
            hub::config::TerminalEntry {
                token: token.clone(),
                office: office.to_owned(),
            },
        );
        let password_file = dir.join("lawyer-password.txt");
        ensure_lawyer(&config.server.database, &password_file)?;

        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let (shutdown, stop) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("embedded-hub".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("tokio runtime: {e}")));
                        return;
                    }
                };
                rt.block_on(async move {
                    match hub::server::start(config).await {
                        Ok(running) => {
                            let _ = ready_tx.send(Ok(running.addr));
                            let _ = stop.await;
                            running.task.abort();
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                        }
                    }
                });
                rt.shutdown_timeout(std::time::Duration::from_secs(1));
            })
            .map_err(|e| format!("cannot start the hub thread: {e}"))?;
        let addr = ready_rx
            .recv()
            .map_err(|_| "the hub thread ended before listening".to_owned())??;
        Ok(EmbeddedHub {
            addr,
            password_file,
            token,
            shutdown: Some(shutdown),
            thread: Some(thread),
        })
    }

    /// The URL terminals connect to.
    pub fn terminal_url(&self) -> String {
        format!("ws://{}/ws/terminal", self.addr)
    }

    /// The lawyer console.
    pub fn console_url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

impl Drop for EmbeddedHub {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The console's files: shipped next to the sources of this build.
fn console_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../hub/console")
}

/// Creates the lawyer account the first time (its password in
/// `password_file`); later starts keep it.
fn ensure_lawyer(database: &Path, password_file: &Path) -> Result<(), String> {
    if password_file.exists() && database.exists() {
        return Ok(());
    }
    let password = random_hex(12)?;
    let skills = kiosk_core::consultation::TOPICS.join(",");
    match hub::admin::add_lawyer(database, LAWYER_USERNAME, "值班律师", &skills, &password) {
        Ok(_) => {}
        // The account survived a lost password file: give it a new password.
        Err(_) => hub::admin::set_password(database, LAWYER_USERNAME, &password)?,
    }
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode_owner_only()
        .open(password_file)
        .map_err(|e| format!("{}: {e}", password_file.display()))?;
    writeln!(file, "{password}").map_err(|e| format!("{}: {e}", password_file.display()))?;
    Ok(())
}

trait OwnerOnly {
    fn mode_owner_only(&mut self) -> &mut Self;
}

impl OwnerOnly for std::fs::OpenOptions {
    fn mode_owner_only(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.mode(0o600)
    }
}

/// `bytes` random bytes from the kernel, as hex.
fn random_hex(bytes: usize) -> Result<String, String> {
    use std::io::Read;
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .map_err(|e| format!("/dev/urandom: {e}"))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}
