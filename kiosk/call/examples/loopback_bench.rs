//! Runs a loopback call (kiosk offerer <-> answerer instance, both sending
//! 640x480 30 fps VP8 + Opus and decoding the other's) for N seconds
//! (default 10) and prints the process CPU time, i.e. the cost of two
//! encoders, two decoders and two peers on this machine.
//!
//! `cargo run --release -p kiosk-call --example loopback_bench -- [seconds]`

use std::sync::Arc;
use std::time::{Duration, Instant};

use kiosk_call::{Call, CallConfig, CallEvent, MediaSources, block_on};

/// User + system CPU time of this process, from /proc/self/stat (clock ticks).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    // utime = field 14, stime = 15 (1-based); `rest` starts at field 3.
    let total = ticks(11) + ticks(12);
    Duration::from_secs_f64(total as f64 / 100.0)
}

/// CPU time per thread name (summed over both calls), from /proc/self/task.
fn cpu_by_thread() -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    if let Ok(dir) = std::fs::read_dir("/proc/self/task") {
        for task in dir.flatten() {
            let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
                continue;
            };
            let Some((head, rest)) = stat.rsplit_once(')') else {
                continue;
            };
            let name = head
                .split_once('(')
                .map(|(_, n)| n)
                .unwrap_or("?")
                .to_owned();
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
            *out.entry(name).or_insert(0.0) += (ticks(11) + ticks(12)) as f64 / 100.0;
        }
    }
    out
}

fn relay(from: &Arc<Call>, to: &Arc<Call>) -> flume::Receiver<CallEvent> {
    let (tx, rx) = flume::unbounded();
    let events = from.events();
    let to = Arc::downgrade(to);
    std::thread::spawn(move || {
        while let Ok(ev) = events.recv() {
            match ev {
                CallEvent::LocalCandidate(c) => {
                    let Some(to) = to.upgrade() else { break };
                    let _ = block_on(to.add_remote_candidate(c));
                }
                CallEvent::Closed => break,
                other => {
                    let _ = tx.send(other);
                }
            }
        }
    });
    rx
}

fn main() {
    let secs: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    let kiosk = Arc::new(Call::start(CallConfig::loopback(), MediaSources::default()).unwrap());
    let lawyer = Arc::new(Call::start(CallConfig::loopback(), MediaSources::default()).unwrap());
    let kiosk_events = relay(&kiosk, &lawyer);
    let _lawyer_events = relay(&lawyer, &kiosk);

    // Drain decoded media like a UI would, so RGBA conversion is counted too.
    for call in [&kiosk, &lawyer] {
        let (video, audio) = (call.video_frames(), call.audio());
        std::thread::spawn(move || while video.recv().is_ok() {});
        std::thread::spawn(move || while audio.recv().is_ok() {});
    }
    let cpu0 = cpu_time();
    let t0 = Instant::now();
    let offer = block_on(kiosk.create_offer()).unwrap();
    let answer = block_on(lawyer.accept_offer(offer)).unwrap();
    block_on(kiosk.apply_answer(answer)).unwrap();
    loop {
        match kiosk_events.recv_timeout(Duration::from_secs(30)) {
            Ok(CallEvent::Connected) => break,
            Ok(_) => {}
            Err(e) => panic!("not connected: {e}"),
        }
    }
    println!("connected after {:?}", t0.elapsed());
    std::thread::sleep(Duration::from_secs(secs));
    let wall = t0.elapsed();
    let cpu = cpu_time() - cpu0;
    let (k, l) = (kiosk.stats(), lawyer.stats());
    let per_thread = cpu_by_thread();
    kiosk.hang_up();
    lawyer.hang_up();
    println!(
        "kiosk:  sent {} frames ({} keyframes, {} kB video), decoded {} frames, {} audible samples, rtt {:?}, quality {:?}",
        k.frames_sent,
        k.keyframes_sent,
        k.video_bytes_sent / 1000,
        k.frames_decoded,
        k.audio_samples_decoded,
        k.rtt,
        k.quality
    );
    println!(
        "lawyer: sent {} frames, decoded {} frames, {} audible samples, lost {} packets",
        l.frames_sent, l.frames_decoded, l.audio_samples_decoded, l.packets_lost
    );
    for (name, secs) in &per_thread {
        if *secs > 0.0 {
            println!("  thread {name:<16} {secs:.2} s CPU");
        }
    }
    println!(
        "CPU {:.2} s over {:.2} s wall = {:.0}% of one core for BOTH peers \
         (2x encode + 2x decode, 640x480 30 fps VP8 + Opus); ~{:.0}% per peer",
        cpu.as_secs_f64(),
        wall.as_secs_f64(),
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64(),
        50.0 * cpu.as_secs_f64() / wall.as_secs_f64()
    );
}
