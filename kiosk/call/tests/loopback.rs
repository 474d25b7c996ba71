//! Two calls in one process on 127.0.0.1: VP8 video and Opus audio flow and
//! are decoded in both directions.

mod common;

use std::time::Duration;

use common::{CONNECT_TIMEOUT, eventually, start_pair, wait_for};
use kiosk_call::{CallEvent, PixelFormat};

#[test]
fn loopback_call_decodes_video_and_audio_both_ways() {
    let pair = start_pair();
    pair.connect();

    for side in [&pair.kiosk, &pair.lawyer] {
        let started = wait_for(&side.events, CONNECT_TIMEOUT, |e| {
            matches!(e, CallEvent::RemoteVideoStarted { .. })
        });
        match started {
            Some(CallEvent::RemoteVideoStarted { width, height }) => {
                assert_eq!((width, height), (640, 480));
            }
            other => panic!("no remote video: {other:?}"),
        }
    }
    // Counts well above zero within a few seconds (30 fps, 48000 samples/s).
    let flowing = eventually(Duration::from_secs(30), || {
        [&pair.kiosk, &pair.lawyer].iter().all(|s| {
            let st = s.call.stats();
            st.frames_decoded >= 30 && st.audio_samples_decoded >= 48_000
        })
    });
    let (k, l) = (pair.kiosk.call.stats(), pair.lawyer.call.stats());
    assert!(flowing, "kiosk {k:?}\nlawyer {l:?}");
    assert!(k.frames_sent >= 30 && k.keyframes_sent >= 1, "{k:?}");
    assert!(k.audio_packets_sent >= 50, "{k:?}");

    // Decoded pictures reach the UI channel as RGBA of the right size.
    let frame = pair
        .kiosk
        .call
        .video_frames()
        .recv_timeout(Duration::from_secs(10))
        .expect("a decoded frame");
    assert_eq!(frame.format, PixelFormat::Rgba8);
    assert_eq!(frame.pixels.len(), 640 * 480 * 4);
    // ... and audio as 48 kHz mono PCM with signal in it.
    let chunk = pair
        .kiosk
        .call
        .audio()
        .recv_timeout(Duration::from_secs(10))
        .expect("decoded audio");
    assert_eq!((chunk.sample_rate, chunk.channels), (48_000, 1));
    assert!(!chunk.samples.is_empty());

    // Stats events carry an RTT estimate on loopback.
    let with_rtt = wait_for(
        &pair.kiosk.events,
        Duration::from_secs(20),
        |e| matches!(e, CallEvent::Stats(s) if s.rtt.is_some()),
    );
    assert!(
        with_rtt.is_some(),
        "no RTT in stats: {:?}",
        pair.kiosk.call.stats()
    );

    pair.kiosk.call.hang_up();
    pair.lawyer.call.hang_up();
}

#[test]
fn keyframe_request_from_the_remote_reaches_the_encoder() {
    let pair = start_pair();
    pair.connect();
    assert!(eventually(CONNECT_TIMEOUT, || pair
        .lawyer
        .call
        .stats()
        .frames_decoded
        > 5));
    let before = pair.kiosk.call.stats();
    // The lawyer (like a browser) sends PLI; the kiosk's encoder answers.
    let answered = eventually(Duration::from_secs(30), || {
        kiosk_call::block_on(pair.lawyer.call.request_remote_keyframe()).unwrap();
        let now = pair.kiosk.call.stats();
        now.keyframe_requests_received > before.keyframe_requests_received
    });
    assert!(answered, "no PLI arrived: {:?}", pair.kiosk.call.stats());
    pair.kiosk.call.hang_up();
    pair.lawyer.call.hang_up();
}
