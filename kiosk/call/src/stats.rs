//! Call counters and a simple connection quality estimate.
//!
//! Media threads bump lock-free atomic counters; a periodic task turns them
//! into a [`CallStats`] snapshot, adds the round-trip time from webrtc-rs'
//! candidate-pair statistics, and grades the interval into a [`Quality`] the
//! UI can show as bars.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

#[derive(Default)]
pub(crate) struct Counters {
    pub frames_sent: AtomicU64,
    pub keyframes_sent: AtomicU64,
    pub keyframe_requests_received: AtomicU64,
    pub video_bytes_sent: AtomicU64,
    pub audio_packets_sent: AtomicU64,
    pub audio_bytes_sent: AtomicU64,
    pub video_packets_received: AtomicU64,
    pub audio_packets_received: AtomicU64,
    pub bytes_received: AtomicU64,
    pub packets_lost: AtomicU64,
    pub frames_decoded: AtomicU64,
    pub decode_errors: AtomicU64,
    pub audio_samples_decoded: AtomicU64,
    /// Round-trip time in microseconds; `u64::MAX` while unknown.
    pub rtt_us: AtomicU64,
    pub quality: AtomicU8,
}

impl Counters {
    pub fn new() -> Self {
        let c = Self::default();
        c.rtt_us.store(u64::MAX, Ordering::Relaxed);
        c
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn snapshot(&self) -> CallStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let rtt = get(&self.rtt_us);
        CallStats {
            frames_sent: get(&self.frames_sent),
            keyframes_sent: get(&self.keyframes_sent),
            keyframe_requests_received: get(&self.keyframe_requests_received),
            video_bytes_sent: get(&self.video_bytes_sent),
            audio_packets_sent: get(&self.audio_packets_sent),
            audio_bytes_sent: get(&self.audio_bytes_sent),
            video_packets_received: get(&self.video_packets_received),
            audio_packets_received: get(&self.audio_packets_received),
            bytes_received: get(&self.bytes_received),
            packets_lost: get(&self.packets_lost),
            frames_decoded: get(&self.frames_decoded),
            decode_errors: get(&self.decode_errors),
            audio_samples_decoded: get(&self.audio_samples_decoded),
            rtt: (rtt != u64::MAX).then(|| Duration::from_micros(rtt)),
            quality: Quality::from_u8(self.quality.load(Ordering::Relaxed)),
        }
    }
}

/// A snapshot of the call's counters (totals since the call started).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CallStats {
    /// Encoded video frames handed to the peer.
    pub frames_sent: u64,
    pub keyframes_sent: u64,
    /// PLI/FIR keyframe requests from the remote (each forces a keyframe).
    pub keyframe_requests_received: u64,
    pub video_bytes_sent: u64,
    pub audio_packets_sent: u64,
    pub audio_bytes_sent: u64,
    pub video_packets_received: u64,
    pub audio_packets_received: u64,
    /// RTP payload bytes received (audio + video).
    pub bytes_received: u64,
    /// RTP packets missing from the received sequence numbers.
    pub packets_lost: u64,
    /// Remote video pictures decoded.
    pub frames_decoded: u64,
    pub decode_errors: u64,
    /// Decoded remote audio samples with a non-zero level.
    pub audio_samples_decoded: u64,
    /// Current ICE round-trip time, when known.
    pub rtt: Option<Duration>,
    pub quality: Quality,
}

/// Rough connection quality for the UI (signal bars).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quality {
    /// Not connected or no data yet.
    #[default]
    Unknown,
    /// Media barely flows (heavy loss, very high delay or frozen video).
    Poor,
    /// Noticeable loss or delay.
    Fair,
    Good,
}

impl Quality {
    fn from_u8(v: u8) -> Self {
        match v {
            1 => Quality::Poor,
            2 => Quality::Fair,
            3 => Quality::Good,
            _ => Quality::Unknown,
        }
    }

    pub(crate) fn to_u8(self) -> u8 {
        match self {
            Quality::Unknown => 0,
            Quality::Poor => 1,
            Quality::Fair => 2,
            Quality::Good => 3,
        }
    }

    /// Grades one measurement interval: packets received and lost in it,
    /// video frames decoded per second, and the round-trip time.
    pub fn estimate(received: u64, lost: u64, decoded_fps: f64, rtt: Option<Duration>) -> Self {
        if received == 0 {
            return if lost > 0 {
                Quality::Poor
            } else {
                Quality::Unknown
            };
        }
        let loss = lost as f64 / (received + lost) as f64;
        let rtt_ms = rtt.map(|d| d.as_secs_f64() * 1000.0).unwrap_or(0.0);
        if loss > 0.10 || rtt_ms > 800.0 || decoded_fps < 5.0 {
            Quality::Poor
        } else if loss > 0.02 || rtt_ms > 300.0 || decoded_fps < 15.0 {
            Quality::Fair
        } else {
            Quality::Good
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_grades_loss_delay_and_frame_rate() {
        let ms = |v| Some(Duration::from_millis(v));
        assert_eq!(Quality::estimate(0, 0, 0.0, None), Quality::Unknown);
        assert_eq!(Quality::estimate(0, 5, 0.0, None), Quality::Poor);
        assert_eq!(Quality::estimate(1000, 0, 30.0, ms(20)), Quality::Good);
        assert_eq!(Quality::estimate(1000, 50, 30.0, ms(20)), Quality::Fair);
        assert_eq!(Quality::estimate(1000, 0, 30.0, ms(500)), Quality::Fair);
        assert_eq!(Quality::estimate(1000, 200, 30.0, ms(20)), Quality::Poor);
        assert_eq!(Quality::estimate(1000, 0, 2.0, ms(20)), Quality::Poor);
    }

    #[test]
    fn unknown_rtt_is_reported_as_none() {
        let c = Counters::new();
        assert_eq!(c.snapshot().rtt, None);
        c.rtt_us.store(12_000, Ordering::Relaxed);
        assert_eq!(c.snapshot().rtt, Some(Duration::from_millis(12)));
    }
}
