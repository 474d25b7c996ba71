//! The real dispatch hub, in-process: `hub::server::start` on
//! `127.0.0.1:0` with a temporary database and configuration, lawyer
//! accounts created through `hub::admin::add_lawyer` (what `hub admin
//! add-lawyer` runs) and terminal tokens in `[terminals]`. It serves the
//! real console from `hub/console/`.

use std::net::SocketAddr;
use std::path::PathBuf;

use hub::config::{Config, TerminalEntry};

use crate::{Result, fail};

/// A lawyer account to create before the hub starts.
#[derive(Clone, Debug)]
pub struct LawyerAccount {
    pub username: String,
    pub display_name: String,
    /// Topic keys, e.g. `["labor", "family"]`.
    pub skills: Vec<String>,
    pub password: String,
}

impl LawyerAccount {
    pub fn new(username: &str, display_name: &str, skills: &[&str]) -> Self {
        LawyerAccount {
            username: username.into(),
            display_name: display_name.into(),
            skills: skills.iter().map(|s| s.to_string()).collect(),
            password: format!("pw-of-{username}-correct-horse"),
        }
    }
}

/// What to start: accounts, terminals and configuration tweaks.
pub struct HubOptions {
    pub lawyers: Vec<LawyerAccount>,
    /// Terminal id → office; tokens are derived with [`Hub::token`].
    pub terminals: Vec<(String, String)>,
    /// Applied to the configuration last (e.g. shorter offer timeouts).
    pub tweak: Box<dyn FnOnce(&mut Config) + Send>,
}

impl Default for HubOptions {
    /// One lawyer `wang` (王律师, labor + family) and two terminals.
    fn default() -> Self {
        HubOptions {
            lawyers: vec![LawyerAccount::new("wang", "王律师", &["labor", "family"])],
            terminals: vec![
                ("t-0001".into(), "城关镇司法所".into()),
                ("t-0002".into(), "河口乡司法所".into()),
            ],
            tweak: Box::new(|_| {}),
        }
    }
}

/// A running hub. Stopped (its server task aborted) on drop; its temporary
/// directory goes with it.
pub struct Hub {
    pub addr: SocketAddr,
    pub config: Config,
    pub lawyers: Vec<LawyerAccount>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
}

impl Hub {
    /// The repository's console folder (`hub/console/`).
    pub fn console_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("hub")
            .join("console")
    }

    /// The token configured for a terminal id.
    pub fn token(terminal_id: &str) -> String {
        format!("test-token-of-{terminal_id}-0123456789abcdef")
    }

    /// Starts a hub with [`HubOptions::default`].
    pub async fn start() -> Result<Hub> {
        Self::start_with(HubOptions::default()).await
    }

    pub async fn start_with(options: HubOptions) -> Result<Hub> {
        let dir = tempfile::tempdir().map_err(|e| fail!("temporary directory: {e}"))?;
        let mut config = Config::default();
        config.server.listen = "127.0.0.1:0".into();
        config.server.database = dir.path().join("hub.db");
        config.server.console_dir = Self::console_dir();
        for (id, office) in &options.terminals {
            config.terminals.insert(
                id.clone(),
                TerminalEntry {
                    token: Self::token(id),
                    office: office.clone(),
                },
            );
        }
        (options.tweak)(&mut config);
        let database = config.server.database.clone();
        let accounts = options.lawyers.clone();
        // Argon2 hashing is CPU-heavy: off the async workers.
        tokio::task::spawn_blocking(move || -> Result<()> {
            for l in &accounts {
                hub::admin::add_lawyer(
                    &database,
                    &l.username,
                    &l.display_name,
                    &l.skills.join(","),
                    &l.password,
                )
                .map_err(|e| fail!("adding lawyer {}: {e}", l.username))?;
            }
            Ok(())
        })
        .await
        .map_err(|e| fail!("adding lawyers: {e}"))??;
        let running = hub::server::start(config.clone())
            .await
            .map_err(|e| fail!("starting the hub: {e}"))?;
        Ok(Hub {
            addr: running.addr,
            config,
            lawyers: options.lawyers,
            task: running.task,
            _dir: dir,
        })
    }

    /// `http://127.0.0.1:<port><path>`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `ws://127.0.0.1:<port><path>`
    pub fn ws_url(&self, path: &str) -> String {
        format!("ws://{}{path}", self.addr)
    }

    /// The account created under `username`.
    pub fn lawyer(&self, username: &str) -> &LawyerAccount {
        self.lawyers
            .iter()
            .find(|l| l.username == username)
            .unwrap_or_else(|| panic!("no lawyer account {username} in this hub"))
    }

    /// The office configured for a terminal.
    pub fn office_of(&self, terminal_id: &str) -> String {
        self.config
            .terminals
            .get(terminal_id)
            .map(|t| t.office.clone())
            .unwrap_or_default()
    }
}

impl Drop for Hub {
    fn drop(&mut self) {
        self.task.abort();
    }
}
