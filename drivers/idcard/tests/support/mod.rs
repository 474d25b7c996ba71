//! A minimal reader played inline on a pseudo-terminal, for transport and
//! poller tests. (The full simulator with sample cards and fault scripts is
//! the `kiosk-idcard-sim` crate; these tests do not depend on it.)
//!
//! The driver opens a symlink that points at the pty's slave, so "unplug" and
//! "plug back" can keep the path the driver knows while the pty changes, as a
//! USB reader keeps `/dev/ttyUSB0` or a udev symlink.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use chrono::NaiveDate;
use kiosk_idcard::card::{Card, CardKind, Expiry, Gender, IdNumber, encode_text_block};
use kiosk_idcard::codec::{Command, FrameDecoder, TextBlock, encode_reply, parse_request};
use serialport::{SerialPort, TTYPort};

/// What the fake reader does; tests change it while it runs.
pub struct FakeState {
    /// The card in the field: serial and text block.
    pub card: Option<([u8; 8], TextBlock)>,
    /// Answer nothing at all.
    pub mute: bool,
    /// Send this noise before every reply.
    pub noise: Vec<u8>,
    /// Write replies one byte at a time.
    pub trickle: bool,
    /// SW3 of the read reply (0x90 normally).
    pub read_sw3: u8,
    /// SW3 of SAM status.
    pub status_sw3: u8,
    /// Corrupt the checksum of the next `n` replies.
    pub corrupt_next: u32,
    /// Leave the next request of this kind unanswered.
    pub drop_once: Option<Command>,
    /// Every request received, decoded.
    pub requests: Vec<Command>,
    /// Raw request frames received.
    pub raw_requests: Vec<Vec<u8>>,
}

impl Default for FakeState {
    fn default() -> Self {
        FakeState {
            card: None,
            mute: false,
            noise: Vec::new(),
            trickle: false,
            read_sw3: 0x90,
            status_sw3: 0x90,
            corrupt_next: 0,
            drop_once: None,
            requests: Vec::new(),
            raw_requests: Vec::new(),
        }
    }
}

pub const SAM_ID: [u8; 16] = [
    5, 0, 1, 0, 0x92, 0xB8, 0x32, 0x01, 0x4E, 0x61, 0xBC, 0x00, 0xB1, 0x68, 0xDE, 0x3A,
];

pub struct FakeReader {
    pub state: Arc<Mutex<FakeState>>,
    /// The path the driver opens (a symlink to the current pty).
    pub path: PathBuf,
    dir: PathBuf,
    plugged: Option<Plugged>,
}

struct Plugged {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

static NEXT_DIR: AtomicU64 = AtomicU64::new(0);

impl FakeReader {
    /// A reader plugged in.
    pub fn new() -> FakeReader {
        let mut fake = FakeReader::unplugged();
        fake.plug();
        fake
    }

