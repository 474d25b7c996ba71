//! The terminal's configuration: `config/kiosk.toml`, overridable by
//! environment variables.
//!
//! Every field has a default, so an empty file (or no file) is a working
//! terminal. A wrong value fails start-up with a message that names the field
//! and the accepted values, because a technician reading a boot log has no
//! other clue. Environment variables are named `KIOSK_<SECTION>_<FIELD>`
//! (e.g. `KIOSK_TERMINAL_OFFICE_NAME`); they are matched against the known
//! fields, so a misspelt variable is reported instead of silently ignored.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The whole configuration, one struct per `[section]` of `kiosk.toml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub terminal: TerminalConfig,
    pub session: SessionConfig,
    pub audio: AudioConfig,
    pub storage: StorageConfig,
    pub content: ContentConfig,
    pub idcard: IdCardConfig,
    pub printer: PrinterConfig,
    pub consultation: ConsultationConfig,
}

/// 视频咨询律师: where the dispatch hub is, and the call's media.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsultationConfig {
    /// `"embedded"`: a hub inside the terminal (development and
    /// demonstrations); `"none"`: no video consultation on this terminal;
    /// otherwise the hub's terminal endpoint, `ws://host:port/ws/terminal`.
    pub hub: String,
    /// Where the embedded hub listens (its lawyer console is at `http://<this>/`).
    pub embedded_listen: String,
    /// This terminal's id in the hub's `[terminals]` table.
    pub terminal_id: String,
    /// This terminal's secret token at the hub (prefer
    /// `KIOSK_CONSULTATION_TOKEN`). The embedded hub makes its own.
    pub token: String,
    /// `"auto"` (the first V4L2 camera, else a test pattern),
    /// `"test-pattern"`, or a device path such as `/dev/video0`.
    pub camera: String,
    /// `"auto"` (the sound card's microphone, else a test tone) or `"tone"`.
    pub microphone: String,
    /// Media path down this long → the terminal restarts ICE.
    pub restart_after_secs: u64,
    /// Media path not back within this → the call is ended (and recorded).
    pub give_up_after_secs: u64,
}

impl ConsultationConfig {
    pub fn enabled(&self) -> bool {
        self.hub != "none"
    }

    pub fn embedded(&self) -> bool {
        self.hub == "embedded"
    }
}

