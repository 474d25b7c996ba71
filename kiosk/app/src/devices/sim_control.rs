//! The developer's remote control for the simulated devices: one text
//! command per line, on stdin of `kiosk sim` or through a Unix socket that
//! `kiosk sim <command>` (from another shell) writes to while the terminal
//! or `kiosk sim` runs.
//!
//! ```text
//! card place <sample>     card remove        card list
//! reader slow <ms>        reader noise       reader corrupt     reader drop <n>
//! reader fail <command> <sw3 hex>            reader ok          (clear faults)
//! reader unplug           reader replug
//! printer paper ok|low|out                   printer cover open|closed
//! printer unplug          printer replug     status             help
//! ```
//! Parsing is a pure function ([`parse`]) so it is tested without devices.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use kiosk_idcard::codec::{Command as ReaderCommand, Sw3};
use kiosk_idcard_sim::{SimControl, samples};
use kiosk_printer_sim::{PaperState, SimPrinterControl};

pub const HELP: &str = "commands:
  card place <sample>   (samples: see `card list`)
  card remove | card list
  reader slow <ms> | reader noise | reader corrupt | reader drop <n>
  reader fail <find|select|read|status|samid|reset> <sw3 hex, e.g. 41> | reader ok
  reader unplug | reader replug
  printer paper ok|low|out | printer cover open|closed
  printer unplug | printer replug
  status | help";

/// One parsed control command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SimCommand {
    PlaceCard(String),
    RemoveCard,
    ListCards,
    ReaderSlow(Duration),
    ReaderNoise,
    ReaderCorrupt,
    ReaderDrop(usize),
    ReaderFail(ReaderCommand, u8),
    ReaderOk,
    ReaderUnplug,
    ReaderReplug,
    PrinterPaper(PaperState),
    PrinterCover(bool),
    PrinterUnplug,
    PrinterReplug,
    Status,
    Help,
}

/// Parses one line; the error is a message for the person typing.
pub fn parse(line: &str) -> Result<SimCommand, String> {
    let words: Vec<&str> = line.split_whitespace().collect();
    let number = |w: Option<&&str>, what: &str| -> Result<u64, String> {
        w.and_then(|w| w.parse().ok())
            .ok_or_else(|| format!("{what} needs a whole number"))
    };
    Ok(match words.as_slice() {
        ["card", "place", key] => {
            if samples::by_key(key).is_none() {
                return Err(format!(
                    "no sample card {key:?}; samples: {}",
                    samples::keys().join(", ")
                ));
            }
            SimCommand::PlaceCard((*key).to_owned())
        }
        ["card", "remove"] => SimCommand::RemoveCard,
        ["card", "list"] => SimCommand::ListCards,
        ["reader", "slow", rest @ ..] => {
            SimCommand::ReaderSlow(Duration::from_millis(number(rest.first(), "reader slow")?))
        }
        ["reader", "noise"] => SimCommand::ReaderNoise,
        ["reader", "corrupt"] => SimCommand::ReaderCorrupt,
        ["reader", "drop", rest @ ..] => {
            SimCommand::ReaderDrop(number(rest.first(), "reader drop")? as usize)
        }
        ["reader", "fail", command, sw3] => {
            let command = match *command {
                "find" => ReaderCommand::FindCard,
                "select" => ReaderCommand::SelectCard,
                "read" => ReaderCommand::ReadText,
                "status" => ReaderCommand::SamStatus,
                "samid" => ReaderCommand::SamId,
                "reset" => ReaderCommand::ResetSam,
                other => return Err(format!("unknown reader command {other:?}")),
            };
            let sw3 = u8::from_str_radix(sw3.trim_start_matches("0x"), 16)
                .map_err(|_| format!("{sw3:?} is not a hex byte"))?;
            SimCommand::ReaderFail(command, sw3)
        }
        ["reader", "ok"] => SimCommand::ReaderOk,
        ["reader", "unplug"] => SimCommand::ReaderUnplug,
        ["reader", "replug"] => SimCommand::ReaderReplug,
        ["printer", "paper", state] => SimCommand::PrinterPaper(match *state {
            "ok" => PaperState::Ok,
            "low" => PaperState::NearEnd,
            "out" => PaperState::Out,
            other => return Err(format!("paper state {other:?}: use ok, low or out")),
        }),
        ["printer", "cover", state] => SimCommand::PrinterCover(match *state {
            "open" => true,
            "closed" | "close" => false,
            other => return Err(format!("cover state {other:?}: use open or closed")),
        }),
        ["printer", "unplug"] => SimCommand::PrinterUnplug,
        ["printer", "replug"] => SimCommand::PrinterReplug,
        ["status"] => SimCommand::Status,
        ["help"] | [] => SimCommand::Help,
        _ => return Err(format!("unknown command {line:?}; try `help`")),
    })
}

