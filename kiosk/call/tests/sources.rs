//! The terminal's wiring of the media sources: detected sources (synthetic
//! here: CI has neither camera nor sound card) wrapped in `SelfView` and
//! `Mute`, sent through a real loopback call.

mod common;

use std::time::{Duration, Instant};

use common::{CONNECT_TIMEOUT, start_pair_with};
use kiosk_call::{
    AudioOrigin, MediaSources, Mute, PixelFormat, SelfView, SelfViewSettings, SourceSettings,
    VideoOrigin,
};

/// Peak level of the lawyer's decoded audio over the next `window`, and the
/// number of samples heard.
fn peak(rx: &flume::Receiver<kiosk_call::AudioChunk>, window: Duration) -> (u16, usize) {
    let deadline = Instant::now() + window;
    let (mut peak, mut heard) = (0, 0);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match rx.recv_timeout(left) {
            Ok(chunk) => {
                let p = chunk.samples.iter().map(|s| s.unsigned_abs()).max();
                peak = peak.max(p.unwrap_or(0));
                heard += chunk.samples.len();
            }
            Err(_) => break,
        }
    }
    (peak, heard)
}

#[test]
fn self_view_and_mute_work_inside_a_call() {
    let (sources, detected) = MediaSources::detect(&SourceSettings::synthetic());
    assert_eq!(detected.video, VideoOrigin::TestPattern);
    assert_eq!(detected.audio, AudioOrigin::Tone);

    let (video, self_view) = SelfView::new(sources.video.unwrap(), SelfViewSettings::default());
    let audio = Mute::new(sources.audio.unwrap());
    let muted = audio.switch();
    muted.set(true);
    let pair = start_pair_with(MediaSources {
        video: Some(Box::new(video)),
        audio: Some(Box::new(audio)),
    });
    pair.connect();

    // The resident sees themselves: small RGBA pictures, about 15 a second.
    let picture = self_view
        .recv_timeout(CONNECT_TIMEOUT)
        .expect("a self-view picture");
    assert_eq!((picture.width, picture.height), (160, 120));
    assert_eq!(picture.format, PixelFormat::Rgba8);
    assert_eq!(picture.pixels.len(), 160 * 120 * 4);
    let start = Instant::now();
    let mut count = 0;
    while start.elapsed() < Duration::from_secs(2) {
        if self_view.recv_timeout(Duration::from_millis(200)).is_ok() {
            count += 1;
        }
    }
    // 15 a second at most; a loaded CI machine may encode far fewer.
    assert!(
        (2..=36).contains(&count),
        "{count} self-view pictures in 2 s"
    );

    // Muted: the lawyer hears silence, but audio keeps flowing.
    let lawyer_audio = pair.lawyer.call.audio();
    let sent_before = pair.kiosk.call.stats().audio_packets_sent;
    let (quiet, heard) = peak(&lawyer_audio, Duration::from_secs(1));
    assert!(quiet < 500, "muted peak {quiet}");
    assert!(heard >= 9_600, "only {heard} samples of silence heard");
    assert!(pair.kiosk.call.stats().audio_packets_sent >= sent_before + 10);

    // Unmuted: the tone comes through.
    muted.set(false);
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    let mut loud = 0;
    while loud <= 3000 && Instant::now() < deadline {
        loud = loud.max(peak(&lawyer_audio, Duration::from_millis(500)).0);
    }
    assert!(loud > 3000, "unmuted peak {loud}");

    pair.kiosk.call.hang_up();
    pair.lawyer.call.hang_up();
}