impl Default for ConsultationConfig {
    fn default() -> Self {
        ConsultationConfig {
            hub: "embedded".into(),
            embedded_listen: "127.0.0.1:8787".into(),
            terminal_id: "t-0001".into(),
            token: String::new(),
            camera: "auto".into(),
            microphone: "auto".into(),
            restart_after_secs: 3,
            give_up_after_secs: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TerminalConfig {
    /// Shown in the header of every screen.
    pub office_name: String,
    pub orientation: Orientation,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Orientation {
    /// 1080 x 1920, the usual free-standing terminal.
    Portrait,
    /// 1920 x 1080, wall-mounted or desk terminals.
    Landscape,
}

impl Orientation {
    pub const ACCEPTED: &'static str = "portrait, landscape";

    /// Window size in logical pixels.
    pub fn size(self) -> (u32, u32) {
        match self {
            Orientation::Portrait => (1080, 1920),
            Orientation::Landscape => (1920, 1080),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SessionConfig {
    /// Seconds without a touch before the count-down warning appears.
    pub idle_timeout_secs: u64,
    /// Length of the visible count-down before the session is wiped.
    pub countdown_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AudioConfig {
    /// A short spoken prompt when a resident starts a session.
    pub session_prompt: bool,
    /// A click on every tap.
    pub tap_sound: bool,
    /// Output volume, 0.0 to 1.0.
    pub volume: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StorageConfig {
    /// The SQLite database file; created with its directory if missing.
    pub database: PathBuf,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContentConfig {
    /// Folder holding `content/` and `laws/`; empty means the assets
    /// shipped with this build.
    pub assets_dir: PathBuf,
}

/// Where a device is: the embedded simulator, nothing, or a serial port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePort<'a> {
    /// `"sim"`: start the simulated device inside the terminal.
    Simulated,
    /// `"none"`: this terminal has no such device.
    Absent,
    /// A serial port path such as `/dev/ttyUSB0`.
    Serial(&'a str),
}

fn device_port(port: &str) -> DevicePort<'_> {
    match port {
        "sim" => DevicePort::Simulated,
        "none" => DevicePort::Absent,
        path => DevicePort::Serial(path),
    }
}

/// Baud rates the ID-card reader can be switched to (command 60).
pub const IDCARD_BAUDS: [u32; 5] = [115_200, 57_600, 38_400, 19_200, 9_600];
/// Baud rates receipt printers are set to.
pub const PRINTER_BAUDS: [u32; 6] = [9_600, 19_200, 38_400, 57_600, 115_200, 230_400];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IdCardConfig {
    /// `"sim"`, `"none"` or a serial port path.
    pub port: String,
    pub baud: u32,
    /// How often the reader is asked for a card while a service waits for one.
    pub poll_interval_ms: u64,
    /// How long one command may take before the reader counts as not answering.
    pub command_timeout_ms: u64,
}

impl IdCardConfig {
    pub fn device(&self) -> DevicePort<'_> {
        device_port(&self.port)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrinterConfig {
    /// `"sim"`, `"none"` or a serial port path.
    pub port: String,
    pub profile: PrinterProfile,
    /// 0 means the profile's usual speed.
    pub baud: u32,
    /// What happens to a receipt that could not be printed when its
    /// resident's session ends.
    pub unprinted_when_session_ends: UnprintedPolicy,
    /// Where the simulated printer writes each receipt as PNG and text.
    pub sim_output_dir: PathBuf,
}

impl PrinterConfig {
    pub fn device(&self) -> DevicePort<'_> {
        device_port(&self.port)
    }
}

/// The printer models the driver knows (see `drivers/printer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrinterProfile {
    /// 58 mm Chinese printer, no cutter.
    #[serde(rename = "generic-58")]
    Generic58,
    /// 80 mm Chinese printer with cutter.
    #[serde(rename = "generic-80")]
    Generic80,
    /// Epson TM-T88 class, 80 mm at 180 dpi, QR printed as an image.
    EpsonTmT88,
}

impl PrinterProfile {
    pub const ACCEPTED: &'static str = "generic-58, generic-80, epson-tm-t88";

    /// The id the printer driver uses for this profile.
    pub fn id(self) -> &'static str {
        match self {
            PrinterProfile::Generic58 => "generic-58",
            PrinterProfile::Generic80 => "generic-80",
            PrinterProfile::EpsonTmT88 => "epson-tm-t88",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UnprintedPolicy {
    /// Keep the receipt and print it when the printer is back.
    PrintLater,
    /// Cancel it: nobody is there to take it.
    Cancel,
}

impl Default for IdCardConfig {
    fn default() -> Self {
        Self {
            port: "sim".to_owned(),
            baud: 115_200,
            poll_interval_ms: 200,
            command_timeout_ms: 500,
        }
    }
}

impl Default for PrinterConfig {
    fn default() -> Self {
        Self {
            port: "sim".to_owned(),
            profile: PrinterProfile::Generic80,
            baud: 0,
            unprinted_when_session_ends: UnprintedPolicy::Cancel,
            sim_output_dir: PathBuf::from("data/printed"),
        }
    }
}

impl Default for TerminalConfig {
    fn default() -> Self {
        Self {
            office_name: "公共法律服务工作站".to_owned(),
            orientation: Orientation::Portrait,
        }
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 90,
            countdown_secs: 10,
        }
    }
}

impl Default for AudioConfig {
    fn default() -> Self {
        Self {
            session_prompt: true,
            tap_sound: true,
            volume: 0.8,
        }
    }
}

impl StorageConfig {
    /// The folder of the database, where the terminal keeps its other files
    /// (simulators' links, the embedded hub).
    pub fn data_dir(&self) -> PathBuf {
        self.database
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    }
}

impl Default for StorageConfig {
    fn default() -> Self {
        Self {
            database: PathBuf::from("data/kiosk.db"),
        }
    }
}

impl Default for ContentConfig {
    fn default() -> Self {
        Self {
            assets_dir: PathBuf::new(),
        }
    }
}

/// Why a configuration cannot be used. The text names the field (or the
/// environment variable) and what would be accepted.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("configuration file {path} is invalid: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("environment variable {var} is not a known field; known: {known}")]
    UnknownVariable { var: String, known: String },
    #[error("{field} = {value} is out of range; accepted values: {accepted}")]
    OutOfRange {
        field: &'static str,
        value: String,
        accepted: &'static str,
    },
}

impl Config {
    /// Loads `path` (a missing file means all defaults when `required` is
    /// false), applies `KIOSK_*` variables from `env`, then validates.
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
        Self::parse(&text, path, env)
    }

    /// Parses configuration text; `origin` only labels error messages.
    pub fn parse(
        text: &str,
        origin: &Path,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Config, ConfigError> {
        let invalid = |reason: String| ConfigError::Invalid {
            path: origin.to_owned(),
            reason,
        };
        let mut table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| invalid(e.to_string()))?;
        let overridden = apply_env_overrides(&mut table, env)?;
        let config: Config = Config::deserialize(table).map_err(|e| {
            let mut reason = e.to_string();
            if !overridden.is_empty() {
                reason.push_str(&format!(
                    " (environment overrides in effect: {})",
                    overridden.join(", ")
                ));
            }
            invalid(reason)
        })?;
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let s = &self.session;
        if !(15..=3600).contains(&s.idle_timeout_secs) {
            return Err(ConfigError::OutOfRange {
                field: "session.idle_timeout_secs",
                value: s.idle_timeout_secs.to_string(),
                accepted: "whole seconds from 15 to 3600",
            });
        }
        if !(3..=120).contains(&s.countdown_secs) {
            return Err(ConfigError::OutOfRange {
                field: "session.countdown_secs",
                value: s.countdown_secs.to_string(),
                accepted: "whole seconds from 3 to 120",
            });
        }
        if !(0.0..=1.0).contains(&self.audio.volume) {
            return Err(ConfigError::OutOfRange {
                field: "audio.volume",
                value: self.audio.volume.to_string(),
                accepted: "a number from 0.0 to 1.0",
            });
        }
        if self.terminal.office_name.trim().is_empty()
            || self.terminal.office_name.chars().count() > 24
        {
            return Err(ConfigError::OutOfRange {
                field: "terminal.office_name",
                value: format!("{:?}", self.terminal.office_name),
                accepted: "a name of 1 to 24 characters",
            });
        }
        if !IDCARD_BAUDS.contains(&self.idcard.baud) {
            return Err(ConfigError::OutOfRange {
                field: "idcard.baud",
                value: self.idcard.baud.to_string(),
                accepted: "115200, 57600, 38400, 19200, 9600",
            });
        }
        if !(50..=5000).contains(&self.idcard.poll_interval_ms) {
            return Err(ConfigError::OutOfRange {
                field: "idcard.poll_interval_ms",
                value: self.idcard.poll_interval_ms.to_string(),
                accepted: "milliseconds from 50 to 5000",
            });
        }
        if !(100..=10_000).contains(&self.idcard.command_timeout_ms) {
            return Err(ConfigError::OutOfRange {
                field: "idcard.command_timeout_ms",
                value: self.idcard.command_timeout_ms.to_string(),
                accepted: "milliseconds from 100 to 10000",
            });
        }
        if self.printer.baud != 0 && !PRINTER_BAUDS.contains(&self.printer.baud) {
            return Err(ConfigError::OutOfRange {
                field: "printer.baud",
                value: self.printer.baud.to_string(),
                accepted: "0 (the profile's), 9600, 19200, 38400, 57600, 115200, 230400",
            });
        }
        for (field, port) in [
            ("idcard.port", &self.idcard.port),
            ("printer.port", &self.printer.port),
        ] {
            if port.trim().is_empty() {
                return Err(ConfigError::OutOfRange {
                    field,
                    value: "\"\"".to_owned(),
                    accepted: "\"sim\", \"none\" or a serial port path such as /dev/ttyUSB0",
                });
            }
        }
        let c = &self.consultation;
        // wss:// would pass here and then never connect: the TLS feature of
        // the WebSocket client is not built in yet.
        if !(c.hub == "embedded" || c.hub == "none" || c.hub.starts_with("ws://")) {
            return Err(ConfigError::OutOfRange {
                field: "consultation.hub",
                value: format!("{:?}", c.hub),
                accepted: "\"embedded\", \"none\" or ws://host:port/ws/terminal (for wss:// put TLS in a local tunnel such as stunnel and give its ws:// address)",
            });
        }
        if c.embedded() && c.embedded_listen.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError::OutOfRange {
                field: "consultation.embedded_listen",
                value: format!("{:?}", c.embedded_listen),
                accepted: "an address and port such as 127.0.0.1:8787",
            });
        }
        if c.enabled() && !c.embedded() && (c.terminal_id.is_empty() || c.token.len() < 16) {
            return Err(ConfigError::OutOfRange {
                field: "consultation.token",
                value: "(hidden)".to_owned(),
                accepted: "the terminal's token at the hub, at least 16 characters, with a terminal_id",
            });
        }
        if !(c.camera == "auto" || c.camera == "test-pattern" || c.camera.starts_with("/dev/")) {
            return Err(ConfigError::OutOfRange {
                field: "consultation.camera",
                value: format!("{:?}", c.camera),
                accepted: "\"auto\", \"test-pattern\" or a device path such as /dev/video0",
            });
        }
        if !(c.microphone == "auto" || c.microphone == "tone") {
            return Err(ConfigError::OutOfRange {
                field: "consultation.microphone",
                value: format!("{:?}", c.microphone),
                accepted: "\"auto\" or \"tone\"",
            });
        }
        if !(1..=60).contains(&c.restart_after_secs) {
            return Err(ConfigError::OutOfRange {
                field: "consultation.restart_after_secs",
                value: c.restart_after_secs.to_string(),
                accepted: "whole seconds from 1 to 60",
            });
        }
        if !(5..=600).contains(&c.give_up_after_secs)
            || c.give_up_after_secs <= c.restart_after_secs
        {
            return Err(ConfigError::OutOfRange {
                field: "consultation.give_up_after_secs",
                value: c.give_up_after_secs.to_string(),
                accepted: "whole seconds from 5 to 600, more than restart_after_secs",
            });
        }
        if self.storage.database.as_os_str().is_empty() {
            return Err(ConfigError::OutOfRange {
                field: "storage.database",
                value: "\"\"".to_owned(),
                accepted: "a file path",
            });
        }
        Ok(())
    }

    /// The environment variable name of every field, `(section, field, VAR)`.
    pub fn env_fields() -> Vec<(String, String, String)> {
        let defaults = toml::Table::try_from(Config::default()).unwrap_or_default();
        let mut fields = Vec::new();
        for (section, value) in &defaults {
            if let toml::Value::Table(inner) = value {
                for field in inner.keys() {
                    let var = format!("KIOSK_{}_{}", section, field).to_uppercase();
                    fields.push((section.clone(), field.clone(), var));
                }
            }
        }
        fields
    }
}

/// Writes `KIOSK_*` variables into the table and returns their names.
fn apply_env_overrides(
    table: &mut toml::Table,
    env: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<String>, ConfigError> {
    let fields = Config::env_fields();
    let mut applied = Vec::new();
    for (var, raw) in env {
        // KIOSK_CONFIG names the file itself and is not a field.
        if !var.starts_with("KIOSK_") || var == "KIOSK_CONFIG" {
            continue;
        }
        let Some((section, field, _)) = fields.iter().find(|(_, _, name)| *name == var) else {
            let known: Vec<&str> = fields.iter().map(|(_, _, name)| name.as_str()).collect();
            return Err(ConfigError::UnknownVariable {
                var,
                known: known.join(", "),
            });
        };
        // A value that parses as TOML (number, boolean) keeps its type;
        // anything else is taken as a plain string.
        let value = format!("v = {raw}")
            .parse::<toml::Table>()
            .ok()
            .and_then(|mut t| t.remove("v"))
            .unwrap_or(toml::Value::String(raw));
        let section_table = table
            .entry(section.clone())
            .or_insert_with(|| toml::Value::Table(toml::Table::new()));
        if let toml::Value::Table(section_table) = section_table {
            section_table.insert(field.clone(), value);
        }
        applied.push(var);
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::parse(text, Path::new("kiosk.toml"), Vec::new())
    }

    fn parse_env(text: &str, env: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        Config::parse(text, Path::new("kiosk.toml"), env)
    }

    #[test]
    fn an_empty_file_gives_the_documented_defaults() {
        let config = parse("").unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.session.idle_timeout_secs, 90);
        assert_eq!(config.terminal.orientation, Orientation::Portrait);
    }

    #[test]
    fn the_shipped_config_file_is_valid_and_equals_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config/kiosk.toml");
        let config = Config::load(&path, true, Vec::new()).unwrap();
        assert_eq!(config, Config::default());
    }

    #[test]
    fn an_unknown_orientation_names_the_field_and_the_accepted_values() {
        let err = parse("[terminal]\norientation = \"sideways\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("orientation"), "{err}");
        assert!(
            err.contains("portrait") && err.contains("landscape"),
            "{err}"
        );
    }

    #[test]
    fn an_out_of_range_idle_timeout_names_the_field_and_the_range() {
        let err = parse("[session]\nidle_timeout_secs = 2\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "session.idle_timeout_secs = 2 is out of range; accepted values: whole seconds from 15 to 3600"
        );
    }

    #[test]
    fn a_misspelt_field_is_rejected_with_its_name() {
        let err = parse("[session]\nidle_timout_secs = 60\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("idle_timout_secs"), "{err}");
    }

    #[test]
    fn a_wrong_type_is_rejected() {
        let err = parse("[audio]\ntap_sound = \"yes\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("tap_sound"), "{err}");
    }

    #[test]
    fn environment_variables_override_file_values() {
        let config = parse_env(
            "[terminal]\noffice_name = \"甲司法所\"\n",
            &[
                ("KIOSK_TERMINAL_OFFICE_NAME", "乙司法所"),
                ("KIOSK_SESSION_IDLE_TIMEOUT_SECS", "120"),
            ],
        )
        .unwrap();
        assert_eq!(config.terminal.office_name, "乙司法所");
        assert_eq!(config.session.idle_timeout_secs, 120);
    }

    #[test]
    fn a_bad_environment_value_is_reported_with_the_variable() {
        let err = parse_env("", &[("KIOSK_SESSION_COUNTDOWN_SECS", "soon")])
            .unwrap_err()
            .to_string();
        assert!(err.contains("KIOSK_SESSION_COUNTDOWN_SECS"), "{err}");
    }

    #[test]
    fn an_unknown_kiosk_variable_is_an_error() {
        let err = parse_env("", &[("KIOSK_SESSION_IDLE", "5")]).unwrap_err();
        assert!(matches!(err, ConfigError::UnknownVariable { .. }));
    }

    #[test]
    fn a_missing_optional_file_means_defaults_but_a_missing_required_file_is_an_error() {
        let missing = Path::new("/nonexistent/kiosk.toml");
        assert_eq!(
            Config::load(missing, false, Vec::new()).unwrap(),
            Config::default()
        );
        assert!(matches!(
            Config::load(missing, true, Vec::new()),
            Err(ConfigError::Unreadable { .. })
        ));
    }

    #[test]
    fn devices_default_to_the_embedded_simulators() {
        let config = parse("").unwrap();
        assert_eq!(config.idcard.device(), DevicePort::Simulated);
        assert_eq!(config.printer.device(), DevicePort::Simulated);
        let config =
            parse("[idcard]\nport = \"none\"\n[printer]\nport = \"/dev/ttyS1\"\n").unwrap();
        assert_eq!(config.idcard.device(), DevicePort::Absent);
        assert_eq!(config.printer.device(), DevicePort::Serial("/dev/ttyS1"));
    }

    #[test]
    fn a_reader_baud_the_reader_cannot_use_is_rejected_with_the_accepted_ones() {
        let err = parse("[idcard]\nbaud = 14400\n").unwrap_err().to_string();
        assert!(
            err.contains("idcard.baud") && err.contains("115200"),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_printer_profile_lists_the_known_ones() {
        let err = parse("[printer]\nprofile = \"tm-t20\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("generic-58") && err.contains("epson-tm-t88"),
            "{err}"
        );
    }

    #[test]
    fn a_hub_address_that_is_not_a_websocket_is_rejected() {
        let err = parse("[consultation]\nhub = \"http://hub.example\"\n").unwrap_err();
        assert!(err.to_string().contains("consultation.hub"), "{err}");
        // Not built in yet: refused at start rather than failing every call.
        let err = parse("[consultation]\nhub = \"wss://hub.example/ws/terminal\"\n").unwrap_err();
        assert!(err.to_string().contains("tunnel"), "{err}");
    }

    #[test]
    fn a_real_hub_needs_the_terminals_token() {
        let err = parse("[consultation]\nhub = \"ws://10.0.0.2:8080/ws/terminal\"\n").unwrap_err();
        assert!(err.to_string().contains("consultation.token"), "{err}");
        assert!(
            !err.to_string().contains("ws://10"),
            "the message hides nothing secret but names the field"
        );
        let ok = parse(
            "[consultation]\nhub = \"ws://10.0.0.2:8080/ws/terminal\"\ntoken = \"0123456789abcdef0123\"\n",
        );
        assert!(ok.is_ok());
    }

    #[test]
    fn an_empty_device_port_is_rejected() {
        let err = parse("[printer]\nport = \"\"\n").unwrap_err().to_string();
        assert!(err.contains("printer.port"), "{err}");
    }
}