/// The simulated devices a command can act on.
#[derive(Clone, Default)]
pub struct Controls {
    pub reader: Option<SimControl>,
    pub printer: Option<SimPrinterControl>,
}

impl Controls {
    /// Runs one command; the answer is one or more lines for the person.
    pub fn execute(&self, command: SimCommand) -> String {
        let reader = || self.reader.as_ref().ok_or("no simulated reader is running");
        let printer = || {
            self.printer
                .as_ref()
                .ok_or("no simulated printer is running")
        };
        let result: Result<String, &str> = (|| {
            Ok(match command {
                SimCommand::PlaceCard(key) => {
                    let card = samples::by_key(&key).ok_or("unknown sample")?;
                    reader()?.place_card(&card);
                    format!("card {key} placed")
                }
                SimCommand::RemoveCard => {
                    reader()?.remove_card();
                    "card removed".to_owned()
                }
                SimCommand::ListCards => samples::all()
                    .iter()
                    .map(|c| format!("{:18} {}", c.key, c.label))
                    .collect::<Vec<_>>()
                    .join("\n"),
                SimCommand::ReaderSlow(delay) => {
                    reader()?.set_reply_delay(delay);
                    format!("reader answers after {} ms", delay.as_millis())
                }
                SimCommand::ReaderNoise => {
                    reader()?.noise_before_next_reply(vec![0x55, 0xAA, 0x00, 0x96, 0x13]);
                    "noise before the next reply".to_owned()
                }
                SimCommand::ReaderCorrupt => {
                    reader()?.corrupt_next_reply();
                    "next reply has a bad checksum".to_owned()
                }
                SimCommand::ReaderDrop(n) => {
                    reader()?.drop_bytes_of_next_reply(n);
                    format!("next reply loses {n} bytes")
                }
                SimCommand::ReaderFail(command, sw3) => {
                    reader()?.fail_command(command, Sw3::from_byte(sw3));
                    format!("{} now fails with SW3 {sw3:02X}", command.name())
                }
                SimCommand::ReaderOk => {
                    let r = reader()?;
                    r.clear_failures();
                    r.set_reply_delay(Duration::ZERO);
                    "reader faults cleared".to_owned()
                }
                SimCommand::ReaderUnplug => {
                    reader()?.unplug();
                    "reader unplugged".to_owned()
                }
                SimCommand::ReaderReplug => {
                    reader()?.replug();
                    "reader plugged back".to_owned()
                }
                SimCommand::PrinterPaper(state) => {
                    printer()?.set_paper(state);
                    format!("paper {state:?}")
                }
                SimCommand::PrinterCover(open) => {
                    printer()?.set_cover_open(open);
                    format!("cover {}", if open { "open" } else { "closed" })
                }
                SimCommand::PrinterUnplug => {
                    printer()?.unplug();
                    "printer unplugged".to_owned()
                }
                SimCommand::PrinterReplug => {
                    printer()?.replug();
                    "printer plugged back".to_owned()
                }
                SimCommand::Status => {
                    let mut lines = Vec::new();
                    if let Some(r) = &self.reader {
                        lines.push(format!(
                            "reader: {}, card: {}",
                            if r.is_plugged() {
                                "plugged"
                            } else {
                                "unplugged"
                            },
                            r.card_present().unwrap_or("none")
                        ));
                    }
                    if let Some(p) = &self.printer {
                        lines.push(format!(
                            "printer: {}, {} receipts printed",
                            if p.is_plugged() {
                                "plugged"
                            } else {
                                "unplugged"
                            },
                            p.receipts().len()
                        ));
                    }
                    lines.join("\n")
                }
                SimCommand::Help => HELP.to_owned(),
            })
        })();
        match result {
            Ok(answer) => answer,
            Err(e) => format!("error: {e}"),
        }
    }

