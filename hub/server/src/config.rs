//! Configuration: `hub/hub.toml`, overridable by environment variables.
//!
//! Every field has a default, so a missing file is a working (if
//! terminal-less) hub on 127.0.0.1:8080. Variables are named
//! `HUB_<SECTION>_<FIELD>` (e.g. `HUB_SERVER_LISTEN=0.0.0.0:8080`,
//! `HUB_ICE_TURN_SECRET=...`); list fields take comma-separated values.
//! A misspelt `HUB_*` variable is an error rather than silently ignored.
//! `HUB_CONFIG` names the file itself. Terminals (`[terminals.<id>]`) are
//! configured in the file only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub server: ServerConfig,
    pub dispatch: DispatchConfig,
    pub limits: LimitsConfig,
    pub ice: IceConfig,
    /// Terminal id → its secret and office.
    pub terminals: BTreeMap<String, TerminalEntry>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on; put TLS (wss/https) in a reverse proxy.
    pub listen: String,
    /// The SQLite database (created if missing).
    pub database: PathBuf,
    /// Static files of the lawyer console, served at `/`.
    pub console_dir: PathBuf,
    /// Add `Secure` to the session cookie (set true behind HTTPS).
    pub cookie_secure: bool,
    /// How long a lawyer's sign-in lasts.
    pub session_hours: u32,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: "127.0.0.1:8080".into(),
            database: "hub.db".into(),
            console_dir: "hub/console".into(),
            cookie_secure: false,
            session_hours: 12,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DispatchConfig {
    /// An offered call not accepted within this goes to the next lawyer.
    pub offer_timeout_secs: u32,
    /// Estimated waits over this suggest leaving a message.
    pub wait_limit_secs: u32,
    /// A call waiting longer than this is ended (`timeout`/`no_lawyer`).
    pub max_queue_secs: u32,
    /// How long a call survives a dropped connection of one party.
    pub resume_grace_secs: u32,
    /// Handling time assumed before any call has been completed.
    pub default_handling_secs: u32,
}

