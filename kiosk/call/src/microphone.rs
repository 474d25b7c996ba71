//! A microphone as an [`AudioSource`], through cpal (ALSA on Linux).
//!
//! The device is opened in whatever sample format, rate and channel count it
//! offers (its default input configuration first). cpal's callback mixes
//! each buffer to mono `f32` and hands it over through a bounded channel with
//! `try_send`, so the callback never blocks (when the channel is full the
//! buffer is dropped and counted). [`Microphone::next_frame`] resamples to
//! 48 kHz with a [`LinearResampler`] and blocks until 20 ms are there, or
//! fails after a timeout.
//!
//! A machine without a sound card (CI, most servers) is detected from
//! `/proc/asound/cards` *before* ALSA is touched: probing ALSA there prints
//! configuration noise on stderr and may hang. cpal's stream is not `Send`,
//! so it lives on its own thread (`kiosk-mic`) for as long as the
//! [`Microphone`].

use crate::source::{AUDIO_SAMPLE_RATE, AudioSource, SourceError};
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Buffers the callback may queue before it starts dropping (ALSA delivers
/// one every 5-40 ms, so this is well over a second).
const CHANNEL_BUFFERS: usize = 64;
/// Above this backlog (in 48 kHz samples, 120 ms) the oldest audio is
/// dropped down to [`BACKLOG_KEEP`], so latency cannot build up.
const BACKLOG_MAX: usize = 48 * 120;
/// What is kept of a backlog that grew too large (40 ms).
const BACKLOG_KEEP: usize = 48 * 40;
/// How long opening the device may take before it counts as hung.
const OPEN_TIMEOUT: Duration = Duration::from_secs(5);

/// Which microphone and how patient to be with it.
#[derive(Clone, Debug)]
pub struct MicrophoneSettings {
    /// Input device name as cpal/ALSA lists it; `None` = the default input.
    pub device: Option<String>,
    /// No sound for this long is an error.
    pub frame_timeout: Duration,
}

impl Default for MicrophoneSettings {
    fn default() -> Self {
        Self {
            device: None,
            frame_timeout: Duration::from_secs(1),
        }
    }
}

/// Whether the kernel knows any sound card. Asking ALSA itself on a machine
/// without one fills stderr with configuration errors (and may hang), so
/// look first. Same rule as the terminal's sound effects.
pub fn sound_card_present() -> bool {
    match std::fs::read_to_string("/proc/asound/cards") {
        Ok(cards) => !cards.contains("no soundcards"),
        // No /proc/asound at all: no ALSA driver loaded, hence no card.
        Err(_) => !std::path::Path::new("/proc").exists(),
    }
}

/// The consumer side: mono chunks at the device rate in, 48 kHz frames out.
struct Feed {
    chunks: flume::Receiver<Vec<f32>>,
    errors: flume::Receiver<String>,
    resampler: LinearResampler,
    pending: VecDeque<i16>,
    scratch: Vec<f32>,
    timeout: Duration,
    dropped: Arc<AtomicU64>,
}

impl Feed {
    fn new(
        device_rate: u32,
        chunks: flume::Receiver<Vec<f32>>,
        errors: flume::Receiver<String>,
        timeout: Duration,
        dropped: Arc<AtomicU64>,
    ) -> Self {
        Self {
            chunks,
            errors,
            resampler: LinearResampler::new(device_rate, AUDIO_SAMPLE_RATE),
            pending: VecDeque::with_capacity(BACKLOG_MAX * 2),
            scratch: Vec::new(),
            timeout,
            dropped,
        }
    }

    fn push(&mut self, chunk: &[f32]) {
        self.scratch.clear();
        self.resampler.process(chunk, &mut self.scratch);
        self.pending.extend(
            self.scratch
                .iter()
                .map(|&s| (s.clamp(-1.0, 1.0) * 32767.0) as i16),
        );
    }

    fn next_frame(&mut self, out: &mut [i16]) -> Result<(), SourceError> {
        if let Ok(e) = self.errors.try_recv() {
            return Err(SourceError(format!(
                "the microphone stopped working or was unplugged ({e})"
            )));
        }
        // Take everything already there, then cut a stale backlog (e.g. the
        // audio captured while the call was still being set up).
        while let Ok(chunk) = self.chunks.try_recv() {
            self.push(&chunk);
        }
        if self.pending.len() > BACKLOG_MAX {
            let cut = self.pending.len() - BACKLOG_KEEP;
            self.pending.drain(..cut);
            self.dropped.fetch_add(cut as u64, Ordering::Relaxed);
        }
        let deadline = Instant::now() + self.timeout;
        while self.pending.len() < out.len() {
            match self.chunks.recv_deadline(deadline) {
                Ok(chunk) => self.push(&chunk),
                Err(flume::RecvTimeoutError::Timeout) => {
                    if let Ok(e) = self.errors.try_recv() {
                        return Err(SourceError(format!(
                            "the microphone stopped working or was unplugged ({e})"
                        )));
                    }
                    return Err(SourceError(format!(
                        "the microphone delivered no sound for {:.1} s",
                        self.timeout.as_secs_f32()
                    )));
                }
                Err(flume::RecvTimeoutError::Disconnected) => {
                    return Err(SourceError("the microphone stream has ended".to_string()));
                }
            }
        }
        let n = out.len();
        for (o, s) in out.iter_mut().zip(self.pending.drain(..n)) {
            *o = s;
        }
        Ok(())
    }
}

/// A microphone delivering 48 kHz mono; `device_paced`.
pub struct Microphone {
    name: String,
    device_rate: u32,
    device_channels: u16,
    feed: Feed,
    /// Dropping it tells the stream thread to stop.
    stop: Option<flume::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Microphone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Microphone")
            .field("name", &self.name)
            .field("device_rate", &self.device_rate)
            .field("device_channels", &self.device_channels)
            .finish()
    }
}