    /// Parses and runs one line.
    pub fn handle_line(&self, line: &str) -> String {
        match parse(line) {
            Ok(command) => self.execute(command),
            Err(e) => format!("error: {e}"),
        }
    }
}

/// Listens on a Unix socket for control lines; stops (and removes the
/// socket) when dropped.
pub struct ControlServer {
    path: PathBuf,
}

impl ControlServer {
    pub fn start(path: &Path, controls: Controls) -> std::io::Result<ControlServer> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        // A socket left by a terminal that was killed would block the bind.
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path)?;
        std::thread::Builder::new()
            .name("sim-control".into())
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    let controls = controls.clone();
                    let _ = std::thread::Builder::new()
                        .name("sim-control-client".into())
                        .spawn(move || serve(stream, &controls));
                }
            })?;
        Ok(ControlServer {
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ControlServer {
    fn drop(&mut self) {
        // The listening thread ends with the process; the socket file must
        // not outlive it or a later `kiosk sim <command>` would hang on it.
        let _ = std::fs::remove_file(&self.path);
    }
}

fn serve(stream: UnixStream, controls: &Controls) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    for line in BufReader::new(stream).lines() {
        let Ok(line) = line else { return };
        let answer = controls.handle_line(&line);
        if writeln!(writer, "{answer}\n.").is_err() {
            return;
        }
    }
}

/// Sends one command to a running simulator and returns its answer.
pub fn send(path: &Path, line: &str) -> std::io::Result<String> {
    let mut stream = UnixStream::connect(path)?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    writeln!(stream, "{line}")?;
    let mut answer = String::new();
    for l in BufReader::new(stream).lines() {
        let l = l?;
        if l == "." {
            break;
        }
        answer.push_str(&l);
        answer.push('\n');
    }
    Ok(answer.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_into_what_they_say() {
        assert_eq!(
            parse("card place resident"),
            Ok(SimCommand::PlaceCard("resident".into()))
        );
        assert_eq!(
            parse("reader slow 300"),
            Ok(SimCommand::ReaderSlow(Duration::from_millis(300)))
        );
        assert_eq!(
            parse("reader fail read 41"),
            Ok(SimCommand::ReaderFail(ReaderCommand::ReadText, 0x41))
        );
        assert_eq!(
            parse("printer paper out"),
            Ok(SimCommand::PrinterPaper(PaperState::Out))
        );
        assert_eq!(
            parse("printer cover closed"),
            Ok(SimCommand::PrinterCover(false))
        );
        assert_eq!(parse("  "), Ok(SimCommand::Help));
    }

    #[test]
    fn mistakes_are_explained_not_guessed() {
        assert!(parse("card place nobody").unwrap_err().contains("resident"));
        assert!(
            parse("reader slow soon")
                .unwrap_err()
                .contains("whole number")
        );
        assert!(parse("reader fail read zz").unwrap_err().contains("hex"));
        assert!(
            parse("printer paper wet")
                .unwrap_err()
                .contains("ok, low or out")
        );
        assert!(parse("make coffee").unwrap_err().contains("help"));
    }

    #[test]
    fn a_command_for_a_device_that_is_not_simulated_says_so() {
        let controls = Controls::default();
        assert_eq!(
            controls.handle_line("card remove"),
            "error: no simulated reader is running"
        );
        assert_eq!(
            controls.handle_line("printer unplug"),
            "error: no simulated printer is running"
        );
    }
}
