//! Helpers shared by the integration tests: a simulator with a private link
//! directory, the real driver opened on it, and waiting without fixed sleeps.

#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use kiosk_idcard::transport::{Reader, ReaderConfig};
use kiosk_idcard_sim::{SimOptions, SimReader, samples};

/// Generous bound for anything the tests wait for (a loaded 2-core CI
/// machine can stall threads for a long time).
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A fresh, empty directory for this test's links.
pub fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let dir = std::env::temp_dir().join(format!(
        "idcard-sim-test-{}-{}-{}",
        std::process::id(),
        tag,
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A simulator reached through a link in a private directory, which is
/// removed with it.
pub struct Sim {
    pub reader: SimReader,
    dir: PathBuf,
}

impl std::ops::Deref for Sim {
    type Target = SimReader;
    fn deref(&self) -> &SimReader {
        &self.reader
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A simulator at the default 115200 baud.
pub fn sim(tag: &str) -> Sim {
    sim_with(tag, 115_200)
}

pub fn sim_with(tag: &str, baud: u32) -> Sim {
    let dir = temp_dir(tag);
    let reader = SimReader::start(SimOptions {
        link: Some(dir.join("idcard")),
        baud,
    })
    .unwrap();
    Sim { reader, dir }
}

pub fn config(sim: &SimReader) -> ReaderConfig {
    ReaderConfig::new(sim.port_path().to_str().unwrap())
}

/// The real driver on the simulator.
pub fn open(sim: &SimReader) -> Reader {
    Reader::open(&config(sim)).unwrap()
}

pub fn card(key: &str) -> samples::SampleCard {
    samples::by_key(key).unwrap_or_else(|| panic!("no sample {key}"))
}

/// Polls `cond` every few milliseconds until it holds; fails after
/// [`PATIENCE`].
pub fn wait_until(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}
