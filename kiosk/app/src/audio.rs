//! Sounds: the spoken greeting when a session starts and a click per tap.
//!
//! Audio lives on its own thread because opening a device and decoding can
//! block, and the UI thread must never wait. A terminal without a sound
//! device keeps working silently: the thread notices once, logs it once,
//! reports [`AudioStatus::NoDevice`] for the header, and drops later sounds
//! without trying again on every tap.

use std::io::Cursor;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use kiosk_core::config::AudioConfig;
use rodio::Source;

/// The greeting, spoken by espeak-ng (see `assets/sounds/README.md`).
const SESSION_PROMPT_WAV: &[u8] = include_bytes!("../../../assets/sounds/session-prompt.wav");
const PLACE_CARD_WAV: &[u8] = include_bytes!("../../../assets/sounds/place-card.wav");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sound {
    SessionPrompt,
    /// The identification step asks for the ID card.
    PlaceCard,
    Tap,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudioStatus {
    /// The device has not been opened yet.
    Starting,
    Ready,
    NoDevice,
    /// Both sounds are switched off in the configuration.
    Disabled,
}

/// A cheap handle the UI keeps; sending never blocks.
#[derive(Clone)]
pub struct Audio {
    tx: Option<mpsc::Sender<Sound>>,
    status: Arc<AtomicU8>,
    config: AudioConfig,
}

impl Audio {
    /// Starts the audio thread unless every sound is disabled.
    pub fn start(config: &AudioConfig) -> Audio {
        let status = Arc::new(AtomicU8::new(AudioStatus::Starting as u8));
        if !config.session_prompt && !config.tap_sound {
            status.store(AudioStatus::Disabled as u8, Ordering::Relaxed);
            return Audio {
                tx: None,
                status,
                config: config.clone(),
            };
        }
        let (tx, rx) = mpsc::channel();
        let thread_status = status.clone();
        let volume = config.volume;
        let spawned = std::thread::Builder::new()
            .name("audio".into())
            .spawn(move || audio_thread(rx, thread_status, volume));
        if spawned.is_err() {
            status.store(AudioStatus::NoDevice as u8, Ordering::Relaxed);
        }
        Audio {
            tx: Some(tx),
            status,
            config: config.clone(),
        }
    }

    /// A handle that plays nothing (headless screenshots, tests).
    pub fn silent() -> Audio {
        Audio {
            tx: None,
            status: Arc::new(AtomicU8::new(AudioStatus::Disabled as u8)),
            config: AudioConfig {
                session_prompt: false,
                tap_sound: false,
                volume: 0.0,
            },
        }
    }

    pub fn play(&self, sound: Sound) {
        let wanted = match sound {
            Sound::SessionPrompt | Sound::PlaceCard => self.config.session_prompt,
            Sound::Tap => self.config.tap_sound,
        };
        if let (true, Some(tx)) = (wanted, &self.tx) {
            // A closed channel means the thread gave up; silence is correct.
            let _ = tx.send(sound);
        }
    }

    pub fn status(&self) -> AudioStatus {
        match self.status.load(Ordering::Relaxed) {
            x if x == AudioStatus::Ready as u8 => AudioStatus::Ready,
            x if x == AudioStatus::NoDevice as u8 => AudioStatus::NoDevice,
            x if x == AudioStatus::Disabled as u8 => AudioStatus::Disabled,
            _ => AudioStatus::Starting,
        }
    }
}

/// Whether the kernel knows any sound card. Asking ALSA itself on a machine
/// without one fills stderr with configuration errors, so look first.
pub(crate) fn sound_card_present() -> bool {
    match std::fs::read_to_string("/proc/asound/cards") {
        Ok(cards) => !cards.contains("no soundcards"),
        // No /proc/asound at all: no ALSA driver loaded, hence no card.
        Err(_) => !std::path::Path::new("/proc").exists(),
    }
}

fn audio_thread(rx: mpsc::Receiver<Sound>, status: Arc<AtomicU8>, volume: f32) {
    if !sound_card_present() {
        log::warn!("no audio: this machine has no sound card; continuing silently");
        status.store(AudioStatus::NoDevice as u8, Ordering::Relaxed);
        for _ in rx {}
        return;
    }
    let stream = match rodio::OutputStreamBuilder::open_default_stream() {
        Ok(mut stream) => {
            stream.log_on_drop(false);
            stream
        }
        Err(e) => {
            log::warn!("no audio: cannot open the default sound device ({e}); continuing silently");
            status.store(AudioStatus::NoDevice as u8, Ordering::Relaxed);
            // Drain so senders never see an error; sounds are simply dropped.
            for _ in rx {}
            return;
        }
    };
    status.store(AudioStatus::Ready as u8, Ordering::Relaxed);
    let mixer = stream.mixer();
    for sound in rx {
        match sound {
            Sound::Tap => {
                let click = rodio::source::SineWave::new(1320.0)
                    .take_duration(Duration::from_millis(35))
                    .fade_in(Duration::from_millis(3))
                    .amplify(0.25 * volume);
                mixer.add(click);
            }
            Sound::SessionPrompt | Sound::PlaceCard => {
                let wav = if sound == Sound::PlaceCard {
                    PLACE_CARD_WAV
                } else {
                    SESSION_PROMPT_WAV
                };
                match rodio::Decoder::new(Cursor::new(wav)) {
                    Ok(source) => mixer.add(source.amplify(volume)),
                    Err(e) => log::error!("voice prompt cannot be decoded: {e}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_voice_prompts_are_decodable_wavs() {
        for wav in [SESSION_PROMPT_WAV, PLACE_CARD_WAV] {
            let decoder = rodio::Decoder::new(Cursor::new(wav)).unwrap();
            let secs = decoder
                .total_duration()
                .map(|d| d.as_secs_f32())
                .unwrap_or(0.0);
            assert!(secs > 1.0 && secs < 10.0, "prompt lasts {secs} s");
        }
    }

    #[test]
    fn disabled_sounds_start_no_thread_and_say_so() {
        let audio = Audio::start(&AudioConfig {
            session_prompt: false,
            tap_sound: false,
            volume: 1.0,
        });
        assert_eq!(audio.status(), AudioStatus::Disabled);
        audio.play(Sound::Tap);
    }

    #[test]
    fn a_machine_without_a_sound_device_reports_it_once_and_keeps_accepting_sounds() {
        let audio = Audio::start(&AudioConfig::default());
        for _ in 0..100 {
            audio.play(Sound::Tap);
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while audio.status() == AudioStatus::Starting && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        // CI machines have no sound card; a developer's may. Either is a
        // settled state, never a panic or a hang.
        assert!(matches!(
            audio.status(),
            AudioStatus::Ready | AudioStatus::NoDevice
        ));
    }
}
