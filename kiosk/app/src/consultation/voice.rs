//! The lawyer's voice through the terminal's loudspeaker.
//!
//! A thread takes the call's decoded audio (48 kHz mono, 20 ms chunks),
//! counts it, and feeds a small jitter buffer that a rodio source plays
//! from. The buffer is bounded (a late burst is trimmed to the newest
//! 200 ms, so the delay never builds up) and plays silence when it runs dry.
//! On a terminal without a sound card the audio is counted and dropped.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiosk_call::AudioChunk;

const RATE: u32 = 48_000;
/// Most audio kept waiting to be played: 200 ms.
const MAX_BUFFERED: usize = RATE as usize / 5;

/// Counters of the remote audio (tests read them).
#[derive(Default)]
pub struct VoiceCounters {
    /// Samples received from the call.
    pub samples: AtomicU64,
}

/// Plays `audio` until the call drops its sender. Blocks: run on its own thread.
pub fn play(audio: flume::Receiver<AudioChunk>, counters: Arc<VoiceCounters>, volume: f32) {
    let buffer = Arc::new(Mutex::new(VecDeque::<f32>::with_capacity(MAX_BUFFERED)));
    // The stream must live as long as the call: dropping it stops the sound.
    let _stream = crate::audio::sound_card_present()
        .then(|| open_output(buffer.clone(), volume))
        .flatten();
    let playing = _stream.is_some();
    for chunk in audio.iter() {
        counters
            .samples
            .fetch_add(chunk.samples.len() as u64, Ordering::Relaxed);
        if !playing || chunk.sample_rate != RATE || chunk.channels != 1 {
            continue;
        }
        let mut b = buffer.lock().unwrap_or_else(|p| p.into_inner());
        b.extend(chunk.samples.iter().map(|&s| s as f32 / i16::MAX as f32));
        let excess = b.len().saturating_sub(MAX_BUFFERED);
        b.drain(..excess);
    }
}

fn open_output(buffer: Arc<Mutex<VecDeque<f32>>>, volume: f32) -> Option<rodio::OutputStream> {
    match rodio::OutputStreamBuilder::open_default_stream() {
        Ok(mut stream) => {
            stream.log_on_drop(false);
            stream.mixer().add(JitterBuffer { buffer, volume });
            Some(stream)
        }
        Err(e) => {
            log::warn!("call audio: cannot open the sound device ({e}); the lawyer is not heard");
            None
        }
    }
}

/// A never-ending rodio source that plays what the call delivered.
struct JitterBuffer {
    buffer: Arc<Mutex<VecDeque<f32>>>,
    volume: f32,
}

impl Iterator for JitterBuffer {
    type Item = f32;

    fn next(&mut self) -> Option<f32> {
        let sample = self
            .buffer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
            .unwrap_or(0.0);
        Some(sample * self.volume)
    }
}

impl rodio::Source for JitterBuffer {
    fn current_span_len(&self) -> Option<usize> {
        None
    }

    fn channels(&self) -> rodio::ChannelCount {
        1
    }

    fn sample_rate(&self) -> rodio::SampleRate {
        RATE
    }

    fn total_duration(&self) -> Option<Duration> {
        None
    }
}