/// What the stream thread reports once the stream runs.
struct Opened {
    name: String,
    rate: u32,
    channels: u16,
}

impl Microphone {
    /// Opens the default (or named) input device and starts capturing.
    /// Without a sound card this fails at once, without calling ALSA.
    pub fn open(settings: &MicrophoneSettings) -> Result<Microphone, SourceError> {
        if !sound_card_present() {
            return Err(SourceError(
                "no microphone: this machine has no sound card".to_string(),
            ));
        }
        let (chunk_tx, chunk_rx) = flume::bounded::<Vec<f32>>(CHANNEL_BUFFERS);
        let (err_tx, err_rx) = flume::bounded::<String>(4);
        let (ready_tx, ready_rx) = flume::bounded::<Result<Opened, SourceError>>(1);
        let (stop_tx, stop_rx) = flume::bounded::<()>(1);
        let dropped = Arc::new(AtomicU64::new(0));
        let wanted = settings.device.clone();
        let cb_dropped = dropped.clone();
        let thread = std::thread::Builder::new()
            .name("kiosk-mic".to_string())
            .spawn(move || {
                match start_stream(wanted.as_deref(), chunk_tx, err_tx, cb_dropped) {
                    Ok((stream, opened)) => {
                        let _ = ready_tx.send(Ok(opened));
                        // Runs until the Microphone is dropped.
                        let _ = stop_rx.recv();
                        drop(stream);
                    }
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                    }
                }
            })
            .map_err(|e| SourceError(format!("cannot start the microphone thread: {e}")))?;
        match ready_rx.recv_timeout(OPEN_TIMEOUT) {
            Ok(Ok(opened)) => {
                log::info!(
                    "microphone \"{}\": {} Hz, {} channel(s), resampled to {} Hz mono",
                    opened.name,
                    opened.rate,
                    opened.channels,
                    AUDIO_SAMPLE_RATE
                );
                Ok(Microphone {
                    feed: Feed::new(
                        opened.rate,
                        chunk_rx,
                        err_rx,
                        settings.frame_timeout,
                        dropped,
                    ),
                    name: opened.name,
                    device_rate: opened.rate,
                    device_channels: opened.channels,
                    stop: Some(stop_tx),
                    thread: Some(thread),
                })
            }
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                // The sound system hangs; leave the thread behind (it stops
                // by itself if it ever gets a stream, since `stop_tx` is gone).
                drop(stop_tx);
                Err(SourceError(format!(
                    "no microphone: the sound system did not answer within {} s",
                    OPEN_TIMEOUT.as_secs()
                )))
            }
        }
    }

    /// The device's name as the sound system reports it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The device's own sample rate and channel count.
    pub fn device_format(&self) -> (u32, u16) {
        (self.device_rate, self.device_channels)
    }

    /// 48 kHz samples dropped so far (callback behind, or stale backlog cut).
    pub fn dropped_samples(&self) -> u64 {
        self.feed.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Microphone {
    fn drop(&mut self) {
        self.stop.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl AudioSource for Microphone {
    fn device_paced(&self) -> bool {
        true
    }

    fn next_frame(&mut self, out: &mut [i16]) -> Result<(), SourceError> {
        self.feed.next_frame(out)
    }
}

/// Finds the device, picks a configuration and starts the input stream
/// (on the `kiosk-mic` thread).
fn start_stream(
    wanted: Option<&str>,
    chunks: flume::Sender<Vec<f32>>,
    errors: flume::Sender<String>,
    dropped: Arc<AtomicU64>,
) -> Result<(cpal::Stream, Opened), SourceError> {
    use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};

    let host = cpal::default_host();
    let device = match wanted {
        None => host.default_input_device().ok_or_else(|| {
            SourceError("no microphone: the sound system has no input device".to_string())
        })?,
        Some(name) => host
            .input_devices()
            .map_err(|e| SourceError(format!("no microphone: cannot list input devices ({e})")))?
            .find(|d| d.name().map(|n| n == name).unwrap_or(false))
            .ok_or_else(|| SourceError(format!("no microphone named \"{name}\"")))?,
    };
    let name = device
        .name()
        .unwrap_or_else(|_| "default input".to_string());

    // The device's default configuration, else the first it lists.
    let config = match device.default_input_config() {
        Ok(c) => c,
        Err(default_err) => device
            .supported_input_configs()
            .ok()
            .and_then(|mut it| it.next())
            .map(|range| range.with_max_sample_rate())
            .ok_or_else(|| {
                SourceError(format!(
                    "microphone \"{name}\" offers no usable configuration ({default_err})"
                ))
            })?,
    };
    let format = config.sample_format();
    let stream_config = config.config();
    let channels = stream_config.channels.max(1);
    let rate = stream_config.sample_rate.0;
    if rate == 0 {
        return Err(SourceError(format!(
            "microphone \"{name}\" reports a sample rate of 0 Hz"
        )));
    }

    let cb_channels = channels as usize;
    let data_cb = move |data: &cpal::Data, _: &cpal::InputCallbackInfo| {
        let mut mono = Vec::with_capacity(data.len() / cb_channels + 1);
        if !mix_data_to_mono(data, cb_channels, &mut mono) || mono.is_empty() {
            return;
        }
        let n = mono.len() as u64;
        if chunks.try_send(mono).is_err() {
            dropped.fetch_add(n, Ordering::Relaxed);
        }
    };
    let err_cb = move |e: cpal::StreamError| {
        log::warn!("microphone: {e}");
        let _ = errors.try_send(e.to_string());
    };
    let stream = device
        .build_input_stream_raw(&stream_config, format, data_cb, err_cb, None)
        .map_err(|e| SourceError(format!("cannot open microphone \"{name}\": {e}")))?;
    stream
        .play()
        .map_err(|e| SourceError(format!("cannot start microphone \"{name}\": {e}")))?;
    Ok((
        stream,
        Opened {
            name,
            rate,
            channels,
        },
    ))
}

/// Mixes interleaved samples of any cpal format to mono `f32`; false for a
/// format this code does not know.
fn mix_data_to_mono(data: &cpal::Data, channels: usize, out: &mut Vec<f32>) -> bool {
    use cpal::SampleFormat as F;
    macro_rules! mix {
        ($t:ty) => {
            match data.as_slice::<$t>() {
                Some(s) => {
                    mix_to_mono(s, channels, out);
                    true
                }
                None => false,
            }
        };
    }
    match data.sample_format() {
        F::I8 => mix!(i8),
        F::I16 => mix!(i16),
        F::I24 => mix!(cpal::I24),
        F::I32 => mix!(i32),
        F::I64 => mix!(i64),
        F::U8 => mix!(u8),
        F::U16 => mix!(u16),
        F::U32 => mix!(u32),
        F::U64 => mix!(u64),
        F::F32 => mix!(f32),
        F::F64 => mix!(f64),
        _ => false,
    }
}

/// Averages each frame of `channels` interleaved samples into one `f32`
/// in -1.0..=1.0. A trailing partial frame is ignored.
pub fn mix_to_mono<T>(samples: &[T], channels: usize, out: &mut Vec<f32>)
where
    T: cpal::Sample,
    f32: cpal::FromSample<T>,
{
    let channels = channels.max(1);
    let scale = 1.0 / channels as f32;
    out.extend(samples.chunks_exact(channels).map(|frame| {
        frame
            .iter()
            .map(|&s| <f32 as cpal::FromSample<T>>::from_sample_(s))
            .sum::<f32>()
            * scale
    }));
}

/// Streaming linear-interpolation resampler (mono `f32`). Good enough for
/// speech into Opus; keeps its position across chunks in exact integer
/// arithmetic, so splitting the input anywhere gives the same output.
#[derive(Clone, Debug)]
pub struct LinearResampler {
    /// Input advance per output sample is `from / to` input samples.
    from: i64,
    to: i64,
    /// Position of the next output sample, in units of `1 / to` input
    /// samples, relative to the start of the next chunk; -to..0 lies between
    /// `last` and the chunk's first sample.
    pos: i64,
    /// Last input sample of the previous chunk.
    last: f32,
}

impl LinearResampler {
    pub fn new(from_rate: u32, to_rate: u32) -> Self {
        let (from, to) = (from_rate.max(1) as i64, to_rate.max(1) as i64);
        let g = gcd(from, to);
        Self {
            from: from / g,
            to: to / g,
            pos: 0,
            last: 0.0,
        }
    }

    /// Appends the output for `input` to `out`.
    pub fn process(&mut self, input: &[f32], out: &mut Vec<f32>) {
        if input.is_empty() {
            return;
        }
        let len = input.len() as i64;
        let at = |i: i64| if i < 0 { self.last } else { input[i as usize] };
        loop {
            let i = self.pos.div_euclid(self.to);
            if i + 1 >= len {
                break;
            }
            let frac = self.pos.rem_euclid(self.to) as f32 / self.to as f32;
            let (a, b) = (at(i), at(i + 1));
            out.push(a + (b - a) * frac);
            self.pos += self.from;
        }
        self.pos -= len * self.to;
        self.last = input[input.len() - 1];
    }
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 { a.max(1) } else { gcd(b, a % b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sine(rate: u32, freq: f32, n: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (std::f32::consts::TAU * freq * i as f32 / rate as f32).sin() * 0.5)
            .collect()
    }

    /// Upward zero crossings per second of a 48 kHz signal.
    fn frequency(samples: &[f32]) -> f32 {
        let ups = samples
            .windows(2)
            .filter(|w| w[0] < 0.0 && w[1] >= 0.0)
            .count();
        ups as f32 * AUDIO_SAMPLE_RATE as f32 / samples.len() as f32
    }

    #[test]
    fn same_rate_passes_samples_through() {
        let mut r = LinearResampler::new(48_000, 48_000);
        let input: Vec<f32> = (0..10).map(|i| i as f32).collect();
        let mut out = Vec::new();
        r.process(&input[..4], &mut out);
        r.process(&input[4..], &mut out);
        // One sample stays behind until the next chunk arrives.
        assert_eq!(out, (0..9).map(|i| i as f32).collect::<Vec<_>>());
    }

    #[test]
    fn upsampling_44100_keeps_count_and_pitch() {
        let input = sine(44_100, 440.0, 44_100);
        let mut r = LinearResampler::new(44_100, 48_000);
        let mut out = Vec::new();
        for chunk in input.chunks(441) {
            r.process(chunk, &mut out);
        }
        assert!(
            (out.len() as i64 - 48_000).abs() <= 2,
            "{} samples",
            out.len()
        );
        let f = frequency(&out);
        assert!((f - 440.0).abs() < 2.0, "{f} Hz");
    }

    #[test]
    fn downsampling_halves_the_count_and_keeps_pitch() {
        let input = sine(96_000, 1000.0, 96_000);
        let mut r = LinearResampler::new(96_000, 48_000);
        let mut out = Vec::new();
        r.process(&input, &mut out);
        assert!(
            (out.len() as i64 - 48_000).abs() <= 1,
            "{} samples",
            out.len()
        );
        assert!((frequency(&out) - 1000.0).abs() < 2.0);
    }

    #[test]
    fn chunking_does_not_change_the_output() {
        let input = sine(16_000, 300.0, 1000);
        let mut whole = Vec::new();
        LinearResampler::new(16_000, 48_000).process(&input, &mut whole);
        let mut pieces = Vec::new();
        let mut r = LinearResampler::new(16_000, 48_000);
        for chunk in input.chunks(7) {
            r.process(chunk, &mut pieces);
        }
        assert_eq!(whole.len(), pieces.len());
        for (a, b) in whole.iter().zip(&pieces) {
            assert!((a - b).abs() < 1e-5);
        }
        // Interpolated values lie between their neighbours: 3 outputs per input.
        assert_eq!(whole[0], input[0]);
        assert_eq!(whole[3], input[1]);
        assert!((whole[1] - (input[0] + (input[1] - input[0]) / 3.0)).abs() < 1e-6);
    }

    #[test]
    fn mixing_averages_channels_of_any_format() {
        let mut out = Vec::new();
        mix_to_mono(&[16384i16, -16384, 8192, 8192], 2, &mut out);
        assert_eq!(out, vec![0.0, 0.25]);
        out.clear();
        mix_to_mono(&[128u8, 255], 1, &mut out);
        assert_eq!(out[0], 0.0);
        assert!(out[1] > 0.99);
        out.clear();
        mix_to_mono(&[0.5f32, 0.1, 0.3, 1.0, 1.0], 3, &mut out);
        assert_eq!(out.len(), 1, "the partial frame is ignored");
        assert!((out[0] - 0.3).abs() < 1e-6);
    }

    fn feed(rate: u32, timeout_ms: u64) -> (Feed, flume::Sender<Vec<f32>>, flume::Sender<String>) {
        let (tx, rx) = flume::bounded(CHANNEL_BUFFERS);
        let (etx, erx) = flume::bounded(4);
        let f = Feed::new(
            rate,
            rx,
            erx,
            Duration::from_millis(timeout_ms),
            Arc::new(AtomicU64::new(0)),
        );
        (f, tx, etx)
    }

    #[test]
    fn feed_waits_for_a_full_frame_across_callbacks() {
        let (mut f, tx, _etx) = feed(48_000, 1000);
        let sender = std::thread::spawn(move || {
            for _ in 0..5 {
                std::thread::sleep(Duration::from_millis(5));
                tx.send(vec![0.5; 300]).unwrap();
            }
            tx
        });
        let mut out = [0i16; crate::AUDIO_FRAME_SAMPLES];
        f.next_frame(&mut out).unwrap();
        assert!(out.iter().all(|&s| s == 16383), "{:?}", &out[..4]);
        let _tx = sender.join().unwrap();
        // Four callbacks (1200 samples) were needed; one sample is held back
        // by the resampler, 960 went out.
        assert_eq!(f.pending.len(), 1200 - 1 - 960);
    }

    #[test]
    fn feed_times_out_with_a_clear_error() {
        let (mut f, _tx, _etx) = feed(48_000, 50);
        let mut out = [0i16; crate::AUDIO_FRAME_SAMPLES];
        let t = Instant::now();
        let err = f.next_frame(&mut out).unwrap_err();
        assert!(t.elapsed() < Duration::from_millis(500));
        assert!(err.0.contains("no sound"), "{err}");
    }

    #[test]
    fn feed_reports_an_unplugged_device_and_an_ended_stream() {
        let (mut f, tx, etx) = feed(48_000, 1000);
        etx.send("device gone".into()).unwrap();
        let mut out = [0i16; crate::AUDIO_FRAME_SAMPLES];
        let err = f.next_frame(&mut out).unwrap_err();
        assert!(
            err.0.contains("unplugged") && err.0.contains("device gone"),
            "{err}"
        );
        drop(tx);
        let err = f.next_frame(&mut out).unwrap_err();
        assert!(err.0.contains("ended"), "{err}");
    }

    #[test]
    fn feed_cuts_a_stale_backlog() {
        let (mut f, tx, _etx) = feed(48_000, 1000);
        // One second queued while nobody read (the call was being set up).
        for _ in 0..50 {
            tx.send(vec![0.1; 960]).unwrap();
        }
        let mut out = [0i16; crate::AUDIO_FRAME_SAMPLES];
        f.next_frame(&mut out).unwrap();
        assert!(f.pending.len() <= BACKLOG_KEEP);
        assert!(f.dropped.load(Ordering::Relaxed) > 40_000);
    }

    #[test]
    fn without_a_sound_card_open_fails_without_touching_alsa() {
        if sound_card_present() {
            return; // a developer's machine with a card: nothing to check here
        }
        let t = Instant::now();
        let err = Microphone::open(&MicrophoneSettings::default()).unwrap_err();
        assert!(err.0.contains("no sound card"), "{err}");
        assert!(t.elapsed() < Duration::from_secs(1));
    }
}