impl Default for DispatchConfig {
    fn default() -> Self {
        DispatchConfig {
            offer_timeout_secs: 20,
            wait_limit_secs: 900,
            max_queue_secs: 1800,
            resume_grace_secs: 15,
            default_handling_secs: 600,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Largest message accepted (at most the protocol's 65536).
    pub max_message_bytes: usize,
    /// Sustained messages per second per connection.
    pub messages_per_sec: u32,
    /// Messages allowed in a burst (ICE candidates come in bursts).
    pub burst: u32,
    /// Interval the clients are told to send heartbeats at; silence for
    /// three intervals closes the connection.
    pub heartbeat_secs: u32,
    /// Time a terminal has to send `hello`.
    pub hello_timeout_secs: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_message_bytes: hub_protocol::MAX_MESSAGE_BYTES,
            messages_per_sec: 20,
            burst: 100,
            heartbeat_secs: 20,
            hello_timeout_secs: 10,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IceConfig {
    /// e.g. `["stun:turn.example.org:3478"]`
    pub stun_urls: Vec<String>,
    /// e.g. `["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"]`
    pub turn_urls: Vec<String>,
    /// coturn's `static-auth-secret` (`use-auth-secret`); empty: no TURN.
    pub turn_secret: String,
    /// Lifetime of handed-out TURN credentials.
    pub turn_ttl_secs: u32,
}

impl Default for IceConfig {
    fn default() -> Self {
        IceConfig {
            stun_urls: Vec::new(),
            turn_urls: Vec::new(),
            turn_secret: String::new(),
            turn_ttl_secs: 3600,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TerminalEntry {
    /// The terminal's secret (its `hello.token`); at least 16 characters.
    pub token: String,
    /// The justice office the terminal stands in.
    pub office: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("{origin}: {reason}")]
    Invalid { origin: String, reason: String },
    #[error("unknown variable {var}; known: {known}")]
    UnknownVariable { var: String, known: String },
}

impl Config {
    /// Loads `path` (missing is fine unless `required`), applies `HUB_*`
    /// variables from `env`, validates.
    pub fn load(
        path: &Path,
        required: bool,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => String::new(),
            Err(e) => {
                return Err(ConfigError::Unreadable {
                    path: path.to_owned(),
                    reason: e.to_string(),
                });
            }
        };
        Self::parse(&text, &path.display().to_string(), env)
    }

    pub fn parse(
        text: &str,
        origin: &str,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            origin: origin.to_owned(),
            reason,
        };
        let mut table: toml::Table = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
        apply_env(&mut table, env)?;
        let config: Config = table
            .try_into()
            .map_err(|e: toml::de::Error| invalid(e.to_string()))?;
        config.validate().map_err(invalid)?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), String> {
        if self.limits.max_message_bytes == 0
            || self.limits.max_message_bytes > hub_protocol::MAX_MESSAGE_BYTES
        {
            return Err(format!(
                "limits.max_message_bytes must be 1..={}",
                hub_protocol::MAX_MESSAGE_BYTES
            ));
        }
        if self.limits.messages_per_sec == 0 || self.limits.burst == 0 {
            return Err("limits.messages_per_sec and limits.burst must be at least 1".into());
        }
        if self.limits.heartbeat_secs == 0 || self.limits.hello_timeout_secs == 0 {
            return Err(
                "limits.heartbeat_secs and limits.hello_timeout_secs must be at least 1".into(),
            );
        }
        if self.dispatch.offer_timeout_secs == 0 {
            return Err("dispatch.offer_timeout_secs must be at least 1".into());
        }
        if !self.ice.turn_urls.is_empty() && self.ice.turn_secret.is_empty() {
            return Err("ice.turn_urls is set but ice.turn_secret is empty".into());
        }
        for (id, t) in &self.terminals {
            if id.is_empty() || id.len() > 64 {
                return Err("terminal ids must be 1..=64 bytes".into());
            }
            if t.token.chars().count() < 16 {
                return Err(format!(
                    "terminals.{id}.token must be at least 16 characters"
                ));
            }
        }
        Ok(())
    }

    /// `(section, field, variable)` for every overridable field.
    pub fn env_fields() -> Vec<(String, String, String)> {
        let defaults = toml::Table::try_from(Config::default()).unwrap_or_default();
        let mut fields = Vec::new();
        for (section, value) in &defaults {
            if let toml::Value::Table(inner) = value {
                if section == "terminals" {
                    continue;
                }
                for field in inner.keys() {
                    fields.push((
                        section.clone(),
                        field.clone(),
                        format!("HUB_{section}_{field}").to_uppercase(),
                    ));
                }
            }
        }
        fields
    }
}

fn apply_env(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<(), ConfigError> {
    let fields = Config::env_fields();
    let defaults = toml::Table::try_from(Config::default()).unwrap_or_default();
    for (var, raw) in env {
        if !var.starts_with("HUB_") || var == "HUB_CONFIG" || var == "HUB_LOG" {
            continue;
        }
        let Some((section, field, _)) = fields.iter().find(|(_, _, name)| *name == var) else {
            let known: Vec<&str> = fields.iter().map(|(_, _, n)| n.as_str()).collect();
            return Err(ConfigError::UnknownVariable {
                var,
                known: known.join(", "),
            });
        };
        let default = defaults
            .get(section)
            .and_then(|s| s.get(field))
            .cloned()
            .unwrap_or(toml::Value::String(String::new()));
        let bad = |what: &str| ConfigError::Invalid {
            origin: var.clone(),
            reason: format!("expected {what}"),
        };
        let value = match default {
            toml::Value::Integer(_) => {
                toml::Value::Integer(raw.trim().parse().map_err(|_| bad("an integer"))?)
            }
            toml::Value::Boolean(_) => {
                toml::Value::Boolean(raw.trim().parse().map_err(|_| bad("true or false"))?)
            }
            toml::Value::Array(_) => toml::Value::Array(
                raw.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| toml::Value::String(s.to_owned()))
                    .collect(),
            ),
            _ => toml::Value::String(raw),
        };
        let entry = table
            .entry(section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(t) = entry {
            t.insert(field.clone(), value);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_gives_loopback_defaults() {
        let c = Config::parse("", "test", Vec::new()).unwrap();
        assert_eq!(c.server.listen, "127.0.0.1:8080");
        assert_eq!(c.limits.max_message_bytes, hub_protocol::MAX_MESSAGE_BYTES);
    }

    #[test]
    fn env_overrides_scalars_and_lists_and_rejects_typos() {
        let env = vec![
            ("HUB_SERVER_LISTEN".to_owned(), "0.0.0.0:9000".to_owned()),
            ("HUB_DISPATCH_OFFER_TIMEOUT_SECS".to_owned(), "5".to_owned()),
            (
                "HUB_ICE_STUN_URLS".to_owned(),
                "stun:a:3478, stun:b:3478".to_owned(),
            ),
        ];
        let c = Config::parse("", "test", env).unwrap();
        assert_eq!(c.server.listen, "0.0.0.0:9000");
        assert_eq!(c.dispatch.offer_timeout_secs, 5);
        assert_eq!(c.ice.stun_urls, vec!["stun:a:3478", "stun:b:3478"]);
        let typo = vec![("HUB_SERVER_LISTN".to_owned(), "x".to_owned())];
        assert!(matches!(
            Config::parse("", "test", typo),
            Err(ConfigError::UnknownVariable { .. })
        ));
    }

    #[test]
    fn short_terminal_tokens_are_refused() {
        let text = "[terminals.t1]\ntoken = \"short\"\noffice = \"x\"\n";
        assert!(Config::parse(text, "test", Vec::new()).is_err());
    }
}