    /// A path where a reader will appear on [`plug`](Self::plug).
    pub fn unplugged() -> FakeReader {
        let dir = std::env::temp_dir().join(format!(
            "kiosk-idcard-test-{}-{}",
            std::process::id(),
            NEXT_DIR.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        FakeReader {
            state: Arc::new(Mutex::new(FakeState::default())),
            path: dir.join("reader"),
            dir,
            plugged: None,
        }
    }

    pub fn port(&self) -> String {
        self.path.to_string_lossy().into_owned()
    }

    pub fn state(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn count(&self, command: Command) -> usize {
        self.state()
            .requests
            .iter()
            .filter(|&&c| c == command)
            .count()
    }

    /// A new pty; the symlink points at it; a thread answers on its master.
    pub fn plug(&mut self) {
        assert!(self.plugged.is_none(), "already plugged");
        let (master, slave) = TTYPort::pair().expect("pty pair");
        let slave_name = slave.name().expect("slave name");
        // The slave stays openable while the master lives.
        drop(slave);
        let _ = std::fs::remove_file(&self.path);
        std::os::unix::fs::symlink(&slave_name, &self.path).expect("symlink");
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            let state = self.state.clone();
            thread::spawn(move || serve(master, state, stop))
        };
        self.plugged = Some(Plugged { stop, thread });
    }

    /// Closes the pty's master (the driver sees a hang-up) and removes the
    /// path.
    pub fn unplug(&mut self) {
        if let Some(p) = self.plugged.take() {
            p.stop.store(true, Ordering::SeqCst);
            let _ = p.thread.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

impl Drop for FakeReader {
    fn drop(&mut self) {
        self.unplug();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn serve(mut master: TTYPort, state: Arc<Mutex<FakeState>>, stop: Arc<AtomicBool>) {
    let _ = master.set_timeout(Duration::from_millis(20));
    let mut decoder = FrameDecoder::new();
    let mut buf = [0u8; 256];
    while !stop.load(Ordering::SeqCst) {
        match master.read(&mut buf) {
            Ok(n) if n > 0 => decoder.push(&buf[..n]),
            Ok(_) => {}
            // No slave open yet (EIO on a pty master), or a timeout.
            Err(_) => thread::sleep(Duration::from_millis(5)),
        }
        while let Some(Ok(frame)) = decoder.next_frame() {
            let Some(request) = parse_request(&frame) else {
                continue;
            };
            let (reply, noise, trickle) = {
                let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
                s.raw_requests
                    .push(kiosk_idcard::codec::encode_frame(&frame.body));
                let Some(command) = request.command() else {
                    continue;
                };
                s.requests.push(command);
                if s.mute {
                    continue;
                }
                if s.drop_once == Some(command) {
                    s.drop_once = None;
                    continue;
                }
                let mut reply = answer(&s, command);
                if s.corrupt_next > 0 {
                    s.corrupt_next -= 1;
                    if let Some(last) = reply.last_mut() {
                        *last ^= 0xFF;
                    }
                }
                (reply, s.noise.clone(), s.trickle)
            };
            let mut out = noise;
            out.extend_from_slice(&reply);
            if trickle {
                for b in out {
                    let _ = master.write_all(&[b]);
                }
            } else {
                let _ = master.write_all(&out);
            }
            let _ = master.flush();
        }
    }
}

fn answer(s: &FakeState, command: Command) -> Vec<u8> {
    match command {
        Command::ResetSam | Command::SetBaud(_) => encode_reply(0x90, &[]),
        Command::SamStatus => encode_reply(s.status_sw3, &[]),
        Command::SamId => encode_reply(0x90, &SAM_ID),
        Command::FindCard => match s.card {
            Some(_) => encode_reply(0x9F, &[0; 4]),
            None => encode_reply(0x80, &[]),
        },
        Command::SelectCard => match &s.card {
            Some((serial, _)) => encode_reply(0x90, serial),
            None => encode_reply(0x81, &[]),
        },
        Command::ReadText | Command::ReadTextWithFingerprint => match &s.card {
            Some((_, block)) if s.read_sw3 == 0x90 => {
                let mut data = vec![0x01, 0x00, 0x04, 0x00];
                if command == Command::ReadTextWithFingerprint {
                    data.extend_from_slice(&[0x00, 0x00]);
                }
                data.extend_from_slice(&block.0);
                data.extend((0..1024u32).map(|i| (i * 31 % 256) as u8));
                encode_reply(0x90, &data)
            }
            Some(_) => encode_reply(s.read_sw3, &[]),
            None => encode_reply(0x41, &[]),
        },
        Command::ReadExtraAddress => encode_reply(0x91, &[]),
    }
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("test date exists")
}

pub fn sample_card() -> Card {
    Card {
        kind: CardKind::Resident,
        name: "张三".into(),
        english_name: None,
        gender: Gender::Male,
        nation: Some("汉"),
        nationality: None,
        birth: date(1949, 12, 31),
        address: Some("北京市东城区测试胡同1号".into()),
        number: IdNumber::parse("11010519491231002X").expect("valid"),
        authority: "北京市公安局东城分局".into(),
        valid_from: date(2015, 3, 1),
        valid_to: Expiry::LongTerm,
        pass_number: None,
        issue_count: None,
    }
}

pub fn sample_block() -> TextBlock {
    encode_text_block(&sample_card())
}

/// A block whose number has a bad check character.
pub fn bad_block() -> TextBlock {
    let mut block = sample_block();
    // Last digit of the number (char 17 of the field at byte 122): 'X' -> '1'.
    block.0[122 + 34] = b'1';
    block
}

pub fn wait_for(path: &Path) {
    for _ in 0..100 {
        if path.exists() {
            return;
        }
        thread::sleep(Duration::from_millis(10));
    }
}
