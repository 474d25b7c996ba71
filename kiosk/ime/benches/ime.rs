//! Latency of the input engine: dictionary load time, its heap size, and the
//! time one key tap takes (p50/p99/max) over sequences residents type.
//!
//! Run with `cargo bench -p kiosk-ime --bench ime` (release build). A plain
//! binary rather than a statistics framework: what matters on the kiosk is
//! the tail latency of a tap, which a sorted list of samples shows directly.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kiosk_ime::{Dictionary, Engine, Key, Mode};

/// Counts live heap bytes so the dictionary's footprint can be reported.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let live = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(live, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let live = LIVE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(live, Ordering::Relaxed);
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Tap sequences: pinyin typed letter by letter, then what a resident does
/// with the candidates.
const SEQUENCES: &[&str] = &[
    "lihun ",
    "hunyin ",
    "hunyinfa ",
    "lihunxieyi ",
    "hy ",
    "huny ",
    "qianxin ",
    "taoxin ",
    "laodonghetong ",
    "zhaijidi ",
    "tudichengbao ",
    "jiaotongshigu ",
    "falvyuanzhu ",
    "woxiangzixunlihundewenti ",
    "wodelaobanqianwogongzibufa ",
    "nihao#0 ",
    "zhrmghg ",
    "xian]]][[[ ",
    "h]]]]]]]]]]",
    "lihunxieyi<<<<<<<<<<",
    // Worst cases: the longest compositions of abbreviations, of
    // ambiguous syllables and of a one-letter syllable.
    "shshshshshshshshshshshshshshshsh<<<<<<<<",
    "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh",
    "xianxianxianxianxianxianxianxian",
    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
];

fn main() {
    // Dictionary load: several fresh builds, as start-up would do once.
    let mut loads = Vec::new();
    for _ in 0..5 {
        let before = LIVE.load(Ordering::Relaxed);
        PEAK.store(before, Ordering::Relaxed);
        let started = Instant::now();
        let dict = Dictionary::load_embedded().expect("embedded dictionary loads");
        let took = started.elapsed();
        let retained = LIVE.load(Ordering::Relaxed) - before;
        let peak = PEAK.load(Ordering::Relaxed) - before;
        loads.push((took, retained, peak, dict.len()));
        drop(black_box(dict));
    }
    loads.sort_by_key(|l| l.0);
    let (median, retained, peak, entries) = loads[loads.len() / 2];
    println!(
        "dictionary load: median {:.1} ms (min {:.1}, max {:.1}) over {} runs; {} entries",
        ms(median),
        ms(loads[0].0),
        ms(loads[loads.len() - 1].0),
        loads.len(),
        entries
    );
    println!(
        "dictionary heap: {:.1} MiB retained, {:.1} MiB peak while loading",
        mib(retained),
        mib(peak)
    );

    let dict = Dictionary::embedded();
    let mut all = Vec::new();
    println!("\nper key tap (pinyin mode), over 200 repetitions of each sequence:");
    println!(
        "{:<44} {:>9} {:>9} {:>9}",
        "sequence", "p50 µs", "p99 µs", "max µs"
    );
    for seq in SEQUENCES {
        let samples = run(&dict, seq, 200);
        println!(
            "{:<44} {:>9.1} {:>9.1} {:>9.1}",
            seq,
            us(percentile(&samples, 0.50)),
            us(percentile(&samples, 0.99)),
            us(percentile(&samples, 1.0))
        );
        all.extend(samples);
    }
    all.sort();
    println!(
        "{:<44} {:>9.1} {:>9.1} {:>9.1}",
        "all taps",
        us(percentile(&all, 0.50)),
        us(percentile(&all, 0.99)),
        us(percentile(&all, 1.0))
    );

    let mut latin = Engine::new(dict.clone());
    latin.set_mode(Mode::Latin);
    let mut samples = Vec::new();
    for _ in 0..2000 {
        for c in "Zhang San".chars() {
            let started = Instant::now();
            black_box(latin.press(Key::Letter(c)));
            samples.push(started.elapsed());
        }
    }
    samples.sort();
    println!(
        "\nlatin mode key: p50 {:.2} µs, p99 {:.2} µs",
        us(percentile(&samples, 0.5)),
        us(percentile(&samples, 0.99))
    );
}

/// Taps `seq` `reps` times on a fresh engine each time. Letters are letter
/// keys, ` ` is space, `<` backspace, `#n` picks candidate n, `]`/`[` page
/// forward/back.
fn run(dict: &Arc<Dictionary>, seq: &str, reps: usize) -> Vec<Duration> {
    let keys = parse(seq);
    let mut samples = Vec::with_capacity(keys.len() * reps);
    for _ in 0..reps {
        let mut engine = Engine::new(dict.clone());
        for &key in &keys {
            let started = Instant::now();
            black_box(engine.press(key));
            black_box(engine.candidates());
            samples.push(started.elapsed());
        }
    }
    samples.sort();
    samples
}

fn parse(seq: &str) -> Vec<Key> {
    let mut keys = Vec::new();
    let mut chars = seq.chars().peekable();
    while let Some(c) = chars.next() {
        keys.push(match c {
            ' ' => Key::Space,
            '<' => Key::Backspace,
            ']' => Key::NextPage,
            '[' => Key::PrevPage,
            '#' => Key::Candidate(chars.next().and_then(|d| d.to_digit(10)).unwrap_or(0) as usize),
            c => Key::Letter(c),
        });
    }
    keys
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
